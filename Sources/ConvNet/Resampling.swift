// Max-pooling and nearest-neighbour upsampling, the encoder-decoder layers of the Keras project's
// Deep denoising SR (MaxPooling2D, UpSampling2D). NHWC as in Conv2D.swift; input N × H × W × C.
//
// Max-pool by s: non-overlapping s×s windows, output ⌊H/s⌋ × ⌊W/s⌋ (Keras's padding='valid':
// rows and columns beyond the last whole window are dropped). Its gradient goes to the window's
// maximum, the first in row-major order on a tie, and nowhere else.
// Upsample by s: each pixel repeated into an s×s block (Keras's UpSampling2D, interpolation
// 'nearest'), output s·H × s·W; its gradient sums each block.

/// y[n, i, j, c] = max over the s×s window at (s·i, s·j). `output` is overwritten.
public func maxPoolForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
                                                   height: Int, width: Int, channels: Int, size s: Int) {
    let outH = height / s, outW = width / s
    ConvNetThreads.forEachRange(batch * outH, costPerItem: outW * s * s * channels) { rows in
        for row in rows {
            let n = row / outH, i = row % outH
            for j in 0..<outW {
                let y = output + ((n * outH + i) * outW + j) * channels
                let corner = input + ((n * height + s * i) * width + s * j) * channels
                y.update(from: corner, count: channels)
                for a in 0..<s {
                    for b in 0..<s where a > 0 || b > 0 {
                        let x = corner + (a * width + b) * channels
                        for c in 0..<channels where x[c] > y[c] { y[c] = x[c] }
                    }
                }
            }
        }
    }
}

/// dx = dy at each window's first maximum, 0 elsewhere (also in the dropped rows and columns).
/// Recomputes the maxima from the input. `dInput` is overwritten.
public func maxPoolBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                    input: UnsafePointer<T>, batch: Int, height: Int, width: Int,
                                                    channels: Int, size s: Int) {
    let outH = height / s, outW = width / s
    dInput.update(repeating: 0, count: batch * height * width * channels)
    ConvNetThreads.forEachRange(batch * outH, costPerItem: outW * s * s * channels) { rows in
        for row in rows {
            let n = row / outH, i = row % outH
            for j in 0..<outW {
                let offset = ((n * height + s * i) * width + s * j) * channels
                let g = dOutput + ((n * outH + i) * outW + j) * channels
                for c in 0..<channels {
                    var best = offset + c
                    for a in 0..<s {
                        for b in 0..<s {
                            let at = offset + (a * width + b) * channels + c
                            if input[at] > input[best] { best = at }
                        }
                    }
                    dInput[best] = g[c]
                }
            }
        }
    }
}

/// y[n, i, j, c] = x[n, ⌊i/s⌋, ⌊j/s⌋, c]. `output` is overwritten.
public func upsampleForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
                                                    height: Int, width: Int, channels: Int, factor s: Int) {
    let outW = width * s
    ConvNetThreads.forEachRange(batch * height, costPerItem: outW * s * channels) { rows in
        for row in rows {
            let source = input + row * width * channels
            let first = output + row * s * outW * channels
            for x in 0..<width {
                for b in 0..<s { (first + (x * s + b) * channels).update(from: source + x * channels, count: channels) }
            }
            for a in 1..<max(s, 1) { (first + a * outW * channels).update(from: first, count: outW * channels) }
        }
    }
}

/// dx = the sum of dy over each s×s block. `dInput` is overwritten.
public func upsampleBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, batch: Int,
                                                     height: Int, width: Int, channels: Int, factor s: Int) {
    let outW = width * s
    ConvNetThreads.forEachRange(batch * height, costPerItem: outW * s * channels) { rows in
        for row in rows {
            let dx = dInput + row * width * channels
            dx.update(repeating: 0, count: width * channels)
            for a in 0..<s {
                let dy = dOutput + (row * s + a) * outW * channels
                for x in 0..<width {
                    for b in 0..<s {
                        let from = dy + (x * s + b) * channels, to = dx + x * channels
                        for c in 0..<channels { to[c] += from[c] }
                    }
                }
            }
        }
    }
}

// MARK: - Naive references

/// Max-pooling by its definition, one output element at a time.
public func maxPoolForwardNaive<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
                                                        height: Int, width: Int, channels: Int, size s: Int) {
    let outH = height / s, outW = width / s
    for n in 0..<batch { for i in 0..<outH { for j in 0..<outW { for c in 0..<channels {
        var m = -T.infinity
        for a in 0..<s { for b in 0..<s { m = max(m, input[((n * height + s * i + a) * width + s * j + b) * channels + c]) } }
        output[((n * outH + i) * outW + j) * channels + c] = m
    } } } }
}

/// Nearest-neighbour upsampling by its definition, one output element at a time.
public func upsampleForwardNaive<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
                                                         height: Int, width: Int, channels: Int, factor s: Int) {
    let outH = height * s, outW = width * s
    for n in 0..<batch { for i in 0..<outH { for j in 0..<outW { for c in 0..<channels {
        output[((n * outH + i) * outW + j) * channels + c] = input[((n * height + i / s) * width + j / s) * channels + c]
    } } } }
}
