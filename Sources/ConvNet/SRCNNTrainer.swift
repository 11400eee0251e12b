import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// SRCNN as `NetworkTrainer` sees it: the paper's three convolutions, Gaussian or He
/// initialisation, layer 3 at its own learning rate, model files in the authors' layout.
public struct SRCNNTrainable: TrainableNetwork {
    public let architecture: SRCNNArchitecture
    /// The factor it is trained for (its validation runs at it).
    public let scale: Int

    public init(architecture: SRCNNArchitecture, scale: Int) { self.architecture = architecture; self.scale = scale }

    public var checkpointKind: String { "srcnn-training-checkpoint" }

    public var parameterNames: [(name: String, count: Int)] {
        architecture.tensorShapes.map { ($0.name, $0.shape.reduce(1, *)) }
    }

    public func initialParameters(options: SRCNNTrainingOptions) -> [[Float]] {
        options.heInitialisation
            ? SRCNN(architecture: architecture, heInitialisationSeed: options.seed).parameters
            : SRCNN(architecture: architecture, seed: options.seed,
                    standardDeviation: options.initialStandardDeviation).parameters
    }

    public func parameters(fromModel path: String, scale: Int) throws -> [[Float]] {
        let model = try SRCNN(contentsOf: path, scale: scale)
        guard model.architecture == architecture else {
            throw SRCNNError.invalidModel(path: path, reason: "it is SRCNN \(model.architecture), the run trains \(architecture)")
        }
        return model.parameters
    }

    public func makeBackprop(batchCapacity: Int) -> SRCNNBackprop<Float> {
        SRCNNBackprop<Float>(architecture: architecture, batchCapacity: batchCapacity)
    }

    /// conv3.weight and conv3.bias, the paper's 1e-5 layer.
    public func usesLastLayerRate(tensor: Int) -> Bool { tensor >= 4 }

    public func resolver(parameters: [[Float]]) -> any SuperResolver {
        SRCNN(architecture: architecture, parameters: parameters).resolver(scale: scale)
    }

    public func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try SRCNN(architecture: architecture, parameters: parameters, metadata: metadata).write(to: path)
    }

    public func modelMetadata(options: SRCNNTrainingOptions, trainingSet: SRCNNTrainingSet, epochs: Int,
                              samplesPerEpoch: Int) -> [String: String] {
        [
            "arch": architecture.description,
            "scale": "\(options.scale)",
            "seed": "\(options.seed)",
            "training_set": options.trainingSetDescription(count: trainingSet.count),
            "epochs": "\(epochs)",
            "optimiser": options.optimizerDescription,
            "augmentation": options.augment ? "random flips and 90-degree rotations" : "none",
            "initialisation": options.initialModelProvenance
                ?? (options.heInitialisation ? "He normal, std sqrt(2/fan_in), zero biases"
                    : "Gaussian std \(options.initialStandardDeviation), zero biases"),
            "notes": "Trained by SRLab ConvNet: valid convolutions on 33x33 sub-images, Caffe EuclideanLoss sum/(2*batch); "
                + "departures from the paper: \(options.optimizer == .adam ? "Adam instead of SGD, " : "")"
                + "\(options.initialModel != nil ? "fine-tuned from a trained model (see initialisation), " : "")"
                + "\(options.heInitialisation && options.initialModel == nil ? "He initialisation instead of std 0.001, " : "")"
                + "\(options.downscales.isEmpty ? "" : "scale augmentation (downscaled copies of the training images), ")"
                + "\(options.batchSize != 128 ? "batch \(options.batchSize) instead of 128, " : "")"
                + "\(epochs) epochs of \(samplesPerEpoch) samples (the paper ran ~8e8 backpropagations), "
                + "shuffled each epoch with a seeded generator",
        ]
    }
}

/// SRCNN training under the paper's protocol (see `NetworkTrainer`).
public typealias SRCNNTrainer = NetworkTrainer<SRCNNTrainable>

extension NetworkTrainer where Network == SRCNNTrainable {
    public var architecture: SRCNNArchitecture { network.architecture }

    public var model: SRCNN { SRCNN(architecture: architecture, parameters: parameters, metadata: modelMetadata) }

    /// A fresh run on data already in memory.
    public convenience init(options: SRCNNTrainingOptions, trainingSet: SRCNNTrainingSet, validation: [PreparedImage]) throws {
        let architecture = try options.validated()
        try self.init(network: SRCNNTrainable(architecture: architecture, scale: options.scale), options: options,
                      trainingSet: trainingSet, validation: validation)
    }

    /// A fresh run reading the training and validation folders named in `options`.
    public convenience init(options: SRCNNTrainingOptions) throws {
        _ = try options.validated()
        try self.init(options: options, trainingSet: try SRCNNTrainingSet(options: options),
                      validation: try Self.loadValidation(options.validationFolder, scale: options.scale))
    }

    /// Resumes an SRCNN run (see the generic initialiser).
    public convenience init(resumingFrom path: String, epochs: Int? = nil, threads: Int? = nil,
                            learningRateMilestones: [Int]? = nil,
                            trainingSet: SRCNNTrainingSet? = nil, validation: [PreparedImage]? = nil) throws {
        try self.init(resumingFrom: path, epochs: epochs, threads: threads, learningRateMilestones: learningRateMilestones,
                      trainingSet: trainingSet, validation: validation) { _, options in
            SRCNNTrainable(architecture: try options.validated(), scale: options.scale)
        }
    }
}
