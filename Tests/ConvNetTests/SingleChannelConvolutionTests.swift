import LinearAlgebra
import Foundation
import ConvKernels
import SeededRandom
import Testing
@testable import ConvNet

/// The single-channel first layer (SRCNN, FSRCNN, ESPCN): the direct kernel against the GEMM form
/// and the direct loops, in both output layouts, for the networks' shapes and the edges of the
/// kernel's blocks (rows that end in a partial block, rows too narrow for it, map counts it does
/// not take, which must fall back to the GEMM form).
@Suite struct SingleChannelConvolutionTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var outChannels, height, width, kernel: Int
        var testDescription: String { "O\(outChannels) \(height)x\(width) k\(kernel)" }
    }
    static let shapes = [
        Shape(outChannels: 64, height: 20, width: 264, kernel: 9),   // SRCNN on a 256-wide band
        Shape(outChannels: 64, height: 12, width: 107, kernel: 9),   // a row ending in partial blocks
        Shape(outChannels: 56, height: 6, width: 430, kernel: 5),    // FSRCNN on a 426-wide frame
        Shape(outChannels: 32, height: 7, width: 75, kernel: 5),     // FSRCNN-s
        Shape(outChannels: 64, height: 5, width: 41, kernel: 5),     // ESPCN, narrow
        Shape(outChannels: 12, height: 9, width: 140, kernel: 3),    // maps the NHWC blocks do not take
        Shape(outChannels: 6, height: 11, width: 13, kernel: 9),     // too narrow, 6 maps: GEMM form
        Shape(outChannels: 64, height: 9, width: 11, kernel: 5),     // 7 pixels a row
    ]

    /// With and without the bias and ReLU that SRCNN's channel-major first layer applies as it stores.
    @Test(arguments: shapes, [(false, false), (false, true), (true, false), (true, true)])
    func directKernelMatchesTheGEMMFormAndTheLoops(_ s: Shape, layout: (channelMajor: Bool, biasReLU: Bool)) {
        let channelMajor = layout.channelMajor
        var rng = Xoshiro256(seed: 91)
        let input = (0..<(s.height * s.width)).map { _ in Float.random(in: 0...1, using: &rng) }
        let weight = (0..<(s.kernel * s.kernel * s.outChannels)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let bias = (0..<s.outChannels).map { _ in Float.random(in: -1...1, using: &rng) }
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1, count = outH * outW * s.outChannels
        func run(direct: Bool) -> [Float] {
            var out = [Float](repeating: .nan, count: count)
            let workspace = Workspace<Float>()
            out.withUnsafeMutableBufferPointer { o in
                bias.withUnsafeBufferPointer { b in
                    conv2dForwardSingleChannelFloat(output: o.baseAddress!, input: input, weight: weight, outChannels: s.outChannels,
                                                    height: s.height, width: s.width, kernel: s.kernel, channelMajor: channelMajor,
                                                    workspace: workspace, bias: layout.biasReLU ? b.baseAddress : nil,
                                                    relu: layout.biasReLU, direct: direct)
                }
            }
            return out
        }
        var naive = [Float](repeating: 0, count: count)
        conv2dForwardNaive(output: &naive, input: input, weight: weight, bias: layout.biasReLU ? bias : nil, batch: 1, inChannels: 1,
                           outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel, relu: layout.biasReLU)
        if channelMajor {   // the naive loops write NHWC
            let nhwc = naive
            for p in 0..<(outH * outW) { for c in 0..<s.outChannels { naive[c * outH * outW + p] = nhwc[p * s.outChannels + c] } }
        }
        let direct = run(direct: true), gemm = run(direct: false)
        #expect(!direct.contains { $0.isNaN }, "every output written")
        // Sums of at most 81 products of magnitude ≤ 0.5 in Float: a few ulp of the result's size.
        let worstAgainstLoops = zip(direct, naive).map { abs($0 - $1) }.max()!
        let worstAgainstGEMM = zip(direct, gemm).map { abs($0 - $1) }.max()!
        #expect(worstAgainstLoops < 1e-5)
        #expect(worstAgainstGEMM < 1e-5)
    }

    /// Which kernel runs follows the CPU (the bench records it): the AVX-512 one exactly where the
    /// CPU has AVX-512 and no cap is set, else the AVX2 one (only the NHWC kernel with its
    /// activation) where the CPU has AVX2 and FMA.
    @Test func variantFollowsTheCPU() {
        let name = String(cString: srlab_conv1_variant())
        let flags = BLASRuntime.cpuFlags
        let capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        let avx2 = flags.contains("avx2") && flags.contains("fma")
        #expect(name == (flags.contains("avx512f") && !capped ? "avx512" : avx2 ? "avx2" : "none"))
        // ESPCN's first layer on a 107-pixel tile row takes the direct kernel wherever there is one.
        let runs = srlab_conv1_nhwc_activated_runs(0, 111, 5, 64)
        #expect(runs == (name == "avx512" ? 512 : name == "avx2" ? 256 : 0))
    }

    /// The instruction sets of the direct kernels this CPU has (each variant is tested where it can run).
    static var variants: [Int32] {
        let flags = BLASRuntime.cpuFlags
        return (flags.contains("avx512f") ? [512] : []) + (flags.contains("avx2") && flags.contains("fma") ? [256] : [])
    }

    struct ActivatedShape: CustomTestStringConvertible, Sendable {
        var outChannels, height, width, kernel: Int
        var testDescription: String { "O\(outChannels) \(height)x\(width) k\(kernel)" }
    }
    static let activatedShapes = [
        ActivatedShape(outChannels: 64, height: 8, width: 111, kernel: 5),   // ESPCN on a 107-pixel tile row
        ActivatedShape(outChannels: 64, height: 5, width: 14, kernel: 5),    // 10 pixels: AVX2's last block overlaps
        ActivatedShape(outChannels: 48, height: 6, width: 20, kernel: 3),    // 48 maps: AVX2 only
        ActivatedShape(outChannels: 32, height: 9, width: 9, kernel: 5),     // 5 pixels: AVX-512 only
        ActivatedShape(outChannels: 64, height: 7, width: 7, kernel: 5),     // 3 pixels: neither
        ActivatedShape(outChannels: 8, height: 7, width: 30, kernel: 3),     // 8 maps: neither
    ]

    /// `srlab_conv1_nhwc_activated` (bias and activation applied as it stores, rows `outRowStride`
    /// apart) against the naive loops followed by the bias and libm's tanh in Double, for each
    /// variant the CPU has: it runs exactly for the shapes its blocks take, writes the rows and
    /// nothing between them, and where it declines writes nothing at all.
    @Test(arguments: activatedShapes, [SRLAB_ACTIVATION_NONE, SRLAB_ACTIVATION_RELU, SRLAB_ACTIVATION_TANH])
    func activatedKernelMatchesTheLoops(_ s: ActivatedShape, activation: Int) {
        var rng = Xoshiro256(seed: 17)
        let input = (0..<(s.height * s.width)).map { _ in Float.random(in: 0...1, using: &rng) }
        // Large enough that tanh's sums reach its flat ends (|sum| up to ~6).
        let weight = (0..<(s.kernel * s.kernel * s.outChannels)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let bias = (0..<s.outChannels).map { _ in Float.random(in: -1...1, using: &rng) }
        let outH = s.height - s.kernel + 1, outW = s.width - s.kernel + 1
        let rowLength = outW * s.outChannels, stride = rowLength + 3
        var sums = [Float](repeating: 0, count: outH * rowLength)
        conv2dForwardNaive(output: &sums, input: input, weight: weight, bias: bias, batch: 1, inChannels: 1,
                           outChannels: s.outChannels, height: s.height, width: s.width, kernel: s.kernel)
        let expected: [Double] = sums.map {
            switch activation {
            case SRLAB_ACTIVATION_RELU: return Double(max($0, 0))
            case SRLAB_ACTIVATION_TANH: return Foundation.tanh(Double($0))
            default: return Double($0)
            }
        }
        for isa in Self.variants {
            let blocks = isa == 512 ? (maps: 32, pixels: 4) : (maps: 16, pixels: 6)
            let fits = s.outChannels % blocks.maps == 0 && outW >= blocks.pixels
            #expect(srlab_conv1_nhwc_activated_runs(isa, Int32(s.width), Int32(s.kernel), Int32(s.outChannels)) == (fits ? isa : 0))
            var out = [Float](repeating: .nan, count: outH * stride)
            let ran = srlab_conv1_nhwc_activated(isa, &out, stride, input, weight, Int32(s.height), Int32(s.width), Int32(s.kernel),
                                                 Int32(s.outChannels), bias, Int32(activation))
            #expect((ran != 0) == fits, "isa \(isa) \(s.testDescription)")
            guard fits else {
                #expect(out.allSatisfy { $0.isNaN }, "declined, yet wrote")
                continue
            }
            var worst = 0.0
            for i in 0..<outH {
                for e in 0..<rowLength { worst = max(worst, abs(Double(out[i * stride + e]) - expected[i * rowLength + e])) }
                #expect((rowLength..<stride).allSatisfy { out[i * stride + $0].isNaN }, "wrote between rows")
            }
            // Float sums of 25 products ≤ 0.5 (a few 1e-7), then tanh within 5 ulp.
            #expect(worst < 2e-6, "isa \(isa) \(s.testDescription) activation \(activation): largest difference \(worst)")
        }
    }

    /// `srlab_conv1_weight_gradient_nhwc` (a training step's first layer): each variant the CPU has
    /// against the naive loops in Double, the variants bit for bit alike (each lane the same sums in
    /// the same order), added to what dWeight held; declining (maps its blocks do not take) writes nothing.
    @Test(arguments: [(64, 15, 15, 5), (32, 15, 15, 5), (16, 9, 12, 3), (48, 13, 13, 9), (56, 15, 15, 5)] as [(Int, Int, Int, Int)])
    func weightGradientKernelMatchesTheLoops(_ maps: Int, _ height: Int, _ width: Int, _ kernel: Int) {
        var rng = Xoshiro256(seed: 23)
        let input = (0..<(height * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        let outCount = (height - kernel + 1) * (width - kernel + 1) * maps
        let dOutput = (0..<outCount).map { _ in Float.random(in: -1...1, using: &rng) }
        let start = (0..<(kernel * kernel * maps)).map { _ in Float.random(in: -1...1, using: &rng) }
        var expected = [Double](repeating: 0, count: start.count)
        conv2dBackwardNaive(dInput: nil, dWeight: &expected, dBias: nil, dOutput: dOutput.map(Double.init),
                            input: input.map(Double.init), weight: [Double](repeating: 0, count: start.count), batch: 1,
                            inChannels: 1, outChannels: maps, height: height, width: width, kernel: kernel)
        var results: [Int32: [Float]] = [:]
        for isa in Self.variants {
            var dWeight = start
            let ran = srlab_conv1_weight_gradient_nhwc(isa, &dWeight, input, dOutput, Int32(height), Int32(width),
                                                       Int32(kernel), Int32(maps))
            #expect((ran != 0) == (maps % (isa == 512 ? 32 : 16) == 0), "isa \(isa), \(maps) maps")
            guard ran != 0 else {
                #expect(dWeight == start, "declined, yet wrote")
                continue
            }
            let worst = zip(dWeight, zip(start, expected)).map { abs(Double($0) - (Double($1.0) + $1.1)) }.max()!
            // Float sums of up to 121 products of values ≤ 1.
            #expect(worst < 1e-4, "isa \(isa): largest difference \(worst)")
            results[isa] = dWeight
        }
        if let wide = results[512], let narrow = results[256] {
            #expect(wide.map(\.bitPattern) == narrow.map(\.bitPattern), "AVX-512 and AVX2 sums differ")
        }
    }
}
