import Testing
@testable import ConvNet

/// Fast convolutions against the direct loops, for every algorithm and for shapes that exercise
/// 1×1 kernels, one output map, several images and non-square inputs.
@Suite struct ConvolutionTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var batch, inChannels, outChannels, height, width, kernel: Int
        var testDescription: String { "N\(batch) C\(inChannels) O\(outChannels) \(height)x\(width) k\(kernel)" }
    }
    static let shapes = [
        Shape(batch: 2, inChannels: 1, outChannels: 6, height: 11, width: 13, kernel: 9),
        Shape(batch: 3, inChannels: 5, outChannels: 4, height: 7, width: 6, kernel: 1),
        Shape(batch: 2, inChannels: 6, outChannels: 1, height: 9, width: 8, kernel: 5),
        Shape(batch: 1, inChannels: 3, outChannels: 5, height: 6, width: 7, kernel: 3),
    ]

    @Test(arguments: shapes, [ConvAlgorithm.im2col, .partialMaps])
    func forwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 1)
        let w: [Float] = randomValues(s.kernel * s.kernel * s.inChannels * s.outChannels, seed: 2)
        let b: [Float] = randomValues(s.outChannels, seed: 3)
        for relu in [false, true] {
            var fast = [Float](repeating: .nan, count: s.batch * outH * outW * s.outChannels)
            var slow = fast
            conv2dForward(output: &fast, input: x, weight: w, bias: b, batch: s.batch,
                          inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                          width: s.width, kernel: s.kernel, relu: relu, algorithm: algorithm,
                          workspace: Workspace())
            conv2dForwardNaive(output: &slow, input: x, weight: w, bias: b, batch: s.batch,
                               inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                               width: s.width, kernel: s.kernel, relu: relu)
            #expect(maxAbsDifference(fast, slow) < 1e-5, "relu \(relu)")
            if relu { #expect(fast.contains(0) && fast.allSatisfy { $0 >= 0 }) }
        }
    }

    @Test(arguments: shapes, [ConvAlgorithm.im2col, .partialMaps])
    func backwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 4)
        let w: [Float] = randomValues(s.kernel * s.kernel * s.inChannels * s.outChannels, seed: 5)
        let dy: [Float] = randomValues(s.batch * outH * outW * s.outChannels, seed: 6)
        // Start from non-zero gradients: dWeight and dBias accumulate, dInput is overwritten.
        let dx0: [Float] = randomValues(x.count, seed: 7), dw0: [Float] = randomValues(w.count, seed: 8)
        let db0: [Float] = randomValues(s.outChannels, seed: 9)
        var (dxF, dwF, dbF) = (dx0, dw0, db0)
        var (dxS, dwS, dbS) = (dx0, dw0, db0)
        conv2dBackward(dInput: &dxF, dWeight: &dwF, dBias: &dbF, dOutput: dy, input: x, weight: w,
                       batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                       height: s.height, width: s.width, kernel: s.kernel, algorithm: algorithm,
                       workspace: Workspace())
        conv2dBackwardNaive(dInput: &dxS, dWeight: &dwS, dBias: &dbS, dOutput: dy, input: x, weight: w,
                            batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                            height: s.height, width: s.width, kernel: s.kernel)
        #expect(maxAbsDifference(dxF, dxS) < 1e-4)
        #expect(maxAbsDifference(dwF, dwS) < 1e-4)
        #expect(maxAbsDifference(dbF, dbS) < 1e-4)
        #expect(maxAbsDifference(dxF, dx0) > 0.01, "dInput was not touched")
    }

    @Test func naiveConvolutionIsCrossCorrelation() {
        // A 3×3 kernel with a single 1 at (dy, dx) = (0, 2) picks x[i, j+2]: no flip.
        var w = [Double](repeating: 0, count: 9)
        w[2] = 1
        let x = (0..<16).map(Double.init)
        var y = [Double](repeating: 0, count: 4)
        conv2dForwardNaive(output: &y, input: x, weight: w, bias: nil, batch: 1, inChannels: 1,
                           outChannels: 1, height: 4, width: 4, kernel: 3)
        #expect(y == [2, 3, 6, 7])
    }
}

@Suite struct ElementwiseTests {
    @Test func reluForwardAndBackward() {
        let x: [Float] = [-1, 0, 2, -0.5, 3]
        var y = [Float](repeating: 9, count: 5)
        reluForward(output: &y, input: x, count: 5)
        #expect(y == [0, 0, 2, 0, 3])
        var d: [Float] = [1, 1, 1, 1, 1]
        reluBackward(dInput: &d, dOutput: [5, 6, 7, 8, 9], output: y, count: 5)
        #expect(d == [0, 0, 7, 0, 9])
    }

    @Test func replicatePaddingCopiesTheNearestEdgePixel() {
        // 2×3 image with 2 channels, padded by top 1, bottom 2, left 2, right 1.
        let x: [Float] = (0..<12).map(Float.init)
        var y = [Float](repeating: -1, count: 5 * 6 * 2)
        replicatePad(output: &y, input: x, batch: 1, height: 2, width: 3, channels: 2,
                     top: 1, bottom: 2, left: 2, right: 1)
        func at(_ r: Int, _ c: Int, _ ch: Int) -> Float { y[(r * 6 + c) * 2 + ch] }
        #expect(at(0, 0, 0) == 0 && at(0, 0, 1) == 1)         // corner ← x[0,0]
        #expect(at(1, 2, 0) == 0 && at(1, 4, 1) == 5)         // interior copies
        #expect(at(4, 5, 0) == 10 && at(4, 5, 1) == 11)       // bottom-right ← x[1,2]
        #expect(at(2, 0, 0) == 6 && at(3, 3, 0) == 8)
        #expect(!y.contains(-1))
    }

    @Test func squaredErrorAndItsGradient() {
        let p: [Float] = [1, 2, 3, 4], t: [Float] = [1, 0, 3, 5]
        #expect(mseForward(prediction: p, target: t, count: 4) == 5.0 / 4)
        var d = [Float](repeating: 0, count: 4)
        squaredErrorBackward(dPrediction: &d, prediction: p, target: t, count: 4, scale: 0.5)
        #expect(d == [0, 1, 0, -0.5])
    }
}
