import Testing
@testable import ConvNet

/// Central differences in Double: every analytic gradient against (f(θ+h) − f(θ−h)) / 2h.
@Suite struct GradientCheckTests {
    static let h = 1e-6

    /// Relative error with a floor, so near-zero gradients compare absolutely.
    static func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-6) -> Double {
        abs(a - b) / max(floor, abs(a) + abs(b))
    }

    /// Winograd on a 9×8 input (5×5), a 7×6 one (3×3) and, F(4×4, 3×3), an 8×7 one (6×5 outputs):
    /// partial tiles at the bottom and right edge.
    @Test(arguments: [(ConvAlgorithm.im2col, 3, 6, 5), (.partialMaps, 3, 6, 5), (.winograd, 5, 9, 8), (.winograd, 3, 7, 6),
                      (.winogradF4x3, 3, 8, 7)])
    func convolutionGradients(_ algorithm: ConvAlgorithm, kernel k: Int, height hgt: Int, width wid: Int) {
        let (n, c, o) = (2, 3, 2)
        let outCount = n * (hgt - k + 1) * (wid - k + 1) * o
        let x: [Double] = randomValues(n * hgt * wid * c, seed: 11)
        let w: [Double] = randomValues(k * k * c * o, seed: 12)
        let b: [Double] = randomValues(o, seed: 13)
        let g: [Double] = randomValues(outCount, seed: 14)
        // f = Σ g ⊙ conv(x; w, b), whose gradient wrt the output is g.
        func f(_ v: [[Double]]) -> Double {
            var y = [Double](repeating: 0, count: outCount)
            conv2dForwardNaive(output: &y, input: v[0], weight: v[1], bias: v[2], batch: n, inChannels: c,
                               outChannels: o, height: hgt, width: wid, kernel: k)
            return zip(y, g).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: o)
        conv2dBackward(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: g, input: x, weight: w, batch: n,
                       inChannels: c, outChannels: o, height: hgt, width: wid, kernel: k,
                       algorithm: algorithm, workspace: Workspace())
        let values = [x, w, b], analytic = [dx, dw, db]
        var worst = 0.0
        for t in 0..<3 {
            for i in values[t].indices {
                var plus = values, minus = values
                plus[t][i] += Self.h; minus[t][i] -= Self.h
                worst = max(worst, Self.relativeError((f(plus) - f(minus)) / (2 * Self.h), analytic[t][i]))
            }
        }
        #expect(worst < 1e-6)
    }

    @Test func reluAndSquaredErrorGradients() {
        let x: [Double] = [-0.7, 0.3, 1.2, -0.1, 0.9]
        let t: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5]
        func f(_ x: [Double]) -> Double {
            var y = x
            reluForward(output: &y, input: x, count: 5)
            return zip(y, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 2
        }
        var y = x
        reluForward(output: &y, input: x, count: 5)
        var d = [Double](repeating: 0, count: 5)
        squaredErrorBackward(dPrediction: &d, prediction: y, target: t, count: 5, scale: 1)
        let dy = d
        reluBackward(dInput: &d, dOutput: dy, output: y, count: 5)
        for i in 0..<5 {
            var p = x, m = x
            p[i] += Self.h; m[i] -= Self.h
            #expect(Self.relativeError((f(p) - f(m)) / (2 * Self.h), d[i]) < 1e-6)
        }
    }

    /// The whole network: conv → ReLU → conv → ReLU → conv → EuclideanLoss, every parameter.
    /// The third architecture's middle layer runs as Winograd (5×5, 16 → 16 maps). Its weights are
    /// smaller, so that 400-term sums stay O(1), and its 6,400 middle-layer gradients include some
    /// of ~1e-6, where the loss's rounding (ε·|loss|/h ≈ 5e-10) is visible: those compare
    /// absolutely below 1e-4.
    @Test(arguments: [(SRCNNArchitecture(f1: 3, f2: 1, f3: 3, n1: 4, n2: 3), 0.5, 1e-6),
                      (SRCNNArchitecture(f1: 3, f2: 3, f3: 3, n1: 3, n2: 2), 0.5, 1e-6),
                      (SRCNNArchitecture(f1: 3, f2: 5, f3: 3, n1: 16, n2: 16), 0.1, 1e-4)])
    func wholeNetworkGradients(_ arch: SRCNNArchitecture, standardDeviation: Double, floor: Double) {
        let side = 11, batch = 2
        let net = SRCNNBackprop<Double>(architecture: arch, batchCapacity: batch, inputSize: side)
        var params = SRCNN(architecture: arch, seed: 5, standardDeviation: standardDeviation).parameters.map { $0.map(Double.init) }
        params[1] = params[1].map { _ in 0.1 }   // positive biases keep most ReLUs open
        params[3] = params[3].map { _ in 0.1 }
        let x: [Double] = randomValues(batch * side * side, seed: 21).map { ($0 + 1) / 2 }
        let label: [Double] = randomValues(batch * net.labelSize * net.labelSize, seed: 22)
        func loss(_ p: [[Double]]) -> Double {
            let y = net.forward(parameters: p, inputs: x, batch: batch)
            return zip(y, label).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * batch)
        }
        let mse = net.step(parameters: params, inputs: x, labels: label, batch: batch)
        #expect(abs(mse * Double(net.labelSize * net.labelSize) / 2 - loss(params)) < 1e-12)
        let analytic = net.gradients
        var worst = 0.0
        for t in params.indices {
            for i in params[t].indices {
                var p = params, m = params
                p[t][i] += Self.h; m[t][i] -= Self.h
                worst = max(worst, Self.relativeError((loss(p) - loss(m)) / (2 * Self.h), analytic[t][i], floor: floor))
            }
        }
        #expect(worst < 1e-5)
    }
}
