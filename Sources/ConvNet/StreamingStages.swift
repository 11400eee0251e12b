import ConvKernels
import Foundation
import LinearAlgebra

// A sequential `NetworkSpec` as the steps `StreamingInference` streams rows through: each step is
// one convolution on the LR grid with its bias and the activation after it (applied in the pass
// that hands its rows on), and the last one also upscales (a transposed convolution in its
// sub-pixel form, or a convolution followed by a pixel shuffle). Specs of another shape (valid
// convolutions, an upscaling layer before the end, several input or output channels, layer kinds
// this file does not know) have no plan: they run through `SequentialNetwork` instead.

/// One convolution with its bias and activation (see the file header).
struct StreamingStage {
    enum Form {
        /// 1×1: one GEMM on the rows as they are.
        case pointwise
        /// One input channel: the transposed patch matrix (`conv2dForwardSingleChannelFloat`).
        case singleChannel
        /// im2col + GEMM (`conv2dForward`).
        case im2col
        /// Winograd F(4×4, 3×3) by the engine in Winograd.swift (WinogradF4x3.swift's transforms):
        /// 3×3 with many maps, whose channel counts are multiples of 8; `weight` holds U [36 × C × O].
        /// 2.25 multiply-adds per output where F(2×2, 3×3) (this step's former form) needs 4:
        /// ESPCN's 64 → 32 measured ~40 % less CPU (`srlab bench lrspace` under perf), its output
        /// within 1e-5 of the direct convolution's on a real image (StreamingInferenceTests).
        case winogradF4x3
        /// The last step: partial maps Z [taps × pixels] = W'·Xᵀ once per input row, then each
        /// output map sums its taps' shifted rows and goes to the HR output through the shuffle.
        case partialMaps
        /// The last step of a 3×3 convolution before a pixel shuffle with input channels a multiple
        /// of 4 (ESPCN's 32 → r²): `.winogradF4x3` to the r² maps padded with zero kernels to a
        /// multiple of 4, whose rows then go through the shuffle. 1152 multiply-adds per pixel for
        /// ESPCN ×3's 32 → 9 where partial maps take 2592, in GEMMs OpenBLAS runs faster.
        case winogradShuffle
    }

    enum Activation { case identity, relu, tanh, prelu }

    var form: Form
    /// Kernel side on the LR grid, and the padding rows/columns above/left and below/right.
    var kernel: Int, before: Int, after: Int
    /// Padding by zeros (a transposed convolution, or `PaddingMode.zero`) rather than edge copies.
    var zeroPadding: Bool
    var inChannels: Int, outChannels: Int
    /// HWIO [k, k, C, O]; for `.partialMaps`, W' [taps × C]; for `.winogradF4x3`, U [36 × C × O],
    /// and for `.winogradShuffle` the same of O padded.
    var weight: [Float]
    /// Per output channel; for `.partialMaps`, per map.
    var bias: [Float]
    var activation: Activation
    /// PReLU's slopes per output channel (one for every map of the last step).
    var slope: [Float]
    /// `.partialMaps`: each tap's kernel offset (my, mx) and the map it adds to, in W' row order.
    var taps: [(my: Int, mx: Int, map: Int)] = []
    /// The spec's layers this step runs (0-based), and how the bench names them.
    var layers: [Int]
    var summary: String
}

/// The steps of a spec and the factor its last step shuffles by (HR pixels per LR pixel side).
struct StreamingPlan {
    var stages: [StreamingStage]
    var shuffle: Int
    /// Activations held channel-major (plane per channel) rather than NHWC: OpenBLAS multiplies
    /// [O × K]·[K × pixels] about 2× faster than [pixels × K]·[K × O] when O is as thin as
    /// FSRCNN-s's 5 maps, 1.3× for FSRCNN's 3×3 12 → 12, and the activation pass runs along
    /// contiguous planes whatever the channel count. The Winograd step is written for NHWC, so a
    /// plan with one (ESPCN) stays NHWC.
    var channelMajor: Bool
    /// Whether ConvKernels' direct kernels run what they can (a `.singleChannel` step with its
    /// activation fused, the tanh passes); tests turn them off to hold them to the GEMM forms and
    /// Swift's tanh.
    var directKernels: Bool

    /// nil when the spec is not of the shape the file header describes.
    init?(spec: NetworkSpec, parameters: [[Float]], directKernels: Bool = true) {
        self.directKernels = directKernels
        guard spec.inputChannels == 1, (try? spec.validate()) != nil else { return nil }
        let layers = spec.layers
        var stages: [StreamingStage] = []
        var shuffle = 1
        var l = 0
        while l < layers.count {
            guard shuffle == 1, stages.last?.upscales != true else { return nil }   // upscaling only at the end
            var next = l + 1
            var activation = StreamingStage.Activation.identity
            var slope: [Float] = []
            var names = [layers[l].summary], indices = [l]
            // The activation at `next`, if any, joins this step.
            func takeActivation() {
                guard next < layers.count else { return }
                switch layers[next] {
                case .relu: activation = .relu
                case .tanh: activation = .tanh
                case .prelu: activation = .prelu; slope = parameters[spec.firstTensorIndex[next]!]
                default: return
                }
                names.append(layers[next].summary)
                indices.append(next)
                next += 1
            }
            guard let first = spec.firstTensorIndex[l] else { return nil }
            let weight = parameters[first], bias = parameters[first + 1]
            switch layers[l] {
            case let .conv(k, c, o, p):
                guard k % 2 == 1, p == (k - 1) / 2 else { return nil }
                takeActivation()
                var factor = 1
                if activation == .identity, next < layers.count, case let .pixelShuffle(r) = layers[next] {
                    factor = r
                    names.append(layers[next].summary)
                    indices.append(next)
                    next += 1
                    takeActivation()
                }
                let zero = spec.padding == .zero
                if next == layers.count {
                    // The last step: one output channel after the shuffle.
                    guard o == factor * factor else { return nil }
                    if k == 3 && c % 4 == 0 && factor > 1 {
                        stages.append(StreamingStage(form: .winogradShuffle, kernel: k, before: p, after: p, zeroPadding: zero,
                                                     inChannels: c, outChannels: o,
                                                     weight: StreamingStage.winogradF4x3Kernels(weight, inChannels: c, outChannels: o),
                                                     bias: bias, activation: activation,
                                                     slope: slope.isEmpty ? [] : [Float](repeating: slope[0], count: o),
                                                     layers: indices, summary: names.joined(separator: " + ")))
                        shuffle = factor
                        l = next
                        continue
                    }
                    var wt = [Float](repeating: 0, count: k * k * o * c)
                    weight.withUnsafeBufferPointer { w in
                        wt.withUnsafeMutableBufferPointer {
                            partialMapWeights(w.baseAddress!, into: $0.baseAddress!, inChannels: c, outChannels: o, kernel: k)
                        }
                    }
                    var stage = StreamingStage(form: .partialMaps, kernel: k, before: p, after: p, zeroPadding: zero,
                                               inChannels: c, outChannels: o, weight: wt, bias: bias, activation: activation,
                                               slope: slope.isEmpty ? [] : [Float](repeating: slope[0], count: o),
                                               layers: indices, summary: names.joined(separator: " + "))
                    // W' rows are (dy, dx, o), o innermost.
                    stage.taps = (0..<(k * k * o)).map { t in (my: t / o / k, mx: t / o % k, map: t % o) }
                    stages.append(stage)
                    shuffle = factor
                } else {
                    guard factor == 1 else { return nil }
                    let winograd = k == 3 && c % 8 == 0 && o % 8 == 0 && c * o >= StreamingStage.winogradMinimumChannelProduct
                    let form: StreamingStage.Form = k == 1 ? .pointwise : c == 1 ? .singleChannel : winograd ? .winogradF4x3 : .im2col
                    stages.append(StreamingStage(form: form, kernel: k, before: p, after: p, zeroPadding: zero, inChannels: c,
                                                 outChannels: o,
                                                 weight: winograd ? StreamingStage.winogradF4x3Kernels(weight, inChannels: c, outChannels: o)
                                                     : weight,
                                                 bias: bias,
                                                 activation: activation, slope: slope, layers: indices,
                                                 summary: names.joined(separator: " + ")))
                }
            case let .deconv(k, c, o, s, p):
                takeActivation()
                guard o == 1, next == layers.count else { return nil }
                // The sub-pixel form (SubPixelDeconvolution.swift): a side×side convolution on the
                // zero-padded LR grid to s² maps, keeping only the taps that exist in the k×k kernel.
                let g = subPixelGeometry(kernel: k, stride: s, padding: p)
                var taps: [(my: Int, mx: Int, map: Int)] = []
                var wt: [Float] = []
                forEachSubPixelTap(kernel: k, stride: s, padding: p) { dy, dx, my, mx, ry, rx in
                    taps.append((my, mx, ry * s + rx))
                    for ci in 0..<c { wt.append(weight[((ci * k + dy) * k + dx) * o]) }
                }
                var stage = StreamingStage(form: .partialMaps, kernel: g.side, before: g.before, after: g.after,
                                           zeroPadding: true, inChannels: c, outChannels: s * s, weight: wt,
                                           bias: [Float](repeating: bias[0], count: s * s), activation: activation,
                                           slope: slope.isEmpty ? [] : [Float](repeating: slope[0], count: s * s),
                                           layers: indices, summary: names.joined(separator: " + "))
                stage.taps = taps
                stages.append(stage)
                shuffle = s
            default:
                return nil
            }
            l = next
        }
        guard stages.last?.upscales == true else { return nil }
        self.stages = stages
        self.shuffle = shuffle
        channelMajor = !stages.contains { $0.form == .winogradF4x3 || $0.form == .winogradShuffle }
    }
}

extension StreamingStage {
    /// Below C·O = 512 (FSRCNN's 12 → 12) the Winograd GEMMs are too thin to beat one im2col GEMM
    /// (measured with F(2×2, 3×3), the step's former form).
    static let winogradMinimumChannelProduct = 512

    /// Output rows a Winograd step computes at a time (1 for the other forms).
    var rowsPerTile: Int {
        form == .winogradF4x3 || form == .winogradShuffle ? WinogradF4x3.outputSide : 1
    }

    /// Whether this is a last step, which writes the HR output through its shuffle.
    var upscales: Bool { form == .partialMaps || form == .winogradShuffle }

    /// Maps per output pixel the step computes: `.winogradShuffle` pads them to a multiple of 4
    /// (the engine's lanes).
    var computedChannels: Int { form == .winogradShuffle ? (outChannels + 3) / 4 * 4 : outChannels }

    /// Tiles per batch of 36 GEMMs in the F(4×4, 3×3) steps: a band's row of tiles (27–33 with the
    /// default tiles and bands) in one batch; 32–512 measured the same for ESPCN.
    static let winogradTilesPerChunk = 128

    /// U [36 × C × O'] of HWIO 3×3 weights, for `.winogradF4x3`; O' is O rounded up to a multiple
    /// of 4, the extra maps' kernels zero (`.winogradShuffle`).
    static func winogradF4x3Kernels(_ weight: [Float], inChannels c: Int, outChannels o: Int) -> [Float] {
        let padded = o % 4 == 0 ? o : (o + 3) / 4 * 4
        var hwio = weight
        if padded != o {
            hwio = [Float](repeating: 0, count: 9 * c * padded)
            for t in 0..<(9 * c) { for oc in 0..<o { hwio[t * padded + oc] = weight[t * o + oc] } }
        }
        var u = [Float](repeating: 0, count: WinogradF4x3.points * c * padded)
        var tmp = [Float](repeating: 0, count: WinogradF4x3.tileSide * 3 * c * padded)
        hwio.withUnsafeBufferPointer { w in
            winogradKernels(WinogradF4x3.self, w.baseAddress!, into: &u, channels: c * padded, tmp: &tmp)
        }
        return u
    }

    /// The activation as ConvKernels' direct single-channel kernel applies it as it stores, for a
    /// `.singleChannel` step; nil where it cannot (PReLU, or another form).
    var directActivation: Int32? {
        guard form == .singleChannel else { return nil }
        switch activation {
        case .identity: return Int32(SRLAB_ACTIVATION_NONE)
        case .relu: return Int32(SRLAB_ACTIVATION_RELU)
        case .tanh: return Int32(SRLAB_ACTIVATION_TANH)
        case .prelu: return nil
        }
    }

    /// dst[p, c] = f(src[p, c] + bias[c]) over `pixels` pixels of `outChannels`: the pass that
    /// hands a step's rows to the next one.
    /// `direct`: tanh by ConvKernels (`StreamingPlan.directKernels`).
    func biasActivationCopy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, pixels: Int,
                            bias: UnsafePointer<Float>, slope: UnsafePointer<Float>?, direct: Bool = true) {
        let channels = outChannels
        switch activation {
        case .relu:
            biasReLUCopyFloat(dst, src, pixels: pixels, channels: channels, bias: bias)
        case .prelu where channels % Vector.scalarCount == 0:
            let zero = Vector()
            for p in 0..<pixels {
                for g in stride(from: 0, to: channels, by: Vector.scalarCount) {
                    let i = p * channels + g
                    let v = loadVector(src + i) + loadVector(bias + g)
                    storeVector((v * loadVector(slope! + g)).replacing(with: v, where: v .> zero), dst + i)
                }
            }
        case .tanh where direct && srlab_bias_tanh(0, dst, src, pixels, Int32(channels), bias) != 0:
            break   // ConvKernels' AVX2 / AVX-512 tanh: Swift's SIMD16 runs as SSE2 without FMA
        case .tanh where channels % 8 == 0:
            biasTanhCopyFloat(dst, src, pixels: pixels, channels: channels, bias: bias)
        case .tanh:
            for p in 0..<pixels {
                for c in 0..<channels { dst[p * channels + c] = src[p * channels + c] + bias[c] }
            }
            tanhForwardVectorized(output: dst, input: dst, count: pixels * channels)
        case .identity, .prelu:
            for p in 0..<pixels {
                for c in 0..<channels {
                    dst[p * channels + c] = Self.activate(src[p * channels + c] + bias[c], activation, slope: slope?[c] ?? 0)
                }
            }
        }
    }

    /// dst[i] = f(src[i] + bias[c]) over `count` values of channel c's plane (the channel-major
    /// form of `biasActivationCopy`).
    func biasActivationPlane(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int, channel c: Int) {
        let b = bias[c]
        switch activation {
        case .relu:
            biasReLUPlaneFloat(dst, src, count: count, bias: b)
        case .prelu:
            let zero = Vector(), bv = Vector(repeating: b), a = slope[c], av = Vector(repeating: a)
            var i = 0
            while i + Vector.scalarCount <= count {
                let v = loadVector(src + i) + bv
                storeVector((v * av).replacing(with: v, where: v .> zero), dst + i)
                i += Vector.scalarCount
            }
            while i < count { dst[i] = Self.activate(src[i] + b, .prelu, slope: a); i += 1 }
        case .tanh:
            for i in 0..<count { dst[i] = src[i] + b }
            tanhForwardVectorized(output: dst, input: dst, count: count)
        case .identity:
            for i in 0..<count { dst[i] = src[i] + b }
        }
    }

    /// The activation of one value (the element-wise layers' definitions).
    @inline(__always)
    static func activate(_ v: Float, _ activation: Activation, slope: Float) -> Float {
        switch activation {
        case .identity: return v
        case .relu: return v > 0 ? v : 0
        case .tanh: return Foundation.tanh(v)
        case .prelu: return v > 0 ? v : slope * v
        }
    }
}
