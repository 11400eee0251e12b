// Padding for 'same'-size layers and the adjoints the backward passes need. Shapes as in
// Conv2D.swift: input N × H × W × C, output N × (H+top+bottom) × (W+left+right) × C.
// Two rules: edge replication (`replicatePad`, Padding.swift: the authors' MATLAB imfilter(…,
// 'replicate'), what SRCNN's inference uses) and zeros (PyTorch's Conv2d(padding:)).

/// Which values a 'same' convolution reads beyond the image border.
public enum PaddingMode: String, Sendable, Codable, Equatable {
    /// Copies of the nearest edge pixel (MATLAB `imfilter(…, 'replicate')`, the authors' code).
    case replicate
    /// Zeros (PyTorch's `Conv2d(padding:)`).
    case zero
}

/// Writes the input surrounded by zeros. `output` is overwritten.
public func zeroPad<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, channels: Int, top: Int, bottom: Int, left: Int, right: Int
) {
    let outH = height + top + bottom, outW = width + left + right
    guard height > 0 else { return output.update(repeating: 0, count: batch * outH * outW * channels) }
    // Only the border is zeroed: the interior is written once, by the copy.
    for n in 0..<batch {
        let image = output + n * outH * outW * channels
        image.update(repeating: 0, count: (top * outW + left) * channels)
        for y in 0..<height {
            let row = image + ((y + top) * outW + left) * channels
            row.update(from: input + (n * height + y) * width * channels, count: width * channels)
            // This row's right border and the next row's left one (the last row's runs into the bottom rows).
            (row + width * channels).update(repeating: 0, count: y + 1 < height ? (right + left) * channels
                                                                                  : (right + bottom * outW) * channels)
        }
    }
}

/// The adjoint of `zeroPad`: the interior of the padded gradient. `dInput` is overwritten.
public func zeroPadBackward<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, channels: Int, top: Int, bottom: Int, left: Int, right: Int
) {
    let outH = height + top + bottom, outW = width + left + right
    for n in 0..<batch {
        for y in 0..<height {
            (dInput + (n * height + y) * width * channels)
                .update(from: dOutput + ((n * outH + y + top) * outW + left) * channels, count: width * channels)
        }
    }
}

/// The adjoint of `replicatePad`: each input pixel receives the gradients of itself and of every
/// padded copy of it (an edge pixel's copies, a corner pixel's whole corner block).
/// `dInput` is overwritten; images run in parallel, each summed in row-major order.
public func replicatePadBackward<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, channels: Int, top: Int, bottom: Int, left: Int, right: Int
) {
    let outH = height + top + bottom, outW = width + left + right
    ConvNetThreads.forEachRange(batch, costPerItem: outH * outW * channels) { part in
        for n in part {
            let image = dInput + n * height * width * channels
            image.update(repeating: 0, count: height * width * channels)
            // Row-major over the padded gradient, as the definition; the interior of a row is one run.
            for y in 0..<outH {
                let sy = min(max(y - top, 0), height - 1)
                let src = dOutput + (n * outH + y) * outW * channels, row = image + sy * width * channels
                for x in 0..<left { addRun(row, src + x * channels, count: channels) }
                addRun(row, src + left * channels, count: width * channels)
                let last = row + (width - 1) * channels
                for x in (left + width)..<outW { addRun(last, src + x * channels, count: channels) }
            }
        }
    }
}

/// Pads by `mode`.
func pad<T: BinaryFloatingPoint>(_ mode: PaddingMode, output: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                 batch: Int, height: Int, width: Int, channels: Int, by p: Int) {
    switch mode {
    case .replicate:
        replicatePad(output: output, input: input, batch: batch, height: height, width: width, channels: channels,
                     top: p, bottom: p, left: p, right: p)
    case .zero:
        zeroPad(output: output, input: input, batch: batch, height: height, width: width, channels: channels,
                top: p, bottom: p, left: p, right: p)
    }
}

/// The adjoint of `pad`.
func padBackward<T: BinaryFloatingPoint>(_ mode: PaddingMode, dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                         batch: Int, height: Int, width: Int, channels: Int, by p: Int) {
    switch mode {
    case .replicate:
        replicatePadBackward(dInput: dInput, dOutput: dOutput, batch: batch, height: height, width: width,
                             channels: channels, top: p, bottom: p, left: p, right: p)
    case .zero:
        zeroPadBackward(dInput: dInput, dOutput: dOutput, batch: batch, height: height, width: width,
                        channels: channels, top: p, bottom: p, left: p, right: p)
    }
}
