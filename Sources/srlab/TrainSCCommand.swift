import ArgumentParser
import Foundation
import Harness
import Imaging
import SparseCoding

/// `srlab train sc`: learns a coupled ScSR dictionary (Yang et al. 2010) from an HR image set.
struct TrainSCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sc",
        abstract: "Train a coupled sparse-coding dictionary (ScSR, Yang et al. 2010) on Y patches of an image set.")

    @Option(help: "A run's config (JSON with the keys scale, atoms, samples, rounds, lambda, seed, dataset, output, checkpoint). Options given here override it; its checkpoint goes beside it unless it or --checkpoint says otherwise.")
    var config: String?
    @Option(help: "Scale factor the dictionary is for, \(SRProtocol.scalesInWords) (required here or in the config).") var scale: ScaleOption?
    @Option(help: "Dictionary atoms (the release: 512 or 1024; default 1024).") var atoms: Int?
    @Option(help: "Patch pairs to sample before pruning (default 100000).") var samples: Int?
    @Option(help: "Alternating rounds of coding and dictionary update (default 40).") var rounds: Int?
    @Option(help: "λ of the training objective ½‖X − BS‖² + λ‖S‖₁ (default 0.15).") var lambda: Double?
    @Option(help: "Seed of the patch sampling and the initial dictionary (default 0).") var seed: UInt64?
    @Option(help: "Training image set under the data root (default T91).") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Output dictionary (safetensors; required here or in the config).") var output: String?
    @Option(help: "Checkpoint written after every round (default: checkpoint.safetensors beside the config, else <output>.checkpoint).") var checkpoint: String?
    @Flag(help: "Continue from the checkpoint if it exists.") var resume = false

    /// A dictionary run's config file: every key optional.
    struct RunConfig: Decodable {
        var scale: Int?, atoms: Int?, samples: Int?, rounds: Int?, lambda: Double?, seed: UInt64?
        var dataset: String?, output: String?, checkpoint: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case scale, atoms, samples, rounds, lambda, seed, dataset, output, checkpoint
        }
        static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }
    }

    func run() throws {
        try reportingErrors {
            let file = try config.map { try ConfigFile($0, keys: RunConfig.keys) }
            let stated = try file?.decode(RunConfig.self)
            let defaults = TrainingConfiguration()
            guard let scale = scale?.value ?? stated?.scale else {
                throw ValidationError("give --scale (or \"scale\" in the config)")
            }
            guard let output = output ?? stated?.output else {
                throw ValidationError("give --output (or \"output\" in the config)")
            }
            let settings = TrainingConfiguration(scale: scale, atoms: atoms ?? stated?.atoms ?? defaults.atoms,
                                                 samples: samples ?? stated?.samples ?? defaults.samples,
                                                 lambda: lambda ?? stated?.lambda ?? defaults.lambda,
                                                 rounds: rounds ?? stated?.rounds ?? defaults.rounds,
                                                 seed: seed ?? stated?.seed ?? defaults.seed)
            guard SRProtocol.scales.contains(settings.scale) else { throw ValidationError("scale \(settings.scale) must be \(SRProtocol.scalesInWords)") }
            guard settings.atoms > 0, settings.samples > 0, settings.rounds > 0, settings.lambda > 0 else {
                throw ValidationError("atoms, samples, rounds and lambda must be positive")
            }
            let dataset = dataset ?? stated?.dataset ?? "T91"
            let checkpoint = checkpoint ?? stated?.checkpoint
                ?? file.map { ($0.folder as NSString).appendingPathComponent("checkpoint.safetensors") } ?? output + ".checkpoint"
            let urls = try DataRoot(option: data).dataset(dataset)
            let images = try Evaluation.load(urls).map { Color.luma($0.image) }
            try OutputPath.prepareFile(output, option: "--output")
            let start = Date()
            let dictionary = try ScSRTraining.run(images: images, trainingSet: "\(dataset) (\(images.count) images)",
                                                  configuration: settings, output: output,
                                                  checkpoint: checkpoint, resume: resume, log: note)
            note("wrote \(output) (\(dictionary.atoms) atoms, x\(settings.scale)) in \(ScSRTraining.formatDuration(Date().timeIntervalSince(start)))")
        }
    }
}
