import ConvKernels
import Foundation
import LinearAlgebra
import Testing
@testable import ConvNet

/// The training step's own fast paths (`ConvAlgorithm.training`, `SequentialNetwork` when it
/// trains): ConvKernels' F(4×4, 3×3) tile transforms and tanh in AVX-512 / AVX2, which must give
/// the Swift code's bits at every vector level the CPU has, and the direct single-channel first layer.
@Suite struct TrainingKernelTests {
    /// Every level this CPU runs (0 is the 4-wide SSE code every x86-64 has).
    static var levels: [Int32] { Array(0...srlab_vector_level()) }

    /// Channel counts that take 16-, 8- and 4-wide blocks and their mixes.
    static let channelCounts = [4, 12, 20, 32, 64]

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// One tile's four transforms: the C kernels against the Swift `transform…Tile` functions,
    /// bit for bit, with odd strides (a tile inside a wider image, a chunk of 7 tiles).
    @Test(arguments: channelCounts)
    func tileTransformsGiveTheSwiftBits(channels c: Int) {
        let p = 36, rowStride = 9 * c, pointStride = 7 * c + 4
        let image: [Float] = randomValues(6 * rowStride, seed: 11).map { $0 * 3 }
        let points: [Float] = randomValues(p * pointStride, seed: 12).map { $0 * 3 }
        let outputRows: [Float] = randomValues(4 * rowStride, seed: 13)
        func swift(_ body: (UnsafeMutablePointer<Float>) -> Void) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: p * c) { body($0.baseAddress!) }
        }
        var expected = [[Float]](repeating: [], count: 4)
        expected[0] = [Float](repeating: .nan, count: p * pointStride)
        expected[1] = [Float](repeating: .nan, count: p * c)
        expected[2] = [Float](repeating: .nan, count: 16 * c)
        expected[3] = [Float](repeating: .nan, count: p * pointStride)
        swift { tmp in
            transformInputTile(WinogradF4x3.self, SIMD4<Float>.self, image, rowStride: rowStride, channels: c, tmp: tmp,
                               v: &expected[0], pointStride: pointStride)
            transformInputGradientTile(WinogradF4x3.self, SIMD4<Float>.self, points, pointStride: pointStride, channels: c,
                                       tmp: tmp, dd: &expected[1])
            transformOutputTile(WinogradF4x3.self, SIMD4<Float>.self, points, pointStride: pointStride, channels: c,
                                tmp: tmp, y: &expected[2])
            transformOutputGradientTile(WinogradF4x3.self, SIMD4<Float>.self, outputRows, rowStride: rowStride, channels: c,
                                        tmp: tmp, dm: &expected[3], pointStride: pointStride)
        }
        for level in Self.levels {
            var got = expected.map { [Float](repeating: .nan, count: $0.count) }
            srlab_f4x3_input_tile(level, image, rowStride, c, 0, 0, 6, 9, 0, 0, &got[0], pointStride)
            srlab_f4x3_input_adjoint_tile(level, points, pointStride, c, &got[1])
            srlab_f4x3_output_tile(level, points, pointStride, c, &got[2])
            srlab_f4x3_output_adjoint_tile(level, outputRows, rowStride, c, 0, 4, 0, 4, &got[3], pointStride)
            for (k, (a, b)) in zip(got, expected).enumerated() {
                #expect(Self.bits(a) == Self.bits(b), "level \(level), transform \(k)")
            }
            // The overlap-add form, the tile's corner at (−1, −2) of a 4×4 image: its rows 1..<5 and
            // columns 2..<6 are added in.
            var added = image, expectedSum = image
            for a in 1..<5 { for j in 2..<6 { for ch in 0..<c {
                expectedSum[(a - 1) * rowStride + (j - 2) * c + ch] += expected[1][(a * 6 + j) * c + ch]
            } } }
            srlab_f4x3_input_adjoint_add_tile(level, points, pointStride, c, &added, rowStride, -1, -2, 4, 4, 0, 0)
            #expect(Self.bits(added) == Self.bits(expectedSum), "level \(level), overlap-add")
            // The output transform with the bias, stored into an image: rows 0..<3, columns 0..<4 only.
            let bias: [Float] = randomValues(c, seed: 14)
            var stored = image, expectedStored = image
            for i in 0..<3 { for k in 0..<4 { for ch in 0..<c {
                expectedStored[i * rowStride + k * c + ch] = expected[2][(i * 4 + k) * c + ch] + bias[ch]
            } } }
            srlab_f4x3_output_tile_store(level, points, pointStride, c, bias, &stored, rowStride, 3, 4)
            #expect(Self.bits(stored) == Self.bits(expectedStored), "level \(level), output with bias")
        }
    }

    /// Tiles that run past the image's edge, on any side (a corner above and left of the image is a
    /// zero padding's): the reads give the bits of the Swift transforms of a zero-padded copy, and
    /// nothing outside the image is read (the image sits in NaN, which would show). The
    /// output-gradient tile, whose corner is always inside, by its rows and columns.
    @Test(arguments: [(0, 0, 6, 6), (0, 0, 5, 6), (0, 0, 6, 3), (0, 0, 1, 5), (-1, -1, 11, 11), (-2, 3, 5, 8)]
          as [(Int, Int, Int, Int)])
    func clippedTilesReadZerosPastTheEdge(_ top: Int, _ left: Int, _ height: Int, _ width: Int) {
        let c = 20, p = 36, pointStride = 3 * c, margin = 3
        let rowStride = (width + 2 * margin) * c
        var buffer = [Float](repeating: .nan, count: (height + 2 * margin) * rowStride)
        let values: [Float] = randomValues(height * width * c, seed: 51)
        var padded6 = [Float](repeating: 0, count: p * c), padded4 = [Float](repeating: 0, count: 16 * c)
        for y in 0..<height { for x in 0..<width { for ch in 0..<c {
            let value = values[(y * width + x) * c + ch]
            buffer[(y + margin) * rowStride + (x + margin) * c + ch] = value
            let (a, b) = (y - top, x - left)
            if (0..<6).contains(a) && (0..<6).contains(b) { padded6[(a * 6 + b) * c + ch] = value }
            if top >= 0 && left >= 0 && (0..<4).contains(a) && (0..<4).contains(b) { padded4[(a * 4 + b) * c + ch] = value }
        } } }
        var expectedV = [Float](repeating: .nan, count: p * pointStride), expectedM = expectedV
        withUnsafeTemporaryAllocation(of: Float.self, capacity: p * c) { tmp in
            transformInputTile(WinogradF4x3.self, SIMD4<Float>.self, padded6, rowStride: 6 * c, channels: c,
                               tmp: tmp.baseAddress!, v: &expectedV, pointStride: pointStride)
            transformOutputGradientTile(WinogradF4x3.self, SIMD4<Float>.self, padded4, rowStride: 4 * c, channels: c,
                                        tmp: tmp.baseAddress!, dm: &expectedM, pointStride: pointStride)
        }
        buffer.withUnsafeBufferPointer { whole in
            let image = whole.baseAddress! + margin * rowStride + margin * c
            for level in Self.levels {
                var v = [Float](repeating: .nan, count: expectedV.count), m = v
                srlab_f4x3_input_tile(level, image, rowStride, c, Int32(top), Int32(left), Int32(height), Int32(width), 0, 0,
                                      &v, pointStride)
                #expect(Self.bits(v) == Self.bits(expectedV), "level \(level)")
                guard top >= 0 && left >= 0 else { continue }
                let rows = (0, max(0, min(4, height - top))), columns = (0, max(0, min(4, width - left)))
                srlab_f4x3_output_adjoint_tile(level, image + top * rowStride + left * c, rowStride, c, Int32(rows.0),
                                               Int32(rows.1), Int32(columns.0), Int32(columns.1), &m, pointStride)
                #expect(Self.bits(m) == Self.bits(expectedM), "level \(level)")
            }
        }
    }

    /// The implicit padding of a training step's 3×3 layers against padding first (`pad`, the
    /// layer, `padBackward`), both rules: the same bytes forward and for the weight and bias
    /// gradients; the input gradient the same bytes with zeros, and with replication within float
    /// rounding (an edge pixel sums its copies' gradients in another order). ESPCN's 64 → 32 and
    /// 32 → 9 on 11×11, FSRCNN's 12 → 12, a padding of 2 (tiles whose corner lies in the padding).
    @Test(arguments: [PaddingMode.zero, .replicate],
          [(64, 32, 11, 11, 1, 5), (32, 9, 11, 11, 1, 3), (12, 12, 7, 9, 1, 2), (16, 16, 6, 5, 2, 2)]
              as [(Int, Int, Int, Int, Int, Int)])
    func implicitPaddingGivesThePaddedBytes(_ mode: PaddingMode, _ shape: (Int, Int, Int, Int, Int, Int)) {
        let (c, o, height, width, padding, batch) = shape
        // The layers that take it where the CPU has AVX2 (every CPU the lab benchmarks); none elsewhere.
        let takes = convTakesImplicitPadding(Float.self, algorithm: .training, kernel: 3, inChannels: c, outChannels: o)
        #expect(takes == (srlab_vector_level() > 0))
        guard takes else { return }
        let (ph, pw) = (height + 2 * padding, width + 2 * padding), (outH, outW) = (ph - 2, pw - 2)
        let x: [Float] = randomValues(batch * height * width * c, seed: 61)
        let w: [Float] = randomValues(9 * c * o, seed: 62), b: [Float] = randomValues(o, seed: 63)
        let dy: [Float] = randomValues(batch * outH * outW * o, seed: 64)
        var padded = [Float](repeating: .nan, count: batch * ph * pw * c)
        pad(mode, output: &padded, input: x, batch: batch, height: height, width: width, channels: c, by: padding)
        BLASThreads.with(1) {
            var yRef = [Float](repeating: .nan, count: dy.count), y = yRef
            conv2dForward(output: &yRef, input: padded, weight: w, bias: b, batch: batch, inChannels: c, outChannels: o,
                          height: ph, width: pw, kernel: 3, algorithm: .training, workspace: Workspace())
            conv2dForwardPadded(output: &y, input: x, weight: w, bias: b, batch: batch, inChannels: c, outChannels: o,
                                height: height, width: width, padding: padding, mode: mode, workspace: Workspace())
            #expect(Self.bits(y) == Self.bits(yRef))
            var dPadded = padded, dxRef = x, dx = [Float](repeating: .nan, count: x.count)
            var (dwRef, dbRef) = ([Float](repeating: 0, count: w.count), [Float](repeating: 0, count: o))
            var (dw, db) = (dwRef, dbRef)
            conv2dBackward(dInput: &dPadded, dWeight: &dwRef, dBias: &dbRef, dOutput: dy, input: padded, weight: w,
                           batch: batch, inChannels: c, outChannels: o, height: ph, width: pw, kernel: 3,
                           algorithm: .training, workspace: Workspace())
            padBackward(mode, dInput: &dxRef, dOutput: dPadded, batch: batch, height: height, width: width, channels: c,
                        by: padding)
            conv2dBackwardPadded(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: dy, input: x, weight: w, batch: batch,
                                 inChannels: c, outChannels: o, height: height, width: width, padding: padding, mode: mode,
                                 workspace: Workspace())
            if mode == .zero {
                #expect(Self.bits(dx) == Self.bits(dxRef))
            } else {
                #expect(ConvolutionTests.error(dx, dxRef.map(Double.init)) < 1e-6)
            }
            #expect(Self.bits(dw) == Self.bits(dwRef) && Self.bits(db) == Self.bits(dbRef))
            var dwOnly = [Float](repeating: 0, count: w.count)
            conv2dBackwardPadded(dInput: nil, dWeight: &dwOnly, dBias: nil, dOutput: dy, input: x, weight: w, batch: batch,
                                 inChannels: c, outChannels: o, height: height, width: width, padding: padding, mode: mode,
                                 workspace: Workspace())
            #expect(Self.bits(dwOnly) == Self.bits(dwRef))
        }
    }

    /// A whole layer: `.training` (the C transforms, tile-major GEMM operands) gives the bytes of
    /// `.winogradF4x3` (the Swift transforms, point-major) forward and backward, on ESPCN's 64 → 32
    /// and 32 → 9 (run on 12 maps) with batches and on odd sizes with partial tiles.
    @Test(arguments: [
        ConvolutionTests.Shape(batch: 5, inChannels: 64, outChannels: 32, height: 13, width: 13, kernel: 3),
        ConvolutionTests.Shape(batch: 3, inChannels: 64, outChannels: 32, height: 15, width: 18, kernel: 3),
        ConvolutionTests.Shape(batch: 4, inChannels: 32, outChannels: 9, height: 13, width: 13, kernel: 3),
        ConvolutionTests.Shape(batch: 2, inChannels: 12, outChannels: 12, height: 9, width: 7, kernel: 3),
    ])
    func trainingLayerGivesTheSwiftTransformsBytes(_ s: ConvolutionTests.Shape) {
        let outH = s.height - 2, outW = s.width - 2
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 21)
        let w: [Float] = randomValues(9 * s.inChannels * s.outChannels, seed: 22)
        let b: [Float] = randomValues(s.outChannels, seed: 23)
        let dy: [Float] = randomValues(s.batch * outH * outW * s.outChannels, seed: 24)
        func run(_ algorithm: ConvAlgorithm) -> [[Float]] {
            BLASThreads.with(1) {
                var y = [Float](repeating: .nan, count: dy.count)
                var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: w.count)
                conv2dForward(output: &y, input: x, weight: w, bias: b, batch: s.batch, inChannels: s.inChannels,
                              outChannels: s.outChannels, height: s.height, width: s.width, kernel: 3,
                              algorithm: algorithm, workspace: Workspace())
                conv2dBackward(dInput: &dx, dWeight: &dw, dBias: nil, dOutput: dy, input: x, weight: w, batch: s.batch,
                               inChannels: s.inChannels, outChannels: s.outChannels, height: s.height, width: s.width,
                               kernel: 3, algorithm: algorithm, workspace: Workspace())
                return [y, dx, dw]
            }
        }
        let training = run(.training), swift = run(.winogradF4x3)
        for (k, (a, b)) in zip(training, swift).enumerated() { #expect(Self.bits(a) == Self.bits(b), "output \(k)") }
        #expect(!training.joined().contains { $0.isNaN })
    }

    /// The training tanh, forward and backward, at every level: the Swift code's bits, on a sweep
    /// past the clamp, signed zeros, tiny and huge values, infinities and NaN, and a tail that is
    /// not a whole block of 16 (the Swift code's).
    @Test func tanhGivesTheSwiftBits() {
        var x: [Float] = stride(from: -10.0, through: 10.0, by: 0.000_93).map { Float($0) }
        x += [0, -0, 1e-30, -1e-8, 7.905311, 7.9053116, -7.9053116, 9, -87, 1e30, .infinity, -.infinity, .nan, 0.5, -0.25]
        var expected = [Float](repeating: .nan, count: x.count)
        tanhForwardVectorized(output: &expected, input: x, count: x.count)
        let dy: [Float] = randomValues(x.count, seed: 31)
        let expectedGradient = zip(dy, expected).map { g, y in g * (1 - y * y) }
        for level in Self.levels {
            var y = [Float](repeating: .nan, count: x.count), dx = [Float](repeating: .nan, count: x.count)
            let done = srlab_tanh(level, &y, x, x.count)
            y.withUnsafeMutableBufferPointer { out in
                x.withUnsafeBufferPointer { input in
                    tanhForwardVectorized(output: out.baseAddress! + done, input: input.baseAddress! + done, count: x.count - done)
                }
            }
            let gradientDone = srlab_tanh_backward(level, &dx, dy, expected, x.count)
            for i in gradientDone..<x.count { dx[i] = dy[i] * (1 - expected[i] * expected[i]) }
            #expect(level == 0 || done == x.count / 16 * 16)
            #expect(Self.bits(y) == Self.bits(expected), "level \(level)")
            #expect(Self.bits(dx) == Self.bits(expectedGradient), "level \(level)")
        }
        var wide = [Float](repeating: .nan, count: x.count)
        tanhForward(output: &wide, input: x, count: x.count, wideVectors: true)
        #expect(Self.bits(wide) == Self.bits(expected))
    }

    /// The first layer of a training step (one input map, no input gradient): the direct kernels
    /// where they run (32 or 64 maps), im2col where they do not (56), against the float64 direct
    /// loops, forward with bias and backward into non-zero weight and bias gradients (they accumulate).
    @Test(arguments: [
        ConvolutionTests.Shape(batch: 5, inChannels: 1, outChannels: 64, height: 15, width: 15, kernel: 5),
        ConvolutionTests.Shape(batch: 3, inChannels: 1, outChannels: 32, height: 20, width: 17, kernel: 9),
        ConvolutionTests.Shape(batch: 2, inChannels: 1, outChannels: 56, height: 15, width: 13, kernel: 5),
    ])
    func trainingFirstLayerMatchesNaive(_ s: ConvolutionTests.Shape) {
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let x: [Float] = randomValues(s.batch * s.height * s.width, seed: 41)
        let w: [Float] = randomValues(s.kernel * s.kernel * s.outChannels, seed: 42)
        let b: [Float] = randomValues(s.outChannels, seed: 43)
        var fast = [Float](repeating: .nan, count: s.batch * outH * outW * s.outChannels)
        var slow = [Double](repeating: .nan, count: fast.count)
        conv2dForward(output: &fast, input: x, weight: w, bias: b, batch: s.batch, inChannels: 1, outChannels: s.outChannels,
                      height: s.height, width: s.width, kernel: s.kernel, algorithm: .training, workspace: Workspace())
        conv2dForwardNaive(output: &slow, input: x.map(Double.init), weight: w.map(Double.init), bias: b.map(Double.init),
                           batch: s.batch, inChannels: 1, outChannels: s.outChannels, height: s.height, width: s.width,
                           kernel: s.kernel)
        #expect(ConvolutionTests.error(fast, slow) < 1e-6)
        let dy: [Float] = randomValues(fast.count, seed: 44)
        let dw0: [Float] = randomValues(w.count, seed: 45), db0: [Float] = randomValues(b.count, seed: 46)
        var (dwF, dbF) = (dw0, db0)
        var (dwS, dbS) = (dw0.map(Double.init), db0.map(Double.init))
        conv2dBackward(dInput: nil, dWeight: &dwF, dBias: &dbF, dOutput: dy, input: x, weight: w, batch: s.batch,
                       inChannels: 1, outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel,
                       algorithm: .training, workspace: Workspace())
        conv2dBackwardNaive(dInput: nil, dWeight: &dwS, dBias: &dbS, dOutput: dy.map(Double.init), input: x.map(Double.init),
                            weight: w.map(Double.init), batch: s.batch, inChannels: 1, outChannels: s.outChannels,
                            height: s.height, width: s.width, kernel: s.kernel)
        #expect(ConvolutionTests.error(dwF, dwS) < 1e-6)
        #expect(ConvolutionTests.error(dbF, dbS) < 1e-6)
        #expect(maxAbsDifference(dwF, dw0) > 0.01)
    }
}
