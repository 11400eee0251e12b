import Foundation
import Imaging
import LinearAlgebra
import TensorFile
import Training

/// Any `NetworkSpec` as the training stack sees it: FSRCNN, FSRCNN-s and ESPCN (and the Keras
/// variants of issue 16) train through this one conformance.
///
/// Data (`SubImageSet`, `TrainingInput.lowResolution`): LR sub-images of side `inputSize` at LR
/// stride `stride`, cut from the MATLAB-bicubic LR of each modcropped training Y, with the HR
/// sub-image of side s·`inputSize` at the same place (FSRCNN's protocol, arXiv 1608.00367 §4.1).
/// The paper's sides are 10/7/6 LR (HR labels 19/19/21 after Caffe's deconvolution crop) at
/// ×2/×3/×4 with zero padding; the defaults here (`standardPatch`) are 16/11/8 LR (HR 32/33/32,
/// SRCNN's 33×33 area at stride ≈ 14 HR pixels), larger so that fewer of the label's pixels sit
/// near the sub-image's edge.
///
/// Label and border: with 'same' convolutions the output is exactly s× the input, and the label
/// is the HR sub-image less `lossMargin` pixels on every side. The default margin
/// (`defaultLossMargin`) is what a last transposed convolution lacks: HR pixels within
/// max(k − s − p, p) of the edge would take taps from LR pixels outside the sub-image, which in
/// the interior of an image are there (3 HR pixels at ×3 and ×4, 4 at ×2; 0 for ESPCN, whose
/// shuffle is local). The convolutions' own edge padding stays in the loss, as in the paper,
/// which trained with padding on smaller sub-images ("padding ... does little effect"): a label
/// pixel's whole receptive field lies inside an 11×11 sub-image only at its very centre, so
/// leaving every padded pixel out would leave almost nothing to learn from.
///
/// Networks on the bicubic-upscaled image (`NetworkSpec.bicubicUpscale`: the Keras variants) take
/// sub-images of the bicubic image instead (`TrainingInput.bicubicUpscaled`: by default SRCNN's
/// 33×33 at stride 14, or 36×36 for deep denoising SR, whose sides must be multiples of 4; labels
/// from the original), and their default margin is the receptive radius, so that no padded value
/// reaches the loss, as with SRCNN's valid convolutions (a deep network's radius can leave nothing
/// of a sub-image: its run then sets a smaller `lossMargin`).
///
/// Settings in a run's config and a checkpoint's `options`: `networkSpec` (the spec as JSON),
/// `lowResolutionPatchSize` (the input side: LR pixels, or the bicubic image's for the networks
/// on it), `lowResolutionStride`, `lossMargin`, `deconvolution` ("gemm" or "subPixel": the two
/// sum in different orders, so a resumed run keeps its own).
public struct SequentialTrainable: TrainableNetwork, Codable, Equatable {
    public let spec: NetworkSpec
    /// Side of the sub-images a training step takes (LR pixels, or the bicubic image's).
    public let inputSize: Int
    public let deconvolutionAlgorithm: DeconvolutionAlgorithm
    /// LR pixels between neighbouring sub-images.
    public let stride: Int
    /// HR pixels on every side of the output that the loss leaves out.
    public let lossMargin: Int
    /// The HR output side for an `inputSize` input.
    public let outputSize: Int

    /// The default LR sub-image side and stride at `scale` (see the header): 16/7, 11/5, 8/4 at
    /// ×2/×3/×4, about SRCNN's 33×33 HR area at its stride of 14 HR pixels.
    public static func standardPatch(scale: Int) -> (size: Int, stride: Int) {
        switch scale {
        case 2: return (16, 7)
        case 3: return (11, 5)
        case 4: return (8, 4)
        default: return (max(4, 33 / scale), max(1, 14 / scale))
        }
    }

    /// The default sub-image side and stride in the network's input pixels: for a network on the
    /// bicubic-upscaled image SRCNN's 33 and 14, or the next side the network takes (deep
    /// denoising SR's pooling needs multiples of 4: 36); else `standardPatch`.
    public static func defaultPatch(_ spec: NetworkSpec) -> (size: Int, stride: Int) {
        guard spec.bicubicUpscale != nil else { return standardPatch(scale: spec.scale) }
        let side = (SubImageSet.defaultPatchSize..<(SubImageSet.defaultPatchSize + 16))
            .first { (try? spec.shapes(height: $0, width: $0)) != nil } ?? SubImageSet.defaultPatchSize
        return (side, SubImageSet.defaultStride)
    }

    /// HR pixels on each side where a last transposed convolution (k, stride s, crop p) would read
    /// LR pixels beyond the sub-image: max(k − s − p, p); 0 for LR networks that end otherwise;
    /// for a network on the bicubic-upscaled image its receptive radius.
    public static func defaultLossMargin(_ spec: NetworkSpec) -> Int {
        if spec.bicubicUpscale != nil { return spec.receptiveRadius }
        guard case let .deconv(k, _, _, s, p)? = spec.layers.last(where: { !$0.tensorShapes.isEmpty }) else { return 0 }
        return max(k - s - p, p, 0)
    }

    /// What the network takes for each sub-image.
    public var input: TrainingInput {
        spec.bicubicUpscale == nil ? .lowResolution(size: inputSize, stride: stride) : .bicubicUpscaled(size: inputSize, stride: stride)
    }

    /// Throws `TrainingError.invalidOptions` when the spec is inconsistent, too large for
    /// `inputSize`, leaves nothing inside the margin, or does not map one Y channel to one.
    /// `stride` defaults to `standardPatch`'s, `lossMargin` to `defaultLossMargin`.
    public init(spec: NetworkSpec, inputSize: Int, stride: Int? = nil, lossMargin: Int? = nil,
                deconvolutionAlgorithm: DeconvolutionAlgorithm = .gemm) throws {
        let shapes: [ActivationShape]
        do { shapes = try spec.shapes(height: inputSize, width: inputSize) } catch {
            throw TrainingError.invalidOptions("\(error)")
        }
        guard spec.inputChannels == 1, shapes.last!.channels == 1 else {
            throw TrainingError.invalidOptions("network \(spec.name) maps \(spec.inputChannels) channels to \(shapes.last!.channels); training needs the Y channel in and out")
        }
        let margin = lossMargin ?? Self.defaultLossMargin(spec), step = stride ?? Self.defaultPatch(spec).stride
        guard step >= 1 else { throw TrainingError.invalidOptions("the LR stride must be at least 1, not \(step)") }
        guard margin >= 0, 2 * margin < shapes.last!.height else {
            throw TrainingError.invalidOptions("a loss margin of \(margin) leaves nothing of \(spec.name)'s \(shapes.last!.height)×\(shapes.last!.height) output for \(inputSize)×\(inputSize) inputs; give a larger lowResolutionPatchSize (the input side) or a smaller lossMargin")
        }
        self.spec = spec
        self.inputSize = inputSize
        self.stride = step
        self.lossMargin = margin
        self.deconvolutionAlgorithm = deconvolutionAlgorithm
        outputSize = shapes.last!.height
    }

    /// The HR side of the labels: the output's less the margin on both sides.
    public var labelSize: Int { outputSize - 2 * lossMargin }

    public static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case networkSpec, lowResolutionPatchSize, lowResolutionStride, lossMargin, deconvolution
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(spec: try c.decode(NetworkSpec.self, forKey: .networkSpec),
                      inputSize: try c.decode(Int.self, forKey: .lowResolutionPatchSize),
                      stride: try c.decodeIfPresent(Int.self, forKey: .lowResolutionStride),
                      lossMargin: try c.decodeIfPresent(Int.self, forKey: .lossMargin),
                      deconvolutionAlgorithm: try c.decodeIfPresent(DeconvolutionAlgorithm.self, forKey: .deconvolution) ?? .gemm)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(spec, forKey: .networkSpec)
        try c.encode(inputSize, forKey: .lowResolutionPatchSize)
        try c.encode(stride, forKey: .lowResolutionStride)
        try c.encode(lossMargin, forKey: .lossMargin)
        try c.encode(deconvolutionAlgorithm, forKey: .deconvolution)
    }

    public func encodeSettings(to encoder: Encoder) throws { try encode(to: encoder) }

    public static let checkpointKind = "\(SequentialModel.fileKind)-training-checkpoint"

    /// From a checkpoint's `options` (the keys above).
    public init(checkpoint file: SafeTensorsFile, path: String) throws {
        self = try decodeCheckpointSettings(SequentialTrainable.self, kind: Self.checkpointKind, of: file, path: path,
                                            unreadable: "its options do not describe a network (networkSpec, lowResolutionPatchSize)")
    }

    /// `shrink` here is the HR sub-image side less the label side (layer scale · inputSize −
    /// labelSize: what valid convolutions take off, 0 for 'same' ones, plus the margin on both sides).
    /// The last layer with parameters (FSRCNN's deconvolution, ESPCN's last convolution) trains
    /// at the last-layer rate, as both papers give it a smaller one.
    public var networkDescription: NetworkDescription {
        let tensors = spec.parameterTensors
        let lastLayer = spec.firstTensorIndex.lastIndex { $0 != nil }!
        let prefix = "layers.\(lastLayer)."
        var description = NetworkDescription(kind: SequentialModel.fileKind, name: spec.name, scale: spec.scale,
                                             shrink: spec.layerScale * inputSize - labelSize, parameters: tensors,
                                             lastLayerTensors: Set(tensors.map(\.name).filter { $0.hasPrefix(prefix) }),
                                             learningRateGroups: ("layers before the last", "last layer"),
                                             input: input)
        description.statisticTensors = Set(tensors.map(\.name).filter { $0.hasSuffix(".running_mean") || $0.hasSuffix(".running_var") })
        return description
    }

    public func initialParameters(seed: UInt64) -> [[Float]] { spec.initialParameters(seed: seed) }

    /// The same network at the run's scale, or — FSRCNN's transfer — the same layers at another
    /// scale whose tensors all keep their shapes (FSRCNN's deconvolution is 9×9 at every scale;
    /// ESPCN's last layer has s² maps, so it does not transfer).
    public func parameters(fromModel path: String, scale: Int) throws -> [[Float]] {
        let model = try SequentialModel(file: try SafeTensorsFile(contentsOf: path), path: path)
        if model.spec == spec { return model.parameters }
        guard model.spec.sameLayers(ignoringScale: spec) else {
            throw SequentialModelError.invalidModel(path: path, reason: "it is \(model.spec.name), the run trains \(spec.name) (the layer lists differ)")
        }
        guard model.spec.parameterTensors == spec.parameterTensors else {
            throw SequentialModelError.invalidModel(path: path, reason: "it is \(model.spec.name); its tensors do not all keep their shapes in \(spec.name), so it cannot start a x\(spec.scale) run")
        }
        return model.parameters
    }

    public func makeBackprop(batchCapacity: Int) -> SequentialNetwork<Float> {
        makeBackprop(batchCapacity: batchCapacity, trainsOnlyLastLayer: false)
    }

    /// Training only the last layer, the backward pass stops there: the last layer's gradients
    /// are the same, the others' are not computed (they stay zero).
    public func makeBackprop(batchCapacity: Int, trainsOnlyLastLayer: Bool) -> SequentialNetwork<Float> {
        do {
            let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: batchCapacity, inputHeight: inputSize,
                                                   inputWidth: inputSize, lossMargin: lossMargin)
            net.deconvolutionAlgorithm = deconvolutionAlgorithm
            if trainsOnlyLastLayer { net.firstTrainedLayer = spec.firstTensorIndex.lastIndex { $0 != nil }! }
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

    /// The teacher (a `SequentialModel` file at the run's scale taking the same inputs) on every
    /// sub-image, in batches, split over two single-threaded halves as the training shards are,
    /// so that the labels do not depend on the thread count.
    public func teacherOutputs(model path: String, for trainingSet: SubImageSet) throws -> [Float] {
        let teacher = try SequentialModel(file: try SafeTensorsFile(contentsOf: path), path: path)
        guard teacher.spec.scale == spec.scale, teacher.spec.inputChannels == 1 else {
            throw SequentialModelError.invalidModel(path: path, reason: "the teacher is \(teacher.spec.name); the run trains \(spec.name) at x\(spec.scale)")
        }
        let side = trainingSet.inputSize, labelSide = trainingSet.patchSize
        guard (teacher.spec.bicubicUpscale == nil) == (spec.bicubicUpscale == nil),
              let shapes = try? teacher.spec.shapes(height: side, width: side),
              shapes.last == ActivationShape(height: labelSide, width: labelSide, channels: 1) else {
            throw SequentialModelError.invalidModel(path: path, reason: "the teacher \(teacher.spec.name) does not map the run's \(side)×\(side) inputs to its \(labelSide)×\(labelSide) labels")
        }
        let batch = 64, inputCount = side * side, outputCount = labelSide * labelSide
        var outputs = [Float](repeating: 0, count: trainingSet.count * outputCount)
        let halves = [0, trainingSet.count / 2, trainingSet.count]
        try BLASThreads.with(1) {
            try ConvNetThreads.with(1) {
                let nets = try (0..<2).map { _ in
                    try SequentialNetwork<Float>(spec: teacher.spec, batchCapacity: batch, inputHeight: side, inputWidth: side,
                                                 forwardOnly: true)
                }
                outputs.withUnsafeMutableBufferPointer { out in
                    trainingSet.inputs.withUnsafeBufferPointer { inputs in
                        let task = TeacherTask(out: out.baseAddress!, inputs: inputs.baseAddress!, nets: nets,
                                               parameters: teacher.parameters)
                        DispatchQueue.concurrentPerform(iterations: 2) { half in
                            var first = halves[half]
                            while first < halves[half + 1] {
                                let n = min(batch, halves[half + 1] - first)
                                let y = task.nets[half].forward(parameters: task.parameters, inputs: task.inputs + first * inputCount, batch: n)
                                (task.out + first * outputCount).update(from: y, count: n * outputCount)
                                first += n
                            }
                        }
                    }
                }
            }
        }
        return outputs
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
            "notes": "Trained by SRLab's NetworkTrainer: \(inputSize)x\(inputSize) \(spec.bicubicUpscale == nil ? "LR" : "bicubic-upscaled") sub-images to \(outputSize)x\(outputSize) HR outputs, "
                + "loss on the centre \(labelSize)x\(labelSize) (margin \(lossMargin)), "
                + "Caffe EuclideanLoss sum/(2*batch), \(epochs) epochs of \(samplesPerEpoch) samples, shuffled each epoch with a seeded generator",
        ]
        return options.provenance(trainingSet: trainingSet, epochs: epochs,
                                  learningRateGroups: networkDescription.learningRateGroups).merging(own) { mine, _ in mine }
    }
}

/// The trainer runs these networks in Float; Double exists for the gradient checks.
extension SequentialNetwork: BatchBackprop where T == Float {
    public var inputSize: Int { inputShape.height }
    public var labelSize: Int { labelShape.height }

    public static func withLoopThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try ConvNetThreads.with(threads, body)
    }
}

/// The teacher's two halves write disjoint ranges of one buffer, read one shared input and the
/// parameters, and each runs its own network.
private struct TeacherTask: @unchecked Sendable {
    let out: UnsafeMutablePointer<Float>
    let inputs: UnsafePointer<Float>
    let nets: [SequentialNetwork<Float>]
    let parameters: [[Float]]
}
