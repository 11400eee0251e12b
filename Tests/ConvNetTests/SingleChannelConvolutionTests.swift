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
    /// CPU has AVX-512 and no cap is set.
    @Test func variantFollowsTheCPU() {
        let name = String(cString: srlab_conv1_variant())
        let capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        #expect(name == (BLASRuntime.cpuFlags.contains("avx512f") && !capped ? "avx512" : "none"))
    }
}
