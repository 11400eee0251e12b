import Foundation
import Imaging
import TensorFile

/// A model file that is not a usable network of the kind asked for.
public enum SequentialModelError: Error, CustomStringConvertible {
    case invalidModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModel(let path, let reason): return "\(path): not a usable network model: \(reason)"
        }
    }
}

/// A trained `NetworkSpec` with its parameters: what the trainer writes and validation runs.
///
/// File (safetensors): the spec as JSON in the `spec` metadata entry, `kind` the spec's
/// `modelKind` ("fsrcnn", "fsrcnn-s", "espcn") or "sequential" for any other spec, the `scale`,
/// and one tensor per parameter under `spec.parameterTensors`' names in PyTorch's layouts, so that files move to and from PyTorch by name: convolution weights OIHW [O, C, k, k]
/// (nn.Conv2d), transposed-convolution weights [C, O, k, k] (nn.ConvTranspose2d), biases [O],
/// PReLU slopes [C] (nn.PReLU(C)). In memory the layers' layouts (HWIO, [C, k, k, O]).
///
/// As a `SuperResolver` it runs the whole LR image forward only, streamed in tiles
/// (`StreamingInference`) or, for a spec of another shape, at once (two activation buffers);
/// `contextRadius` lets `StripUpscale` cut large photos into strips that overlap by the
/// network's receptive field, so memory stays bounded.
public struct SequentialModel: SuperResolver {
    public static let fileKind = "sequential"

    public var spec: NetworkSpec
    public var parameters: [[Float]]
    public var metadata: [String: String]
    public var modelPath: String?
    /// The `SequentialNetwork` path's (streaming runs the deconvolution in its own sub-pixel form).
    public var deconvolutionAlgorithm: DeconvolutionAlgorithm = .gemm

    public init(spec: NetworkSpec, parameters: [[Float]], metadata: [String: String] = [:]) {
        let tensors = spec.parameterTensors
        precondition(parameters.map(\.count) == tensors.map(\.count), "parameters do not match \(spec.name)'s tensors")
        self.spec = spec
        self.parameters = parameters
        self.metadata = metadata
    }

    /// As tables name it: the method ("fsrcnn", "espcn"; tables add the scale), else the spec's name.
    public var name: String { spec.modelKind ?? spec.name }

    /// The factor its layers upscale by, fixed by the spec.
    public var scale: Int { spec.scale }

    /// The receptive field in HR pixels (`NetworkSpec.receptiveRadius` LR pixels): `StripUpscale`
    /// reads ⌈radius/s⌉ + 3 LR rows around each strip, at least the LR pixels an output row reads.
    /// A network on the bicubic-upscaled image reaches its radius in HR pixels, plus 2 as SRCNN's
    /// resolver adds for the bicubic.
    /// None (the whole image at once) for a network with max-pooling, whose output depends on
    /// where its windows fall, so that strips would not reproduce the whole image.
    public var contextRadius: Int? {
        guard spec.inputMultiple == 1 else { return nil }
        return spec.bicubicUpscale == nil ? spec.scale * spec.receptiveRadius : spec.layerScale * spec.receptiveRadius + 2
    }

    /// The HR Y for the LR Y on [0, 1]; first upscaled by MATLAB's bicubic for a `bicubicUpscale`
    /// network, as SRCNN's resolver does. Streamed in tiles (`StreamingInference`) when the spec
    /// allows, else through `SequentialNetwork` on the whole image. A network whose pooling needs
    /// sides of a multiple of `inputMultiple` gets its input extended to one by edge replication at
    /// the bottom and right, and its output cropped back.
    public func upscale(lowRes: Plane) -> Plane {
        let input = spec.bicubicUpscale.map { Resize.bicubic(lowRes, scale: Double($0)) } ?? lowRes
        let (spec, parameters) = spec.foldingBatchNorm(parameters)
        let m = spec.inputMultiple
        if m == 1, let streaming = StreamingInference(spec: spec, parameters: parameters) { return streaming.apply(to: input) }
        let (padH, padW) = ((m - input.height % m) % m, (m - input.width % m) % m)
        var values = input.values.map(Float.init)
        if padH > 0 || padW > 0 {
            var extended = [Float](repeating: 0, count: (input.height + padH) * (input.width + padW))
            replicatePad(output: &extended, input: values, batch: 1, height: input.height, width: input.width, channels: 1,
                         top: 0, bottom: padH, left: 0, right: padW)
            values = extended
        }
        let net: SequentialNetwork<Float>
        do {
            net = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: input.height + padH,
                                               inputWidth: input.width + padW, forwardOnly: true)
        } catch {
            preconditionFailure("\(error)")
        }
        net.deconvolutionAlgorithm = deconvolutionAlgorithm
        let out = net.forward(parameters: parameters, inputs: values, batch: 1)
        let shape = net.outputShape
        let result = Plane(width: shape.width, height: shape.height, values: out.map(Double.init))
        let s = spec.layerScale
        return padH + padW == 0 ? result : result.cropped(x: 0, y: 0, width: s * input.width, height: s * input.height)
    }

    // MARK: - Files

    /// Loads a model for use at `scale`, checking the spec, every tensor's name and shape, finite
    /// values and the stated scale; each problem is reported with the file's path.
    public init(contentsOf path: String, scale: Int) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path), path: path)
        guard spec.scale == scale, metadata["scale"] == "\(scale)" else {
            throw SequentialModelError.invalidModel(path: path, reason: "it is \(spec.name), for x\(spec.scale) (metadata scale '\(metadata["scale"] ?? "none")'), not x\(scale)")
        }
        modelPath = path
    }

    public init(file: SafeTensorsFile, path: String = "<memory>") throws {
        func fail(_ reason: String) -> SequentialModelError { .invalidModel(path: path, reason: reason) }
        guard let text = file.metadata["spec"] else { throw fail("its metadata has no 'spec' (the network's layers)") }
        let spec: NetworkSpec
        do { spec = try JSONDecoder().decode(NetworkSpec.self, from: Data(text.utf8)) } catch {
            throw fail("its 'spec' metadata is not a network spec")
        }
        do { try spec.validate() } catch { throw fail("\(error)") }
        let kind = spec.modelKind ?? Self.fileKind
        if let stated = file.metadata["kind"], stated != kind {
            throw fail("its kind is '\(stated)' but its spec is \(spec.name), a '\(kind)' network")
        }
        let tensors = spec.parameterTensors
        let expected = Set(tensors.map(\.name)), present = Set(file.tensors.keys)
        let missing = expected.subtracting(present).sorted(), extra = present.subtracting(expected).sorted()
        guard missing.isEmpty else { throw fail("missing tensor(s) \(missing.joined(separator: ", ")) of \(spec.name)") }
        guard extra.isEmpty else {
            throw fail("unexpected tensor(s) \(extra.joined(separator: ", ")) for \(spec.name)")
        }
        var parameters: [[Float]] = []
        for node in NetworkGraph(spec).nodes {
            guard case let .layer(layer) = node.operation, let first = node.firstTensor else { continue }
            for k in 0..<layer.tensorShapes.count {
                let tensor = tensors[first + k]
                let fileShape = Self.fileShape(layer, tensor.shape)
                let values = try file.floats(tensor.name, shape: fileShape, path: path)
                parameters.append(Self.fromFileLayout(layer, tensorIndex: k, values))
            }
        }
        for node in NetworkGraph(spec).nodes {
            guard case let .layer(.batchNorm(c)) = node.operation, let variance = parameters[node.firstTensor! + 3].firstIndex(where: { $0 < 0 }) else { continue }
            throw fail("\(spec.parameterTensors[node.firstTensor! + 3].name)[\(variance)] of its \(c) maps is \(parameters[node.firstTensor! + 3][variance]); a running variance cannot be negative")
        }
        if let layer = Self.overflowingLayer(spec, parameters) {
            throw fail("its weights are so large that layer \(layer) (\(spec.layers[layer - 1].summary)) can overflow float32 (NaN or infinity in the output)")
        }
        self.init(spec: spec, parameters: parameters, metadata: file.metadata)
    }

    /// The first (outer) layer, 1-based, whose activations can exceed float32's range for an input
    /// in [−1, 2], by the bound |b| + Σ|w|·(previous bound) per output map (a deconvolution's
    /// pixel sums only some of its taps, so this over-estimates it; a merge's bound is the sum of
    /// its inputs' times its weight); nil if none can.
    static func overflowingLayer(_ spec: NetworkSpec, _ parameters: [[Float]]) -> Int? {
        let graph = NetworkGraph(spec)
        var bounds = [2.0]
        for node in graph.nodes {
            var bound = bounds[node.inputs[0]]
            switch node.operation {
            case let .sum(weight):
                bound = weight * node.inputs.reduce(0) { $0 + bounds[$1] }
            case let .layer(.conv(_, _, o, _)), let .layer(.deconv(_, _, o, _, _)):
                let first = node.firstTensor!
                var sums = [Double](repeating: 0, count: o)
                for (i, w) in parameters[first].enumerated() { sums[i % o] += Double(abs(w)) }   // O innermost in both layouts
                bound = zip(sums, parameters[first + 1]).map { $0 * bound + Double(abs($1)) }.max() ?? 0
            case .layer(.prelu):
                bound *= max(1, parameters[node.firstTensor!].map { Double(abs($0)) }.max() ?? 0)
            case .layer(.tanh):
                bound = min(bound, 1)
            case let .layer(.batchNorm(c)):
                let first = node.firstTensor!
                let (gamma, beta, mean, variance) = (parameters[first], parameters[first + 1], parameters[first + 2], parameters[first + 3])
                let inputBound = bound
                bound = (0..<c).map { ch in
                    Double(abs(gamma[ch])) * (inputBound + Double(abs(mean[ch]))) / (Double(variance[ch]) + LayerSpec.batchNormEpsilon).squareRoot()
                        + Double(abs(beta[ch]))
                }.max() ?? 0
            case .layer:
                break
            }
            if !(bound < Double(Float.greatestFiniteMagnitude) / 2) { return node.topLevel + 1 }
            bounds.append(bound)
        }
        return nil
    }

    /// The model as a safetensors file in PyTorch's layouts, with `metadata` plus `kind`, `spec`
    /// and `scale`.
    public func safeTensors() -> SafeTensorsFile {
        var tensors: [String: Tensor] = [:]
        let shapes = spec.parameterTensors
        for node in NetworkGraph(spec).nodes {
            guard case let .layer(layer) = node.operation, let first = node.firstTensor else { continue }
            for k in 0..<layer.tensorShapes.count {
                let t = shapes[first + k]
                tensors[t.name] = Tensor(shape: Self.fileShape(layer, t.shape),
                                                        floats: Self.toFileLayout(layer, tensorIndex: k, parameters[first + k]))
            }
        }
        var meta = metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        meta["kind"] = spec.modelKind ?? Self.fileKind
        meta["spec"] = String(decoding: (try? encoder.encode(spec)) ?? Data(), as: UTF8.self)
        meta["scale"] = "\(spec.scale)"
        meta["format"] = "layers of 'spec' in order; weights OIHW (conv), [in, out, k, k] (deconv), cross-correlation; input "
            + (spec.bicubicUpscale == nil ? "LR Y" : "the LR Y bicubic-upscaled (MATLAB imresize) by bicubicUpscale") + " in [0,1], output HR Y"
        return SafeTensorsFile(tensors: tensors, metadata: meta)
    }

    /// A file of one of the published networks (`kind`, e.g. "fsrcnn", or a Keras variant's) for use at `scale`: its
    /// spec must be that network's at that scale, layer for layer (either padding mode), besides
    /// every check of `init(file:path:)`.
    public init(file: SafeTensorsFile, path: String, kind: String, scale: Int) throws {
        try self.init(file: file, path: path)
        func fail(_ reason: String) -> SequentialModelError { .invalidModel(path: path, reason: reason) }
        guard spec.modelKind == kind else {
            throw fail("it is \(spec.name), of kind '\(spec.modelKind ?? Self.fileKind)', not a '\(kind)' network")
        }
        guard spec.scale == scale, metadata["scale"] == "\(scale)" else {
            throw fail("it is \(spec.name), for x\(spec.scale) (metadata scale '\(metadata["scale"] ?? "none")'), not x\(scale)")
        }
        guard let published = NetworkSpec.published(kind: kind, scale: scale, padding: spec.padding) else {
            throw fail("'\(kind)' is not a published network (\(NetworkSpec.publishedKinds.joined(separator: ", ")))")
        }
        // Or the same network as the Keras project trains it, with batch norms (folded for inference).
        let withBatchNorm = NetworkSpec.publishedWithBatchNorm(kind: kind, scale: scale, padding: spec.padding)
        guard spec.layers == published.layers || spec.layers == withBatchNorm?.layers, spec.inputChannels == published.inputChannels,
              spec.bicubicUpscale == published.bicubicUpscale else {
            throw fail("its spec \(spec.name) does not have the layers of \(published.name)")
        }
        modelPath = path
    }

    /// The tensor names of a published network's files (the same at every scale; none for
    /// another kind).
    public static func tensorNames(ofKind kind: String) -> Set<String> {
        Set(NetworkSpec.published(kind: kind, scale: 3)?.parameterTensors.map(\.name) ?? [])
    }

    /// The tensor names of a published network's files when trained with batch norm; nil for a
    /// kind that has no such form.
    public static func batchNormTensorNames(ofKind kind: String) -> Set<String>? {
        NetworkSpec.publishedWithBatchNorm(kind: kind, scale: 3).map { Set($0.parameterTensors.map(\.name)) }
    }

    /// Writes the model atomically.
    public func write(to path: String) throws { try safeTensors().write(to: path) }

    /// A tensor's shape in files: PyTorch's.
    static func fileShape(_ layer: LayerSpec, _ shape: [Int]) -> [Int] {
        switch layer {
        case let .conv(k, c, o, _) where shape.count == 4: return [o, c, k, k]
        case let .deconv(k, c, o, _, _) where shape.count == 4: return [c, o, k, k]
        default: return shape
        }
    }

    static func toFileLayout(_ layer: LayerSpec, tensorIndex: Int, _ values: [Float]) -> [Float] {
        guard tensorIndex == 0 else { return values }
        switch layer {
        case let .conv(k, c, o, _):
            return WeightLayout.oihw(fromHWIO: values, outChannels: o, inChannels: c, kernel: k)
        case let .deconv(k, c, o, _, _):
            // [C, k, k, O] → [C, O, k, k]
            var out = [Float](repeating: 0, count: values.count)
            for ci in 0..<c { for dy in 0..<k { for dx in 0..<k { for oc in 0..<o {
                out[((ci * o + oc) * k + dy) * k + dx] = values[((ci * k + dy) * k + dx) * o + oc]
            } } } }
            return out
        default:
            return values
        }
    }

    static func fromFileLayout(_ layer: LayerSpec, tensorIndex: Int, _ values: [Float]) -> [Float] {
        guard tensorIndex == 0 else { return values }
        switch layer {
        case let .conv(k, c, o, _):
            return WeightLayout.hwio(fromOIHW: values, outChannels: o, inChannels: c, kernel: k)
        case let .deconv(k, c, o, _, _):
            var out = [Float](repeating: 0, count: values.count)
            for ci in 0..<c { for dy in 0..<k { for dx in 0..<k { for oc in 0..<o {
                out[((ci * k + dy) * k + dx) * o + oc] = values[((ci * o + oc) * k + dy) * k + dx]
            } } } }
            return out
        default:
            return values
        }
    }
}
