// PReLU (He et al. 2015), FSRCNN's activation: one trained slope per channel,
//   y[p, c] = x[p, c]            if x[p, c] > 0
//           = a[c] · x[p, c]     otherwise,
// over `pixels` rows of `channels` (NHWC flattened: p runs over n, y, x; channels innermost).
// PyTorch's nn.PReLU(num_parameters: C) is the same function. The backward pass needs the input
// (the slope may be zero or negative, so the output does not tell the sign of x).

/// Pixels per block of the slope gradient's partial sums: fixed, so the sum's order (and its
/// rounding) does not depend on the thread count.
let preluBlockPixels = 256

/// y = PReLU(x) with per-channel slopes. `output` may be `input` (in place).
public func preluForward<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, slope: UnsafePointer<T>,
    pixels: Int, channels: Int
) {
    ConvNetThreads.forEachRange(pixels, costPerItem: channels) { part in
        if T.self == Float.self && channels % Vector.scalarCount == 0 {
            preluForwardFloat(UnsafeMutableRawPointer(output + part.lowerBound * channels).assumingMemoryBound(to: Float.self),
                              UnsafeRawPointer(input + part.lowerBound * channels).assumingMemoryBound(to: Float.self),
                              slope: UnsafeRawPointer(slope).assumingMemoryBound(to: Float.self),
                              pixels: part.count, channels: channels)
            return
        }
        for p in part {
            let x = input + p * channels, y = output + p * channels
            for c in 0..<channels { y[c] = x[c] > 0 ? x[c] : slope[c] * x[c] }
        }
    }
}

/// dx = dy where x > 0, else a[c]·dy (overwrites `dInput`, which may be `dOutput`);
/// dSlope[c] += Σ_p dy·x over the pixels where x ≤ 0. The slope sums run in fixed blocks of
/// `preluBlockPixels` pixels, added in block order.
public func preluBackward<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dSlope: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
    input: UnsafePointer<T>, slope: UnsafePointer<T>, pixels: Int, channels: Int
) {
    let blocks = (pixels + preluBlockPixels - 1) / preluBlockPixels
    var partial = [T](repeating: 0, count: blocks * channels)
    partial.withUnsafeMutableBufferPointer { partial in
        let sums = partial.baseAddress!
        ConvNetThreads.forEachRange(blocks, costPerItem: preluBlockPixels * channels) { part in
            for b in part {
                let sum = sums + b * channels
                let first = b * preluBlockPixels, end = min(pixels, (b + 1) * preluBlockPixels)
                if T.self == Float.self && channels % Vector.scalarCount == 0 {
                    func float(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                    preluBackwardFloat(dInput: UnsafeMutableRawPointer(dInput + first * channels).assumingMemoryBound(to: Float.self),
                                       slopeSums: UnsafeMutableRawPointer(sum).assumingMemoryBound(to: Float.self),
                                       dOutput: float(dOutput + first * channels), input: float(input + first * channels),
                                       slope: float(slope), pixels: end - first, channels: channels)
                    continue
                }
                for p in first..<end {
                    let x = input + p * channels, g = dOutput + p * channels, d = dInput + p * channels
                    for c in 0..<channels {
                        let gc = g[c], xc = x[c]
                        if xc > 0 {
                            d[c] = gc
                        } else {
                            d[c] = slope[c] * gc
                            sum[c] += gc * xc
                        }
                    }
                }
            }
        }
        for b in 0..<blocks { for c in 0..<channels { dSlope[c] += sums[b * channels + c] } }
    }
}

/// The definition, element by element.
public func preluForwardNaive<T: BinaryFloatingPoint>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, slope: UnsafePointer<T>,
    pixels: Int, channels: Int
) {
    for p in 0..<pixels { for c in 0..<channels {
        let x = input[p * channels + c]
        output[p * channels + c] = max(0, x) + slope[c] * min(0, x)
    } }
}

/// The gradients by their definition: ∂y/∂x = 1 or a[c], ∂y/∂a[c] = min(0, x).
public func preluBackwardNaive<T: BinaryFloatingPoint>(
    dInput: UnsafeMutablePointer<T>, dSlope: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
    input: UnsafePointer<T>, slope: UnsafePointer<T>, pixels: Int, channels: Int
) {
    for p in 0..<pixels { for c in 0..<channels {
        let i = p * channels + c, x = input[i], g = dOutput[i]
        dSlope[c] += g * min(0, x)
        dInput[i] = x > 0 ? g : slope[c] * g
    } }
}
