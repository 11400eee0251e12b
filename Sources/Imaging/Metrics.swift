import Foundation

/// The SR literature's quality measures on 8-bit planes (values 0…255), computed in Double.
public enum Metrics {
    /// PSNR in dB with `shave` pixels removed on every side (SRCNN's `compute_psnr` after
    /// `shave(…, [s s])`): 20·log10(255 / RMSE). Identical planes give +∞.
    public static func psnr(_ a: Plane, _ b: Plane, shave: Int) -> Double {
        precondition(a.width == b.width && a.height == b.height, "PSNR of planes of different sizes")
        let x = a.shaved(shave), y = b.shaved(shave)
        var sum = 0.0
        for i in x.values.indices { let d = x.values[i] - y.values[i]; sum += d * d }
        let rmse = (sum / Double(x.values.count)).squareRoot()
        return 20 * log10(255 / rmse)
    }

    /// Mean SSIM as Wang et al.'s `ssim_index.m`: 11×11 Gaussian window (σ 1.5) normalised to
    /// sum 1, K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering, no downsampling. The normalised
    /// 2-D Gaussian is the outer product of the normalised 1-D one, so it is applied separably.
    public static func ssim(_ a: Plane, _ b: Plane, shave: Int) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM of planes of different sizes")
        let x = a.shaved(shave), y = b.shaved(shave)
        let size = 11, sigma = 1.5
        var g = (0..<size).map { exp(-Double(($0 - 5) * ($0 - 5)) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        g = g.map { $0 / total }
        let ow = x.width - size + 1, oh = x.height - size + 1
        precondition(ow > 0 && oh > 0, "SSIM needs at least 11×11 pixels after the shave")
        /// 'valid' filtering of one map: rows first (width shrinks), then columns.
        func filter(_ v: [Double]) -> [Double] {
            var horizontal = [Double](repeating: 0, count: ow * x.height)
            for r in 0..<x.height {
                for c in 0..<ow {
                    var s = 0.0
                    for k in 0..<size { s += g[k] * v[r * x.width + c + k] }
                    horizontal[r * ow + c] = s
                }
            }
            var out = [Double](repeating: 0, count: ow * oh)
            for r in 0..<oh {
                for k in 0..<size {
                    let w = g[k], row = (r + k) * ow
                    for c in 0..<ow { out[r * ow + c] += w * horizontal[row + c] }
                }
            }
            return out
        }
        let p = x.values, q = y.values
        let mx = filter(p), my = filter(q)
        let xx = filter(p.map { $0 * $0 }), yy = filter(q.map { $0 * $0 })
        let xy = filter(zip(p, q).map { $0 * $1 })
        let c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255)
        var mean = 0.0
        for i in 0..<(ow * oh) {
            let sx = xx[i] - mx[i] * mx[i], sy = yy[i] - my[i] * my[i], sxy = xy[i] - mx[i] * my[i]
            mean += ((2 * mx[i] * my[i] + c1) * (2 * sxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (sx + sy + c2))
        }
        return mean / Double(ow * oh)
    }
}
