import Testing
@testable import ConvNet

/// The LR-space networks' layers: each fast path in Float against its naive twin in Double,
/// forward and backward, on shapes that exercise odd and even strides, several maps, batches,
/// non-square inputs and (for the transposed convolution) chunks that span images.
@Suite struct TransposedConvolutionTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var batch, inChannels, outChannels, height, width, kernel, stride, padding: Int
        var testDescription: String {
            "N\(batch) C\(inChannels) O\(outChannels) \(height)x\(width) k\(kernel) s\(stride) p\(padding)"
        }
        var outCount: Int { batch * stride * height * stride * width * outChannels }
    }
    static let shapes = [
        Shape(batch: 2, inChannels: 3, outChannels: 2, height: 4, width: 5, kernel: 9, stride: 3, padding: 3),  // FSRCNN ×3
        Shape(batch: 1, inChannels: 4, outChannels: 1, height: 5, width: 3, kernel: 9, stride: 2, padding: 3),  // ×2
        Shape(batch: 2, inChannels: 2, outChannels: 3, height: 3, width: 4, kernel: 9, stride: 4, padding: 2),  // ×4
        Shape(batch: 1, inChannels: 3, outChannels: 1, height: 4, width: 4, kernel: 9, stride: 3, padding: 4),  // PyTorch ports' padding
        Shape(batch: 1, inChannels: 2, outChannels: 2, height: 3, width: 3, kernel: 3, stride: 3, padding: 0),  // no overlap
        Shape(batch: 1, inChannels: 56, outChannels: 1, height: 12, width: 10, kernel: 9, stride: 3, padding: 3),  // FSRCNN's channels
        Shape(batch: 2, inChannels: 2, outChannels: 4, height: 70, width: 100, kernel: 9, stride: 3, padding: 3),  // 3 chunks across images
    ]

    /// Relative to the reference's largest magnitude when above 1. Measured: ≤ 7.7e-7 for both
    /// paths, forward and backward (2.6e-6 for dBias on the largest shape, checked at 1e-5).
    static let tolerance = 2e-6

    static func error(_ fast: [Float], _ reference: [Double]) -> Double {
        maxAbsDifference(fast.map(Double.init), reference) / max(1, reference.map(abs).max() ?? 0)
    }

    @Test func theLargeShapeReallyRunsInChunksThatSpanImages() {
        let s = Self.shapes.last!
        let rowsPerChunk = chunkElementLimit / (s.width * s.kernel * s.kernel * s.outChannels)
        #expect(rowsPerChunk < s.batch * s.height && s.height % rowsPerChunk != 0)
    }

    @Test(arguments: shapes, DeconvolutionAlgorithm.allCases)
    func forwardMatchesNaive(_ s: Shape, algorithm: DeconvolutionAlgorithm) {
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 31)
        let w: [Float] = randomValues(s.inChannels * s.kernel * s.kernel * s.outChannels, seed: 32)
        let b: [Float] = randomValues(s.outChannels, seed: 33)
        var fast = [Float](repeating: .nan, count: s.outCount)
        var slow = [Double](repeating: .nan, count: s.outCount)
        switch algorithm {
        case .gemm:
            conv2dTransposeForward(output: &fast, input: x, weight: w, bias: b, batch: s.batch, inChannels: s.inChannels,
                                   outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel,
                                   stride: s.stride, padding: s.padding, workspace: Workspace())
        case .subPixel:
            conv2dTransposeForwardSubPixel(output: &fast, input: x, weight: w, bias: b, batch: s.batch,
                                           inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                                           width: s.width, kernel: s.kernel, stride: s.stride, padding: s.padding,
                                           workspace: Workspace())
        }
        conv2dTransposeForwardNaive(output: &slow, input: x.map(Double.init), weight: w.map(Double.init),
                                    bias: b.map(Double.init), batch: s.batch, inChannels: s.inChannels,
                                    outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel,
                                    stride: s.stride, padding: s.padding)
        #expect(Self.error(fast, slow) < Self.tolerance)
    }

    /// The sub-pixel path with each inner convolution formulation forced.
    @Test(arguments: [ConvAlgorithm.im2col, .partialMaps])
    func subPixelFormulationsAgree(_ inner: ConvAlgorithm) {
        let s = Self.shapes[0]
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 34)
        let w: [Float] = randomValues(s.inChannels * s.kernel * s.kernel * s.outChannels, seed: 35)
        let dy: [Float] = randomValues(s.outCount, seed: 36)
        var y = [Float](repeating: .nan, count: s.outCount), reference = [Double](repeating: .nan, count: s.outCount)
        conv2dTransposeForwardSubPixel(output: &y, input: x, weight: w, bias: nil, batch: s.batch, inChannels: s.inChannels,
                                       outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel,
                                       stride: s.stride, padding: s.padding, algorithm: inner, workspace: Workspace())
        conv2dTransposeForwardNaive(output: &reference, input: x.map(Double.init), weight: w.map(Double.init), bias: nil,
                                    batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                                    height: s.height, width: s.width, kernel: s.kernel, stride: s.stride, padding: s.padding)
        #expect(Self.error(y, reference) < Self.tolerance)
        var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var dxS = [Double](repeating: .nan, count: x.count), dwS = [Double](repeating: 0, count: w.count)
        conv2dTransposeBackwardSubPixel(dInput: &dx, dWeight: &dw, dBias: nil, dOutput: dy, input: x, weight: w,
                                        batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                                        height: s.height, width: s.width, kernel: s.kernel, stride: s.stride,
                                        padding: s.padding, algorithm: inner, workspace: Workspace())
        conv2dTransposeBackwardNaive(dInput: &dxS, dWeight: &dwS, dBias: nil, dOutput: dy.map(Double.init),
                                     input: x.map(Double.init), weight: w.map(Double.init), batch: s.batch,
                                     inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                                     width: s.width, kernel: s.kernel, stride: s.stride, padding: s.padding)
        #expect(Self.error(dx, dxS) < Self.tolerance)
        #expect(Self.error(dw, dwS) < Self.tolerance)
    }

    @Test(arguments: shapes, DeconvolutionAlgorithm.allCases)
    func backwardMatchesNaive(_ s: Shape, algorithm: DeconvolutionAlgorithm) {
        let x: [Float] = randomValues(s.batch * s.height * s.width * s.inChannels, seed: 41)
        let w: [Float] = randomValues(s.inChannels * s.kernel * s.kernel * s.outChannels, seed: 42)
        let dy: [Float] = randomValues(s.outCount, seed: 43)
        // dWeight and dBias accumulate onto what is there; dInput is overwritten.
        let dx0: [Float] = randomValues(x.count, seed: 44), dw0: [Float] = randomValues(w.count, seed: 45)
        let db0: [Float] = randomValues(s.outChannels, seed: 46)
        var (dxF, dwF, dbF) = (dx0, dw0, db0)
        var (dxS, dwS, dbS) = (dx0.map(Double.init), dw0.map(Double.init), db0.map(Double.init))
        switch algorithm {
        case .gemm:
            conv2dTransposeBackward(dInput: &dxF, dWeight: &dwF, dBias: &dbF, dOutput: dy, input: x, weight: w,
                                    batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                                    height: s.height, width: s.width, kernel: s.kernel, stride: s.stride,
                                    padding: s.padding, workspace: Workspace())
        case .subPixel:
            conv2dTransposeBackwardSubPixel(dInput: &dxF, dWeight: &dwF, dBias: &dbF, dOutput: dy, input: x, weight: w,
                                            batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels,
                                            height: s.height, width: s.width, kernel: s.kernel, stride: s.stride,
                                            padding: s.padding, workspace: Workspace())
        }
        conv2dTransposeBackwardNaive(dInput: &dxS, dWeight: &dwS, dBias: &dbS, dOutput: dy.map(Double.init),
                                     input: x.map(Double.init), weight: w.map(Double.init), batch: s.batch,
                                     inChannels: s.inChannels, outChannels: s.outChannels, height: s.height,
                                     width: s.width, kernel: s.kernel, stride: s.stride, padding: s.padding)
        #expect(Self.error(dxF, dxS) < Self.tolerance)
        #expect(Self.error(dwF, dwS) < Self.tolerance)
        // dBias sums every output gradient of its map in Float (126,000 on the largest shape).
        #expect(Self.error(dbF, dbS) < (s.outCount > 100_000 ? 1e-5 : Self.tolerance))
        #expect(maxAbsDifference(dxF, dx0) > 0.01, "dInput was not touched")
    }

    /// One LR pixel with a one-tap kernel lands where the padding rule says: tap (dy, dx) of LR
    /// pixel (i, j) at HR (i·s + dy − p, j·s + dx − p). With FSRCNN's rule at ×3 the centre tap of
    /// a 9×9 kernel lands on HR (3i + 1, 3j + 1), the LR pixel's centre.
    @Test func theCentreTapLandsOnTheLRPixelCentre() {
        let (k, s) = (9, 3), p = fsrcnnDeconvolutionPadding(kernel: k, stride: s)
        #expect(p == 3)
        var w = [Double](repeating: 0, count: k * k)
        w[4 * k + 4] = 1
        var x = [Double](repeating: 0, count: 9)
        x[1 * 3 + 2] = 1   // LR pixel (1, 2)
        var y = [Double](repeating: .nan, count: 81)
        conv2dTransposeForwardNaive(output: &y, input: x, weight: w, bias: nil, batch: 1, inChannels: 1, outChannels: 1,
                                    height: 3, width: 3, kernel: k, stride: s, padding: p)
        #expect(y.firstIndex(of: 1) == (3 * 1 + 1) * 9 + (3 * 2 + 1))
        #expect(y.filter { $0 != 0 }.count == 1)
        #expect(fsrcnnDeconvolutionPadding(kernel: 9, stride: 2) == 3 && fsrcnnDeconvolutionPadding(kernel: 9, stride: 4) == 2)
    }
}

@Suite struct PixelShuffleTests {
    /// PyTorch's nn.PixelShuffle(2) on NCHW channels [c0: 0…3, c1: 4…7] of one pixel gives
    /// out[c] = [[4c, 4c + 1], [4c + 2, 4c + 3]]; here in NHWC.
    @Test func channelOrderIsPyTorchs() {
        let x: [Double] = (0..<8).map(Double.init)
        var y = [Double](repeating: .nan, count: 8)
        pixelShuffleForward(output: &y, input: x, batch: 1, height: 1, width: 1, outChannels: 2, factor: 2)
        // y[(row·2 + col)·2 + c]
        #expect(y == [0, 4, 1, 5, 2, 6, 3, 7])
        var naive = [Double](repeating: .nan, count: 8)
        pixelShuffleForwardNaive(output: &naive, input: x, batch: 1, height: 1, width: 1, outChannels: 2, factor: 2)
        #expect(naive == y)
    }

    @Test(arguments: [(1, 2), (1, 3), (3, 2), (2, 4)])
    func fastMatchesNaiveAndBackwardInvertsForward(channels c: Int, factor r: Int) {
        let (n, h, w) = (2, 3, 5)
        let x: [Float] = randomValues(n * h * w * c * r * r, seed: 51)
        var fast = [Float](repeating: .nan, count: x.count), slow = fast
        pixelShuffleForward(output: &fast, input: x, batch: n, height: h, width: w, outChannels: c, factor: r)
        pixelShuffleForwardNaive(output: &slow, input: x, batch: n, height: h, width: w, outChannels: c, factor: r)
        #expect(fast == slow)
        #expect(fast.sorted() == x.sorted() && fast != x)
        let dy: [Float] = randomValues(x.count, seed: 52)
        var dFast = [Float](repeating: .nan, count: x.count), dSlow = dFast
        pixelShuffleBackward(dInput: &dFast, dOutput: dy, batch: n, height: h, width: w, outChannels: c, factor: r)
        pixelShuffleBackwardNaive(dInput: &dSlow, dOutput: dy, batch: n, height: h, width: w, outChannels: c, factor: r)
        #expect(dFast == dSlow)
        var back = [Float](repeating: .nan, count: x.count)
        pixelShuffleBackward(dInput: &back, dOutput: fast, batch: n, height: h, width: w, outChannels: c, factor: r)
        #expect(back == x)
    }
}

@Suite struct PReLUAndTanhTests {
    /// 600 pixels: three blocks of the slope gradient's partial sums, the last one partial. 5 maps
    /// take the generic loop, 12 and 56 (FSRCNN's) the SIMD one.
    @Test(arguments: [5, 12, 56])
    func preluFastMatchesNaive(channels c: Int) {
        let pixels = 600
        let x: [Float] = randomValues(pixels * c, seed: 61)
        let a: [Float] = (0..<c).map { [0.25, -0.1, 0, 1.5, 0.7][$0 % 5] }
        var fast = [Float](repeating: .nan, count: x.count)
        var slow = [Double](repeating: .nan, count: x.count)
        preluForward(output: &fast, input: x, slope: a, pixels: pixels, channels: c)
        preluForwardNaive(output: &slow, input: x.map(Double.init), slope: a.map(Double.init), pixels: pixels, channels: c)
        #expect(maxAbsDifference(fast.map(Double.init), slow) < 1e-7)
        let dy: [Float] = randomValues(x.count, seed: 62)
        let da0: [Float] = randomValues(c, seed: 63)
        var dx = [Float](repeating: .nan, count: x.count), da = da0
        var dxS = [Double](repeating: .nan, count: x.count), daS = da0.map(Double.init)
        preluBackward(dInput: &dx, dSlope: &da, dOutput: dy, input: x, slope: a, pixels: pixels, channels: c)
        preluBackwardNaive(dInput: &dxS, dSlope: &daS, dOutput: dy.map(Double.init), input: x.map(Double.init),
                           slope: a.map(Double.init), pixels: pixels, channels: c)
        #expect(maxAbsDifference(dx.map(Double.init), dxS) < 1e-7)
        #expect(maxAbsDifference(da.map(Double.init), daS) < 1e-5)   // sums of ~300 products
        #expect(maxAbsDifference(da, da0) > 0.1, "dSlope did not accumulate")
        // In place, as the network may run it.
        var inPlace = dy
        preluBackward(dInput: &inPlace, dSlope: &da, dOutput: dy, input: x, slope: a, pixels: pixels, channels: c)
        #expect(inPlace == dx)
    }

    @Test(arguments: [3, 12])
    func preluThreadCountDoesNotChangeTheSlopeGradient(channels c: Int) {
        let pixels = 2000
        let x: [Float] = randomValues(pixels * c, seed: 64), dy: [Float] = randomValues(pixels * c, seed: 65)
        let a = [Float](repeating: 0.25, count: c)
        func slopeGradient(threads: Int) -> [Float] {
            var dx = [Float](repeating: 0, count: x.count), da = [Float](repeating: 0, count: c)
            ConvNetThreads.with(threads) {
                preluBackward(dInput: &dx, dSlope: &da, dOutput: dy, input: x, slope: a, pixels: pixels, channels: c)
            }
            return da
        }
        #expect(slopeGradient(threads: 1) == slopeGradient(threads: 2))
    }

    @Test func tanhFastMatchesNaive() {
        let x: [Float] = randomValues(1003, seed: 71).map { $0 * 4 }   // not a multiple of the vector width
        var fast = [Float](repeating: .nan, count: x.count)
        var slow = [Double](repeating: .nan, count: x.count)
        tanhForward(output: &fast, input: x, count: x.count)
        tanhForwardNaive(output: &slow, input: x.map(Double.init), count: x.count)
        #expect(maxAbsDifference(fast.map(Double.init), slow) < 2e-7)
        let dy: [Float] = randomValues(x.count, seed: 72)
        var dx = [Float](repeating: .nan, count: x.count)
        var dxS = [Double](repeating: .nan, count: x.count)
        tanhBackward(dInput: &dx, dOutput: dy, output: fast, count: x.count)
        tanhBackwardNaive(dInput: &dxS, dOutput: dy.map(Double.init), input: x.map(Double.init), count: x.count)
        #expect(maxAbsDifference(dx.map(Double.init), dxS) < 1e-6)
    }
}

@Suite struct PaddingAdjointTests {
    /// ⟨pad(x), g⟩ = ⟨x, padᵀ(g)⟩ for both rules, with unequal borders and several channels.
    @Test(arguments: [PaddingMode.replicate, .zero])
    func backwardIsTheAdjoint(_ mode: PaddingMode) {
        let (n, h, w, c) = (2, 3, 4, 3), (top, bottom, left, right) = (2, 1, 1, 3)
        let outCount = n * (h + top + bottom) * (w + left + right) * c
        let x: [Double] = randomValues(n * h * w * c, seed: 81), g: [Double] = randomValues(outCount, seed: 82)
        var y = [Double](repeating: .nan, count: outCount), dx = [Double](repeating: .nan, count: x.count)
        switch mode {
        case .replicate:
            replicatePad(output: &y, input: x, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
            replicatePadBackward(dInput: &dx, dOutput: g, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
        case .zero:
            zeroPad(output: &y, input: x, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
            zeroPadBackward(dInput: &dx, dOutput: g, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
        }
        let lhs = zip(y, g).reduce(0) { $0 + $1.0 * $1.1 }, rhs = zip(x, dx).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(lhs - rhs) < 1e-12)
        #expect(mode == .zero ? y.contains(0) : !y.contains(0))
    }

    /// Zero padding writes every element (it zeroes only the border, around the copied rows): the
    /// definition, from a NaN-filled buffer, with unequal borders and none on some sides.
    @Test(arguments: [(2, 1, 1, 3), (0, 2, 0, 1), (1, 0, 2, 0)])
    func zeroPadMatchesTheDefinition(_ top: Int, _ bottom: Int, _ left: Int, _ right: Int) {
        let (n, h, w, c) = (3, 4, 5, 2), (outH, outW) = (4 + top + bottom, 5 + left + right)
        let x: [Float] = randomValues(n * h * w * c, seed: 84)
        var y = [Float](repeating: .nan, count: n * outH * outW * c)
        zeroPad(output: &y, input: x, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
        var expected = [Float](repeating: 0, count: y.count)
        for i in 0..<n { for r in 0..<h { for col in 0..<w { for ch in 0..<c {
            expected[((i * outH + r + top) * outW + col + left) * c + ch] = x[((i * h + r) * w + col) * c + ch]
        } } } }
        #expect(y == expected)
    }

    /// The Float path (vector runs over a row's interior and the channels of a border pixel)
    /// against the Double one, with maps that fill whole vectors (12) and that do not (3).
    @Test(arguments: [3, 12])
    func replicateBackwardInFloatMatchesDouble(channels c: Int) {
        let (n, h, w) = (2, 5, 6), (top, bottom, left, right) = (1, 2, 2, 1)
        let outCount = n * (h + top + bottom) * (w + left + right) * c
        let g: [Float] = randomValues(outCount, seed: 83)
        var dx = [Float](repeating: .nan, count: n * h * w * c), dxD = [Double](repeating: .nan, count: dx.count)
        replicatePadBackward(dInput: &dx, dOutput: g, batch: n, height: h, width: w, channels: c, top: top, bottom: bottom, left: left, right: right)
        replicatePadBackward(dInput: &dxD, dOutput: g.map(Double.init), batch: n, height: h, width: w, channels: c,
                             top: top, bottom: bottom, left: left, right: right)
        #expect(maxAbsDifference(dx.map(Double.init), dxD) < 1e-6)
        #expect(!dx.contains { $0.isNaN })
    }
}
