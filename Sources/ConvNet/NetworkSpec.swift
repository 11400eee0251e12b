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
    /// Batch normalisation of `channels` maps (BatchNorm.swift): batch statistics in training,
    /// running ones in inference. Tensors weight (γ), bias (β), running_mean, running_var, each [C].
    case batchNorm(channels: Int)
    /// Transposed convolution to exactly `stride` times the input (TransposedConv2D.swift): the
    /// s·H × s·W window at (`padding`, `padding`) of the full output; FSRCNN's rule is
    /// `fsrcnnDeconvolutionPadding`. Weight [C, k, k, O], bias [O]. Its padding is a crop, not the
    /// network's `PaddingMode`: beyond the border there are no LR pixels to stamp.
    case deconv(kernel: Int, inChannels: Int, outChannels: Int, stride: Int, padding: Int)
    /// Depth to space by `factor` in PyTorch's channel order (PixelShuffle.swift).
    case pixelShuffle(factor: Int)
    /// Max over non-overlapping `size`×`size` windows, ⌊H/size⌋ × ⌊W/size⌋ out (Keras's
    /// MaxPooling2D; Resampling.swift).
    case maxPool(size: Int)
    /// Each pixel repeated into a `factor`×`factor` block (Keras's UpSampling2D, nearest;
    /// Resampling.swift).
    case upsample(factor: Int)
    /// y = block(x) + x: an identity skip around `block` (Keras's Add of a layer's output and its
    /// input, ResNet's residual). The block must keep its input's size and channel count ('same'
    /// convolutions, k = 2·padding + 1; activations; nested blocks; as much upsampling as
    /// pooling, for input sides the pooling divides). Its tensors are
    /// `layers.<i>.block.<j>.weight` …, nested blocks' `….block.<j>.block.<m>.…`.
    case residual([LayerSpec])
    /// The mean of parallel branches over one input (Keras's Average; Merge.swift): each branch
    /// keeps the size and all end with the same channel count. Tensors
    /// `layers.<i>.branches.<b>.<j>.weight` ….
    case parallel([[LayerSpec]])

    /// The layer in a few words, as errors and logs name it.
    public var summary: String {
        switch self {
        case let .conv(k, c, o, p): return "conv \(k)×\(k) \(c)→\(o) pad \(p)"
        case let .prelu(c): return "prelu \(c)"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case let .batchNorm(c): return "batch norm \(c)"
        case let .deconv(k, c, o, s, p): return "deconv \(k)×\(k) \(c)→\(o) stride \(s) pad \(p)"
        case let .pixelShuffle(r): return "pixel shuffle ×\(r)"
        case let .maxPool(s): return "max-pool \(s)×\(s)"
        case let .upsample(s): return "upsample ×\(s) (nearest)"
        case let .residual(block): return "residual block of \(block.count) layer\(block.count == 1 ? "" : "s")"
        case let .parallel(branches): return "average of \(branches.count) branch\(branches.count == 1 ? "" : "es")"
        }
    }

    /// The parameter tensors' name suffixes and shapes, in the order `SequentialNetwork` keeps them
    /// (a block's own: none; its layers' are theirs, `NetworkGraph`).
    var tensorShapes: [(suffix: String, shape: [Int])] {
        switch self {
        case let .conv(k, c, o, _): return [("weight", [k, k, c, o]), ("bias", [o])]
        case let .prelu(c): return [("slope", [c])]
        case let .batchNorm(c): return [("weight", [c]), ("bias", [c]), ("running_mean", [c]), ("running_var", [c])]
        case let .deconv(k, c, o, _, _): return [("weight", [c, k, k, o]), ("bias", [o])]
        case .tanh, .relu, .pixelShuffle, .maxPool, .upsample, .residual, .parallel: return []
        }
    }

    /// How it scales the sides: by `up`/`down` (a valid convolution, which also takes k − 1 off,
    /// counts as 1/1; blocks keep the size).
    var sizeFactor: (up: Int, down: Int) {
        switch self {
        case let .deconv(_, _, _, s, _): return (s, 1)
        case let .pixelShuffle(r): return (r, 1)
        case let .upsample(s): return (s, 1)
        case let .maxPool(s): return (1, s)
        case .conv, .prelu, .tanh, .relu, .batchNorm, .residual, .parallel: return (1, 1)
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
    /// Set for networks that run on the LR image bicubic-upscaled by this factor (MATLAB imresize,
    /// SRCNN's protocol: the Keras variants, KerasVariants.swift); nil for those that take the LR
    /// image itself. Absent from the files of LR-space networks.
    public var bicubicUpscale: Int?

    public init(name: String, inputChannels: Int = 1, layers: [LayerSpec], padding: PaddingMode = .replicate,
                modelKind: String? = nil, bicubicUpscale: Int? = nil) {
        self.name = name; self.inputChannels = inputChannels; self.layers = layers; self.padding = padding
        self.modelKind = modelKind
        self.bicubicUpscale = bicubicUpscale
    }

    /// Output side over the LR side: the bicubic upscaling's factor times the layers' (the
    /// product of the deconvolution strides and shuffle factors), apart from what valid
    /// convolutions take off.
    public var scale: Int { (bicubicUpscale ?? 1) * layerScale }

    /// Output side over the network's input side (blocks keep the size, so only the outer list
    /// counts; `validate` requires the outer list's upscaling to be a multiple of its pooling).
    public var layerScale: Int {
        let factors = layers.map(\.sizeFactor)
        return max(1, factors.reduce(1) { $0 * $1.up } / factors.reduce(1) { $0 * $1.down })
    }

    /// What the input's sides must be a multiple of for every max-pooling to see whole windows
    /// and its upsampling to give the size back: the largest product of pool sizes not yet undone
    /// by upsampling, along any path (4 for two nested 2×2 poolings).
    public var inputMultiple: Int { Self.poolingDepth(layers, down: 1) }

    private static func poolingDepth(_ layers: [LayerSpec], down: Int) -> Int {
        var down = down, deepest = down
        for layer in layers {
            switch layer {
            case let .maxPool(s): down *= s
            case let .upsample(s) where down % s == 0: down /= s
            case let .residual(block): deepest = max(deepest, poolingDepth(block, down: down))
            case let .parallel(branches): deepest = branches.reduce(deepest) { max($0, poolingDepth($1, down: down)) }
            default: break
            }
            deepest = max(deepest, down)
        }
        return deepest
    }

    /// Whether `other` has the same layers but for the scale: deconvolution strides and crops,
    /// shuffle factors and the name may differ, nothing else.
    public func sameLayers(ignoringScale other: NetworkSpec) -> Bool {
        func neutral(_ layer: LayerSpec) -> LayerSpec {
            switch layer {
            case let .deconv(k, c, o, _, _): return .deconv(kernel: k, inChannels: c, outChannels: o, stride: 1, padding: 0)
            case .pixelShuffle: return .pixelShuffle(factor: 1)
            case .upsample: return .upsample(factor: 1)
            default: return layer
            }
        }
        return inputChannels == other.inputChannels && padding == other.padding && modelKind == other.modelKind
            && (bicubicUpscale == nil) == (other.bicubicUpscale == nil) && layers.map(neutral) == other.layers.map(neutral)
    }

    /// How far an output pixel's inputs reach, in input pixels on each side (LR pixels; for a
    /// `bicubicUpscale` network, pixels of the upscaled image): (k − 1)/2 per convolution (in the
    /// units of its resolution, rounded up to input pixels), and for a transposed convolution the
    /// input pixels whose k×k stamp covers it, ⌈max(p, k − 1 − p)/s⌉ + 1; one pixel for a shuffle;
    /// a residual block its block's reach, parallel branches the farthest one's. An over-estimate
    /// by at most a pixel or two: what strips must overlap by for their output to be the whole
    /// image's.
    public var receptiveRadius: Int {
        var factor = 1.0
        return Self.reach(layers, factor: &factor)
    }

    /// `factor`: pixels of the current layer's resolution per input pixel (below 1 after pooling).
    private static func reach(_ layers: [LayerSpec], factor: inout Double) -> Int {
        var radius = 0
        func inputPixels(_ pixels: Int) -> Int { Int((Double(pixels) / factor).rounded(.up)) }
        for layer in layers {
            switch layer {
            case let .conv(k, _, _, _):
                radius += inputPixels((k - 1) / 2)
            case let .deconv(k, _, _, s, p):
                radius += inputPixels((max(p, k - 1 - p) + s - 1) / s + 1)
                factor *= Double(s)
            case let .pixelShuffle(r):
                radius += inputPixels(1)
                factor *= Double(r)
            case let .maxPool(s):
                // A window reaches s − 1 pixels beyond the one it is reported at.
                radius += inputPixels(s - 1)
                factor /= Double(s)
            case let .upsample(s):
                radius += inputPixels(1)
                factor *= Double(s)
            case let .residual(block):
                radius += reach(block, factor: &factor)
            case let .parallel(branches):
                radius += branches.map { branch in var f = factor; return reach(branch, factor: &f) }.max() ?? 0
            case .prelu, .tanh, .relu, .batchNorm:
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
    public func validate() throws -> [Int] { try validate(wholeScale: true) }

    /// `wholeScale`: also require the layers to upscale by a whole factor (a block's layers,
    /// checked as a network of their own, must instead keep the size: `validateBlock`).
    private func validate(wholeScale: Bool) throws -> [Int] {
        guard !layers.isEmpty else { throw NetworkSpecError.empty(network: name) }
        guard inputChannels >= 1, inputChannels <= Self.maximumChannels else {
            throw NetworkSpecError.invalidLayer(network: name, layer: 0, summary: "input", reason: "the input needs 1...\(Self.maximumChannels) channels, not \(inputChannels)")
        }
        if let s = bicubicUpscale, !(1...Self.maximumFactor).contains(s) {
            throw NetworkSpecError.invalidLayer(network: name, layer: 0, summary: "input", reason: "the bicubic upscaling factor must be in 1...\(Self.maximumFactor), not \(s)")
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
            case let .prelu(c), let .batchNorm(c):
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
            case let .maxPool(f), let .upsample(f):
                guard (1...Self.maximumFactor).contains(f) else { throw invalid("the factor must be in 1...\(Self.maximumFactor), not \(f)") }
            case let .residual(block):
                let output = try validateBlock(block, part: "block", layer: index, channels: channels)
                guard output == channels else {
                    throw invalid("its block ends with \(output) channels and its input has \(channels): they cannot be added")
                }
            case let .parallel(branches):
                guard !branches.isEmpty else { throw invalid("it has no branches") }
                let outputs = try branches.enumerated().map { b, branch in
                    try validateBlock(branch, part: "branch \(b + 1)", layer: index, channels: channels)
                }
                guard Set(outputs).count == 1 else {
                    throw invalid("its branches end with \(outputs.map(String.init).joined(separator: ", ")) channels; averaging needs one count")
                }
                channels = outputs[0]
            }
            result.append(channels)
        }
        let factors = layers.map(\.sizeFactor)
        let up = factors.reduce(1) { $0 * $1.up }, down = factors.reduce(1) { $0 * $1.down }
        guard !wholeScale || up % down == 0 else {
            throw NetworkSpecError.invalidLayer(network: name, layer: layers.count, summary: layers.last!.summary,
                                                reason: "the layers scale the size by \(up)/\(down), not by a whole factor")
        }
        return result
    }

    /// A block's layers checked as a network of their own (its errors say where: "network N,
    /// layer 2 (residual block of 3 layers) block, layer 1 (…): …") that must keep its input's
    /// size; returns its output channels.
    private func validateBlock(_ block: [LayerSpec], part: String, layer index: Int, channels: Int) throws -> Int {
        let summary = layers[index].summary
        guard !block.isEmpty else {
            throw NetworkSpecError.invalidLayer(network: name, layer: index + 1, summary: summary, reason: "its \(part) has no layers")
        }
        let inner = NetworkSpec(name: "\(name), layer \(index + 1) (\(summary)) \(part)", inputChannels: channels,
                                layers: block, padding: padding)
        let outputs = try inner.validate(wholeScale: false)
        func mismatch(_ reason: String) -> NetworkSpecError {
            .invalidLayer(network: name, layer: index + 1, summary: summary, reason: reason)
        }
        if let valid = block.firstIndex(where: { if case let .conv(k, _, _, p) = $0 { return k != 2 * p + 1 } else { return false } }) {
            throw mismatch("its \(part)'s layer \(valid + 1) (\(block[valid].summary)) changes the size, so the shapes do not match; a block needs 'same' convolutions (k = 2·padding + 1)")
        }
        let factors = block.map(\.sizeFactor)
        let up = factors.reduce(1) { $0 * $1.up }, down = factors.reduce(1) { $0 * $1.down }
        guard up == down else {
            throw mismatch("its \(part) scales the size by \(up)/\(down), so the shapes do not match; a block must keep the size (as much upsampling as pooling)")
        }
        return outputs.last!
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
            case let .pixelShuffle(r), let .upsample(r):
                shape.height *= r; shape.width *= r
            case let .maxPool(s):
                guard shape.height >= s, shape.width >= s else {
                    throw NetworkSpecError.inputTooSmall(network: name, layer: index + 1, summary: layer.summary, input: "\(shape)")
                }
                shape.height /= s; shape.width /= s
            case let .residual(block):
                try checkBlockShape(block, part: "block", layer: index, input: shape)
            case let .parallel(branches):
                for (b, branch) in branches.enumerated() { try checkBlockShape(branch, part: "branch \(b + 1)", layer: index, input: shape) }
            case .prelu, .tanh, .relu, .batchNorm:
                break
            }
            shape.channels = channels[index]
            result.append(shape)
        }
        return result
    }

    /// A block's output must have its input's size (a max-pooling drops what its windows do not
    /// cover, which upsampling does not give back): its shapes, errors naming where.
    private func checkBlockShape(_ block: [LayerSpec], part: String, layer index: Int, input: ActivationShape) throws {
        let summary = layers[index].summary
        let inner = NetworkSpec(name: "\(name), layer \(index + 1) (\(summary)) \(part)", inputChannels: input.channels,
                                layers: block, padding: padding)
        let output = try inner.shapes(height: input.height, width: input.width).last!
        guard output.height == input.height, output.width == input.width else {
            throw NetworkSpecError.invalidLayer(network: name, layer: index + 1, summary: summary,
                                                reason: "its \(part) turns a \(input.height)×\(input.width) input into \(output.height)×\(output.width), so the shapes do not match (sides must be multiples of \(inner.inputMultiple))")
        }
    }

    /// The parameter tensors, layer by layer: `layers.<i>.weight`, `.bias`, `.slope` (i from 0,
    /// as in a PyTorch nn.Sequential; a block's layers `layers.<i>.block.<j>.…`, a branch's
    /// `layers.<i>.branches.<b>.<j>.…`), depth first, with the layouts the layer functions use.
    public var parameterTensors: [ParameterTensor] { NetworkGraph(self).tensors }

    /// For each (outer) layer, the index of its first tensor in `parameterTensors` (nil: it has none).
    var firstTensorIndex: [Int?] {
        let nodes = NetworkGraph(self).nodes
        return layers.indices.map { l in nodes.first { $0.topLevel == l && $0.firstTensor != nil }?.firstTensor }
    }

    /// Multiply-adds per HR output pixel for an input of `height` × `width` (the speed measure of
    /// the FSRCNN and ESPCN papers): a convolution costs k²·C·O per pixel it outputs, a
    /// deconvolution k²·C·O per pixel it reads; activations, sums and the shuffle count as nothing.
    /// For a `bicubicUpscale` network the input is the upscaled image (the bicubic is not counted).
    public func multiplyAddsPerOutputPixel(height: Int, width: Int) throws -> Double {
        let outer = try shapes(height: height, width: width)
        let graph = NetworkGraph(self)
        let activation = graph.activationShapes(input: outer[0])
        var total = 0.0
        for (i, node) in graph.nodes.enumerated() {
            switch node.operation {
            case let .layer(.conv(k, c, o, _)):
                total += Double(k * k * c * o) * Double(activation[i + 1].height * activation[i + 1].width)
            case let .layer(.deconv(k, c, o, _, _)):
                total += Double(k * k * c * o) * Double(activation[node.inputs[0]].height * activation[node.inputs[0]].width)
            default:
                break
            }
        }
        return total / Double(outer.last!.height * outer.last!.width)
    }

    /// Seeded initial parameters: convolutions He-normal for what follows them (std
    /// √(2/((1 + a²)·fan-in)) before a PReLU of initial slope a, √(2/fan-in) before a ReLU,
    /// √(1/fan-in) before tanh or nothing), deconvolutions N(0, 0.001²) as in the FSRCNN paper,
    /// biases 0, PReLU slopes 0.25 (Caffe's and PyTorch's default); depth first, in the tensors' order.
    /// A convolution that ends a residual block starts at a tenth of that std (EDSR's residual
    /// scaling of 0.1, as an initialisation), so that a chain of blocks without normalisation
    /// starts near the identity instead of multiplying the variance by about 3 per block.
    public func initialParameters(seed: UInt64) -> [[Float]] {
        var rng = Xoshiro256(seed: seed)
        var result: [[Float]] = []
        for node in NetworkGraph(self).nodes {
            guard case let .layer(layer) = node.operation else { continue }
            switch layer {
            case let .conv(k, c, o, _):
                let gain: Double
                switch node.next {
                case .prelu?: gain = 2 / (1 + Self.initialSlope * Self.initialSlope)
                case .relu?: gain = 2
                default: gain = 1
                }
                let std = (gain / Double(k * k * c)).squareRoot() * (node.endsResidualBlock ? Self.residualInitialScale : 1)
                result.append((0..<(k * k * c * o)).map { _ in Float(rng.nextGaussian() * std) })
                // An output behind a ReLU (Expanded SRCNN's) starts at mid-grey: from a zero bias
                // half the pixels start at 0 with no gradient, and the first steps of training
                // pushed the rest there too (the loss stuck at the mean square of the labels).
                let endsInReLU = node.topLevel == layers.count - 2 && layers.last == .relu && node.next == .relu
                result.append([Float](repeating: endsInReLU ? Self.reluOutputBias : 0, count: o))
            case let .deconv(k, c, o, _, _):
                result.append((0..<(k * k * c * o)).map { _ in Float(rng.nextGaussian() * 0.001) })
                result.append([Float](repeating: 0, count: o))
            case let .prelu(c):
                result.append([Float](repeating: Float(Self.initialSlope), count: c))
            case let .batchNorm(c):
                // Keras's γ 1, β 0, running mean 0 and variance 1, except that one ending a
                // residual block starts at γ 0 (Goyal et al. 2017's zero-γ), so that the block
                // starts as the identity, as a block without batch norm starts near it (above):
                // from γ 1 each of ResNet SR's six blocks adds unit variance to the skip path,
                // and its first run's training mean squared error began near 0.3 and reached only
                // 24.8 dB on Set5 after one epoch (30.8 without batch norm).
                let ones = [Float](repeating: 1, count: c), zeros = [Float](repeating: 0, count: c)
                result += [node.endsResidualBlock ? zeros : ones, zeros, zeros, ones]
            case .tanh, .relu, .pixelShuffle, .maxPool, .upsample, .residual, .parallel:
                break
            }
        }
        return result
    }

    static let initialSlope = 0.25
    static let residualInitialScale = 0.1
    /// The initial bias of an output convolution followed by a ReLU: the middle of the [0, 1] range.
    static let reluOutputBias: Float = 0.5
}
