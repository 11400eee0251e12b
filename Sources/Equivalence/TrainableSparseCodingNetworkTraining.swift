import Foundation
import ConvNet
import Imaging
import LinearAlgebra
import TensorFile

/// The network under ConvNet's `NetworkTrainer`: same data, loop, checkpoints and resume as SRCNN.
/// The reconstruction trains at `lastLayerLearningRate`, as SRCNN's last layer does.
extension TrainableSparseCodingNetwork: TrainableNetwork {
    static let checkpointKindName = "scn-training-checkpoint"

    public var checkpointKind: String { Self.checkpointKindName }

    public var parameterNames: [(name: String, count: Int)] {
        configuration.tensorShapes.map { ($0.name, $0.shape.reduce(1, *)) }
    }

    /// The dictionary's initialisation (the seed only drives shuffling and augmentation).
    public func initialParameters(options: SRCNNTrainingOptions) -> [[Float]] { parameters }

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

    public func usesLastLayerRate(tensor: Int) -> Bool { tensor == configuration.reconstructionIndex }

    public func resolver(parameters: [[Float]]) -> any SuperResolver {
        TrainableSparseCodingNetwork(configuration: configuration, parameters: parameters, metadata: metadata)
    }

    public func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try TrainableSparseCodingNetwork(configuration: configuration, parameters: parameters, metadata: metadata).write(to: path)
    }

    public func modelMetadata(options: SRCNNTrainingOptions, trainingSet: SRCNNTrainingSet, epochs: Int,
                              samplesPerEpoch: Int) -> [String: String] {
        var meta = metadata.merging(configurationMetadata) { _, new in new }
        meta["kind"] = Self.fileKind
        meta["seed"] = "\(options.seed)"
        meta["epochs"] = "\(epochs)"
        meta["training_set"] = options.trainingSetDescription(count: trainingSet.count)
        meta["optimiser"] = Self.optimiserDescription(options)
        meta["augmentation"] = options.augment ? "random flips and 90-degree rotations" : "none"
        meta["initialisation"] = options.initialModelProvenance ?? "from the coupled dictionary \(metadata["dictionary"] ?? "") (ISTA with lambda \(configuration.lambda), step 1/L), reconstruction gain \(metadata["gain"] ?? "1") by least squares"
        meta["departures"] = Self.departures
        meta["notes"] = "Trained by SRLab ConvNet's NetworkTrainer: valid convolutions on 33x33 sub-images, loss on the centre 21x21, Caffe EuclideanLoss sum/(2*batch), \(epochs) epochs of \(samplesPerEpoch) samples, shuffled each epoch with a seeded generator"
        return meta
    }

    /// The options' optimiser line with this network's layer names.
    public static func optimiserDescription(_ options: SRCNNTrainingOptions) -> String {
        options.optimizerDescription.replacingOccurrences(of: "(layers 1-2) / ", with: "(layer 1, LISTA) / ")
            .replacingOccurrences(of: "(layer 3)", with: "(reconstruction)")
    }

    /// Rebuilds the network from a training checkpoint (configuration and provenance from its
    /// metadata; the trainer then loads the parameters).
    public init(checkpoint file: SafeTensorsFile, path: String) throws {
        guard file.metadata["kind"] == Self.checkpointKindName else {
            throw SRCNNError.invalidCheckpoint(path: path, reason: "it is a \(file.metadata["kind"] ?? "file without a kind"), not a \(Self.checkpointKindName)")
        }
        try self.init(file: file, path: path, tensorPrefix: "param.")
        // The trainer's own state is not provenance: model files written later would carry it stale.
        for key in ["kind", "options", "history", "epoch", "step", "rng_state", "best_psnr"] { metadata[key] = nil }
    }
}

/// The trainer that runs it.
public typealias SparseCodingNetworkTrainer = NetworkTrainer<TrainableSparseCodingNetwork>
