import LinearAlgebra

// The transposed convolution's second fast path: s² ordinary convolutions on the LR grid, run as
// ONE convolution with O·s² output maps followed by a pixel shuffle (the equivalence ESPCN's
// paper points out). Shapes, weights and definition as in TransposedConv2D.swift.
//
// HR pixel u = q·s + r (phase r) receives tap dy = (q − i)·s + r + p from LR row i. Writing
// i = q + m − before, the taps of phase r are a cross-correlation over m ∈ [0, side) on the LR
// grid, zero-padded by `before` rows above and `after` below:
//   before = ⌊(k − 1 − p)/s⌋,  after = ⌊(s − 1 + p)/s⌋,  side = before + after + 1,
//   w'[m_y, m_x, c, (o·s + r_y)·s + r_x] = w[c, (before − m_y)·s + r_y + p, (before − m_x)·s + r_x + p, o]
// (zero where that tap falls outside the k×k kernel). For 9×9 at ×3 with p = 3: a 3×3 convolution
// to 9·O maps, the same k²·C multiplications per LR pixel as the GEMM path; at ×2 (5×5, 100 taps
// for 81) and ×4 (3×3, 144 for 81) some taps are structural zeros.

/// The sub-pixel convolution's kernel side and its zero padding above/left and below/right.
func subPixelGeometry(kernel k: Int, stride s: Int, padding p: Int) -> (side: Int, before: Int, after: Int) {
    let before = (k - 1 - p) / s, after = (s - 1 + p) / s
    return (before + after + 1, before, after)
}

/// HWIO weights of the sub-pixel convolution from the transposed convolution's [C, k, k, O] ones.
func subPixelWeights<T: BinaryFloatingPoint>(_ w: UnsafePointer<T>, into sub: UnsafeMutablePointer<T>,
                                            inChannels c: Int, outChannels o: Int, kernel k: Int, stride s: Int, padding p: Int) {
    let g = subPixelGeometry(kernel: k, stride: s, padding: p), maps = o * s * s
    sub.update(repeating: 0, count: g.side * g.side * c * maps)
    forEachSubPixelTap(kernel: k, stride: s, padding: p) { dy, dx, my, mx, ry, rx in
        for ci in 0..<c { for oc in 0..<o {
            sub[((my * g.side + mx) * c + ci) * maps + (oc * s + ry) * s + rx] = w[((ci * k + dy) * k + dx) * o + oc]
        } }
    }
}

/// dW[c, dy, dx, o] += dW'[…] through the same map (each kernel tap is one sub-pixel tap).
func addSubPixelWeightGradient<T: BinaryFloatingPoint>(_ sub: UnsafePointer<T>, into dw: UnsafeMutablePointer<T>,
                                                      inChannels c: Int, outChannels o: Int, kernel k: Int, stride s: Int, padding p: Int) {
    let g = subPixelGeometry(kernel: k, stride: s, padding: p), maps = o * s * s
    forEachSubPixelTap(kernel: k, stride: s, padding: p) { dy, dx, my, mx, ry, rx in
        for ci in 0..<c { for oc in 0..<o {
            dw[((ci * k + dy) * k + dx) * o + oc] += sub[((my * g.side + mx) * c + ci) * maps + (oc * s + ry) * s + rx]
        } }
    }
}

/// Calls `body(dy, dx, m_y, m_x, r_y, r_x)` for every kernel tap and its place in the sub-pixel kernel.
func forEachSubPixelTap(kernel k: Int, stride s: Int, padding p: Int,
                                _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    let before = subPixelGeometry(kernel: k, stride: s, padding: p).before
    // dy = (before − m)·s + r + p  ⇔  r = (dy − p) mod s, m = before − (dy − p − r)/s.
    func place(_ d: Int) -> (m: Int, r: Int) {
        let r = ((d - p) % s + s) % s
        return (before - (d - p - r) / s, r)
    }
    for dy in 0..<k {
        let y = place(dy)
        for dx in 0..<k {
            let x = place(dx)
            body(dy, dx, y.m, x.m, y.r, x.r)
        }
    }
}

/// `conv2dTransposeForward` computed as a convolution on the zero-padded LR input to O·s² maps,
/// then a pixel shuffle and the bias. `algorithm` picks the inner convolution's formulation.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dTransposeForwardSubPixel<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels: Int, outChannels: Int,
    height: Int, width: Int, kernel: Int, stride: Int, padding: Int,
    algorithm: ConvAlgorithm = .automatic, workspace: Workspace<T>
) {
    checkTransposedConvolution(kernel: kernel, stride: stride, padding: padding, height: height, width: width)
    let (s, c, o) = (stride, inChannels, outChannels)
    let g = subPixelGeometry(kernel: kernel, stride: s, padding: padding), maps = o * s * s
    let paddedH = height + g.side - 1, paddedW = width + g.side - 1
    let padded = workspace.buffer(9, count: batch * paddedH * paddedW * c)
    let z = workspace.buffer(10, count: batch * height * width * maps)
    let sub = workspace.buffer(11, count: g.side * g.side * c * maps)
    subPixelWeights(weight, into: sub, inChannels: c, outChannels: o, kernel: kernel, stride: s, padding: padding)
    zeroPad(output: padded, input: input, batch: batch, height: height, width: width, channels: c,
            top: g.before, bottom: g.after, left: g.before, right: g.after)
    conv2dForward(output: z, input: padded, weight: sub, bias: nil, batch: batch, inChannels: c, outChannels: maps,
                  height: paddedH, width: paddedW, kernel: g.side, algorithm: algorithm, workspace: workspace)
    pixelShuffleForward(output: output, input: z, batch: batch, height: height, width: width, outChannels: o, factor: s)
    addBiasReLU(output, pixels: batch * height * width * s * s, channels: o, bias: bias, relu: false)
}

/// Gradients of the transposed convolution through the sub-pixel form: the output gradient
/// unshuffled, the inner convolution's backward, its weight gradient mapped back to the kernel
/// taps and its input gradient cropped. Accumulates dWeight and dBias; writes dInput unless nil.
@_specialize(where T == Float)
@_specialize(where T == Double)
public func conv2dTransposeBackwardSubPixel<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
    kernel: Int, stride: Int, padding: Int, algorithm: ConvAlgorithm = .automatic, workspace: Workspace<T>
) {
    checkTransposedConvolution(kernel: kernel, stride: stride, padding: padding, height: height, width: width)
    let (s, c, o) = (stride, inChannels, outChannels)
    let g = subPixelGeometry(kernel: kernel, stride: s, padding: padding), maps = o * s * s
    let paddedH = height + g.side - 1, paddedW = width + g.side - 1
    if let dBias { biasBackward(dBias, dOutput: dOutput, pixels: batch * height * width * s * s, channels: o, workspace: workspace) }
    let padded = workspace.buffer(9, count: batch * paddedH * paddedW * c)
    let dz = workspace.buffer(10, count: batch * height * width * maps)
    let sub = workspace.buffer(11, count: g.side * g.side * c * maps)
    let dSub = workspace.buffer(12, count: g.side * g.side * c * maps)
    let dPadded = dInput == nil ? nil : workspace.buffer(13, count: batch * paddedH * paddedW * c)
    subPixelWeights(weight, into: sub, inChannels: c, outChannels: o, kernel: kernel, stride: s, padding: padding)
    zeroPad(output: padded, input: input, batch: batch, height: height, width: width, channels: c,
            top: g.before, bottom: g.after, left: g.before, right: g.after)
    pixelShuffleBackward(dInput: dz, dOutput: dOutput, batch: batch, height: height, width: width, outChannels: o, factor: s)
    dSub.update(repeating: 0, count: g.side * g.side * c * maps)
    conv2dBackward(dInput: dPadded, dWeight: dSub, dBias: nil, dOutput: dz, input: padded, weight: sub,
                   batch: batch, inChannels: c, outChannels: maps, height: paddedH, width: paddedW, kernel: g.side,
                   algorithm: algorithm, workspace: workspace)
    addSubPixelWeightGradient(dSub, into: dWeight, inChannels: c, outChannels: o, kernel: kernel, stride: s, padding: padding)
    if let dInput, let dPadded {
        zeroPadBackward(dInput: dInput, dOutput: dPadded, batch: batch, height: height, width: width, channels: c,
                        top: g.before, bottom: g.after, left: g.before, right: g.after)
    }
}
