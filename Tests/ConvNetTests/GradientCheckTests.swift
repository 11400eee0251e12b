import Testing
@testable import ConvNet

/// Central differences in Double: every analytic gradient against (f(θ+h) − f(θ−h)) / 2h.
@Suite struct GradientCheckTests {
    static let h = 1e-6

    /// Relative error with a floor, so near-zero gradients compare absolutely.
    static func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(1e-6, abs(a) + abs(b)) }

    @Test(arguments: [ConvAlgorithm.im2col, .partialMaps])
    func convolutionGradients(_ algorithm: ConvAlgorithm) {
        let (n, c, o, hgt, wid, k) = (2, 3, 2, 6, 5, 3)
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
    @Test(arguments: [SRCNNArchitecture(f1: 3, f2: 1, f3: 3, n1: 4, n2: 3),
                      SRCNNArchitecture(f1: 3, f2: 3, f3: 3, n1: 3, n2: 2)])
    func wholeNetworkGradients(_ arch: SRCNNArchitecture) {
        let side = 9, batch = 2
        let net = SRCNNBackprop<Double>(architecture: arch, batchCapacity: batch, inputSize: side)
        var params = SRCNN(architecture: arch, seed: 5, standardDeviation: 0.5).parameters.map { $0.map(Double.init) }
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
                worst = max(worst, Self.relativeError((loss(p) - loss(m)) / (2 * Self.h), analytic[t][i]))
            }
        }
        #expect(worst < 1e-5)
    }
}
