import ArgumentParser
import ExampleBased
import ExampleBasedTraining
import Foundation
import Harness
import Imaging

/// `srlab train zeyde`: Zeyde et al.'s K-SVD dictionary and PCA basis from T91 (the file GR, ANR
/// and NE+LLE also run from).
struct TrainZeydeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zeyde",
        abstract: "Train Zeyde's dictionary (PCA + K-SVD, 1024 atoms) on T91, as the A+ release does; GR, ANR and NE+LLE use the same file.")

    @OptionGroup var training: ExampleBasedTrainingOptions
    @Option(name: [.short, .long], help: "Output configuration (safetensors), e.g. results/models/zeyde_x3.safetensors.") var output: String

    func run() throws {
        try reportingErrors {
            let scale = try training.checkedScale()
            try ExampleBasedTrainingOptions.prepare(output, kind: TrainedModelFile.configurationKind, option: "--output")
            let (images, set) = try training.loadImages()
            _ = try training.trainDictionary(images: images, trainingSet: set, scale: scale, output: output)
        }
    }
}

/// `srlab train aplus`: A+'s 1024 regressors from the 12-level T91 pyramid, over a dictionary
/// given by --dictionary or trained first.
struct TrainAplusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aplus",
        abstract: "Train A+'s regressors (2048 nearest of ~5 M T91 samples per atom) over a Zeyde configuration, training that first if --dictionary is not given.")

    @OptionGroup var training: ExampleBasedTrainingOptions
    @Option(help: "The Zeyde configuration to anchor on (srlab's or the authors' zeyde_conf_x<s>.safetensors). Without it one is trained and written to --dictionary-output.") var dictionary: String?
    @Option(help: "Where the dictionary trained when --dictionary is not given goes (default: zeyde_x<s>.safetensors beside --output).") var dictionaryOutput: String?
    @Option(help: "Samples kept from the pyramid, in collection order (default 5000000, the release's).") var samples: Int = 5_000_000
    @Flag(help: "Keep every sample of the pyramid (12.1 M at x2, where this reproduces the published numbers).") var allSamples = false
    @Option(name: [.short, .long], help: "Output regressor file (safetensors), e.g. results/models/aplus_x3.safetensors.") var output: String

    func run() throws {
        try reportingErrors {
            let scale = try training.checkedScale()
            guard samples >= AplusRegressorTraining.neighbours else {
                throw ValidationError("--samples \(samples): A+ takes the \(AplusRegressorTraining.neighbours) nearest samples of each atom, so it needs at least that many")
            }
            // Every check before any work: the dictionary's kind and scale, both outputs.
            let given = try dictionary.map { try ZeydeConfiguration(contentsOf: $0, scale: scale) }
            let dictionaryPath = dictionary ?? dictionaryOutput
                ?? URL(fileURLWithPath: output).deletingLastPathComponent().appendingPathComponent("zeyde_x\(scale).safetensors").relativePath
            if given == nil {
                guard URL(fileURLWithPath: dictionaryPath).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
                    throw ValidationError("the dictionary and the regressors would both be written to \(output); give --dictionary-output")
                }
                try ExampleBasedTrainingOptions.prepare(dictionaryPath, kind: TrainedModelFile.configurationKind, option: "--dictionary-output")
            } else if URL(fileURLWithPath: dictionaryPath).standardizedFileURL == URL(fileURLWithPath: output).standardizedFileURL {
                throw ValidationError("--output \(output) is the --dictionary file; give another output file")
            }
            try ExampleBasedTrainingOptions.prepare(output, kind: TrainedModelFile.regressorKind, option: "--output")
            let (images, set) = try training.loadImages()
            let configuration = try given ?? training.trainDictionary(images: images, trainingSet: set, scale: scale, output: dictionaryPath)
            var settings = AplusTraining.Settings()
            settings.sampleLimit = allSamples ? nil : samples
            note("A+ x\(scale): regressors over \(dictionaryPath)")
            let start = Date()
            let (regressors, provenance) = try AplusTraining.train(images: images, trainingSet: set, configuration: configuration,
                                                                 settings: settings, log: note)
            let name = TrainedModelFile.relativeName(of: dictionaryPath, from: output)
            try TrainedModelFile.regressorFile(regressors, scale: scale, dictionary: name, provenance: provenance).write(to: output)
            note(String(format: "wrote %@ (%d regressors, x%d) in %.1f s", output, regressors.count, scale, Date().timeIntervalSince(start)))
        }
    }
}

/// Options and steps `train zeyde` and `train aplus` share.
struct ExampleBasedTrainingOptions: ParsableArguments {
    @Option(help: "Scale factor, 2, 3 or 4 (the release's).") var scale: Int
    @Option(help: "Data root holding T91 (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Training image set under the data root (default T91).") var dataset = "T91"
    @Option(help: "Seed of K-SVD's random choices (initial atoms, atom order, replacements), recorded in the file.") var seed: UInt64 = 0
    @Option(help: "K-SVD iterations (default 20, the release's).") var iterations = 20

    static let scales = 2...4

    func checkedScale() throws -> Int {
        guard Self.scales.contains(scale) else {
            throw ValidationError("--scale \(scale): the example-based family is trained at x2, x3 or x4 (the release's scales)")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations \(iterations) must be at least 1") }
        return scale
    }

    /// The output checks before any work: a writable file path (`OutputPath`), and no existing
    /// file srlab did not write as this kind.
    static func prepare(_ path: String, kind: String, option: String) throws {
        try OutputPath.prepareFile(path, option: option)
        try TrainedModelFile.checkReplaceable(path, kind: kind, option: option)
    }

    /// Y on [0, 1] of every image of the training set, in file-name order.
    func loadImages() throws -> (images: [Plane], trainingSet: String) {
        let urls = try DataRoot(option: data).dataset(dataset)
        let images = try Evaluation.load(urls).map { Color.luma($0.image).map { $0 / 255 } }
        return (images, "\(dataset) (\(images.count) images)")
    }

    func trainDictionary(images: [Plane], trainingSet: String, scale: Int, output: String) throws -> ZeydeConfiguration {
        var settings = ZeydeDictionaryTraining.Settings(scale: scale)
        settings.seed = seed
        settings.ksvd.iterations = iterations
        note("Zeyde dictionary x\(scale) from \(trainingSet), seed \(seed)")
        let start = Date()
        let (configuration, provenance) = try ZeydeDictionaryTraining.train(images: images, trainingSet: trainingSet,
                                                                          settings: settings, log: note)
        try TrainedModelFile.configurationFile(configuration, provenance: provenance).write(to: output)
        note(String(format: "wrote %@ (%d atoms, PCA %d, x%d) in %.1f s", output, configuration.atoms,
                    configuration.pcaDimension, scale, Date().timeIntervalSince(start)))
        return configuration
    }
}
