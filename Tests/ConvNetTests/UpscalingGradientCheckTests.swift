import Testing
@testable import ConvNet

/// Central differences in Double for the LR-space layers, as GradientCheckTests does for the
/// convolutions: f = Σ g ⊙ layer(θ) for a random g, every analytic gradient against
/// (f(θ + h) − f(θ − h)) / 2h, seeded small random shapes.
@Suite struct UpscalingGradientCheckTests {
    static let h = GradientCheckTests.h

    /// The largest relative error over every element of every tensor in `values`.
    static func worstError(_ values: [[Double]], analytic: [[Double]], floor: Double = 1e-6, step h: Double = h,
                           _ f: ([[Double]]) -> Double) -> Double {
        var worst = 0.0
        for t in values.indices {
            for i in values[t].indices {
                var plus = values, minus = values
                plus[t][i] += h; minus[t][i] -= h
                let numeric = (f(plus) - f(minus)) / (2 * h)
                worst = max(worst, GradientCheckTests.relativeError(numeric, analytic[t][i], floor: floor))
            }
        }
        return worst
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The worst relative error of a network's input gradient for Σ g ⊙ output (g seeded by
    /// `seed`) against central differences.
    static func worstInputGradientError(_ net: SequentialNetwork<Double>, parameters: [[Double]], inputs x: [Double],
                                        batch: Int, seed: UInt64, floor: Double = 1e-6, step: Double = h) -> Double {
        let g: [Double] = randomValues(batch * net.outputShape.count, seed: seed)
        _ = net.forward(parameters: parameters, inputs: x, batch: batch)
        let dx = net.backward(dOutput: g, batch: batch)
        return worstError([x], analytic: [dx], floor: floor, step: step) { v in
            dot(net.forward(parameters: parameters, inputs: v[0], batch: batch), g)
        }
    }

    /// Both fast paths at ×3 (FSRCNN's padding), ×2 and ×4, on 3×4 inputs with 2 maps in and out.
    @Test(arguments: [[3, 3], [2, 3], [4, 2]], DeconvolutionAlgorithm.allCases)
    func transposedConvolution(strideAndPadding: [Int], algorithm: DeconvolutionAlgorithm) {
        let (s, p) = (strideAndPadding[0], strideAndPadding[1])
        let (n, c, o, hgt, wid, k) = (2, 2, 2, 3, 4, 9)
        let outCount = n * s * hgt * s * wid * o
        let x: [Double] = randomValues(n * hgt * wid * c, seed: 91)
        let w: [Double] = randomValues(c * k * k * o, seed: 92)
        let b: [Double] = randomValues(o, seed: 93)
        let g: [Double] = randomValues(outCount, seed: 94)
        func f(_ v: [[Double]]) -> Double {
            var y = [Double](repeating: 0, count: outCount)
            conv2dTransposeForwardNaive(output: &y, input: v[0], weight: v[1], bias: v[2], batch: n, inChannels: c,
                                        outChannels: o, height: hgt, width: wid, kernel: k, stride: s, padding: p)
            return Self.dot(y, g)
        }
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: o)
        switch algorithm {
        case .gemm:
            conv2dTransposeBackward(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: g, input: x, weight: w, batch: n,
                                    inChannels: c, outChannels: o, height: hgt, width: wid, kernel: k, stride: s,
                                    padding: p, workspace: Workspace())
        case .subPixel:
            conv2dTransposeBackwardSubPixel(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: g, input: x, weight: w,
                                            batch: n, inChannels: c, outChannels: o, height: hgt, width: wid, kernel: k,
                                            stride: s, padding: p, workspace: Workspace())
        }
        #expect(Self.worstError([x, w, b], analytic: [dx, dw, db], f) < 1e-6)
    }

    @Test func pixelShuffle() {
        let (n, h, w, c, r) = (2, 2, 3, 2, 3)
        let x: [Double] = randomValues(n * h * w * c * r * r, seed: 95), g: [Double] = randomValues(x.count, seed: 96)
        func f(_ v: [[Double]]) -> Double {
            var y = [Double](repeating: 0, count: x.count)
            pixelShuffleForward(output: &y, input: v[0], batch: n, height: h, width: w, outChannels: c, factor: r)
            return Self.dot(y, g)
        }
        var dx = [Double](repeating: .nan, count: x.count)
        pixelShuffleBackward(dInput: &dx, dOutput: g, batch: n, height: h, width: w, outChannels: c, factor: r)
        // f is linear in x, so a larger step has no truncation error and less rounding; at h = 1e-6
        // the differences' rounding (ε·|f|/h ≈ 1e-9) showed on the smallest elements of g.
        #expect(Self.worstError([x], analytic: [dx], step: 1e-3, f) < 1e-6)
    }

    /// Inputs kept at least 0.05 from the kink at 0, where the derivative jumps.
    @Test func preluInputAndSlope() {
        let (pixels, c) = (300, 3)
        let x: [Double] = randomValues(pixels * c, seed: 97).map { $0 < 0 ? $0 - 0.05 : $0 + 0.05 }
        let a: [Double] = [0.25, -0.3, 0.9]
        let g: [Double] = randomValues(x.count, seed: 98)
        func f(_ v: [[Double]]) -> Double {
            var y = [Double](repeating: 0, count: x.count)
            preluForward(output: &y, input: v[0], slope: v[1], pixels: pixels, channels: c)
            return Self.dot(y, g)
        }
        var dx = [Double](repeating: .nan, count: x.count), da = [Double](repeating: 0, count: c)
        preluBackward(dInput: &dx, dSlope: &da, dOutput: g, input: x, slope: a, pixels: pixels, channels: c)
        #expect(Self.worstError([x, a], analytic: [dx, da], f) < 1e-6)
    }

    @Test func tanh() {
        let x: [Double] = randomValues(50, seed: 99).map { $0 * 3 }, g: [Double] = randomValues(50, seed: 100)
        func f(_ v: [[Double]]) -> Double {
            var y = [Double](repeating: 0, count: x.count)
            tanhForward(output: &y, input: v[0], count: x.count)
            return Self.dot(y, g)
        }
        var y = [Double](repeating: 0, count: x.count), dx = [Double](repeating: .nan, count: x.count)
        tanhForward(output: &y, input: x, count: x.count)
        tanhBackward(dInput: &dx, dOutput: g, output: y, count: x.count)
        #expect(Self.worstError([x], analytic: [dx], f) < 1e-6)
    }
}
