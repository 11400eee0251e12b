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

    @Option(help: "Scale factor the dictionary is for, a whole number from 2 to 8.") var scale: ScaleOption
    @Option(help: "Dictionary atoms (the release: 512 or 1024).") var atoms = 1024
    @Option(help: "Patch pairs to sample before pruning.") var samples = 100_000
    @Option(help: "Alternating rounds of coding and dictionary update.") var rounds = 40
    @Option(help: "λ of the training objective ½‖X − BS‖² + λ‖S‖₁.") var lambda = 0.15
    @Option(help: "Seed of the patch sampling and the initial dictionary.") var seed: UInt64 = 0
    @Option(help: "Training image set under the data root.") var dataset = "T91"
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Output dictionary (safetensors).") var output: String
    @Option(help: "Checkpoint written after every round (default: <output>.checkpoint).") var checkpoint: String?
    @Flag(help: "Continue from the checkpoint if it exists.") var resume = false

    func validate() throws {
        guard atoms > 0, samples > 0, rounds > 0, lambda > 0 else {
            throw ValidationError("--atoms, --samples, --rounds and --lambda must be positive")
        }
    }

    func run() throws {
        try reportingErrors {
            let urls = try DataRoot(option: data).dataset(dataset)
            let images = try Evaluation.load(urls).map { Color.luma($0.image) }
            let settings = TrainingConfiguration(scale: scale.value, atoms: atoms, samples: samples, lambda: lambda,
                                                 rounds: rounds, seed: seed)
            try OutputPath.prepareFile(output, option: "--output")
            let start = Date()
            let dictionary = try ScSRTraining.run(images: images, trainingSet: "\(dataset) (\(images.count) images)",
                                                  configuration: settings, output: output,
                                                  checkpoint: checkpoint ?? output + ".checkpoint", resume: resume,
                                                  log: note)
            note("wrote \(output) (\(dictionary.atoms) atoms, x\(scale.value)) in \(ScSRTraining.formatDuration(Date().timeIntervalSince(start)))")
        }
    }
}
