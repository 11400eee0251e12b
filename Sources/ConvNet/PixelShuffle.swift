// Pixel shuffle (depth to space): ESPCN's sub-pixel upscaling, shapes as in Conv2D.swift with
// r = the factor. Input N × H × W × (C·r²), output N × (r·H) × (r·W) × C, both NHWC.
// Channel order is PyTorch's nn.PixelShuffle (on NCHW: out[n, c, y·r + i, x·r + j] =
// in[n, c·r² + i·r + j, y, x]), here in NHWC:
//   y[n, Y·r + i, X·r + j, c] = x[n, Y, X, (c·r + i)·r + j]
// so a one-map network's last convolution gives the r² sub-pixels of each LR pixel in row-major
// order (channel i·r + j is sub-pixel row i, column j). No parameters, no padding: a permutation,
// whose backward is the inverse permutation (space to depth).

/// Depth to space, PyTorch's channel order (see the file header). `output` is overwritten.
public func pixelShuffleForward<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, outChannels: Int, factor: Int
) {
    let r = factor, c = outChannels, inC = c * r * r, outW = width * r
    // One output row (n, Y·r + i) per item: its pixels read input row (n, Y) at channel offset i·r.
    ConvNetThreads.forEachRange(batch * height * r, costPerItem: outW * c) { part in
        for row in part {
            let image = row / (height * r), y = (row / r) % height, i = row % r
            let src = input + (image * height + y) * width * inC
            var dst = output + row * outW * c
            if c == 1 {
                // Channel i·r … i·r + r − 1 of each input pixel is a run of r output pixels.
                for x in 0..<width {
                    let from = src + x * inC + i * r
                    for j in 0..<r { dst[j] = from[j] }
                    dst += r
                }
            } else {
                for x in 0..<width {
                    let from = src + x * inC + i * r
                    for j in 0..<r {
                        for ch in 0..<c { dst[ch] = from[ch * r * r + j] }
                        dst += c
                    }
                }
            }
        }
    }
}

/// Space to depth: the gradient of `pixelShuffleForward` (its inverse permutation).
/// `dInput` (N × H × W × C·r²) is overwritten.
public func pixelShuffleBackward<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, outChannels: Int, factor: Int
) {
    let r = factor, c = outChannels, inC = c * r * r, outW = width * r
    // One input row (n, Y) per item: it gathers output rows Y·r … Y·r + r − 1.
    ConvNetThreads.forEachRange(batch * height, costPerItem: width * inC) { part in
        for row in part {
            let dst = dInput + row * width * inC
            for i in 0..<r {
                let src = dOutput + (row * r + i) * outW * c
                if c == 1 {
                    // A run of r output pixels is channels i·r … i·r + r − 1 of one input pixel.
                    for x in 0..<width { for j in 0..<r { dst[x * inC + i * r + j] = src[x * r + j] } }
                    continue
                }
                for x in 0..<width {
                    let to = dst + x * inC + i * r
                    for j in 0..<r {
                        let from = src + (x * r + j) * c
                        for ch in 0..<c { to[ch * r * r + j] = from[ch] }
                    }
                }
            }
        }
    }
}

/// The definition, one output element at a time.
public func pixelShuffleForwardNaive<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, outChannels: Int, factor: Int
) {
    let r = factor, c = outChannels
    for n in 0..<batch { for yy in 0..<(height * r) { for xx in 0..<(width * r) { for ch in 0..<c {
        let y = yy / r, i = yy % r, x = xx / r, j = xx % r
        output[((n * height * r + yy) * width * r + xx) * c + ch] =
            input[((n * height + y) * width + x) * c * r * r + (ch * r + i) * r + j]
    } } } }
}

/// The gradient by its definition: each input element receives the one output element it became.
public func pixelShuffleBackwardNaive<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, outChannels: Int, factor: Int
) {
    let r = factor, c = outChannels
    for n in 0..<batch { for y in 0..<height { for x in 0..<width { for k in 0..<(c * r * r) {
        let ch = k / (r * r), i = (k / r) % r, j = k % r
        dInput[((n * height + y) * width + x) * c * r * r + k] =
            dOutput[((n * height * r + y * r + i) * width * r + x * r + j) * c + ch]
    } } } }
}
