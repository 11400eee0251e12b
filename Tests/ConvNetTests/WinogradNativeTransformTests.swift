import ConvKernels
import Foundation
import LinearAlgebra
import SeededRandom
import Testing
@testable import ConvNet

/// F(3×3, 5×5)'s tile transforms in C (ConvKernels/WinogradTransforms.c) against the Swift ones
/// they replace, bit for bit, at every vector width this CPU has.
@Suite struct WinogradNativeTransformTests {
    static var widths: [Int32] {
        let flags = BLASRuntime.cpuFlags
        return (flags.contains("avx2") ? [8] : []) + (flags.contains("avx512f") ? [16] : [])
    }

    @Test func theWidthFollowsTheCPU() {
        let flags = BLASRuntime.cpuFlags, capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        let expected = flags.contains("avx512f") && !capped ? 16 : flags.contains("avx2") ? 8 : 0
        #expect(WinogradNativeTransforms.lanes == expected)
        #expect(WinogradNativeTransforms.lanes(for: WinogradF4x3.self, Float.self, channels: 64) == nil)
        #expect(WinogradNativeTransforms.lanes(for: WinogradF3x5.self, Double.self, channels: 64) == nil)
    }

    @Test(arguments: [16, 32, 64])
    func inputAndOutputTransformsAreTheSwiftOnes(channels c: Int) {
        var rng = Xoshiro256(seed: 5)
        let rowStride = 9 * c, ps = 3 * c   // a tile inside a wider image; points spread like a chunk's
        let image = (0..<(7 * rowStride)).map { _ in Float.random(in: -1...1, using: &rng) }
        let m = (0..<(49 * ps)).map { _ in Float.random(in: -1...1, using: &rng) }
        // The Swift transforms, as transformInputTile and transformOutputTile run them.
        var tmp = [Float](repeating: 0, count: 49 * c), v = [Float](repeating: 0, count: 49 * ps)
        var y = [Float](repeating: 0, count: 9 * c)
        image.withUnsafeBufferPointer { d in
            tmp.withUnsafeMutableBufferPointer { t in
                v.withUnsafeMutableBufferPointer { v in
                    for b in 0..<7 {
                        WinogradF3x5.input(SIMD4<Float>.self, Strided(d.baseAddress! + b * c, rowStride),
                                           Strided(t.baseAddress! + b * c, 7 * c), count: c)
                    }
                    for a in 0..<7 {
                        WinogradF3x5.input(SIMD4<Float>.self, Strided(t.baseAddress! + a * 7 * c, c),
                                           Strided(v.baseAddress! + a * 7 * ps, ps), count: c)
                    }
                }
            }
        }
        m.withUnsafeBufferPointer { m in
            tmp.withUnsafeMutableBufferPointer { t in
                y.withUnsafeMutableBufferPointer { y in
                    for b in 0..<7 {
                        WinogradF3x5.output(SIMD4<Float>.self, Strided(m.baseAddress! + b * ps, 7 * ps),
                                            Strided(t.baseAddress! + b * c, 7 * c), count: c)
                    }
                    for i in 0..<3 {
                        WinogradF3x5.output(SIMD4<Float>.self, Strided(t.baseAddress! + i * 7 * c, c),
                                            Strided(y.baseAddress! + i * 3 * c, c), count: c)
                    }
                }
            }
        }
        for lanes in Self.widths where c % Int(lanes) == 0 {
            var nativeV = [Float](repeating: .nan, count: 49 * ps), nativeY = [Float](repeating: .nan, count: 9 * c)
            var scratch = [Float](repeating: 0, count: 49 * c)
            srlab_f3x5_input_tile(lanes, image, rowStride, Int32(c), &scratch, &nativeV, ps)
            srlab_f3x5_output_tile(lanes, m, ps, Int32(c), &scratch, &nativeY)
            // Only the points' channels are written; compare those.
            let points = (0..<49).flatMap { p in (0..<c).map { p * ps + $0 } }
            #expect(points.allSatisfy { nativeV[$0].bitPattern == v[$0].bitPattern }, "input transform, \(lanes) lanes")
            #expect(zip(nativeY, y).allSatisfy { $0.bitPattern == $1.bitPattern }, "output transform, \(lanes) lanes")
        }
    }
}
