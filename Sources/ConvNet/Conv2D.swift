import ConvKernels
import LinearAlgebra

// Shape conventions for every layer in this module (llm.c style: free functions, explicit sizes):
//   N = batch, H × W = the layer's input height and width, C = input channels,
//   O = output channels, k = square kernel side. Convolutions are VALID: Ho = H − k + 1, Wo = W − k + 1
//   ('same' size comes from padding the input first, see Padding.swift).
// Activations are NHWC row-major: x[((n·H + y)·W + x)·C + c]. Channels innermost make a pixel's
//   channels one contiguous run, so im2col is a series of copies and no layer needs a transpose.
// Weights are HWIO: w[((dy·k + dx)·C + c)·O + o], a row-major [k·k·C × O] matrix whose rows are
//   in im2col's column order. Files keep the authors' OIHW (see SRCNNWeights.swift).
// Convolution is cross-correlation (no kernel flip), as PyTorch's Conv2d and MATLAB's imfilter:
//   y[n,i,j,o] = b[o] + Σ_{dy,dx,c} w[dy,dx,c,o] · x[n, i+dy, j+dx, c].
// Backward functions OVERWRITE dInput and ACCUMULATE (+=) into dWeight and dBias (zero those
//   before a step): a layer's input gradient has one source in a chain, its weights' many chunks.

/// Which formulation a convolution uses. All give the same result up to float rounding.
public enum ConvAlgorithm: Sendable {
    /// 1×1 → one GEMM; few output maps → partial maps; 3×3 and 5×5 with many maps in and out →
    /// Winograd; otherwise im2col.
    case automatic
    /// `automatic` without Winograd, whose rounding depends on where a pixel falls in its tile:
    /// what tiled inference uses, so that tiles reproduce the untiled result bit for bit.
    case shiftInvariant
    /// im2col [pixels × k²C] · W [k²C × O]: best when O is large.
    case im2col
    /// Partial maps Z [(dy,dx,o) × pixels] = W' · Xᵀ, then y = Σ_{dy,dx} Z shifted by (dy,dx): a real
    /// GEMM (k²O wide) where im2col would be a matrix-vector product for O = 1.
    case partialMaps
    /// Winograd (Winograd.swift): F(2×2, 3×3) for 3×3 kernels, 2.25× fewer multiplications, and
    /// F(3×3, 5×5) for 5×5 ones, 4.6× fewer; no other kernel sizes.
    case winograd
    /// Winograd F(4×4, 3×3) (WinogradF4x3.swift), 3×3 kernels only: 4× fewer multiplications, at
    /// about ten times F(2×2, 3×3)'s rounding error.
    case winogradF4x3
    /// `automatic` for training steps (`SequentialNetwork` when it trains), where 3×3 layers with
    /// ≥ 12 maps in and out take F(4×4, 3×3). Measured (`srlab bench conv`, forward + backward on
    /// one shard, one thread) on every 3×3 shape the lab trains, F(4×4, 3×3) against F(2×2, 3×3)
    /// and im2col: 1.5–1.7× faster than F(2×2) on 64 → 64, 64 → 32 and 32 → 32 (32×32 and 16×16
    /// crops, 11×11 LR patches), 128 → 128 and 256 → 128; 1.3× on 128 → 256 at 8×8 outputs; a
    /// tie at 9×9 outputs (deep denoising SR's inner level on 36×36 crops: 30.2 vs 31.3 ms),
    /// where 4×4 tiles waste most; FSRCNN's 12 → 12 0.78 ms against 1.22 (F(2×2)) and 1.50 (im2col).
    /// ESPCN's last layers (32 → s² maps) too: 32 → 9 on 64 × 13² 2.10 ms against 3.12 by partial
    /// maps, 32 → 4 on 64 × 18² 2.11 against 2.74. Below 4 output maps or 12 input maps
    /// `automatic`'s partial maps or im2col stay (im2col where the outputs are as many as the inputs). F(4×4)'s rounding
    /// (WinogradF4x3.swift) is noise to a gradient step; whole-image inference stays on
    /// `automatic` (streaming inference takes F(4×4, 3×3) too, StreamingStages.swift).
    case training
    func resolved(kernel: Int, inChannels: Int, outChannels: Int) -> ConvAlgorithm {
        switch self {
        case .training where kernel == 3 && inChannels >= 12 && outChannels >= 4:
            return .winogradF4x3
        case .automatic where (kernel == 3 || kernel == 5) && inChannels >= 16 && outChannels >= 16,
             .training where kernel == 5 && inChannels >= 16 && outChannels >= 16:
            return .winograd
        case .training where outChannels >= inChannels:
            // Partial maps pay off when the outputs are few beside the inputs: FSRCNN-s's 3×3
            // 5 → 5 trains in 0.70 ms by im2col against 0.87 (`srlab bench conv`, 64 × 13²).
            return .im2col
        case .automatic, .shiftInvariant, .training:
            return outChannels <= 9 && kernel > 1 ? .partialMaps : .im2col
        default:
            return self
        }
    }
}

/// Upper bound (elements) on one im2col / partial-map chunk: large enough for efficient GEMMs,
/// small enough that a 2048² image or a 128-sample batch never needs gigabytes of scratch.
let chunkElementLimit = 1 << 21

/// Row-major C[m×n] = alpha · op(A) · op(B) + beta · C over the column-major BLAS wrapper
/// (a row-major matrix is its column-major transpose, so the operands swap).
@inline(__always)
func rowMajorGemm<T: BLASScalar>(transposeA: Bool = false, transposeB: Bool = false,
                                 m: Int, n: Int, k: Int, alpha: T = 1,
                                 a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                                 beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    guard m > 0, n > 0, k > 0 else { return }
    T.gemm(transposeB, transposeA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc)
}

// MARK: - Forward

/// Valid convolution, NHWC in and out, HWIO weights, optional bias and fused ReLU.
/// (Exported specialisations: other modules' generic callers, like Equivalence's networks, would
/// otherwise run the unspecialised loops.)
/// `output` holds N·Ho·Wo·O elements and is overwritten.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dForward<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, relu: Bool = false,
    algorithm: ConvAlgorithm = .automatic, activation: FusedActivation = .none, workspace: Workspace<T>
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    precondition(outH > 0 && outW > 0, "conv2d: \(height)×\(width) input is smaller than a \(kernel)×\(kernel) kernel")
    precondition(activation == .none || !relu, "a ReLU and a fused activation both")
    let o = outChannels
    if kernel == 1 {
        let pixels = batch * height * width
        rowMajorGemm(m: pixels, n: o, k: inChannels, a: input, lda: inChannels,
                     b: weight, ldb: o, beta: 0, c: output, ldc: o)
        addBiasReLU(output, pixels: pixels, channels: o, bias: bias, relu: relu)
        activation.applyEverywhere(output, count: pixels * o)
        return
    }
    if algorithm == .training && inChannels == 1 && T.self == Float.self,
       conv2dForwardSingleChannelDirect(output: output, input: input, weight: weight, bias: bias, batch: batch,
                                        outChannels: o, height: height, width: width, kernel: kernel,
                                        relu: relu, activation: activation) {
        return
    }
    switch algorithm.resolved(kernel: kernel, inChannels: inChannels, outChannels: o) {
    case .winogradF4x3 where T.self == Float.self && inChannels % 4 == 0 && o % 4 != 0:
        conv2dForwardWinogradRoundingMapsUp(output: output, input: input, weight: weight, bias: bias, batch: batch,
                                            inChannels: inChannels, outChannels: o, height: height, width: width,
                                            relu: relu, wideTransforms: algorithm == .training, workspace: workspace)
        activation.applyEverywhere(output, count: batch * outH * outW * o)
    case let winograd where winograd == .winograd || winograd == .winogradF4x3:
        conv2dForwardWinograd(output: output, input: input, weight: weight, bias: bias, batch: batch,
                              inChannels: inChannels, outChannels: o, height: height, width: width,
                              kernel: kernel, largeTiles: winograd == .winogradF4x3, relu: relu,
                              wideTransforms: algorithm == .training, activation: activation, workspace: workspace)
    case .partialMaps:
        conv2dForwardPartialMaps(output: output, input: input, weight: weight, bias: bias,
                                 batch: batch, inChannels: inChannels, outChannels: o,
                                 height: height, width: width, kernel: kernel, relu: relu,
                                 workspace: workspace)
        activation.applyEverywhere(output, count: batch * outH * outW * o)
    default:
        let patch = kernel * kernel * inChannels
        let totalRows = batch * outH
        let rowsPerChunk = max(1, min(totalRows, chunkElementLimit / (outW * patch)))
        let columns = workspace.buffer(0, count: rowsPerChunk * outW * patch)
        var first = 0
        while first < totalRows {
            let rows = min(rowsPerChunk, totalRows - first)
            im2col(columns: columns, input: input, height: height, width: width,
                   channels: inChannels, kernel: kernel, outputRows: first..<(first + rows))
            let out = output + first * outW * o
            rowMajorGemm(m: rows * outW, n: o, k: patch, a: columns, lda: patch,
                         b: weight, ldb: o, beta: 0, c: out, ldc: o)
            addBiasReLU(out, pixels: rows * outW, channels: o, bias: bias, relu: relu)
            activation.applyEverywhere(out, count: rows * outW * o)
            first += rows
        }
    }
}

/// The instruction set the direct single-channel kernels use on this CPU: "avx512"; "avx2" (no
/// AVX-512, or SRLAB_MAX_ISA=avx2: the NHWC first layers run direct, streaming's (ESPCN's, its
/// activation fused) and a training step's; inference's channel-major one takes the GEMM form);
/// or "none".
public var directConvolutionKernel: String { String(cString: srlab_conv1_variant()) }

/// Valid convolution of a single-channel input (SRCNN's first layer) for inference, then `bias`
/// (per output channel, after the sum) and `relu` if given. Where the CPU and the shape allow, the
/// direct kernel of ConvKernels runs (no copies; channel-major, it adds the bias and ReLU as it
/// stores). Otherwise the GEMM form: im2col would copy k runs of only k floats per output pixel, so
/// the patch matrix is built transposed, [k² × pixels], where row (dy, dx) is the input shifted by
/// (dy, dx): one contiguous copy of an output row's width per (dy, dx) and row; OpenBLAS packs the
/// transposed operand as fast. Both sum each pixel in the same (dy, dx) order as im2col.
/// With `channelMajor` the output is [O × pixels] (plane o holds channel o) rather than NHWC.
/// `direct: false` forces the GEMM form (tests, the bench).
func conv2dForwardSingleChannelFloat(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                     weight: UnsafePointer<Float>, outChannels: Int, height: Int, width: Int,
                                     kernel: Int, channelMajor: Bool = false, workspace: Workspace<Float>,
                                     bias: UnsafePointer<Float>? = nil, relu: Bool = false, direct: Bool = true) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    precondition(outH > 0 && outW > 0, "conv2d: \(height)×\(width) input is smaller than a \(kernel)×\(kernel) kernel")
    let pixels = outH * outW
    func addBiasReLU() {
        guard bias != nil || relu else { return }
        if !channelMajor { return biasReLUFloat(output, rows: pixels, channels: outChannels, bias: bias, relu: relu) }
        for c in 0..<outChannels {
            let plane = output + c * pixels, b = bias?[c] ?? 0
            if relu { biasReLUPlaneFloat(plane, plane, count: pixels, bias: b) } else { for i in 0..<pixels { plane[i] += b } }
        }
    }
    if direct {
        if channelMajor {
            if srlab_conv1_planes(output, input, weight, Int32(height), Int32(width), Int32(kernel), Int32(outChannels),
                                  pixels, bias, relu ? 1 : 0) != 0 { return }
        } else if srlab_conv1_nhwc(output, input, weight, Int32(height), Int32(width), Int32(kernel), Int32(outChannels)) != 0 {
            return addBiasReLU()
        }
    }
    defer { addBiasReLU() }
    let columns = workspace.buffer(0, count: kernel * kernel * pixels)
    for dy in 0..<kernel {
        for dx in 0..<kernel {
            let row = columns + (dy * kernel + dx) * pixels
            for i in 0..<outH { (row + i * outW).update(from: input + (i + dy) * width + dx, count: outW) }
        }
    }
    if channelMajor {
        rowMajorGemm(transposeA: true, m: outChannels, n: pixels, k: kernel * kernel, a: weight, lda: outChannels,
                     b: columns, ldb: pixels, beta: 0, c: output, ldc: pixels)
    } else {
        rowMajorGemm(transposeA: true, m: pixels, n: outChannels, k: kernel * kernel, a: columns, lda: pixels,
                     b: weight, ldb: outChannels, beta: 0, c: output, ldc: outChannels)
    }
}

/// A training step's single-channel first layer by ConvKernels' direct NHWC kernel, image by image
/// (116 GFLOP/s on one core where im2col's GEMM, K = k², reaches about 50), then each image's bias
/// and ReLU or fused activation while it is in cache: false, writing nothing, where it cannot run
/// (maps not a multiple of 32 with AVX-512, of 16 with AVX2, or neither), and the caller takes
/// im2col. AVX-512 and AVX2 blocks give the same bits. With AVX2 (SRLAB_MAX_ISA=avx2 on Zen 4),
/// ESPCN's 5×5 1 → 64 over a 64-image shard: 0.50 ms by im2col, ~0.3 this way.
/// Inference keeps its own paths (`conv2dForwardSingleChannelFloat`, the streaming stages).
private func conv2dForwardSingleChannelDirect<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
    batch: Int, outChannels o: Int, height: Int, width: Int, kernel: Int, relu: Bool, activation: FusedActivation
) -> Bool {
    guard T.self == Float.self else { return false }
    let out = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
    let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
    let w = UnsafeRawPointer(weight).assumingMemoryBound(to: Float.self)
    let b = bias.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
    let pixels = (height - kernel + 1) * (width - kernel + 1), outCount = pixels * o
    func finish(_ image: UnsafeMutablePointer<Float>) {
        if b != nil || relu { biasReLUFloat(image, rows: pixels, channels: o, bias: b, relu: relu) }
        activation.apply(image, count: outCount)
    }
    func convolve(_ n: Int) -> Bool {
        srlab_conv1_nhwc_activated(0, out + n * outCount, (width - kernel + 1) * o, x + n * height * width, w,
                                   Int32(height), Int32(width), Int32(kernel), Int32(o), nil,
                                   Int32(SRLAB_ACTIVATION_NONE)) != 0
    }
    guard convolve(0) else { return false }
    finish(out)
    ConvNetThreads.forEachRange(batch - 1, costPerItem: outCount * kernel * kernel) { part in
        for n in part.lowerBound + 1...part.upperBound {
            _ = convolve(n)
            finish(out + n * outCount)
        }
    }
    return true
}

/// The weight gradient of `conv2dForwardSingleChannelDirect`'s layer (a first layer: no input
/// gradient) by ConvKernels' direct kernel, image after image (the images' sums are added in order,
/// whatever the thread count), where it runs: 0.2 ms against im2col's 0.48 on ESPCN's 5×5 1 → 64
/// over a 64-image shard of 11×11 sub-images. False, writing nothing, where it does not.
private func conv2dWeightGradientSingleChannelDirect<T: BLASScalar>(
    dWeight: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, input: UnsafePointer<T>, batch: Int, outChannels o: Int,
    height: Int, width: Int, kernel: Int
) -> Bool {
    guard T.self == Float.self else { return false }
    let dw = UnsafeMutableRawPointer(dWeight).assumingMemoryBound(to: Float.self)
    let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
    let dy = UnsafeRawPointer(dOutput).assumingMemoryBound(to: Float.self)
    let outCount = (height - kernel + 1) * (width - kernel + 1) * o
    for n in 0..<batch {
        guard srlab_conv1_weight_gradient_nhwc(0, dw, x + n * height * width, dy + n * outCount, Int32(height), Int32(width),
                                               Int32(kernel), Int32(o)) != 0 else {
            precondition(n == 0, "the direct kernel ran for some images only")
            return false
        }
    }
    return true
}

/// Copies the k×k×C patch under each output pixel of the given output rows (flattened over
/// n·Ho + i) into consecutive rows of `columns`. In NHWC one kernel row of a patch, (dx, c), is a
/// contiguous run of k·C input elements, so each patch is k copies.
func im2col<T: BLASScalar>(columns: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                           height: Int, width: Int, channels: Int, kernel: Int,
                           outputRows: Range<Int>) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    let run = kernel * channels, patch = kernel * run
    ConvNetThreads.forEachRange(outputRows.count, costPerItem: outW * patch) { part in
        for r in part {
            let q = outputRows.lowerBound + r
            let n = q / outH, i = q % outH
            var dst = columns + r * outW * patch
            if T.self == Float.self && run < 32 {
                im2colShortRunsFloat(UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self),
                                     UnsafeRawPointer(input + (n * height + i) * width * channels).assumingMemoryBound(to: Float.self),
                                     rowLength: width * channels, channels: channels, kernel: kernel, outW: outW)
            } else if run < 32 {
                // Short runs (the first layer's k single-channel pixels): a loop beats memmove calls.
                for j in 0..<outW {
                    for dy in 0..<kernel {
                        let src = input + ((n * height + i + dy) * width + j) * channels
                        for e in 0..<run { dst[e] = src[e] }
                        dst += run
                    }
                }
            } else {
                for j in 0..<outW {
                    for dy in 0..<kernel {
                        dst.update(from: input + ((n * height + i + dy) * width + j) * channels, count: run)
                        dst += run
                    }
                }
            }
        }
    }
}

/// y[p, o] = max(0, y[p, o] + b[o]) (or without the max), in place over `pixels` rows.
/// Written branch-free over whole rows so the compiler vectorises it.
func addBiasReLU<T: BLASScalar>(_ y: UnsafeMutablePointer<T>, pixels: Int, channels: Int,
                                bias: UnsafePointer<T>?, relu: Bool) {
    guard bias != nil || relu else { return }
    ConvNetThreads.forEachRange(pixels, costPerItem: channels) { part in
        let start = y + part.lowerBound * channels
        if T.self == Float.self {
            biasReLUFloat(UnsafeMutableRawPointer(start).assumingMemoryBound(to: Float.self), rows: part.count,
                          channels: channels,
                          bias: bias.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }, relu: relu)
            return
        }
        for p in 0..<part.count {
            let row = start + p * channels
            for c in 0..<channels {
                var v = row[c] + (bias?[c] ?? 0)
                if relu { v = v > 0 ? v : 0 }
                row[c] = v
            }
        }
    }
}

/// The k·k·O × C matrix W'[(dy,dx,o), c] = w[dy,dx,c,o] that the partial-map formulation
/// multiplies by, in both the forward and the backward pass.
func partialMapWeights<T: BLASScalar>(_ weight: UnsafePointer<T>, into wt: UnsafeMutablePointer<T>,
                                      inChannels: Int, outChannels: Int, kernel: Int) {
    for s in 0..<(kernel * kernel) {
        for c in 0..<inChannels {
            for o in 0..<outChannels {
                wt[(s * outChannels + o) * inChannels + c] = weight[(s * inChannels + c) * outChannels + o]
            }
        }
    }
}

/// Partial-map convolution: for a block of input rows, Z[(dy,dx,o), pixel] = Σ_c W'·x (one GEMM,
/// k²O rows), then y[i, j, o] = b[o] + Σ_{dy,dx} Z[(dy,dx,o), (i+dy, j+dx)], summed in a fixed
/// (dy, dx) order so every pixel's result is independent of how the image was split into blocks.
func conv2dForwardPartialMaps<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, relu: Bool, workspace: Workspace<T>
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    let maps = kernel * kernel * outChannels
    let wt = workspace.buffer(1, count: maps * inChannels)
    partialMapWeights(weight, into: wt, inChannels: inChannels, outChannels: outChannels, kernel: kernel)
    // Output rows per block: the block's partial maps cover rows + k − 1 input rows.
    let blockRows = max(1, min(outH, chunkElementLimit / (maps * width) - (kernel - 1)))
    let inRowsMax = blockRows + kernel - 1
    let z = workspace.buffer(0, count: maps * inRowsMax * width)
    let acc = workspace.buffer(2, count: outChannels * blockRows * outW)
    for n in 0..<batch {
        var i0 = 0
        while i0 < outH {
            let rows = min(blockRows, outH - i0)
            let inRows = rows + kernel - 1
            let pixelsIn = inRows * width
            let x = input + (n * height + i0) * width * inChannels
            rowMajorGemm(transposeB: true, m: maps, n: pixelsIn, k: inChannels, a: wt, lda: inChannels,
                         b: x, ldb: inChannels, beta: 0, c: z, ldc: pixelsIn)
            // acc[o][i·Wo + j] = Σ_{dy,dx} Z[(dy,dx,o)][(i+dy)·W + j + dx], one contiguous run per term.
            ConvNetThreads.forEachRange(outChannels * rows, costPerItem: outW * kernel * kernel) { part in
                for item in part {
                    let o = item / rows, i = item % rows
                    let dst = acc + (o * rows + i) * outW
                    for j in 0..<outW { dst[j] = 0 }
                    for dy in 0..<kernel {
                        for dx in 0..<kernel {
                            let src = z + ((dy * kernel + dx) * outChannels + o) * pixelsIn + (i + dy) * width + dx
                            for j in 0..<outW { dst[j] += src[j] }
                        }
                    }
                }
            }
            // Back to NHWC with bias and ReLU.
            let out = output + (n * outH + i0) * outW * outChannels
            for p in 0..<(rows * outW) {
                for o in 0..<outChannels {
                    var v = acc[o * rows * outW + p]
                    if let bias { v += bias[o] }
                    if relu && !(v > 0) { v = 0 }
                    out[p * outChannels + o] = v
                }
            }
            i0 += rows
        }
    }
}

// MARK: - Backward

/// Gradients of a valid convolution. Accumulates dWeight (HWIO) and dBias; writes dInput unless nil.
/// `dOutput` is the gradient at the convolution's output (after ReLU's backward, if any).
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dBackward<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int,
    algorithm: ConvAlgorithm = .automatic, inputActivation: FusedActivation = .none, workspace: Workspace<T>
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    precondition(outH > 0 && outW > 0, "conv2d: \(height)×\(width) input is smaller than a \(kernel)×\(kernel) kernel")
    let o = outChannels, c = inChannels
    if let dBias { biasBackward(dBias, dOutput: dOutput, pixels: batch * outH * outW, channels: o, workspace: workspace) }
    /// For the paths that cannot apply the derivative image by image.
    func applyDerivativeEverywhere() {
        if let dInput { inputActivation.applyDerivativeEverywhere(dInput, output: input, count: batch * height * width * c) }
    }
    if kernel == 1 {
        let pixels = batch * height * width
        rowMajorGemm(transposeA: true, m: c, n: o, k: pixels, a: input, lda: c,
                     b: dOutput, ldb: o, beta: 1, c: dWeight, ldc: o)
        if let dInput {
            rowMajorGemm(transposeB: true, m: pixels, n: c, k: o, a: dOutput, lda: o,
                         b: weight, ldb: o, beta: 0, c: dInput, ldc: c)
        }
        return applyDerivativeEverywhere()
    }
    if algorithm == .training && c == 1 && dInput == nil && T.self == Float.self,
       conv2dWeightGradientSingleChannelDirect(dWeight: dWeight, dOutput: dOutput, input: input, batch: batch,
                                               outChannels: o, height: height, width: width, kernel: kernel) {
        return
    }
    switch algorithm.resolved(kernel: kernel, inChannels: c, outChannels: o) {
    case .winogradF4x3 where T.self == Float.self && c % 4 == 0 && o % 4 != 0:
        conv2dBackwardWinogradRoundingMapsUp(dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                                             weight: weight, batch: batch, inChannels: c, outChannels: o,
                                             height: height, width: width, wideTransforms: algorithm == .training,
                                             inputActivation: inputActivation, workspace: workspace)
    case let winograd where winograd == .winograd || winograd == .winogradF4x3:
        conv2dBackwardWinograd(dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input, weight: weight,
                               batch: batch, inChannels: c, outChannels: o, height: height, width: width,
                               kernel: kernel, largeTiles: winograd == .winogradF4x3,
                               wideTransforms: algorithm == .training, inputActivation: inputActivation,
                               workspace: workspace)
    case .partialMaps:
        conv2dBackwardPartialMaps(dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                                  weight: weight, batch: batch, inChannels: c, outChannels: o,
                                  height: height, width: width, kernel: kernel, workspace: workspace)
        applyDerivativeEverywhere()
    default:
        let patch = kernel * kernel * c
        // Whole images per chunk, so col2im's scatter-add can run one image per thread.
        let imagesPerChunk = max(1, min(batch, chunkElementLimit / (outH * outW * patch)))
        let columns = workspace.buffer(0, count: imagesPerChunk * outH * outW * patch)
        let dColumns = dInput == nil ? columns : workspace.buffer(1, count: imagesPerChunk * outH * outW * patch)
        var n0 = 0
        while n0 < batch {
            let images = min(imagesPerChunk, batch - n0)
            let rows = images * outH * outW
            let dOut = dOutput + n0 * outH * outW * o
            im2col(columns: columns, input: input, height: height, width: width, channels: c,
                   kernel: kernel, outputRows: (n0 * outH)..<((n0 + images) * outH))
            rowMajorGemm(transposeA: true, m: patch, n: o, k: rows, a: columns, lda: patch,
                         b: dOut, ldb: o, beta: 1, c: dWeight, ldc: o)
            if let dInput {
                rowMajorGemm(transposeB: true, m: rows, n: patch, k: o, a: dOut, lda: o,
                             b: weight, ldb: o, beta: 0, c: dColumns, ldc: patch)
                col2im(dInput: dInput, columns: dColumns, height: height, width: width, channels: c,
                          kernel: kernel, images: n0..<(n0 + images))
            }
            n0 += images
        }
        applyDerivativeEverywhere()
    }
}

/// dBias[o] += Σ_p dOutput[p, o], as a matrix-vector product with a vector of ones.
func biasBackward<T: BLASScalar>(_ dBias: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                 pixels: Int, channels: Int, workspace: Workspace<T>) {
    let ones = workspace.buffer(7, count: pixels)
    ones.update(repeating: 1, count: pixels)
    // Column-major, row-major dOutput [P × O] is [O × P]; y = A·1 sums over pixels.
    T.gemv(false, channels, pixels, 1, dOutput, channels, ones, 1, dBias)
}

/// The adjoint of im2col: sums each patch row of `columns` back onto the input pixels it came
/// from, overwriting those images' dInput. Images are independent, so threads take whole images
/// and never write the same element.
func col2im<T: BLASScalar>(dInput: UnsafeMutablePointer<T>, columns: UnsafePointer<T>,
                           height: Int, width: Int, channels: Int, kernel: Int, images: Range<Int>) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    let run = kernel * channels, patch = kernel * run
    ConvNetThreads.forEachRange(images.count, costPerItem: outH * outW * patch) { part in
        for m in part {
            let n = images.lowerBound + m
            (dInput + n * height * width * channels).update(repeating: 0, count: height * width * channels)
            var src = columns + m * outH * outW * patch
            for i in 0..<outH {
                for j in 0..<outW {
                    for dy in 0..<kernel {
                        let dst = dInput + ((n * height + i + dy) * width + j) * channels
                        for e in 0..<run { dst[e] += src[e] }
                        src += run
                    }
                }
            }
        }
    }
}

/// Backward of the partial-map form. With Dᵀ[(dy,dx,o), (y,x)] = dY[y−dy, x−dx, o] (zero outside
/// the output) — k²O shifted copies of the output gradient — dW' = Dᵀ·X and dX = D·W': two GEMMs
/// k²O wide instead of im2col matrices k²C wide, which makes a one-map layer cheap to train.
func conv2dBackwardPartialMaps<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int,
    workspace: Workspace<T>
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    let maps = kernel * kernel * outChannels, c = inChannels, o = outChannels
    let pixelsPerImage = height * width
    let imagesPerChunk = max(1, min(batch, chunkElementLimit / (pixelsPerImage * maps)))
    let dt = workspace.buffer(0, count: imagesPerChunk * pixelsPerImage * maps)
    let wt = workspace.buffer(1, count: maps * c)
    let dwt = workspace.buffer(2, count: maps * c)   // dW' [(dy,dx,o) × C]
    partialMapWeights(weight, into: wt, inChannels: c, outChannels: o, kernel: kernel)
    dwt.update(repeating: 0, count: maps * c)
    var n0 = 0
    while n0 < batch {
        let images = min(imagesPerChunk, batch - n0)
        let rows = images * pixelsPerImage
        // Row (s, o) of Dᵀ, image m, input row y: dY[m, y−dy, x−dx, o] for x in dx..<dx+Wo, else 0.
        ConvNetThreads.forEachRange(maps, costPerItem: rows) { part in
            for map in part {
                let s = map / o, oc = map % o, dy = s / kernel, dx = s % kernel
                let line = dt + map * rows
                line.update(repeating: 0, count: rows)
                for m in 0..<images {
                    for i in 0..<outH {
                        let dst = line + (m * height + i + dy) * width + dx
                        let src = dOutput + ((n0 + m) * outH + i) * outW * o + oc
                        if o == 1 {
                            dst.update(from: src, count: outW)
                        } else {
                            for j in 0..<outW { dst[j] = src[j * o] }
                        }
                    }
                }
            }
        }
        let x = input + n0 * pixelsPerImage * c
        rowMajorGemm(m: maps, n: c, k: rows, a: dt, lda: rows, b: x, ldb: c, beta: 1, c: dwt, ldc: c)
        if let dInput {
            rowMajorGemm(transposeA: true, m: rows, n: c, k: maps, a: dt, lda: rows, b: wt, ldb: c, beta: 0,
                         c: dInput + n0 * pixelsPerImage * c, ldc: c)
        }
        n0 += images
    }
    for s in 0..<(kernel * kernel) {
        for ci in 0..<c {
            for oc in 0..<o {
                dWeight[(s * c + ci) * o + oc] += dwt[(s * o + oc) * c + ci]
            }
        }
    }
}

// MARK: - Winograd with the output maps rounded up to a multiple of 4

// The Winograd engine transforms four Float maps at a time only when both map counts are
// multiples of 4; otherwise every transform, the input's too, runs one map at a time. For
// ESPCN's last layer (32 → 9 at ×3) the layer is cheaper run on 12 maps, the extra three with
// zero weights (their outputs dropped, their gradients zero): 1.69 ms forward and backward on a
// 64 × 13² shard against 2.18 (`srlab bench conv`). The extra maps add exact zeros, so the
// results are the narrow layer's up to the GEMMs' summation order.

/// Workspace slots of the widened layer (the engine's own are 0–5, biasBackward's 7).
private let widenedSlots = (weight: 14, bias: 15, activation: 16, weightGradient: 17)

/// HWIO weights with `o` output maps copied into `wide` ones (zeros after), per (tap, input map) row.
/// Element loops, not copy calls: the rows are a few floats (a call each cost more than the copy).
private func widenMaps<T: BinaryFloatingPoint>(_ narrow: UnsafePointer<T>, into wide: UnsafeMutablePointer<T>,
                                               rows: Int, narrowCount o: Int, wideCount: Int) {
    for r in 0..<rows {
        let dst = wide + r * wideCount, src = narrow + r * o
        for k in 0..<o { dst[k] = src[k] }
        for k in o..<wideCount { dst[k] = 0 }
    }
}

func conv2dForwardWinogradRoundingMapsUp<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, relu: Bool, wideTransforms: Bool,
    padding: Int = 0, replicatePadding: Bool = false, workspace: Workspace<T>
) {
    let wide = (o + 3) / 4 * 4, pixels = batch * (height - 2) * (width - 2)
    let w = workspace.buffer(widenedSlots.weight, count: 9 * c * wide)
    widenMaps(weight, into: w, rows: 9 * c, narrowCount: o, wideCount: wide)
    let b = bias.map { bias in
        let b = workspace.buffer(widenedSlots.bias, count: wide)
        widenMaps(bias, into: b, rows: 1, narrowCount: o, wideCount: wide)
        return UnsafePointer(b)
    }
    let y = workspace.buffer(widenedSlots.activation, count: pixels * wide)
    conv2dForwardWinograd(output: y, input: input, weight: w, bias: b, batch: batch, inChannels: c, outChannels: wide,
                          height: height, width: width, kernel: 3, largeTiles: true, relu: relu,
                          wideTransforms: wideTransforms, padding: padding, replicatePadding: replicatePadding,
                          workspace: workspace)
    for p in 0..<pixels {
        let dst = output + p * o, src = y + p * wide
        for k in 0..<o { dst[k] = src[k] }
    }
}

func conv2dBackwardWinogradRoundingMapsUp<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
    input: UnsafePointer<T>, weight: UnsafePointer<T>, batch: Int, inChannels c: Int, outChannels o: Int,
    height: Int, width: Int, wideTransforms: Bool, padding: Int = 0, replicatePadding: Bool = false,
    inputActivation: FusedActivation = .none, workspace: Workspace<T>
) {
    let wide = (o + 3) / 4 * 4, pixels = batch * (height - 2) * (width - 2)
    let w = workspace.buffer(widenedSlots.weight, count: 9 * c * wide)
    widenMaps(weight, into: w, rows: 9 * c, narrowCount: o, wideCount: wide)
    let dy = workspace.buffer(widenedSlots.activation, count: pixels * wide)
    widenMaps(dOutput, into: dy, rows: pixels, narrowCount: o, wideCount: wide)
    let dw = workspace.buffer(widenedSlots.weightGradient, count: 9 * c * wide)
    dw.update(repeating: 0, count: 9 * c * wide)
    conv2dBackwardWinograd(dInput: dInput, dWeight: dw, dOutput: dy, input: input, weight: w, batch: batch,
                           inChannels: c, outChannels: wide, height: height, width: width, kernel: 3,
                           largeTiles: true, wideTransforms: wideTransforms, padding: padding,
                           replicatePadding: replicatePadding, inputActivation: inputActivation, workspace: workspace)
    for r in 0..<(9 * c) { for oc in 0..<o { dWeight[r * o + oc] += dw[r * wide + oc] } }
}

// MARK: - Implicit padding (training)

/// Whether a training step's 'same' 3×3 layer runs on its unpadded input with the padding implicit
/// (`conv2dForwardPadded`): the F(4×4, 3×3) layers ConvKernels' transforms run, which read a
/// padded pixel from the edge pixel it copies (or as zero) and send its gradient back there (or
/// drop it), so no padded copy is made forward, nor folded back backward (with ESPCN's 64-map
/// 11×11 activations the copies, their zeroing and the fold cost about as much as the transforms).
func convTakesImplicitPadding<T>(_: T.Type, algorithm: ConvAlgorithm, kernel: Int, inChannels: Int,
                                 outChannels: Int) -> Bool {
    T.self == Float.self && algorithm == .training && kernel == 3 && inChannels % 4 == 0
        && algorithm.resolved(kernel: kernel, inChannels: inChannels, outChannels: outChannels) == .winogradF4x3
        && srlab_vector_level() > 0
}

/// `conv2dForward` (no ReLU) of the `height` × `width` input padded by `padding` on every side by
/// `mode`, without the padded copy; the output is (height + 2·padding − 2) × (width + 2·padding − 2).
/// The same bits as padding first. Only where `convTakesImplicitPadding`.
func conv2dForwardPadded<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, padding: Int, mode: PaddingMode,
    activation: FusedActivation = .none, workspace: Workspace<T>
) {
    precondition(convTakesImplicitPadding(T.self, algorithm: .training, kernel: 3, inChannels: c, outChannels: o))
    let (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding)
    if o % 4 != 0 {
        conv2dForwardWinogradRoundingMapsUp(output: output, input: input, weight: weight, bias: bias, batch: batch,
                                            inChannels: c, outChannels: o, height: paddedHeight, width: paddedWidth,
                                            relu: false, wideTransforms: true, padding: padding,
                                            replicatePadding: mode == .replicate, workspace: workspace)
        return activation.applyEverywhere(output, count: batch * (paddedHeight - 2) * (paddedWidth - 2) * o)
    }
    conv2dForwardWinograd(output: output, input: input, weight: weight, bias: bias, batch: batch, inChannels: c,
                          outChannels: o, height: paddedHeight, width: paddedWidth, kernel: 3, largeTiles: true, relu: false,
                          wideTransforms: true, padding: padding, replicatePadding: mode == .replicate,
                          activation: activation, workspace: workspace)
}

/// The gradients of `conv2dForwardPadded`: dInput (unpadded, written over, unless nil) is what
/// `padBackward` makes of the padded input's (the same bits with zeros; with replication an edge
/// pixel's sum takes its terms in another order); dWeight and dBias accumulate, the same bits.
func conv2dBackwardPadded<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, batch: Int, inChannels c: Int,
    outChannels o: Int, height: Int, width: Int, padding: Int, mode: PaddingMode,
    inputActivation: FusedActivation = .none, workspace: Workspace<T>
) {
    precondition(convTakesImplicitPadding(T.self, algorithm: .training, kernel: 3, inChannels: c, outChannels: o))
    let (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding)
    if let dBias {
        biasBackward(dBias, dOutput: dOutput, pixels: batch * (paddedHeight - 2) * (paddedWidth - 2), channels: o,
                     workspace: workspace)
    }
    if o % 4 != 0 {
        return conv2dBackwardWinogradRoundingMapsUp(dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                                                    weight: weight, batch: batch, inChannels: c, outChannels: o,
                                                    height: paddedHeight, width: paddedWidth, wideTransforms: true,
                                                    padding: padding, replicatePadding: mode == .replicate,
                                                    inputActivation: inputActivation, workspace: workspace)
    }
    conv2dBackwardWinograd(dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input, weight: weight, batch: batch,
                           inChannels: c, outChannels: o, height: paddedHeight, width: paddedWidth, kernel: 3,
                           largeTiles: true, wideTransforms: true, padding: padding, replicatePadding: mode == .replicate,
                           inputActivation: inputActivation, workspace: workspace)
}

// MARK: - Naive references

/// Direct-loop valid convolution, the definition the fast paths are tested against.
public func conv2dForwardNaive<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, relu: Bool = false
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    for n in 0..<batch { for i in 0..<outH { for j in 0..<outW { for o in 0..<outChannels {
        var sum: T = bias?[o] ?? 0
        for dy in 0..<kernel { for dx in 0..<kernel { for c in 0..<inChannels {
            sum += weight[((dy * kernel + dx) * inChannels + c) * outChannels + o]
                * input[((n * height + i + dy) * width + j + dx) * inChannels + c]
        } } }
        output[((n * outH + i) * outW + j) * outChannels + o] = relu ? max(0, sum) : sum
    } } } }
}

/// Direct-loop gradients of `conv2dForwardNaive` (without ReLU); writes dInput and accumulates
/// dWeight and dBias like the fast one.
public func conv2dBackwardNaive<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int
) {
    let outH = height - kernel + 1, outW = width - kernel + 1
    dInput?.update(repeating: 0, count: batch * height * width * inChannels)
    for n in 0..<batch { for i in 0..<outH { for j in 0..<outW { for o in 0..<outChannels {
        let g = dOutput[((n * outH + i) * outW + j) * outChannels + o]
        dBias?[o] += g
        for dy in 0..<kernel { for dx in 0..<kernel { for c in 0..<inChannels {
            let wi = ((dy * kernel + dx) * inChannels + c) * outChannels + o
            let xi = ((n * height + i + dy) * width + j + dx) * inChannels + c
            dWeight[wi] += g * input[xi]
            dInput?[xi] += g * weight[wi]
        } } }
    } } } }
}
