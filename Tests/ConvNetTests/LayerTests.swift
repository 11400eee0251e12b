import Testing
import LinearAlgebra
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
    /// 5×5 shapes for Winograd F(3×3, 5×5): whole and partial 3×3 tiles (outputs 1×1 to 7×9),
    /// batches, and the 9-5-5 middle layer on a training crop (25² → 21², 64 → 32 maps).
    static let fiveByFiveShapes = [
        Shape(batch: 1, inChannels: 2, outChannels: 3, height: 5, width: 5, kernel: 5),
        Shape(batch: 3, inChannels: 3, outChannels: 2, height: 11, width: 13, kernel: 5),
        Shape(batch: 2, inChannels: 5, outChannels: 4, height: 10, width: 8, kernel: 5),
        Shape(batch: 2, inChannels: 64, outChannels: 32, height: 25, width: 25, kernel: 5),
    ]
    /// 3×3 shapes for Winograd F(2×2, 3×3): whole and partial 2×2 tiles (outputs 1×1 to 17×17, odd
    /// and even), batches, channel counts that are multiples of 4 (SIMD lanes) and that are not, and
    /// a 64 → 32 layer (ESPCN's second, the Keras variants' widths).
    static let threeByThreeShapes = [
        Shape(batch: 1, inChannels: 2, outChannels: 3, height: 3, width: 3, kernel: 3),
        Shape(batch: 3, inChannels: 3, outChannels: 2, height: 9, width: 12, kernel: 3),
        Shape(batch: 2, inChannels: 5, outChannels: 4, height: 8, width: 7, kernel: 3),
        Shape(batch: 2, inChannels: 17, outChannels: 18, height: 7, width: 10, kernel: 3),
        Shape(batch: 3, inChannels: 16, outChannels: 16, height: 10, width: 10, kernel: 3),
        Shape(batch: 2, inChannels: 64, outChannels: 32, height: 19, width: 19, kernel: 3),
    ]
    /// 3×3 shapes for Winograd F(4×4, 3×3): the F(2×2) ones (outputs 1×1 to 17×17: every
    /// remainder of 4 in height and width, so partial tiles at the bottom and right), the Keras
    /// variants' 64 → 64 layer on a padded 32×32 crop (whole tiles only), and ESPCN's last layer
    /// at ×3 on its 11×11 sub-images (32 → 9: Float runs it on 12 maps).
    static let threeByThreeLargeTileShapes = threeByThreeShapes + [
        Shape(batch: 1, inChannels: 64, outChannels: 64, height: 34, width: 34, kernel: 3),
        Shape(batch: 3, inChannels: 32, outChannels: 9, height: 13, width: 13, kernel: 3),
    ]

    @Test(arguments: shapes, [ConvAlgorithm.im2col, .partialMaps])
    func forwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkForward(s, algorithm: algorithm) }

    @Test(arguments: fiveByFiveShapes, [ConvAlgorithm.winograd, .automatic])
    func winogradForwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkForward(s, algorithm: algorithm) }

    @Test(arguments: threeByThreeShapes, [ConvAlgorithm.winograd, .automatic])
    func winogradF2x3ForwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkForward(s, algorithm: algorithm) }

    @Test(arguments: threeByThreeLargeTileShapes, [ConvAlgorithm.winogradF4x3, .training])
    func winogradF4x3ForwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkForward(s, algorithm: algorithm) }

    @Test(arguments: shapes, [ConvAlgorithm.im2col, .partialMaps])
    func backwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkBackward(s, algorithm: algorithm) }

    @Test(arguments: fiveByFiveShapes, [ConvAlgorithm.winograd, .automatic])
    func winogradBackwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkBackward(s, algorithm: algorithm) }

    @Test(arguments: threeByThreeShapes, [ConvAlgorithm.winograd, .automatic])
    func winogradF2x3BackwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkBackward(s, algorithm: algorithm) }

    @Test(arguments: threeByThreeLargeTileShapes, [ConvAlgorithm.winogradF4x3, .training])
    func winogradF4x3BackwardMatchesNaive(_ s: Shape, algorithm: ConvAlgorithm) { checkBackward(s, algorithm: algorithm) }

    /// The generic (Double) path: the transforms' rounding is then ~1e-16, so Winograd agrees with
    /// the direct loops to 1e-12 (measured ≤ 1.7e-15 for F(2×2, 3×3), 6.4e-15 for F(3×3, 5×5)).
    @Test(arguments: threeByThreeShapes + fiveByFiveShapes.prefix(3))
    func winogradInDoubleMatchesNaive(_ s: Shape) {
        checkForward(s, algorithm: .winograd, as: Double.self, tolerance: 1e-12)
        checkBackward(s, algorithm: .winograd, as: Double.self, tolerance: 1e-12)
    }

    /// F(4×4, 3×3) in Double: its larger coefficients (up to 8, and sixths) leave ≤ 1.1e-14 (measured).
    @Test(arguments: threeByThreeShapes)
    func winogradF4x3InDoubleMatchesNaive(_ s: Shape) {
        checkForward(s, algorithm: .winogradF4x3, as: Double.self, tolerance: 1e-12)
        checkBackward(s, algorithm: .winogradF4x3, as: Double.self, tolerance: 1e-12)
    }

    /// Threads split tiles, never sums: one and two threads give the same bytes (as the trainer
    /// runs a shard, one BLAS thread).
    @Test(arguments: [(Shape(batch: 2, inChannels: 64, outChannels: 32, height: 19, width: 19, kernel: 3), ConvAlgorithm.winograd),
                      (Shape(batch: 3, inChannels: 17, outChannels: 18, height: 21, width: 20, kernel: 3), .winograd),
                      (Shape(batch: 2, inChannels: 64, outChannels: 32, height: 25, width: 25, kernel: 5), .winograd),
                      (Shape(batch: 2, inChannels: 64, outChannels: 32, height: 19, width: 19, kernel: 3), .winogradF4x3),
                      (Shape(batch: 3, inChannels: 17, outChannels: 18, height: 21, width: 20, kernel: 3), .winogradF4x3)])
    func winogradIsIndependentOfTheThreadCount(_ s: Shape, algorithm: ConvAlgorithm) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 1)
        let w: [Float] = randomValues(s.kernel * s.kernel * s.inChannels * s.outChannels, seed: 2)
        let b: [Float] = randomValues(s.outChannels, seed: 3)
        let dy: [Float] = randomValues(s.batch * outH * outW * s.outChannels, seed: 4)
        func run(threads: Int) -> [[Float]] {
            BLASThreads.with(1) {
                ConvNetThreads.with(threads) {
                    var y = [Float](repeating: .nan, count: dy.count)
                    var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: w.count)
                    conv2dForward(output: &y, input: x, weight: w, bias: b, batch: s.batch, inChannels: s.inChannels,
                                  outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel,
                                  relu: true, algorithm: algorithm, workspace: Workspace())
                    conv2dBackward(dInput: &dx, dWeight: &dw, dBias: nil, dOutput: dy, input: x, weight: w,
                                   batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                                   height: s.height, width: s.width, kernel: s.kernel, algorithm: algorithm,
                                   workspace: Workspace())
                    return [y, dx, dw]
                }
            }
        }
        let one = run(threads: 1), two = run(threads: 2)
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
        #expect(!one[0].contains { $0.isNaN } && !one[1].contains { $0.isNaN })
    }

    /// Winograd only where its GEMMs are wide enough to win, and never where tiles must be
    /// bit-identical to the untiled result.
    @Test func automaticPicksWinogradFor3x3And5x5WithManyMaps() {
        for k in [3, 5] {
            #expect(ConvAlgorithm.automatic.resolved(kernel: k, inChannels: 16, outChannels: 16) == .winograd)
            #expect(ConvAlgorithm.automatic.resolved(kernel: k, inChannels: 64, outChannels: 32) == .winograd)
            #expect(ConvAlgorithm.automatic.resolved(kernel: k, inChannels: 12, outChannels: 64) == .im2col)
            #expect(ConvAlgorithm.automatic.resolved(kernel: k, inChannels: 64, outChannels: 1) == .partialMaps)
            #expect(ConvAlgorithm.shiftInvariant.resolved(kernel: k, inChannels: 64, outChannels: 64) == .im2col)
        }
        #expect(ConvAlgorithm.automatic.resolved(kernel: 9, inChannels: 64, outChannels: 64) == .im2col)
    }

    /// Training steps: F(4×4, 3×3) for 3×3 layers from 12 maps in and 4 out up (FSRCNN's 12 → 12,
    /// ESPCN's last 32 → s²); im2col for few maps where the outputs are as many as the inputs
    /// (FSRCNN-s's 5 → 5); everything else (5×5, one output map, 1×1, 9×9) as `automatic`.
    @Test func trainingPicksLargeTilesFor3x3From12Maps() {
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 12, outChannels: 12) == .winogradF4x3)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 64, outChannels: 32) == .winogradF4x3)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 256, outChannels: 128) == .winogradF4x3)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 11, outChannels: 64) == .im2col)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 32, outChannels: 9) == .winogradF4x3)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 32, outChannels: 4) == .winogradF4x3)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 32, outChannels: 1) == .partialMaps)
        #expect(ConvAlgorithm.training.resolved(kernel: 3, inChannels: 5, outChannels: 5) == .im2col)
        #expect(ConvAlgorithm.training.resolved(kernel: 5, inChannels: 32, outChannels: 1) == .partialMaps)
        #expect(ConvAlgorithm.training.resolved(kernel: 5, inChannels: 64, outChannels: 32) == .winograd)
        #expect(ConvAlgorithm.training.resolved(kernel: 5, inChannels: 1, outChannels: 64) == .im2col)
        #expect(ConvAlgorithm.training.resolved(kernel: 9, inChannels: 64, outChannels: 64) == .im2col)
        #expect(ConvAlgorithm.automatic.resolved(kernel: 3, inChannels: 12, outChannels: 12) == .im2col)
    }

    /// A network that trains runs a 3×3 64 → 64 layer by F(4×4, 3×3); a forward-only one
    /// (inference) keeps `.automatic`, bit for bit, so trained models upscale as before. The two
    /// differ in their last bits, which is what makes the comparison able to fail.
    @Test func trainingNetworksTakeLargeTilesAndInferenceKeepsAutomatic() throws {
        let (side, c) = (18, 64)
        let spec = NetworkSpec(name: "one 3×3", inputChannels: c, layers: [.conv(kernel: 3, inChannels: c, outChannels: c, padding: 0)])
        let parameters: [[Float]] = [randomValues(9 * c * c, seed: 41), randomValues(c, seed: 42)]
        let x: [Float] = randomValues(side * side * c, seed: 43)
        func layer(_ algorithm: ConvAlgorithm) -> [Float] {
            var y = [Float](repeating: .nan, count: (side - 2) * (side - 2) * c)
            conv2dForward(output: &y, input: x, weight: parameters[0], bias: parameters[1], batch: 1, inChannels: c,
                          outChannels: c, height: side, width: side, kernel: 3, algorithm: algorithm, workspace: Workspace())
            return y
        }
        let training = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: side, inputWidth: side)
        let inference = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: side, inputWidth: side,
                                                     forwardOnly: true)
        let trained = training.forward(parameters: parameters, inputs: x, batch: 1)
        let inferred = inference.forward(parameters: parameters, inputs: x, batch: 1)
        #expect(inferred.map(\.bitPattern) == layer(.automatic).map(\.bitPattern))
        #expect(trained.map(\.bitPattern) == layer(.winogradF4x3).map(\.bitPattern))
        #expect(trained.map(\.bitPattern) != inferred.map(\.bitPattern))
    }

    /// Largest difference from the float64 direct loops, relative to the reference's largest
    /// magnitude when that exceeds 1 (the 64-channel shape's sums reach ~20).
    static func error<T: BinaryFloatingPoint>(_ fast: [T], _ reference: [Double]) -> Double {
        maxAbsDifference(fast.map { Double($0) }, reference) / max(1, reference.map(abs).max() ?? 0)
    }

    /// Measured: direct formulations ≤ 4e-7; Winograd F(3×3, 5×5) ≤ 5e-6 forward, 3e-6 dInput,
    /// 1.1e-5 dWeight (the 64 → 32 shape, where dWeight sums 882 pixels); F(2×2, 3×3), whose
    /// transforms are exact, ≤ 3.4e-7 forward, 2.1e-7 dInput, 5e-7 dWeight, as the direct forms;
    /// F(4×4, 3×3) ≤ 6.4e-6 forward, 3.3e-6 dInput, 5.6e-6 dWeight (the 64 → 64 shape).
    static func tolerance(_ s: Shape, _ algorithm: ConvAlgorithm) -> Double {
        switch algorithm.resolved(kernel: s.kernel, inChannels: s.inChannels, outChannels: s.outChannels) {
        case .winograd where s.kernel == 5: 3e-5
        case .winogradF4x3: 2e-5
        default: 1e-6
        }
    }

    func checkForward(_ s: Shape, algorithm: ConvAlgorithm) {
        checkForward(s, algorithm: algorithm, as: Float.self, tolerance: Self.tolerance(s, algorithm))
    }

    func checkForward<T: BLASScalar>(_ s: Shape, algorithm: ConvAlgorithm, as _: T.Type, tolerance: Double) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [T] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 1)
        let w: [T] = randomValues(s.kernel * s.kernel * s.inChannels * s.outChannels, seed: 2)
        let b: [T] = randomValues(s.outChannels, seed: 3)
        for relu in [false, true] {
            var fast = [T](repeating: .nan, count: s.batch * outH * outW * s.outChannels)
            var slow = [Double](repeating: .nan, count: fast.count)
            conv2dForward(output: &fast, input: x, weight: w, bias: b, batch: s.batch,
                          inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                          width: s.width, kernel: s.kernel, relu: relu, algorithm: algorithm,
                          workspace: Workspace())
            conv2dForwardNaive(output: &slow, input: x.map(Double.init), weight: w.map(Double.init),
                               bias: b.map(Double.init), batch: s.batch,
                               inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                               width: s.width, kernel: s.kernel, relu: relu)
            #expect(Self.error(fast, slow) < tolerance, "relu \(relu)")
            if relu { #expect(fast.contains(0) && fast.allSatisfy { $0 >= 0 }) }
        }
    }

    func checkBackward(_ s: Shape, algorithm: ConvAlgorithm) {
        checkBackward(s, algorithm: algorithm, as: Float.self, tolerance: Self.tolerance(s, algorithm))
    }

    func checkBackward<T: BLASScalar>(_ s: Shape, algorithm: ConvAlgorithm, as _: T.Type, tolerance: Double) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [T] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 4)
        let w: [T] = randomValues(s.kernel * s.kernel * s.inChannels * s.outChannels, seed: 5)
        let dy: [T] = randomValues(s.batch * outH * outW * s.outChannels, seed: 6)
        // Start from non-zero gradients: dWeight and dBias accumulate, dInput is overwritten.
        let dx0: [T] = randomValues(x.count, seed: 7), dw0: [T] = randomValues(w.count, seed: 8)
        let db0: [T] = randomValues(s.outChannels, seed: 9)
        var (dxF, dwF, dbF) = (dx0, dw0, db0)
        var (dxS, dwS, dbS) = (dx0.map(Double.init), dw0.map(Double.init), db0.map(Double.init))
        conv2dBackward(dInput: &dxF, dWeight: &dwF, dBias: &dbF, dOutput: dy, input: x, weight: w,
                       batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                       height: s.height, width: s.width, kernel: s.kernel, algorithm: algorithm,
                       workspace: Workspace())
        conv2dBackwardNaive(dInput: &dxS, dWeight: &dwS, dBias: &dbS, dOutput: dy.map(Double.init),
                            input: x.map(Double.init), weight: w.map(Double.init),
                            batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                            height: s.height, width: s.width, kernel: s.kernel)
        #expect(Self.error(dxF, dxS) < tolerance)
        #expect(Self.error(dwF, dwS) < tolerance)
        #expect(Self.error(dbF, dbS) < tolerance)
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
