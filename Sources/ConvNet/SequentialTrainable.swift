import Foundation
import Imaging
import LinearAlgebra
import TensorFile
import Training

/// Any `NetworkSpec` as the training stack sees it: FSRCNN, FSRCNN-s and ESPCN (and the Keras
/// variants of issue 16) train through this one conformance.
///
/// A training step takes square LR sub-images of side `inputSize` and HR labels of side
/// `scale · inputSize` (less what valid convolutions take off). NOTE: `NetworkTrainer`'s data
/// today is SRCNN's (bicubic-upscaled 33×33 inputs, `SubImageSet`), so it refuses these networks
/// with a clear error until the training stack can cut LR sub-images; everything else it needs
/// (description, initialisation, sharded steps, model files, checkpoints, validation) is here.
///
/// Settings in a run's config and a checkpoint's `options`: `networkSpec` (the spec as JSON),
/// `lowResolutionPatchSize`, `deconvolution` ("gemm" or "subPixel": the two sum in different orders,
/// so a resumed run keeps its own).
public struct SequentialTrainable: TrainableNetwork, Codable, Equatable {
    public let spec: NetworkSpec
    /// Side of the LR sub-images a training step takes.
    public let inputSize: Int
    public let deconvolutionAlgorithm: DeconvolutionAlgorithm
    /// The HR output side for an `inputSize` input.
    public let outputSize: Int

    /// Throws `TrainingError.invalidOptions` when the spec is inconsistent, too large for
    /// `inputSize`, or does not map one Y channel to one.
    public init(spec: NetworkSpec, inputSize: Int, deconvolutionAlgorithm: DeconvolutionAlgorithm = .gemm) throws {
        let shapes: [ActivationShape]
        do { shapes = try spec.shapes(height: inputSize, width: inputSize) } catch {
            throw TrainingError.invalidOptions("\(error)")
        }
        guard spec.inputChannels == 1, shapes.last!.channels == 1 else {
            throw TrainingError.invalidOptions("network \(spec.name) maps \(spec.inputChannels) channels to \(shapes.last!.channels); training needs the Y channel in and out")
        }
        self.spec = spec
        self.inputSize = inputSize
        self.deconvolutionAlgorithm = deconvolutionAlgorithm
        outputSize = shapes.last!.height
    }

    public static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }

    enum CodingKeys: String, CodingKey, CaseIterable { case networkSpec, lowResolutionPatchSize, deconvolution }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(spec: try c.decode(NetworkSpec.self, forKey: .networkSpec),
                      inputSize: try c.decode(Int.self, forKey: .lowResolutionPatchSize),
                      deconvolutionAlgorithm: try c.decodeIfPresent(DeconvolutionAlgorithm.self, forKey: .deconvolution) ?? .gemm)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(spec, forKey: .networkSpec)
        try c.encode(inputSize, forKey: .lowResolutionPatchSize)
        try c.encode(deconvolutionAlgorithm, forKey: .deconvolution)
    }

    public func encodeSettings(to encoder: Encoder) throws { try encode(to: encoder) }

    public static let checkpointKind = "\(SequentialModel.fileKind)-training-checkpoint"

    /// From a checkpoint's `options` (the keys above).
    public init(checkpoint file: SafeTensorsFile, path: String) throws {
        self = try decodeCheckpointSettings(SequentialTrainable.self, kind: Self.checkpointKind, of: file, path: path,
                                            unreadable: "its options do not describe a network (networkSpec, lowResolutionPatchSize)")
    }

    /// `shrink` here is the HR pixels valid convolutions take off the label side
    /// (scale · inputSize − outputSize; 0 for 'same' convolutions), not SRCNN's input − output.
    /// The last layer with parameters (FSRCNN's deconvolution, ESPCN's last convolution) trains
    /// at the last-layer rate, as both papers give it a smaller one.
    public var networkDescription: NetworkDescription {
        let tensors = spec.parameterTensors
        let lastLayer = spec.firstTensorIndex.lastIndex { $0 != nil }!
        let prefix = "layers.\(lastLayer)."
        return NetworkDescription(kind: SequentialModel.fileKind, name: spec.name, scale: spec.scale,
                                  shrink: spec.scale * inputSize - outputSize, parameters: tensors,
                                  lastLayerTensors: Set(tensors.map(\.name).filter { $0.hasPrefix(prefix) }),
                                  learningRateGroups: ("layers before the last", "last layer"))
    }

    public func initialParameters(seed: UInt64) -> [[Float]] { spec.initialParameters(seed: seed) }

    public func parameters(fromModel path: String, scale: Int) throws -> [[Float]] {
        let model = try SequentialModel(contentsOf: path, scale: scale)
        guard model.spec == spec else {
            throw SequentialModelError.invalidModel(path: path, reason: "it is \(model.spec.name), the run trains \(spec.name) (the layer lists differ)")
        }
        return model.parameters
    }

    public func makeBackprop(batchCapacity: Int) -> SequentialNetwork<Float> {
        do {
            let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: batchCapacity, inputHeight: inputSize, inputWidth: inputSize)
            net.deconvolutionAlgorithm = deconvolutionAlgorithm
            return net
        } catch {
            preconditionFailure("\(error) (checked when the trainable was made)")
        }
    }

    /// The network runs at its spec's scale (the trainer has checked it is the run's).
    public func resolver(parameters: [[Float]], scale: Int) -> any SuperResolver {
        var model = SequentialModel(spec: spec, parameters: parameters)
        model.deconvolutionAlgorithm = deconvolutionAlgorithm
        return model
    }

    public func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try SequentialModel(spec: spec, parameters: parameters, metadata: metadata).write(to: path)
    }

    public func modelMetadata(options: TrainingOptions, trainingSet: SubImageSet, epochs: Int,
                              samplesPerEpoch: Int) -> [String: String] {
        let own: [String: String] = [
            "arch": spec.name,
            "initialisation": options.initialModelProvenance
                ?? "He normal for convolutions (PReLU gain with slope 0.25), deconvolution N(0, 0.001^2), zero biases, PReLU slopes 0.25",
            "notes": "Trained by SRLab's NetworkTrainer: \(inputSize)x\(inputSize) LR sub-images to \(outputSize)x\(outputSize) HR labels, "
                + "Caffe EuclideanLoss sum/(2*batch), \(epochs) epochs of \(samplesPerEpoch) samples, shuffled each epoch with a seeded generator",
        ]
        return options.provenance(trainingSet: trainingSet, epochs: epochs,
                                  learningRateGroups: networkDescription.learningRateGroups).merging(own) { mine, _ in mine }
    }
}

/// The trainer runs these networks in Float; Double exists for the gradient checks.
extension SequentialNetwork: BatchBackprop where T == Float {
    public var inputSize: Int { inputShape.height }
    public var labelSize: Int { outputShape.height }

    public static func withLoopThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try ConvNetThreads.with(threads, body)
    }
}
