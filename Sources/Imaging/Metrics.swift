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
    /// sum 1, K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering, no downsampling.
    public static func ssim(_ a: Plane, _ b: Plane, shave: Int) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM of planes of different sizes")
        let x = a.shaved(shave), y = b.shaved(shave)
        let size = 11, sigma = 1.5
        var window = [Double](repeating: 0, count: size * size)
        for r in 0..<size { for c in 0..<size {
            let dr = Double(r - 5), dc = Double(c - 5)
            window[r * size + c] = exp(-(dr * dr + dc * dc) / (2 * sigma * sigma))
        } }
        let total = window.reduce(0, +)
        window = window.map { $0 / total }
        let c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255)
        let ow = x.width - size + 1, oh = x.height - size + 1
        precondition(ow > 0 && oh > 0, "SSIM needs at least 11×11 pixels after the shave")
        var mean = 0.0
        for oy in 0..<oh {
            for ox in 0..<ow {
                var mx = 0.0, my = 0.0, xx = 0.0, yy = 0.0, xy = 0.0
                for r in 0..<size {
                    let row = (oy + r) * x.width + ox
                    for c in 0..<size {
                        let w = window[r * size + c], p = x.values[row + c], q = y.values[row + c]
                        mx += w * p; my += w * q; xx += w * p * p; yy += w * q * q; xy += w * p * q
                    }
                }
                let sx = xx - mx * mx, sy = yy - my * my, sxy = xy - mx * my
                mean += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2))
            }
        }
        return mean / Double(ow * oh)
    }
}
