import LinearAlgebra

// Transposed convolution ("deconvolution") with stride s: FSRCNN's last layer, which turns LR
// feature maps into the HR image. Shapes and conventions as in Conv2D.swift, plus:
//   s = stride (the scale factor), p = padding (rows and columns cropped at the top and left).
//   Input  N × H × W × C (NHWC), output N × (s·H) × (s·W) × O (NHWC): exactly s times the input.
//   Weight [C, k, k, O] row-major: w[((c·k + dy)·k + dx)·O + o], a [C × k·k·O] matrix, so that
//     the forward pass is ONE GEMM X [pixels × C] · W [C × k²O]. (Input channel outermost, the
//     order of PyTorch's ConvTranspose2d weight [C, O, k, k] with O moved innermost.)
// Definition (the adjoint of a stride-s valid cross-correlation; PyTorch's ConvTranspose2d and
// Caffe's Deconvolution): every LR pixel stamps its kernel onto the HR grid at stride s,
//   full[n, i·s + dy, j·s + dx, o] = Σ x[n, i, j, c] · w[c, dy, dx, o]     (side (H − 1)·s + k)
//   y[n, u, v, o] = b[o] + full[n, u + p, v + p, o],   0 ≤ u < s·H, 0 ≤ v < s·W,
// positions outside `full` contributing nothing (the output is the s·H × s·W window at (p, p)).
// This equals PyTorch's ConvTranspose2d(k, stride: s, padding: p, output_padding: s + 2p − k)
// whenever 0 ≤ s + 2p − k < s.
//
// FSRCNN's padding rule (`fsrcnnDeconvolutionPadding`): p = ⌊(k − s)/2⌋ (3 for 9×9 at ×3). The
// kernel's centre tap (k − 1)/2 then lands on HR row i·s + (s − 1)/2, the centre of LR pixel i
// under MATLAB's imresize geometry, for odd s; for even s no integer padding can, and it lands
// half an HR pixel below and right of it. PyTorch ports usually take p = k/2 with
// output_padding s − 1 instead, which shifts the output by (s − 1)/2 pixels relative to this
// rule (a learned kernel absorbs it; weights moved between the two conventions must be shifted).
//
// Two fast paths: GEMM + col2im here (cols = X·W, then each HR pixel gathers its ≤ ⌈k/s⌉² taps),
// and s² ordinary convolutions on the LR grid (SubPixelDeconvolution.swift); the naive loops
// below are the definition both are tested against.

/// FSRCNN's deconvolution padding for a k×k kernel at stride s (see the file header): ⌊(k − s)/2⌋.
public func fsrcnnDeconvolutionPadding(kernel: Int, stride: Int) -> Int { max(0, (kernel - stride) / 2) }

/// The valid range of a transposed convolution's settings; traps with the reason otherwise.
func checkTransposedConvolution(kernel: Int, stride: Int, padding: Int, height: Int, width: Int) {
    precondition(kernel >= 1 && stride >= 1, "conv2dTranspose: kernel \(kernel) and stride \(stride) must be at least 1")
    precondition(padding >= 0 && padding < kernel, "conv2dTranspose: padding \(padding) must be in 0..<\(kernel) (the kernel side)")
    precondition(height >= 1 && width >= 1, "conv2dTranspose: empty \(height)×\(width) input")
}

// MARK: - GEMM + col2im

/// Transposed convolution, NHWC in and out, [C, k, k, O] weights, optional bias (see the file
/// header for the definition and the padding rule). `output` holds N·(s·H)·(s·W)·O elements and
/// is overwritten.
///
/// LR rows are taken in chunks: cols [rows·W × k²O] = X·W in one GEMM, then every HR row the
/// chunk reaches gathers its taps (dy ≡ u + p mod s), one thread per HR row, in a fixed order.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dTransposeForward<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, stride: Int, padding: Int, workspace: Workspace<T>
) {
    checkTransposedConvolution(kernel: kernel, stride: stride, padding: padding, height: height, width: width)
    let (k, s, p, o) = (kernel, stride, padding, outChannels)
    let outH = s * height, outW = s * width, taps = k * k * o
    output.update(repeating: 0, count: batch * outH * outW * o)
    let totalRows = batch * height
    let rowsPerChunk = max(1, min(totalRows, chunkElementLimit / (width * taps)))
    let columns = workspace.buffer(8, count: rowsPerChunk * width * taps)
    var first = 0
    while first < totalRows {
        let rows = min(rowsPerChunk, totalRows - first)
        rowMajorGemm(m: rows * width, n: taps, k: inChannels, a: input + first * width * inChannels, lda: inChannels,
                     b: weight, ldb: taps, beta: 0, c: columns, ldc: taps)
        // The chunk may span images; each image's LR rows iLo..<iHi reach HR rows uLo...uHi.
        var n = first / height
        while n * height < first + rows {
            let iLo = max(first, n * height) - n * height, iHi = min(first + rows, (n + 1) * height) - n * height
            let uLo = max(0, iLo * s - p), uHi = min(outH - 1, (iHi - 1) * s + k - 1 - p)
            if uLo <= uHi {
                ConvNetThreads.forEachRange(uHi - uLo + 1, costPerItem: width * k * taps / max(1, s)) { part in
                    for r in part {
                        let u = uLo + r
                        let dst = output + (n * outH + u) * outW * o
                        for dy in 0..<k {
                            let shifted = u + p - dy
                            guard shifted >= 0, shifted % s == 0 else { continue }
                            let i = shifted / s
                            guard i >= iLo, i < iHi else { continue }
                            let src = columns + (n * height + i - first) * width * taps + dy * k * o
                            // Pixel j's kernel row dy lands on HR columns j·s − p ..< j·s − p + k: one
                            // contiguous run of k·O values, clipped at the edges.
                            for j in 0..<width {
                                let v0 = j * s - p, lo = max(0, -v0), hi = min(k, outW - v0)
                                guard lo < hi else { continue }
                                addRun(dst + (v0 + lo) * o, src + j * taps + lo * o, count: (hi - lo) * o)
                            }
                        }
                    }
                }
            }
            n += 1
        }
        first += rows
    }
    addBiasReLU(output, pixels: batch * outH * outW, channels: o, bias: bias, relu: false)
}

/// Gradients of `conv2dTransposeForward`. Accumulates dWeight ([C, k, k, O]) and dBias; writes
/// dInput unless nil. With dCols[(n,i,j), (dy,dx,o)] = dY[n, i·s + dy − p, j·s + dx − p, o] (zero
/// outside the output) — im2col of dY at stride s — dW += Xᵀ·dCols and dX = dCols·Wᵀ.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dTransposeBackward<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
    kernel: Int, stride: Int, padding: Int, workspace: Workspace<T>
) {
    checkTransposedConvolution(kernel: kernel, stride: stride, padding: padding, height: height, width: width)
    let (k, s, p, o, c) = (kernel, stride, padding, outChannels, inChannels)
    let outH = s * height, outW = s * width, taps = k * k * o
    if let dBias { biasBackward(dBias, dOutput: dOutput, pixels: batch * outH * outW, channels: o, workspace: workspace) }
    let totalRows = batch * height
    let rowsPerChunk = max(1, min(totalRows, chunkElementLimit / (width * taps)))
    let dColumns = workspace.buffer(8, count: rowsPerChunk * width * taps)
    var first = 0
    while first < totalRows {
        let rows = min(rowsPerChunk, totalRows - first)
        ConvNetThreads.forEachRange(rows, costPerItem: width * taps) { part in
            for r in part {
                let n = (first + r) / height, i = (first + r) % height
                var dst = dColumns + r * width * taps
                for j in 0..<width {
                    // Kernel row dy of pixel j reads HR row u, columns j·s − p ..< j·s − p + k (zero outside).
                    let v0 = j * s - p, lo = max(0, -v0), hi = max(lo, min(k, outW - v0))
                    for dy in 0..<k {
                        let u = i * s + dy - p
                        if u >= 0 && u < outH && lo < hi {
                            if lo > 0 { dst.update(repeating: 0, count: lo * o) }
                            copyRun(dst + lo * o, dOutput + ((n * outH + u) * outW + v0 + lo) * o, count: (hi - lo) * o)
                            if hi < k { (dst + hi * o).update(repeating: 0, count: (k - hi) * o) }
                        } else {
                            dst.update(repeating: 0, count: k * o)
                        }
                        dst += k * o
                    }
                }
            }
        }
        let x = input + first * width * c
        rowMajorGemm(transposeA: true, m: c, n: taps, k: rows * width, a: x, lda: c,
                     b: dColumns, ldb: taps, beta: 1, c: dWeight, ldc: taps)
        if let dInput {
            rowMajorGemm(transposeB: true, m: rows * width, n: c, k: taps, a: dColumns, lda: taps,
                         b: weight, ldb: taps, beta: 0, c: dInput + first * width * c, ldc: c)
        }
        first += rows
    }
}

// MARK: - Naive references

/// Direct-loop transposed convolution: every LR pixel stamps its kernel, the definition.
public func conv2dTransposeForwardNaive<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, stride: Int, padding: Int
) {
    let (k, s, p, o) = (kernel, stride, padding, outChannels)
    let outH = s * height, outW = s * width
    for e in 0..<(batch * outH * outW) { for oc in 0..<o { output[e * o + oc] = bias?[oc] ?? 0 } }
    for n in 0..<batch { for i in 0..<height { for j in 0..<width { for c in 0..<inChannels {
        let x = input[((n * height + i) * width + j) * inChannels + c]
        for dy in 0..<k { for dx in 0..<k {
            let u = i * s + dy - p, v = j * s + dx - p
            guard u >= 0, u < outH, v >= 0, v < outW else { continue }
            for oc in 0..<o {
                output[((n * outH + u) * outW + v) * o + oc] += x * weight[((c * k + dy) * k + dx) * o + oc]
            }
        } }
    } } } }
}

/// Direct-loop gradients of `conv2dTransposeForwardNaive`; writes dInput and accumulates dWeight
/// and dBias like the fast one.
public func conv2dTransposeBackwardNaive<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
    kernel: Int, stride: Int, padding: Int
) {
    let (k, s, p, o) = (kernel, stride, padding, outChannels)
    let outH = s * height, outW = s * width
    dInput?.update(repeating: 0, count: batch * height * width * inChannels)
    if let dBias {
        for e in 0..<(batch * outH * outW) { for oc in 0..<o { dBias[oc] += dOutput[e * o + oc] } }
    }
    for n in 0..<batch { for i in 0..<height { for j in 0..<width { for c in 0..<inChannels {
        let xi = ((n * height + i) * width + j) * inChannels + c
        for dy in 0..<k { for dx in 0..<k {
            let u = i * s + dy - p, v = j * s + dx - p
            guard u >= 0, u < outH, v >= 0, v < outW else { continue }
            for oc in 0..<o {
                let g = dOutput[((n * outH + u) * outW + v) * o + oc]
                let wi = ((c * k + dy) * k + dx) * o + oc
                dWeight[wi] += g * input[xi]
                dInput?[xi] += g * weight[wi]
            }
        } }
    } } } }
}
