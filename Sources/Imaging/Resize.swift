import Foundation

/// MATLAB `imresize(…, 'bicubic')`, reproduced exactly: Keys' cubic kernel with a = −0.5,
/// antialiasing when shrinking (the kernel is stretched by 1/scale), MATLAB's pixel-centre
/// mapping `u = x/scale + 0.5·(1 − 1/scale)` (1-based), weights normalised to sum to one per
/// output pixel, indices outside the image mirrored (`[1:n, n:-1:1]`), and the height resized
/// before the width (MATLAB sorts the dimensions by scale; equal scales keep that order).
public enum Resize {
    /// Resizes by `scale` (e.g. 1/3 or 3). Output size follows MATLAB: `ceil(scale · size)`.
    public static func bicubic(_ plane: Plane, scale: Double) -> Plane {
        let outWidth = Int((Double(plane.width) * scale).rounded(.up))
        let outHeight = Int((Double(plane.height) * scale).rounded(.up))
        return bicubic(plane, width: outWidth, height: outHeight, scaleX: scale, scaleY: scale)
    }

    /// Resizes to an explicit size; the scale of each axis is `out / in` as MATLAB derives it.
    public static func bicubic(_ plane: Plane, width: Int, height: Int) -> Plane {
        bicubic(plane, width: width, height: height,
                scaleX: Double(width) / Double(plane.width), scaleY: Double(height) / Double(plane.height))
    }

    /// Enlarges by a whole `scale` into `width`×`height` (the top-left of the full enlargement when
    /// smaller), with the output grid moved by `shiftX`, `shiftY` input samples: how a video's 4:2:0
    /// chroma plane, sited off the centres of its 2×2 luma blocks, keeps its place beside Y.
    public static func bicubic(_ plane: Plane, scale: Int, width: Int, height: Int,
                               shiftX: Double = 0, shiftY: Double = 0) -> Plane {
        bicubic(plane, width: width, height: height, scaleX: Double(scale), scaleY: Double(scale), shiftX: shiftX, shiftY: shiftY)
    }

    static func bicubic(_ plane: Plane, width outWidth: Int, height outHeight: Int,
                        scaleX: Double, scaleY: Double, shiftX: Double = 0, shiftY: Double = 0) -> Plane {
        precondition(plane.width > 0 && plane.height > 0 && outWidth > 0 && outHeight > 0,
                     "imresize needs non-empty input and output")
        let vertical = Contributions(inLength: plane.height, outLength: outHeight, scale: scaleY, shift: shiftY)
        let horizontal = Contributions(inLength: plane.width, outLength: outWidth, scale: scaleX, shift: shiftX)
        // Height first: columns of the input are resampled into an outHeight × inWidth plane.
        var tall = Plane(width: plane.width, height: outHeight)
        plane.values.withUnsafeBufferPointer { src in
            tall.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outHeight {
                    let taps = vertical.taps(y)
                    let rowOut = y * plane.width
                    for x in 0..<plane.width { dst[rowOut + x] = 0 }
                    for (index, weight) in taps {
                        let rowIn = index * plane.width
                        for x in 0..<plane.width { dst[rowOut + x] += weight * src[rowIn + x] }
                    }
                }
            }
        }
        var out = Plane(width: outWidth, height: outHeight)
        tall.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for x in 0..<outWidth {
                    let taps = horizontal.taps(x)
                    for y in 0..<outHeight {
                        let row = y * plane.width
                        var sum = 0.0
                        for (index, weight) in taps { sum += weight * src[row + index] }
                        dst[y * outWidth + x] = sum
                    }
                }
            }
        }
        return out
    }

    /// Keys' cubic convolution kernel, a = −0.5 (MATLAB's `cubic`).
    @inlinable public static func cubic(_ x: Double) -> Double {
        let ax = abs(x), ax2 = ax * ax, ax3 = ax2 * ax
        if ax <= 1 { return 1.5 * ax3 - 2.5 * ax2 + 1 }
        if ax <= 2 { return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2 }
        return 0
    }
}

/// Per output pixel, the input indices (0-based, mirrored into range) and normalised weights —
/// MATLAB's `contributions()` in imresize.m, including its removal of all-zero weight columns,
/// which changes nothing numerically and is therefore skipped.
struct Contributions {
    private var indices: [Int] = []
    private var weights: [Double] = []
    let tapCount: Int

    /// `shift`: input samples the output grid is moved by (0 for MATLAB's imresize).
    init(inLength: Int, outLength: Int, scale: Double, shift: Double = 0) {
        let antialias = scale < 1
        let kernelWidth = antialias ? 4.0 / scale : 4.0
        tapCount = Int(kernelWidth.rounded(.up)) + 2
        indices.reserveCapacity(outLength * tapCount)
        weights.reserveCapacity(outLength * tapCount)
        for x in 1...outLength {
            let u = Double(x) / scale + 0.5 * (1 - 1 / scale) + shift
            let left = Int((u - kernelWidth / 2).rounded(.down))
            var row: [Double] = []
            row.reserveCapacity(tapCount)
            for p in 0..<tapCount {
                let distance = u - Double(left + p)
                row.append(antialias ? scale * Resize.cubic(scale * distance) : Resize.cubic(distance))
            }
            let total = row.reduce(0, +)
            for p in 0..<tapCount {
                indices.append(Contributions.mirror(left + p, length: inLength))
                weights.append(row[p] / total)
            }
        }
    }

    /// MATLAB's `aux = [1:n, n:-1:1]; aux(mod(i-1, 2n) + 1)`, returned 0-based.
    static func mirror(_ oneBased: Int, length n: Int) -> Int {
        let period = 2 * n
        var k = (oneBased - 1) % period
        if k < 0 { k += period }
        return k < n ? k : period - 1 - k
    }

    func taps(_ outIndex: Int) -> [(Int, Double)] {
        let base = outIndex * tapCount
        return (0..<tapCount).compactMap { p in
            let w = weights[base + p]
            return w == 0 ? nil : (indices[base + p], w)
        }
    }
}
