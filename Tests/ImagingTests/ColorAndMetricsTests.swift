import Foundation
import Testing
@testable import Imaging

@Suite struct ColorTests {
    @Test func grayLevelsMapToStudioRange() {
        // R = G = B = g gives Y = 16 + 219·g/255 (the coefficients sum to 219), rounded.
        let levels: [UInt8] = [0, 1, 100, 128, 254, 255]
        let img = Image8(width: levels.count, height: 1, channels: 3, bytes: levels.flatMap { [$0, $0, $0] })
        let (y, cb, cr) = Color.ycbcr(img)
        for (i, g) in levels.enumerated() {
            #expect(y.values[i] == (16 + 219 * Double(g) / 255).rounded())
            #expect(cb.values[i] == 128 && cr.values[i] == 128)
        }
    }

    @Test func primariesByHand() {
        let img = Image8(width: 3, height: 1, channels: 3, bytes: [255, 0, 0, 0, 255, 0, 0, 0, 255])
        let (y, cb, cr) = Color.ycbcr(img)
        #expect(y.values == [81, 145, 41])    // 16 + 65.481, 16 + 128.553, 16 + 24.966 → rounded
        #expect(cb.values == [90, 54, 240])   // 128 − 37.797, 128 − 74.203, 128 + 112
        #expect(cr.values == [240, 34, 110])  // 128 + 112, 128 − 93.786, 128 − 18.214
    }

    @Test func oneChannelFileIsUsedAsItIs() {
        let img = Image8(width: 2, height: 1, channels: 1, bytes: [0, 200])
        #expect(Color.luma(img).values == [0, 200])
    }

    @Test func roundTripStaysWithinRounding() {
        var bytes: [UInt8] = []
        var state: UInt32 = 12345
        for _ in 0..<(3 * 400) { state = state &* 1664525 &+ 1013904223; bytes.append(UInt8(40 + (state >> 24) % 170)) }
        let img = Image8(width: 20, height: 20, channels: 3, bytes: bytes)
        let (y, cb, cr) = Color.ycbcr(img)
        let back = Color.rgb(y: y.map { $0 / 255 }, cb: cb.map { $0 / 255 }, cr: cr.map { $0 / 255 })
        // Each of Y, Cb, Cr was rounded by ≤ 0.5; through T⁻¹ (row sums of |T⁻¹|·255 ≤ ~3.1) that is ≤ 3 levels.
        let worst = zip(back.bytes, bytes).map { abs(Int($0) - Int($1)) }.max()!
        #expect(worst <= 3)
        let exact = zip(back.bytes, bytes).filter { $0 == $1 }.count
        #expect(exact > bytes.count / 3)
    }

    @Test func quantizeRoundsHalfAwayFromZeroAndSaturates() {
        #expect(Quantize.uint8(0.5) == 1)
        #expect(Quantize.uint8(1.4999) == 1)
        #expect(Quantize.uint8(254.5) == 255)
        #expect(Quantize.uint8(-3) == 0)
        #expect(Quantize.uint8(300) == 255)
    }

    @Test func modcropKeepsTopLeft() {
        let img = Image8(width: 5, height: 4, channels: 1, bytes: (0..<20).map(UInt8.init))
        let c = img.modcropped(3)
        #expect(c.width == 3 && c.height == 3)
        #expect(c.bytes == [0, 1, 2, 5, 6, 7, 10, 11, 12])
    }
}

@Suite struct MetricTests {
    func noise(_ n: Int, seed: UInt32) -> [Double] {
        var s = seed
        return (0..<n).map { _ in s = s &* 1664525 &+ 1013904223; return Double(s >> 24) }
    }

    @Test func psnrOfAKnownError() {
        let a = Plane(width: 10, height: 10, repeating: 100)
        var b = a
        b.values = b.values.map { $0 + 2 }
        #expect(abs(Metrics.psnr(a, b, shave: 0) - 20 * log10(255.0 / 2)) < 1e-12)
        #expect(Metrics.psnr(a, a, shave: 0) == .infinity)
    }

    @Test func psnrIgnoresTheShavedBorder() {
        let a = Plane(width: 12, height: 12, repeating: 50)
        var b = a
        for i in 0..<12 { b[i, 0] = 0; b[0, i] = 255 }
        #expect(Metrics.psnr(a, b, shave: 1) == .infinity)
        #expect(Metrics.psnr(a, b, shave: 0) < 30)
    }

    @Test func ssimProperties() {
        let a = Plane(width: 24, height: 20, values: noise(480, seed: 1))
        let b = Plane(width: 24, height: 20, values: noise(480, seed: 2))
        #expect(abs(Metrics.ssim(a, a, shave: 2) - 1) < 1e-12)
        let ab = Metrics.ssim(a, b, shave: 2), ba = Metrics.ssim(b, a, shave: 2)
        #expect(abs(ab - ba) < 1e-12)
        #expect(ab < 0.2)
        let slightly = a.map { min(255, $0 + 3) }
        let s = Metrics.ssim(a, slightly, shave: 2)
        #expect(s > ab && s < 1)
    }

    /// On a constant pair the map is (2μ₁μ₂ + C1)/(μ₁² + μ₂² + C1), computable by hand.
    @Test func ssimOfConstantsByHand() {
        let a = Plane(width: 11, height: 11, repeating: 100), b = Plane(width: 11, height: 11, repeating: 110)
        let c1: Double = (0.01 * 255.0) * (0.01 * 255.0)
        let expected: Double = (22_000 + c1) / (10_000 + 12_100 + c1)
        #expect(abs(Metrics.ssim(a, b, shave: 0) - expected) < 1e-9)
    }
}
