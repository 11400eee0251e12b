import Foundation
import Imaging
import LinearAlgebra
import SparseCoding
import TensorFile
import Training

/// The network under the training stack's `NetworkTrainer`: same data, loop, checkpoints and
/// resume as SRCNN. The reconstruction trains at `lastLayerLearningRate`, as SRCNN's last layer does.
extension TrainableSparseCodingNetwork: TrainableNetwork {
    static let checkpointKindName = "scn-training-checkpoint"

    public var networkDescription: NetworkDescription {
        let c = configuration
        return NetworkDescription(kind: Self.fileKind, name: "\(c.atoms) atoms, K = \(c.iterations)", scale: c.scale,
                                  shrink: SparseCodingNetworkConfiguration.shrink,
                                  parameters: c.tensorShapes.map { ParameterTensor(name: $0.name, shape: $0.shape) },
                                  lastLayerTensors: [c.tensorShapes[c.reconstructionIndex].name],
                                  learningRateGroups: ("layer 1, LISTA", "reconstruction"))
    }

    /// The dictionary's initialisation (the seed only drives shuffling and augmentation).
    public func initialParameters(seed: UInt64) -> [[Float]] { parameters }

    public func parameters(fromModel path: String, scale: Int) throws -> [[Float]] {
        let model = try TrainableSparseCodingNetwork(contentsOf: path, scale: scale)
        guard model.configuration == configuration else {
            throw SparseCodingNetworkError.invalidModel(path: path, reason: "its configuration \(model.configuration) is not the run's \(configuration)")
        }
        return model.parameters
    }

    public func makeBackprop(batchCapacity: Int) -> SparseCodingNetworkBackprop<Float> {
        SparseCodingNetworkBackprop<Float>(configuration: configuration, batchCapacity: batchCapacity)
    }

    /// The network runs at its configuration's scale (the trainer has checked it is the run's).
    public func resolver(parameters: [[Float]], scale: Int) -> any SuperResolver {
        TrainableSparseCodingNetwork(configuration: configuration, parameters: parameters, metadata: metadata)
    }

    public func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try TrainableSparseCodingNetwork(configuration: configuration, parameters: parameters, metadata: metadata).write(to: path)
    }

    public func modelMetadata(options: TrainingOptions, trainingSet: SubImageSet, epochs: Int,
                              samplesPerEpoch: Int) -> [String: String] {
        var meta = metadata.merging(configurationMetadata) { _, new in new }
        meta["kind"] = Self.fileKind
        meta.merge(options.provenance(trainingSet: trainingSet, epochs: epochs,
                                      learningRateGroups: networkDescription.learningRateGroups)) { _, new in new }
        meta["initialisation"] = options.initialModelProvenance ?? "from the coupled dictionary \(metadata["dictionary"] ?? "") (ISTA with lambda \(configuration.lambda), step 1/L), reconstruction gain \(metadata["gain"] ?? "1") by least squares"
        meta["departures"] = Self.departures
        meta["notes"] = "Trained by SRLab's NetworkTrainer (Sources/Training): valid convolutions on 33x33 sub-images, loss on the centre 21x21, Caffe EuclideanLoss sum/(2*batch), \(epochs) epochs of \(samplesPerEpoch) samples, shuffled each epoch with a seeded generator"
        return meta
    }

    /// Nothing beside the options: the configuration and provenance are in the metadata.
    public func encodeSettings(to encoder: Encoder) throws {}

    /// Rebuilds the network from a training checkpoint (configuration and provenance from its
    /// metadata; the trainer then loads the parameters).
    public init(checkpoint file: SafeTensorsFile, path: String) throws {
        try requireCheckpointKind(Self.checkpointKindName, of: file, path: path)
        try self.init(file: file, path: path, tensorPrefix: "param.")
        // The trainer's own state is not provenance: model files written later would carry it stale.
        for key in ["kind", "options", "history", "epoch", "step", "rng_state", "best_psnr"] { metadata[key] = nil }
    }
}

/// The trainer that runs it.
public typealias SparseCodingNetworkTrainer = NetworkTrainer<TrainableSparseCodingNetwork>

/// What starts a fresh run besides the `TrainingOptions`: the dictionary and how deep to unroll
/// it. These are the SCN keys of a run's config file.
public struct SparseCodingNetworkSettings: Codable, Sendable, Equatable {
    /// A coupled dictionary (`srlab train sc`) with 5×5 patches, for the run's scale.
    public var dictionary: String?
    /// Unrolled ISTA iterations (layers), at least 2.
    public var iterations = 3
    /// λ of the initial thresholds λ/L.
    public var lambda = 0.2
    /// Training sub-images the initial reconstruction gain is fitted on.
    public var calibrationSamples = 2048

    public init() {}

    public static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }

    enum CodingKeys: String, CodingKey, CaseIterable { case dictionary, iterations, lambda, calibrationSamples }

    /// Keys the JSON lacks keep their defaults; other keys are the options'.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dictionary = try c.decodeIfPresent(String.self, forKey: .dictionary)
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations) ?? iterations
        lambda = try c.decodeIfPresent(Double.self, forKey: .lambda) ?? lambda
        calibrationSamples = try c.decodeIfPresent(Int.self, forKey: .calibrationSamples) ?? calibrationSamples
    }
}

extension NetworkTrainer where Network == TrainableSparseCodingNetwork {
    /// A fresh run: the network initialised from `settings.dictionary` (checked for the run's
    /// scale and 5×5 patches), its reconstruction gain fitted on the training set, and written
    /// as `initial.safetensors` in the output folder before any training.
    public static func fresh(settings: SparseCodingNetworkSettings, options: TrainingOptions,
                             log: (String) -> Void = { _ in }) throws -> SparseCodingNetworkTrainer {
        guard let path = settings.dictionary else {
            throw TrainingError.invalidOptions("a fresh scn run needs a dictionary (a coupled dictionary from `srlab train sc`)")
        }
        guard settings.iterations >= 2 else { throw TrainingError.invalidOptions("iterations must be at least 2, not \(settings.iterations)") }
        guard settings.calibrationSamples > 0 else { throw TrainingError.invalidOptions("calibration samples must be positive") }
        try options.validate()
        let dictionary = try CoupledDictionary(contentsOf: path)
        guard dictionary.metadata.scale == options.scale else {
            throw ModelFileError.wrongScale(path: path, kind: CoupledDictionary.fileKind, trained: dictionary.metadata.scale, requested: options.scale)
        }
        guard dictionary.metadata.patchSize == 5 else {
            throw DictionaryError.wrongShape(path: path, reason: "the network needs 5×5 patches, this one has \(dictionary.metadata.patchSize)×\(dictionary.metadata.patchSize)")
        }
        let set = try SubImageSet(options: options)
        var network = TrainableSparseCodingNetwork(dictionary: dictionary, iterations: settings.iterations,
                                                   lambda: settings.lambda,
                                                   dictionaryName: (path as NSString).lastPathComponent)
        let gain = network.calibrateGain(on: set, samples: settings.calibrationSamples)
        log(String(format: "initial reconstruction gain %.6f (least squares on %d sub-images), L = %.4f", gain,
                   min(settings.calibrationSamples, set.count), network.configuration.lipschitz))
        try FileManager.default.createDirectory(atPath: options.outputFolder, withIntermediateDirectories: true)
        var initial = network
        initial.metadata["epochs"] = "0"
        try initial.write(to: (options.outputFolder as NSString).appendingPathComponent("initial.safetensors"))
        let validation = try Self.loadValidation(options.validationFolder, scale: options.scale)
        return try NetworkTrainer(network: network, options: options, trainingSet: set, validation: validation)
    }
}
