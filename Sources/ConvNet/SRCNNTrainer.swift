import Foundation
import Imaging
import LinearAlgebra
import TensorFile
import Training

/// SRCNN as `NetworkTrainer` sees it: the paper's three convolutions, Gaussian or He
/// initialisation, layer 3 at its own learning rate, model files in the authors' layout.
///
/// Its settings (architecture, initialisation) sit in a run's config and in every checkpoint's
/// `options` beside the `TrainingOptions`, under the keys SRCNN checkpoints have always used:
/// `architecture` ("9-1-5", "9-5-5:64-32"), `heInitialisation`, `initialStandardDeviation`.
public struct SRCNNTrainable: TrainableNetwork, Codable, Equatable {
    public let architecture: SRCNNArchitecture
    /// He initialisation (std √(2/fan-in) per layer) instead of `initialStandardDeviation`.
    public var heInitialisation: Bool
    /// Standard deviation of the Gaussian initial weights (paper: 0.001).
    public var initialStandardDeviation: Double

    public init(architecture: SRCNNArchitecture, heInitialisation: Bool = false, initialStandardDeviation: Double = 0.001) {
        self.architecture = architecture
        self.heInitialisation = heInitialisation
        self.initialStandardDeviation = initialStandardDeviation
    }

    /// From the settings' text form; throws `TrainingError.invalidOptions` for a malformed
    /// architecture or a standard deviation that is not positive.
    public init(architecture text: String, heInitialisation: Bool = false, initialStandardDeviation: Double = 0.001) throws {
        guard let architecture = SRCNNArchitecture(text) else {
            throw TrainingError.invalidOptions("architecture '\(text)' is not of the form 9-5-5 or 9-5-5:64-32")
        }
        guard initialStandardDeviation > 0 else {
            throw TrainingError.invalidOptions("the initial standard deviation must be positive, not \(initialStandardDeviation)")
        }
        self.init(architecture: architecture, heInitialisation: heInitialisation,
                  initialStandardDeviation: initialStandardDeviation)
    }

    /// The keys SRCNN adds to a run's config.
    public static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }

    enum CodingKeys: String, CodingKey, CaseIterable { case architecture, heInitialisation, initialStandardDeviation }

    /// Keys the JSON lacks keep the values of `decoder.userInfo[defaultsKey]` (else 9-1-5,
    /// Gaussian 0.001); other keys are the options'.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let base = decoder.userInfo[Self.defaultsKey] as? SRCNNTrainable ?? SRCNNTrainable(architecture: .srcnn915)
        try self.init(architecture: try c.decodeIfPresent(String.self, forKey: .architecture) ?? base.architecture.description,
                      heInitialisation: try c.decodeIfPresent(Bool.self, forKey: .heInitialisation) ?? base.heInitialisation,
                      initialStandardDeviation: try c.decodeIfPresent(Double.self, forKey: .initialStandardDeviation)
                          ?? base.initialStandardDeviation)
    }

    public static let defaultsKey = CodingUserInfoKey(rawValue: "SRCNNTrainable.defaults")!

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture.description, forKey: .architecture)
        try c.encode(heInitialisation, forKey: .heInitialisation)
        try c.encode(initialStandardDeviation, forKey: .initialStandardDeviation)
    }

    public func encodeSettings(to encoder: Encoder) throws { try encode(to: encoder) }

    public static let checkpointKind = "srcnn-training-checkpoint"

    /// From a checkpoint's `options` (the keys above; every SRCNN checkpoint has them).
    public init(checkpoint file: SafeTensorsFile, path: String) throws {
        self = try decodeCheckpointSettings(SRCNNTrainable.self, kind: Self.checkpointKind, of: file, path: path,
                                            unreadable: "its options are not JSON")
    }

    public var networkDescription: NetworkDescription {
        let tensors = architecture.tensorShapes.map { ParameterTensor(name: $0.name, shape: $0.shape) }
        return NetworkDescription(kind: "srcnn", name: architecture.description, scale: nil,
                                  shrink: architecture.validShrink, parameters: tensors,
                                  lastLayerTensors: ["conv3.weight", "conv3.bias"],   // the paper's 1e-5 layer
                                  learningRateGroups: ("layers 1-2", "layer 3"))
    }

    public func initialParameters(seed: UInt64) -> [[Float]] {
        heInitialisation
            ? SRCNN(architecture: architecture, heInitialisationSeed: seed).parameters
            : SRCNN(architecture: architecture, seed: seed, standardDeviation: initialStandardDeviation).parameters
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

    public func resolver(parameters: [[Float]], scale: Int) -> any SuperResolver {
        SRCNN(architecture: architecture, parameters: parameters).resolver(scale: scale)
    }

    public func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try SRCNN(architecture: architecture, parameters: parameters, metadata: metadata).write(to: path)
    }

    public func modelMetadata(options: TrainingOptions, trainingSet: SubImageSet, epochs: Int,
                              samplesPerEpoch: Int) -> [String: String] {
        let own: [String: String] = [
            "arch": architecture.description,
            "scale": "\(options.scale)",
            "initialisation": options.initialModelProvenance
                ?? (heInitialisation ? "He normal, std sqrt(2/fan_in), zero biases"
                    : "Gaussian std \(initialStandardDeviation), zero biases"),
            "notes": "Trained by SRLab ConvNet: valid convolutions on 33x33 sub-images, Caffe EuclideanLoss sum/(2*batch); "
                + "departures from the paper: \(options.optimizer == .adam ? "Adam instead of SGD, " : "")"
                + "\(options.initialModel != nil ? "fine-tuned from a trained model (see initialisation), " : "")"
                + "\(heInitialisation && options.initialModel == nil ? "He initialisation instead of std 0.001, " : "")"
                + "\(options.downscales.isEmpty ? "" : "scale augmentation (downscaled copies of the training images), ")"
                + "\(options.batchSize != 128 ? "batch \(options.batchSize) instead of 128, " : "")"
                + "\(epochs) epochs of \(samplesPerEpoch) samples (the paper ran ~8e8 backpropagations), "
                + "shuffled each epoch with a seeded generator",
        ]
        return options.provenance(trainingSet: trainingSet, epochs: epochs,
                                  learningRateGroups: networkDescription.learningRateGroups).merging(own) { mine, _ in mine }
    }
}

/// SRCNN training under the paper's protocol (see `NetworkTrainer`).
public typealias SRCNNTrainer = NetworkTrainer<SRCNNTrainable>

extension NetworkTrainer where Network == SRCNNTrainable {
    public var architecture: SRCNNArchitecture { network.architecture }

    public var model: SRCNN { SRCNN(architecture: architecture, parameters: parameters, metadata: modelMetadata) }
}
