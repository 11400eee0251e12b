// Edge-replication padding of NHWC activations: the authors' imfilter(…, 'replicate'), which keeps
// each SRCNN layer's output the size of its input. Shapes as in Conv2D.swift.

/// Writes the input padded by `top`, `bottom`, `left`, `right` pixels, each new pixel a copy of
/// the nearest edge pixel. `output` is N × (H+top+bottom) × (W+left+right) × C.
public func replicatePad<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, batch: Int,
    height: Int, width: Int, channels: Int, top: Int, bottom: Int, left: Int, right: Int
) {
    precondition(height > 0 && width > 0, "replicatePad: empty input")
    let outH = height + top + bottom, outW = width + left + right
    for n in 0..<batch {
        for y in 0..<outH {
            let sy = min(max(y - top, 0), height - 1)
            let src = input + (n * height + sy) * width * channels
            let dst = output + (n * outH + y) * outW * channels
            for x in 0..<left { (dst + x * channels).update(from: src, count: channels) }
            (dst + left * channels).update(from: src, count: width * channels)
            let last = src + (width - 1) * channels
            for x in (left + width)..<outW { (dst + x * channels).update(from: last, count: channels) }
        }
    }
}
