import Foundation
import Imaging

/// The release's global reconstruction constraint (`backprojection.m`): make the estimate agree
/// with the observed low-resolution image under the bicubic downscaler by repeating
///
///     x ← x + conv2(imresize(y − imresize(x, size(y)), size(x)), p, 'same')
///
/// with p a 5×5 Gaussian (σ = 1) squared element-wise and renormalised to sum 1.
public enum BackProjection {
    public static let kernel: [Double] = {
        var g = [Double](repeating: 0, count: 25)
        for r in 0..<5 { for c in 0..<5 { g[r * 5 + c] = exp(-Double((r - 2) * (r - 2) + (c - 2) * (c - 2)) / 2) } }
        let sum = g.reduce(0, +)
        g = g.map { ($0 / sum) * ($0 / sum) } // fspecial normalises, then p.^2
        let squaredSum = g.reduce(0, +)
        return g.map { $0 / squaredSum }
    }()

    public static func apply(_ estimate: Plane, lowRes: Plane, iterations: Int = 20) -> Plane {
        var x = estimate
        for _ in 0..<iterations {
            let down = Resize.bicubic(x, width: lowRes.width, height: lowRes.height)
            var difference = lowRes
            for i in difference.values.indices { difference.values[i] -= down.values[i] }
            let up = Resize.bicubic(difference, width: x.width, height: x.height)
            let correction = convolveSame(up, kernel)
            for i in x.values.indices { x.values[i] += correction.values[i] }
        }
        return x
    }

    /// conv2(image, k, 'same') for a symmetric 5×5 kernel (so the flip is moot), zero padding.
    static func convolveSame(_ image: Plane, _ k: [Double]) -> Plane {
        let w = image.width, h = image.height
        var out = Plane(width: w, height: h)
        image.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for dy in -2...2 {
                        let sy = y + dy
                        guard sy >= 0 && sy < h else { continue }
                        for dx in -2...2 {
                            let weight = k[(dy + 2) * 5 + dx + 2]
                            let lo = max(0, -dx), hi = min(w, w - dx)
                            var x = lo
                            while x < hi { dst[y * w + x] += weight * src[sy * w + x + dx]; x += 1 }
                        }
                    }
                }
            }
        }
        return out
    }
}
