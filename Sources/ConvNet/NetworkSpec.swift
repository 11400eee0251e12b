import SeededRandom
import Training

/// One layer of a network described as data. Layouts and padding rules are the layer functions':
/// NHWC activations throughout (Conv2D.swift).
public enum LayerSpec: Sendable, Equatable, Codable {
    /// k×k cross-correlation from `inChannels` to `outChannels` maps with a bias, its input padded
    /// by `padding` pixels on every side by the network's `PaddingMode` (k = 2·padding + 1 keeps
    /// the size; 0 is a valid convolution, which shrinks it by k − 1). Weight HWIO [k, k, C, O].
    case conv(kernel: Int, inChannels: Int, outChannels: Int, padding: Int)
    /// PReLU with one trained slope per channel (PReLU.swift).
    case prelu(channels: Int)
    case tanh
    case relu
    /// Transposed convolution to exactly `stride` times the input (TransposedConv2D.swift): the
    /// s·H × s·W window at (`padding`, `padding`) of the full output; FSRCNN's rule is
    /// `fsrcnnDeconvolutionPadding`. Weight [C, k, k, O], bias [O]. Its padding is a crop, not the
    /// network's `PaddingMode`: beyond the border there are no LR pixels to stamp.
    case deconv(kernel: Int, inChannels: Int, outChannels: Int, stride: Int, padding: Int)
    /// Depth to space by `factor` in PyTorch's channel order (PixelShuffle.swift).
    case pixelShuffle(factor: Int)

    /// The layer in a few words, as errors and logs name it.
    public var summary: String {
        switch self {
        case let .conv(k, c, o, p): return "conv \(k)×\(k) \(c)→\(o) pad \(p)"
        case let .prelu(c): return "prelu \(c)"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case let .deconv(k, c, o, s, p): return "deconv \(k)×\(k) \(c)→\(o) stride \(s) pad \(p)"
        case let .pixelShuffle(r): return "pixel shuffle ×\(r)"
        }
    }

    /// The parameter tensors' name suffixes and shapes, in the order `SequentialNetwork` keeps them.
    var tensorShapes: [(suffix: String, shape: [Int])] {
        switch self {
        case let .conv(k, c, o, _): return [("weight", [k, k, c, o]), ("bias", [o])]
        case let .prelu(c): return [("slope", [c])]
        case let .deconv(k, c, o, _, _): return [("weight", [c, k, k, o]), ("bias", [o])]
        case .tanh, .relu, .pixelShuffle: return []
        }
    }
}

/// The shape of one activation (one image of the batch): height × width × channels, NHWC.
public struct ActivationShape: Sendable, Equatable, CustomStringConvertible {
    public var height: Int, width: Int, channels: Int
    public init(height: Int, width: Int, channels: Int) { self.height = height; self.width = width; self.channels = channels }
    public var count: Int { height * width * channels }
    public var description: String { "\(height)×\(width)×\(channels)" }
}

/// A network spec that cannot run, with the layer (1-based) and the reason.
public enum NetworkSpecError: Error, CustomStringConvertible, Equatable {
    case empty(network: String)
    case invalidLayer(network: String, layer: Int, summary: String, reason: String)
    case channelMismatch(network: String, layer: Int, summary: String, expected: Int, given: Int)
    case inputTooSmall(network: String, layer: Int, summary: String, input: String)

    public var description: String {
        switch self {
        case .empty(let network):
            return "network \(network): no layers"
        case let .invalidLayer(network, layer, summary, reason):
            return "network \(network), layer \(layer) (\(summary)): \(reason)"
        case let .channelMismatch(network, layer, summary, expected, given):
            return "network \(network), layer \(layer) (\(summary)) takes \(expected) channels but its input has \(given)"
        case let .inputTooSmall(network, layer, summary, input):
            return "network \(network), layer \(layer) (\(summary)): its \(input) input is smaller than its kernel"
        }
    }
}

/// A feed-forward network as a list of layers, the input's channel count, and how its
/// convolutions pad. `SequentialNetwork` runs any spec that `validate()` accepts; FSRCNN, FSRCNN-s
/// and ESPCN are specs (LRSpaceNetworks.swift), not code.
public struct NetworkSpec: Sendable, Equatable, Codable {
    /// Names the network in logs, errors and files, e.g. "FSRCNN(56,12,4) x3".
    public var name: String
    /// Channels of the input (1: the LR Y channel).
    public var inputChannels: Int
    public var layers: [LayerSpec]
    /// What `.conv` layers read beyond the border.
    public var padding: PaddingMode
    /// The model-file kind of the published network this spec is ("fsrcnn", "fsrcnn-s", "espcn":
    /// the registry's names, whose files the registry loads); nil for any other spec, whose files
    /// are of kind `SequentialModel.fileKind`.
    public var modelKind: String?

    public init(name: String, inputChannels: Int = 1, layers: [LayerSpec], padding: PaddingMode = .replicate,
                modelKind: String? = nil) {
        self.name = name; self.inputChannels = inputChannels; self.layers = layers; self.padding = padding
        self.modelKind = modelKind
    }

    /// Output side over input side (the product of the deconvolution strides and shuffle factors),
    /// apart from what valid convolutions take off.
    public var scale: Int {
        layers.reduce(1) { scale, layer in
            switch layer {
            case let .deconv(_, _, _, s, _): return scale * s
            case let .pixelShuffle(r): return scale * r
            default: return scale
            }
        }
    }

    /// Whether `other` has the same layers but for the scale: deconvolution strides and crops,
    /// shuffle factors and the name may differ, nothing else.
    public func sameLayers(ignoringScale other: NetworkSpec) -> Bool {
        func neutral(_ layer: LayerSpec) -> LayerSpec {
            switch layer {
            case let .deconv(k, c, o, _, _): return .deconv(kernel: k, inChannels: c, outChannels: o, stride: 1, padding: 0)
            case .pixelShuffle: return .pixelShuffle(factor: 1)
            default: return layer
            }
        }
        return inputChannels == other.inputChannels && padding == other.padding && modelKind == other.modelKind
            && layers.map(neutral) == other.layers.map(neutral)
    }

    /// How far an output pixel's inputs reach, in input (LR) pixels on each side: (k − 1)/2 per
    /// convolution (in the units of its resolution, rounded up to LR pixels), and for a
    /// transposed convolution the LR pixels whose k×k stamp covers it, ⌈max(p, k − 1 − p)/s⌉ + 1;
    /// one LR pixel for a shuffle. An over-estimate by at most a pixel or two: what strips
    /// must overlap by for their output to be the whole image's.
    public var receptiveRadius: Int {
        var radius = 0, factor = 1
        for layer in layers {
            switch layer {
            case let .conv(k, _, _, _):
                radius += ((k - 1) / 2 + factor - 1) / factor
            case let .deconv(k, _, _, s, p):
                radius += (max(p, k - 1 - p) + s - 1) / s + 1
                factor *= s
            case let .pixelShuffle(r):
                radius += 1
                factor *= r
            case .prelu, .tanh, .relu:
                break
            }
        }
        return radius
    }

    /// Bounds on a layer's settings, far beyond any SR network's, so that sizes computed from a
    /// spec read from a file cannot overflow.
    public static let maximumKernel = 64, maximumChannels = 4096, maximumFactor = 16

    /// Checks every layer's settings and that channels chain; returns each layer's output channels.
    @discardableResult
    public func validate() throws -> [Int] {
        guard !layers.isEmpty else { throw NetworkSpecError.empty(network: name) }
        guard inputChannels >= 1, inputChannels <= Self.maximumChannels else {
            throw NetworkSpecError.invalidLayer(network: name, layer: 0, summary: "input", reason: "the input needs 1...\(Self.maximumChannels) channels, not \(inputChannels)")
        }
        var channels = inputChannels
        var result: [Int] = []
        for (index, layer) in layers.enumerated() {
            func invalid(_ reason: String) -> NetworkSpecError {
                .invalidLayer(network: name, layer: index + 1, summary: layer.summary, reason: reason)
            }
            func takes(_ expected: Int) throws {
                guard expected == channels else {
                    throw NetworkSpecError.channelMismatch(network: name, layer: index + 1, summary: layer.summary,
                                                           expected: expected, given: channels)
                }
            }
            func sizes(kernel k: Int, channels: [Int]) throws {
                guard (1...Self.maximumKernel).contains(k) else { throw invalid("the kernel side must be in 1...\(Self.maximumKernel), not \(k)") }
                guard channels.allSatisfy((1...Self.maximumChannels).contains) else {
                    throw invalid("channel counts must be in 1...\(Self.maximumChannels)")
                }
            }
            switch layer {
            case let .conv(k, c, o, p):
                try sizes(kernel: k, channels: [c, o])
                guard p >= 0, p < k else { throw invalid("padding must be in 0..<\(k) (the kernel side), not \(p)") }
                try takes(c)
                channels = o
            case let .prelu(c):
                try sizes(kernel: 1, channels: [c])
                try takes(c)
            case .tanh, .relu:
                break
            case let .deconv(k, c, o, s, p):
                try sizes(kernel: k, channels: [c, o])
                guard (1...Self.maximumFactor).contains(s) else { throw invalid("the stride must be in 1...\(Self.maximumFactor), not \(s)") }
                guard p >= 0, p < k else { throw invalid("padding must be in 0..<\(k) (the kernel side), not \(p)") }
                try takes(c)
                channels = o
            case let .pixelShuffle(r):
                guard (1...Self.maximumFactor).contains(r) else { throw invalid("the factor must be in 1...\(Self.maximumFactor), not \(r)") }
                guard channels % (r * r) == 0 else {
                    throw invalid("its input's \(channels) channels are not a multiple of \(r * r) (the factor squared)")
                }
                channels /= r * r
            }
            result.append(channels)
        }
        return result
    }

    /// The activation after every layer for a `height` × `width` input (element 0 is the input):
    /// shape inference, which throws naming the first layer that cannot take what it is given.
    public func shapes(height: Int, width: Int) throws -> [ActivationShape] {
        let channels = try validate()
        var shape = ActivationShape(height: height, width: width, channels: inputChannels)
        guard height >= 1, width >= 1 else {
            throw NetworkSpecError.invalidLayer(network: name, layer: 0, summary: "input", reason: "empty \(shape) input")
        }
        var result = [shape]
        for (index, layer) in layers.enumerated() {
            switch layer {
            case let .conv(k, _, _, p):
                let h = shape.height + 2 * p - k + 1, w = shape.width + 2 * p - k + 1
                guard h >= 1, w >= 1 else {
                    throw NetworkSpecError.inputTooSmall(network: name, layer: index + 1, summary: layer.summary,
                                                         input: "\(shape) (padded by \(p))")
                }
                shape.height = h; shape.width = w
            case let .deconv(_, _, _, s, _):
                shape.height *= s; shape.width *= s
            case let .pixelShuffle(r):
                shape.height *= r; shape.width *= r
            case .prelu, .tanh, .relu:
                break
            }
            shape.channels = channels[index]
            result.append(shape)
        }
        return result
    }

    /// The parameter tensors, layer by layer: `layers.<i>.weight`, `.bias`, `.slope` (i from 0,
    /// as in a PyTorch nn.Sequential), with the layouts the layer functions use.
    public var parameterTensors: [ParameterTensor] {
        layers.enumerated().flatMap { index, layer in
            layer.tensorShapes.map { ParameterTensor(name: "layers.\(index).\($0.suffix)", shape: $0.shape) }
        }
    }

    /// For each layer, the index of its first tensor in `parameterTensors` (nil: it has none).
    var firstTensorIndex: [Int?] {
        var next = 0
        return layers.map { layer in
            let count = layer.tensorShapes.count
            defer { next += count }
            return count > 0 ? next : nil
        }
    }

    /// Multiply-adds per HR output pixel for an input of `height` × `width` (the speed measure of
    /// the FSRCNN and ESPCN papers): a convolution costs k²·C·O per pixel it outputs, a
    /// deconvolution k²·C·O per pixel it reads; activations and the shuffle count as nothing.
    public func multiplyAddsPerOutputPixel(height: Int, width: Int) throws -> Double {
        let shapes = try shapes(height: height, width: width)
        var total = 0.0
        for (index, layer) in layers.enumerated() {
            switch layer {
            case let .conv(k, c, o, _):
                total += Double(k * k * c * o) * Double(shapes[index + 1].height * shapes[index + 1].width)
            case let .deconv(k, c, o, _, _):
                total += Double(k * k * c * o) * Double(shapes[index].height * shapes[index].width)
            default:
                break
            }
        }
        return total / Double(shapes.last!.height * shapes.last!.width)
    }

    /// Seeded initial parameters: convolutions He-normal for what follows them (std
    /// √(2/((1 + a²)·fan-in)) before a PReLU of initial slope a, √(2/fan-in) before a ReLU,
    /// √(1/fan-in) before tanh or nothing), deconvolutions N(0, 0.001²) as in the FSRCNN paper,
    /// biases 0, PReLU slopes 0.25 (Caffe's and PyTorch's default).
    public func initialParameters(seed: UInt64) -> [[Float]] {
        var rng = Xoshiro256(seed: seed)
        var result: [[Float]] = []
        for (index, layer) in layers.enumerated() {
            let next = index + 1 < layers.count ? layers[index + 1] : nil
            switch layer {
            case let .conv(k, c, o, _):
                let gain: Double
                switch next {
                case .prelu?: gain = 2 / (1 + Self.initialSlope * Self.initialSlope)
                case .relu?: gain = 2
                default: gain = 1
                }
                let std = (gain / Double(k * k * c)).squareRoot()
                result.append((0..<(k * k * c * o)).map { _ in Float(rng.nextGaussian() * std) })
                result.append([Float](repeating: 0, count: o))
            case let .deconv(k, c, o, _, _):
                result.append((0..<(k * k * c * o)).map { _ in Float(rng.nextGaussian() * 0.001) })
                result.append([Float](repeating: 0, count: o))
            case let .prelu(c):
                result.append([Float](repeating: Float(Self.initialSlope), count: c))
            case .tanh, .relu, .pixelShuffle:
                break
            }
        }
        return result
    }

    static let initialSlope = 0.25
}
