import ConvKernels
import Foundation
import LinearAlgebra
import SeededRandom
import Testing
@testable import ConvNet

/// F(3×3, 5×5)'s tile transforms in C (ConvKernels/WinogradTransforms.c) against the Swift ones
/// they replace, bit for bit, at every vector width this CPU has (F(4×4, 3×3)'s:
/// TrainingKernelTests.tileTransformsGiveTheSwiftBits).
@Suite struct WinogradNativeTransformTests {
    typealias Native = (Int32, UnsafePointer<Float>, Int, Int32, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    typealias NativeOutput = (Int32, UnsafePointer<Float>, Int, Int32, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void

    static var widths: [Int32] {
        let flags = BLASRuntime.cpuFlags
        return (flags.contains("avx2") ? [8] : []) + (flags.contains("avx512f") ? [16] : [])
    }

    @Test func theWidthFollowsTheCPU() {
        let flags = BLASRuntime.cpuFlags, capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        let expected = flags.contains("avx512f") && !capped ? 16 : flags.contains("avx2") ? 8 : 0
        #expect(WinogradNativeTransforms.lanes == expected)
        #expect(WinogradNativeTransforms.lanes(for: WinogradF2x3.self, Float.self, channels: 64) == nil)
        #expect(WinogradNativeTransforms.lanes(for: WinogradF3x5.self, Double.self, channels: 64) == nil)
        #expect(WinogradNativeTransforms.lanes(for: WinogradF4x3.self, Float.self, channels: 64) == nil)
    }

    @Test(arguments: [16, 32, 64])
    func f3x5IsTheSwiftOne(channels: Int) {
        Self.check(WinogradF3x5.self, channels: channels, input: srlab_f3x5_input_tile, output: srlab_f3x5_output_tile)
    }

    /// A run of tiles side by side (`srlab_f3x5_input_tiles`, their columns' first pass shared)
    /// gives each tile's bits from `srlab_f3x5_input_tile`, at every width; nothing past the run's
    /// tiles is written.
    @Test(arguments: [(1, 16), (3, 32), (8, 64)] as [(Int, Int)])
    func f3x5TilesSharingColumnsAreEachTilesOwn(tiles: Int, channels c: Int) {
        var rng = Xoshiro256(seed: 9)
        let width = 3 * (tiles - 1) + 7 + 2, rowStride = width * c, ps = c, tileStride = 49 * c + 5
        let image = (0..<(8 * rowStride)).map { _ in Float.random(in: -1...1, using: &rng) }
        let origin = rowStride + c   // the run starts at row 1, column 1
        for lanes in Self.widths {
            var expected = [Float](repeating: .nan, count: tiles * tileStride), got = expected
            var tmp = [Float](repeating: 0, count: 49 * c), columns = [Float](repeating: 0, count: (3 * (tiles - 1) + 7) * 7 * c)
            image.withUnsafeBufferPointer { d in
                for t in 0..<tiles {
                    expected.withUnsafeMutableBufferPointer { v in
                        srlab_f3x5_input_tile(lanes, d.baseAddress! + origin + 3 * t * c, rowStride, Int32(c), &tmp,
                                              v.baseAddress! + t * tileStride, ps)
                    }
                }
                srlab_f3x5_input_tiles(lanes, d.baseAddress! + origin, rowStride, Int32(c), Int32(tiles), &columns, &got, ps,
                                       tileStride)
            }
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(lanes) lanes, \(tiles) tiles of \(c) channels")
            #expect(got.filter(\.isNaN).count == tiles * 5, "wrote between the tiles")
        }
    }

    static func check<F: WinogradTransform>(_ f: F.Type, channels c: Int, input: Native, output: NativeOutput) {
        let α = F.tileSide, m = F.outputSide, p = F.points
        var rng = Xoshiro256(seed: 5)
        let rowStride = (α + 2) * c, ps = 3 * c   // a tile inside a wider image; points spread like a chunk's
        let image = (0..<(α * rowStride)).map { _ in Float.random(in: -1...1, using: &rng) }
        let mValues = (0..<(p * ps)).map { _ in Float.random(in: -1...1, using: &rng) }
        // The Swift transforms, as transformInputTile and transformOutputTile run them.
        var tmp = [Float](repeating: 0, count: p * c), v = [Float](repeating: 0, count: p * ps)
        var y = [Float](repeating: 0, count: m * m * c)
        image.withUnsafeBufferPointer { d in
            tmp.withUnsafeMutableBufferPointer { t in
                v.withUnsafeMutableBufferPointer { v in
                    for b in 0..<α {
                        F.input(SIMD4<Float>.self, Strided(d.baseAddress! + b * c, rowStride),
                                Strided(t.baseAddress! + b * c, α * c), count: c)
                    }
                    for a in 0..<α {
                        F.input(SIMD4<Float>.self, Strided(t.baseAddress! + a * α * c, c),
                                Strided(v.baseAddress! + a * α * ps, ps), count: c)
                    }
                }
            }
        }
        mValues.withUnsafeBufferPointer { mv in
            tmp.withUnsafeMutableBufferPointer { t in
                y.withUnsafeMutableBufferPointer { y in
                    for b in 0..<α {
                        F.output(SIMD4<Float>.self, Strided(mv.baseAddress! + b * ps, α * ps),
                                 Strided(t.baseAddress! + b * c, α * c), count: c)
                    }
                    for i in 0..<m {
                        F.output(SIMD4<Float>.self, Strided(t.baseAddress! + i * α * c, c),
                                 Strided(y.baseAddress! + i * m * c, c), count: c)
                    }
                }
            }
        }
        for lanes in widths where c % Int(lanes) == 0 {
            var nativeV = [Float](repeating: .nan, count: p * ps), nativeY = [Float](repeating: .nan, count: m * m * c)
            var scratch = [Float](repeating: 0, count: p * c)
            input(lanes, image, rowStride, Int32(c), &scratch, &nativeV, ps)
            output(lanes, mValues, ps, Int32(c), &scratch, &nativeY)
            // Only the points' channels are written; compare those.
            let points = (0..<p).flatMap { point in (0..<c).map { point * ps + $0 } }
            #expect(points.allSatisfy { nativeV[$0].bitPattern == v[$0].bitPattern }, "\(F.self) input, \(lanes) lanes")
            #expect(zip(nativeY, y).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(F.self) output, \(lanes) lanes")
        }
    }
}
