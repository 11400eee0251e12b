import ConvKernels
import Foundation
import Imaging
import LinearAlgebra
import Testing
@testable import ConvNet

/// `StreamingInference` (tiled, streamed, what `SequentialModel.upscale` runs) gives what
/// `SequentialNetwork` gives on the whole frame, for every published LR-space spec and scale,
/// however the frame is cut: only float rounding differs (sums in another order, tanh within a
/// few ulp), so the largest difference must stay within 1e-5 of the output's largest magnitude.
@Suite struct StreamingInferenceTests {
    static let specs: [NetworkSpec] = [2, 3, 4].flatMap { s in [NetworkSpec.fsrcnn(scale: s), .fsrcnnSmall(scale: s), .espcn(scale: s)] }

    /// Random parameters of every kind, large enough that every tap and channel matters: the
    /// initialisation's convolutions, random biases and PReLU slopes (some negative), and a
    /// deconvolution far larger than its N(0, 0.001²) start.
    static func parameters(_ spec: NetworkSpec, seed: UInt64) -> [[Float]] {
        var parameters = spec.initialParameters(seed: seed)
        for (l, layer) in spec.layers.enumerated() {
            guard let first = spec.firstTensorIndex[l] else { continue }
            let count = parameters[first].count
            switch layer {
            case .conv:
                parameters[first + 1] = randomValues(parameters[first + 1].count, seed: seed + UInt64(l) + 100).map { $0 * 0.2 }
            case .deconv:
                parameters[first] = randomValues(count, seed: seed + UInt64(l) + 200).map { $0 * 0.1 }
                parameters[first + 1] = randomValues(1, seed: seed + UInt64(l) + 300)
            case .prelu:
                parameters[first] = randomValues(count, seed: seed + UInt64(l) + 400).map { $0 * 0.5 }
            default:
                break
            }
        }
        return parameters
    }

    static func frame(width: Int, height: Int, seed: UInt64) -> Plane {
        Plane(width: width, height: height, values: randomValues(width * height, seed: seed, as: Double.self).map { ($0 + 1) / 2 })
    }

    /// The reference: SequentialNetwork forward-only on the whole frame.
    static func reference(_ spec: NetworkSpec, _ parameters: [[Float]], _ input: Plane) throws -> [Double] {
        let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: input.height,
                                               inputWidth: input.width, forwardOnly: true)
        return net.forward(parameters: parameters, inputs: input.values.map(Float.init), batch: 1).map(Double.init)
    }

    static func expectClose(_ streamed: Plane, _ reference: [Double], _ label: String) {
        #expect(streamed.values.count == reference.count, "\(label): \(streamed.values.count) pixels, expected \(reference.count)")
        guard streamed.values.count == reference.count else { return }
        let largest = reference.map(abs).max() ?? 0
        let difference = zip(streamed.values, reference).map { abs($0 - $1) }.max() ?? 0
        #expect(largest > 0.05, "\(label): the output is nearly zero, the comparison would be weak")
        #expect(difference <= 1e-5 * max(1, largest), "\(label): largest difference \(difference), output up to \(largest)")
    }

    /// Frames odd in both sides, smaller than one tile, cut into many tiles and bands.
    @Test(arguments: specs)
    func streamingEqualsTheWholeFrame(spec: NetworkSpec) throws {
        let parameters = Self.parameters(spec, seed: 11)
        let streaming = try #require(StreamingInference(spec: spec, parameters: parameters), "\(spec.name) has no streaming plan")
        for (width, height) in [(1, 1), (3, 2), (13, 11), (37, 29)] {
            let input = Self.frame(width: width, height: height, seed: UInt64(width * 100 + height))
            let reference = try Self.reference(spec, parameters, input)
            // The defaults (one tile smaller than the frame or not); whole width, 8-row bands;
            // narrow tiles and 3-row bands; 5-pixel tiles, one row at a time. Channel-major
            // (FSRCNN's plans) and NHWC.
            for channelMajor in [true, false] {
                streaming.allowChannelMajor = channelMajor
                for (tileWidth, band) in [(128, 4), (0, 8), (7, 3), (5, 1)] {
                    streaming.tileWidth = tileWidth
                    streaming.band = band
                    Self.expectClose(streaming.apply(to: input), reference,
                                     "\(spec.name) \(width)×\(height) tiles \(tileWidth) band \(band) channel-major \(channelMajor)")
                }
            }
            streaming.allowChannelMajor = true
            // One thread (a single tile, BLAS and the loops threaded) as well.
            streaming.tileWidth = 0
            streaming.band = 4
            let single = ConvNetThreads.with(1) { streaming.apply(to: input) }
            Self.expectClose(single, reference, "\(spec.name) \(width)×\(height) one thread")
        }
    }

    /// ESPCN's 3×3 layers stream by Winograd F(4×4, 3×3): the 64 → 32 one, and the last one to
    /// its r² maps (padded to a multiple of 4 at ×3) through the shuffle; FSRCNN's last step, a
    /// deconvolution, stays on partial maps. (The forms' results: `streamingEqualsTheWholeFrame`.)
    @Test func espcnPlanIsWinograd() throws {
        for scale in [2, 3, 4] {
            let spec = NetworkSpec.espcn(scale: scale)
            let streaming = try #require(StreamingInference(spec: spec, parameters: Self.parameters(spec, seed: 1)))
            #expect(streaming.plan.stages.map(\.form) == [.singleChannel, .winogradF4x3, .winogradShuffle], "\(spec.name)")
            #expect(streaming.plan.stages.last?.computedChannels == (scale * scale + 3) / 4 * 4)
            #expect(!streaming.plan.channelMajor)
            #expect(streaming.band == 8, "two rows of F(4×4, 3×3) tiles a band")
        }
        let fsrcnn = NetworkSpec.fsrcnn(scale: 3)
        let fsrcnnStreaming = try #require(StreamingInference(spec: fsrcnn, parameters: Self.parameters(fsrcnn, seed: 1)))
        #expect(fsrcnnStreaming.plan.stages.last?.form == .partialMaps)
        #expect(fsrcnnStreaming.band == 4)
    }

    /// ConvKernels' direct kernels (the first layer with its bias and tanh applied as it stores,
    /// the tanh passes) give what the GEMM form and Swift's tanh give, up to float rounding, for
    /// ESPCN at every scale, cut into tiles and bands.
    @Test func directKernelsMatchTheGEMMForms() throws {
        for scale in [2, 3, 4] {
            let spec = NetworkSpec.espcn(scale: scale)
            let parameters = Self.parameters(spec, seed: 21)
            let direct = try #require(StreamingInference(spec: spec, parameters: parameters))
            let gemm = try #require(StreamingInference(spec: spec, parameters: parameters, directKernels: false))
            let input = Self.frame(width: 53, height: 19, seed: 2)
            for (tileWidth, band) in [(128, 4), (9, 3)] {
                direct.tileWidth = tileWidth
                direct.band = band
                Self.expectClose(direct.apply(to: input), gemm.apply(to: input).values, "\(spec.name) tiles \(tileWidth) band \(band)")
            }
        }
    }

    /// More strips than threads come in a multiple of the threads, each at most the tile width
    /// and all within one pixel of each other: a 640-pixel frame in 128-pixel strips on 2 threads
    /// is 6 strips (5 would leave a thread idle for the fifth).
    @Test func stripsShareOutEvenly() {
        for (width, threads, expected) in [(640, 2, 6), (426, 2, 4), (1920, 2, 16), (640, 3, 6), (100, 2, 2)] {
            let tiles = StreamingInference.tiles(width: width, height: 50, tileWidth: 128, threads: threads)
            #expect(tiles.count == expected, "\(width) wide on \(threads) threads: \(tiles.count) tiles")
            #expect(tiles.count % threads == 0)
            let widths = tiles.map(\.columns.count)
            #expect(widths.max()! <= 128 && widths.max()! - widths.min()! <= 1, "\(width): strip widths \(widths)")
            #expect(tiles.map(\.columns.count).reduce(0, +) == width * Set(tiles.map(\.rows)).count)
        }
    }

    /// The shipped ESPCN ×3 on Set5: streaming (Winograd F(4×4, 3×3), tiles, bands) gives the whole
    /// frame's `SequentialNetwork` result within 1e-5 on every image (the pixels are on [0, 1]),
    /// and the table's mean PSNR (results/paper-table/metrics.csv: 32.6570) to the fourth decimal.
    @Test(.enabled(if: dataRoot != nil && FileManager.default.fileExists(atPath: packageRoot.path + "/results/models/espcn_x3.safetensors"),
                   "needs SRLAB_DATA (or ../shared/datasets) and results/models/espcn_x3.safetensors"))
    func shippedESPCNOnSet5() throws {
        let model = try SequentialModel(contentsOf: packageRoot.path + "/results/models/espcn_x3.safetensors", scale: 3)
        let folder = dataRoot!.appendingPathComponent("Set5")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bmp") }.sorted()
        #expect(files.count == 5)
        var psnrs: [Double] = []
        for name in files {
            let path = folder.appendingPathComponent(name).path
            let image = try PreparedImage(image: try ImageIO.read(path), name: name, scale: 3, path: path)
            let streamed = model.upscale(lowRes: image.lowRes)
            let reference = try Self.reference(model.spec, model.parameters, image.lowRes)
            let difference = zip(streamed.values, reference).map { abs($0 - $1) }.max() ?? .infinity
            print("ESPCN x3 \(name): streaming vs whole frame, largest difference \(difference)")
            #expect(streamed.values.count == reference.count && difference <= 1e-5, "\(name): largest difference \(difference)")
            // Against the former path: the GEMM form, Swift's tanh, bands of 4 rows.
            let forms = try #require(StreamingInference(spec: model.spec, parameters: model.parameters, directKernels: false))
            forms.band = 4
            let formsDifference = zip(streamed.values, forms.apply(to: image.lowRes).values).map { abs($0 - $1) }.max() ?? .infinity
            print("ESPCN x3 \(name): against the GEMM form, Swift's tanh and 4-row bands, largest difference \(formsDifference)")
            #expect(formsDifference <= 1e-5, "\(name): direct kernels differ by \(formsDifference)")
            psnrs.append(SRProtocol.score(streamed, against: image).0.psnr)
        }
        let mean = psnrs.reduce(0, +) / Double(psnrs.count)
        #expect(abs(mean - 32.6570) < 0.0005, "mean PSNR \(mean)")
    }

    /// Zero padding (PyTorch's convention) streams as well.
    @Test func zeroPaddingStreams() throws {
        for spec in [NetworkSpec.fsrcnn(scale: 3, padding: .zero), .espcn(scale: 2, padding: .zero)] {
            let parameters = Self.parameters(spec, seed: 5)
            let streaming = try #require(StreamingInference(spec: spec, parameters: parameters))
            streaming.tileWidth = 6
            streaming.band = 2
            let input = Self.frame(width: 23, height: 17, seed: 9)
            let reference = try Self.reference(spec, parameters, input)
            Self.expectClose(streaming.apply(to: input), reference, spec.name)
            streaming.allowChannelMajor = false
            Self.expectClose(streaming.apply(to: input), reference, "\(spec.name) NHWC")
        }
    }

    /// `SequentialModel.upscale` streams the published networks and gives the whole frame's result;
    /// a spec the runner has no plan for (a valid convolution, an upscaling layer mid-network)
    /// still runs, through SequentialNetwork.
    @Test func modelUpscaleUsesEitherPath() throws {
        let spec = NetworkSpec.fsrcnnSmall(scale: 3)
        let parameters = Self.parameters(spec, seed: 3)
        let input = Self.frame(width: 40, height: 31, seed: 4)
        let model = SequentialModel(spec: spec, parameters: parameters)
        Self.expectClose(model.upscale(lowRes: input), try Self.reference(spec, parameters, input), "model \(spec.name)")

        let others = [
            NetworkSpec(name: "valid", layers: [.conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 0), .relu,
                                                 .conv(kernel: 3, inChannels: 4, outChannels: 4, padding: 1), .pixelShuffle(factor: 2)]),
            NetworkSpec(name: "shuffle first", layers: [.conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 1), .pixelShuffle(factor: 2),
                                                         .conv(kernel: 3, inChannels: 1, outChannels: 1, padding: 1)]),
        ]
        for other in others {
            let parameters = Self.parameters(other, seed: 8)
            #expect(StreamingInference(spec: other, parameters: parameters) == nil, "\(other.name) should have no streaming plan")
            let model = SequentialModel(spec: other, parameters: parameters)
            let out = model.upscale(lowRes: input)
            let reference = try Self.reference(other, parameters, input)
            #expect(out.values == reference, "\(other.name): the fallback is SequentialNetwork itself")
        }
    }
}

/// The vectorised tanh streaming uses against libm's, over the whole range an activation meets.
@Suite struct VectorizedTanhTests {
    @Test func withinFiveUlpOfLibm() {
        var inputs: [Float] = stride(from: -12.0, through: 12.0, by: 0.000_37).map { Float($0) }
        inputs += [0, -0, 1e-30, -1e-8, 3e-4, 0.625, -0.625, 7.905, -7.906, 9, -9, 20, -87, 1000]
        var outputs = [Float](repeating: .nan, count: inputs.count)
        tanhForwardVectorized(output: &outputs, input: inputs, count: inputs.count)
        var worst: Float = 0, at: Float = 0
        for (x, y) in zip(inputs, outputs) {
            let exact = Foundation.tanh(x)
            let ulps = abs(y - exact) / max(exact.magnitude.ulp, Float.leastNormalMagnitude)
            if ulps > worst { worst = ulps; at = x }
        }
        #expect(worst <= 5, "largest error \(worst) ulp at x = \(at)")
        #expect(abs(outputs.last! - 1) < 4e-7 && abs(outputs[outputs.count - 2] + 1) < 4e-7)
    }

    /// ConvKernels' tanh (`srlab_bias_tanh`, which streaming's tanh passes and ESPCN's first
    /// layer use), each variant the CPU has, with and without a bias: within 5 ulp of libm's tanh
    /// of the sum, over the whole range an activation meets; `dst` may be `src`.
    @Test func convKernelsTanhWithinFiveUlpOfLibm() {
        let flags = BLASRuntime.cpuFlags
        let variants: [Int32] = (flags.contains("avx512f") ? [512] : []) + (flags.contains("avx2") && flags.contains("fma") ? [256] : [])
        let channels = 16
        var inputs: [Float] = stride(from: -12.0, through: 12.0, by: 0.000_37).map { Float($0) }
        inputs += [0, -0, 1e-30, -1e-8, 3e-4, 0.625, -0.625, 7.905, -7.906, 9, -9, 20, -87, 1000]
        while inputs.count % channels != 0 { inputs.append(0.5) }
        let pixels = inputs.count / channels
        let bias: [Float] = randomValues(channels, seed: 5)
        for isa in variants {
            for withBias in [false, true] {
                var outputs = inputs
                let ran = outputs.withUnsafeMutableBufferPointer { o in
                    srlab_bias_tanh(isa, o.baseAddress!, o.baseAddress!, pixels, Int32(channels), withBias ? bias : nil)
                }
                #expect(ran != 0)
                var worst: Float = 0
                for (i, y) in outputs.enumerated() {
                    let exact = Foundation.tanh(inputs[i] + (withBias ? bias[i % channels] : 0))
                    worst = max(worst, abs(y - exact) / max(exact.magnitude.ulp, Float.leastNormalMagnitude))
                }
                #expect(worst <= 5, "isa \(isa) bias \(withBias): largest error \(worst) ulp")
            }
        }
        // 8·odd channels: the AVX2 blocks (also under isa 512); other counts are declined untouched.
        if !variants.isEmpty {
            var odd: [Float] = [0.1, -2, 3, 0.5, -0.25, 9, -9, 0.01, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8]
            let source = odd
            #expect(srlab_bias_tanh(variants[0], &odd, source, 1, 24, nil) != 0)
            #expect(zip(odd, source).allSatisfy { abs($0 - Foundation.tanh($1)) <= 5 * Foundation.tanh($1).magnitude.ulp })
            var twelve = [Float](repeating: 0.5, count: 12)
            #expect(srlab_bias_tanh(variants[0], &twelve, [Float](repeating: 1, count: 12), 1, 12, nil) == 0)
            #expect(twelve.allSatisfy { $0 == 0.5 })
        }
    }

    /// Streaming's bias + tanh pass gives exactly `tanhForwardVectorized` of the sums, whether the
    /// channels come in 16s or in an odd number of 8s, over an odd number of pixels.
    @Test(arguments: [8, 24, 32, 64])
    func biasTanhCopyIsTanhOfTheSums(channels: Int) {
        let pixels = 13
        let src: [Float] = randomValues(pixels * channels, seed: UInt64(channels)).map { $0 * 6 }
        let bias: [Float] = randomValues(channels, seed: 99)
        var expected = (0..<(pixels * channels)).map { src[$0] + bias[$0 % channels] }
        tanhForwardVectorized(output: &expected, input: expected, count: expected.count)
        var out = [Float](repeating: .nan, count: pixels * channels)
        biasTanhCopyFloat(&out, src, pixels: pixels, channels: channels, bias: bias)
        #expect(out == expected)
    }
}
