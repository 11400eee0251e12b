import Testing
@testable import ConvNet

/// Max-pooling and nearest upsampling (Resampling.swift): the fast passes against the naive
/// twins, their gradients against central differences in Double, odd sides dropped by the pool.
@Suite struct ResamplingTests {
    @Test(arguments: [(2, 5, 7), (3, 6, 6), (2, 4, 4)])
    func maxPool(size s: Int, height h: Int, width w: Int) {
        let (n, c) = (2, 3)
        let outCount = n * (h / s) * (w / s) * c
        let x: [Double] = randomValues(n * h * w * c, seed: 300)
        let g: [Double] = randomValues(outCount, seed: 301)
        func pooled(_ v: [Double], naive: Bool) -> [Double] {
            var y = [Double](repeating: .nan, count: outCount)
            if naive {
                maxPoolForwardNaive(output: &y, input: v, batch: n, height: h, width: w, channels: c, size: s)
            } else {
                maxPoolForward(output: &y, input: v, batch: n, height: h, width: w, channels: c, size: s)
            }
            return y
        }
        #expect(pooled(x, naive: false) == pooled(x, naive: true))
        var dx = [Double](repeating: .nan, count: x.count)
        maxPoolBackward(dInput: &dx, dOutput: g, input: x, batch: n, height: h, width: w, channels: c, size: s)
        // Random inputs have no ties within the step, so the maximum does not move.
        let worst = UpscalingGradientCheckTests.worstError([x], analytic: [dx], step: 1e-6) { v in
            UpscalingGradientCheckTests.dot(pooled(v[0], naive: true), g)
        }
        #expect(worst < 1e-6)
        // One gradient per window, and none for the rows and columns no window covers.
        #expect(dx.filter { $0 != 0 }.count == outCount)
        if h % s != 0 { #expect((0..<(w * c)).allSatisfy { dx[((h - 1) * w) * c + $0] == 0 }) }
    }

    @Test(arguments: [2, 3])
    func upsample(factor s: Int) {
        let (n, h, w, c) = (2, 3, 4, 2)
        let outCount = n * s * h * s * w * c
        let x: [Double] = randomValues(n * h * w * c, seed: 302), g: [Double] = randomValues(outCount, seed: 303)
        func upsampled(_ v: [Double], naive: Bool) -> [Double] {
            var y = [Double](repeating: .nan, count: outCount)
            if naive {
                upsampleForwardNaive(output: &y, input: v, batch: n, height: h, width: w, channels: c, factor: s)
            } else {
                upsampleForward(output: &y, input: v, batch: n, height: h, width: w, channels: c, factor: s)
            }
            return y
        }
        #expect(upsampled(x, naive: false) == upsampled(x, naive: true))
        var dx = [Double](repeating: .nan, count: x.count)
        upsampleBackward(dInput: &dx, dOutput: g, batch: n, height: h, width: w, channels: c, factor: s)
        let worst = UpscalingGradientCheckTests.worstError([x], analytic: [dx], step: 1e-3) { v in
            UpscalingGradientCheckTests.dot(upsampled(v[0], naive: true), g)
        }
        #expect(worst < 1e-9)
    }
}
