import Foundation
import LinearAlgebra
import ConvKernels
import SeededRandom
import Testing
@testable import ConvNet

/// SRCNN's 9×9 first layer by F(3×3, 3×3) on its sub-kernels (ConvKernels/Winograd9x9.c) against
/// the direct loops in Double: every grid phase, outputs narrower and shorter than a tile, rows
/// that end in a partial register block, with and without bias and ReLU.
@Suite struct WinogradNineByNineTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var height, width, channels: Int
        var testDescription: String { "\(height)x\(width) O\(channels)" }
    }

    static let shapes = [
        Shape(height: 9, width: 9, channels: 64),     // one output pixel
        Shape(height: 10, width: 11, channels: 64),   // less than a tile
        Shape(height: 20, width: 43, channels: 64),   // 12 tiles across at phase 0: two whole blocks
        Shape(height: 25, width: 62, channels: 64),   // blocks and single tiles
        Shape(height: 17, width: 30, channels: 128),
    ]

    @Test func variantFollowsTheCPU() {
        let flags = BLASRuntime.cpuFlags, capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        let expected = flags.contains("avx512f") && !capped ? "avx512"
            : flags.contains("avx2") && flags.contains("fma") ? "avx2" : "none"
        #expect(WinogradNineByNine.variant == expected)
        #expect(WinogradNineByNine.applies(kernel: 9, inChannels: 1, outChannels: 64) == (expected != "none"))
        #expect(!WinogradNineByNine.applies(kernel: 5, inChannels: 1, outChannels: 64))
        #expect(!WinogradNineByNine.applies(kernel: 9, inChannels: 2, outChannels: 64))
    }

    @Test(arguments: shapes, [(0, 0), (1, 2), (2, 1), (2, 2), (0, 1)])
    func matchesTheDirectSum(_ s: Shape, phase: (Int, Int)) throws {
        try #require(WinogradNineByNine.applies(kernel: 9, inChannels: 1, outChannels: s.channels))
        var rng = Xoshiro256(seed: 17)
        let input = (0..<(s.height * s.width)).map { _ in Float.random(in: 0...1, using: &rng) }
        let weight = (0..<(81 * s.channels)).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        let bias = (0..<s.channels).map { _ in Float.random(in: -1...1, using: &rng) }
        let outH = s.height - 8, outW = s.width - 8
        for withBias in [false, true] {
            var expected = [Double](repeating: 0, count: outH * outW * s.channels)
            conv2dForwardNaive(output: &expected, input: input.map(Double.init), weight: weight.map(Double.init),
                               bias: withBias ? bias.map(Double.init) : nil, batch: 1, inChannels: 1,
                               outChannels: s.channels, height: s.height, width: s.width, kernel: 9, relu: withBias)
            var out = [Float](repeating: .nan, count: expected.count)
            var v = [Float](repeating: 0, count: 9 * 25 * s.channels)
            var scratch = [Float](repeating: .nan, count: WinogradNineByNine.scratchCount(
                height: s.height, width: s.width, channels: s.channels))
            weight.withUnsafeBufferPointer { w in
                v.withUnsafeMutableBufferPointer {
                    WinogradNineByNine.transformKernels(w.baseAddress!, channels: s.channels, into: $0.baseAddress!)
                }
            }
            input.withUnsafeBufferPointer { x in
                bias.withUnsafeBufferPointer { b in
                    WinogradNineByNine.forward(output: &out, input: x.baseAddress!, kernels: v, height: s.height,
                                               width: s.width, channels: s.channels, phase: phase,
                                               bias: withBias ? b.baseAddress : nil, relu: withBias, scratch: &scratch)
                }
            }
            // F(3×3, 3×3)'s float32 error is about twice the direct sum's (experiments/winograd_f3x3.py).
            let scale = expected.map(abs).max()!
            #expect(!out.contains { $0.isNaN }, "an output pixel was not written")
            #expect(maxAbsDifference(out.map(Double.init), expected) < 3e-6 * scale)
        }
    }
}
