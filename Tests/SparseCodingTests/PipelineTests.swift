import SeededRandom
import Foundation
import Testing
import Imaging
import LinearAlgebra
import TensorFile
@testable import SparseCoding

/// The package root, for locating ../shared beside it.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

func referenceRoot() -> String? {
    let path = ProcessInfo.processInfo.environment["SRLAB_REFERENCE"] ?? packageRoot + "/../shared/reference"
    return FileManager.default.fileExists(atPath: path + "/scsr_original") ? path + "/scsr_original" : nil
}

@Suite struct FeatureTests {
    /// A 6×3 plane whose pixel (x, y) is 10·y + x² (distinct, nonlinear along rows).
    let plane: Plane = {
        var p = Plane(width: 6, height: 3)
        for y in 0..<3 { for x in 0..<6 { p[x, y] = Double(10 * y + x * x) } }
        return p
    }()

    @Test func firstOrderIsLeftMinusRight() {
        let f = Features.extract(plane)
        // conv2 with [-1 0 1] flips it: out(x) = I(x−1) − I(x+1), zero outside.
        let inner: Double = plane[1, 1] - plane[3, 1]
        #expect(f[0][2, 1] == inner)
        #expect(f[0][0, 1] == -plane[1, 1])
        #expect(f[0][5, 2] == plane[4, 2])
        // the transpose works down columns: I(y−1) − I(y+1)
        let vertical: Double = plane[3, 0] - plane[3, 2]
        #expect(f[1][3, 1] == vertical)
        #expect(f[1][3, 0] == -plane[3, 1])
    }

    @Test func secondOrderIsCentredLaplacianWithGap() {
        let f = Features.extract(plane)
        let a: Double = plane[0, 0] - 2 * plane[2, 0] + plane[4, 0]
        let b: Double = 0 - 2 * plane[1, 2] + plane[3, 2]
        let c: Double = plane[4, 0] - 2 * plane[4, 2] + 0
        #expect(f[2][2, 0] == a)
        #expect(f[2][1, 2] == b)
        #expect(f[3][4, 2] == c)
        // hand values: row 0 is x², so I(0) − 2I(2) + I(4) = 0 − 8 + 16
        #expect(f[2][2, 0] == 8)
    }
}

@Suite struct PatchTests {
    @Test func gridFollowsTheRelease() {
        // MATLAB: 3:1:20−5−2 then 13 again → 0-based 2…12, with 12 listed twice.
        let grid = Patches.grid(length: 20, patchSize: 5, overlap: 4)
        #expect(grid.map(\.position) == Array(2...12))
        #expect(grid.last?.weight == 2 && grid.first?.weight == 1)
        // stride 2 (overlap 3): 3:2:13 = 3,5,…,13 plus 13 → 0-based 2,4,…,12 with 12 doubled
        #expect(Patches.grid(length: 20, patchSize: 5, overlap: 3).map(\.weight) == [1, 1, 1, 1, 1, 2])
        #expect(Patches.grid(length: 7, patchSize: 5, overlap: 4).isEmpty)
    }

    @Test func extractionAndAveragingInvertEachOther() {
        var rng = Xoshiro256(seed: 4)
        let image = Plane(width: 17, height: 13, values: (0..<(17 * 13)).map { _ in rng.nextUniform() * 255 })
        let fallback = Plane(width: 17, height: 13, repeating: -1)
        var sum = Plane(width: 17, height: 13), count = Plane(width: 17, height: 13)
        var patch = [Double](repeating: 0, count: 25)
        for gx in Patches.grid(length: 17, patchSize: 5, overlap: 4) {
            for gy in Patches.grid(length: 13, patchSize: 5, overlap: 4) {
                Patches.extract(image, x: gx.position, y: gy.position, size: 5, into: &patch, offset: 0)
                #expect(patch[1 + 5 * 3] == image[gx.position + 3, gy.position + 1]) // row 1, column 3
                patch.withUnsafeBufferPointer {
                    Patches.accumulate($0.baseAddress!, x: gx.position, y: gy.position, size: 5,
                                       weight: Double(gx.weight * gy.weight), sum: &sum, count: &count)
                }
            }
        }
        let back = Patches.average(sum: sum, count: count, fallback: fallback)
        for y in 0..<13 {
            for x in 0..<17 {
                let covered = x >= 2 && x <= 17 - 4 && y >= 2 && y <= 13 - 4
                if covered { #expect(abs(back[x, y] - image[x, y]) < 1e-9) } else { #expect(back[x, y] == -1) }
            }
        }
    }
}

@Suite struct BackProjectionTests {
    @Test func kernelIsTheSquaredGaussianNormalised() {
        let k = BackProjection.kernel
        #expect(abs(k.reduce(0, +) - 1) < 1e-15)
        // ratio centre / neighbour of exp(−r²/2)² is e
        #expect(abs(k[12] / k[13] - exp(1)) < 1e-12)
    }

    @Test func backProjectionReducesTheLowResolutionError() {
        var rng = Xoshiro256(seed: 2)
        let low = Plane(width: 12, height: 10, values: (0..<120).map { _ in rng.nextUniform() * 255 })
        let start = Plane(width: 24, height: 20, repeating: 128)
        func error(_ x: Plane) -> Double {
            let down = Resize.bicubic(x, width: 12, height: 10)
            return zip(down.values, low.values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        let refined = BackProjection.apply(start, lowRes: low, iterations: 20)
        #expect(error(refined) < 0.05 * error(start))
    }
}

@Suite struct ReleaseComparisonTests {
    /// The released x2 dictionary on a crop of the release's demo input: away from the crop's
    /// edges the result must match the release's own output (result.bmp), which differs from ours
    /// only by its colour round trip (≈ 53 dB measured on this crop).
    @Test func cropOfTheDemoMatchesTheReleaseOutput() throws {
        guard let root = referenceRoot() else { return } // reference files absent: skip
        let dictionary = try CoupledDictionary(contentsOf: root + "/D_1024_0.15_5.safetensors")
        let low = Color.luma(try ImageIO.read(root + "/Testing/input.bmp")).map { $0 / 255 }
        let theirs = Color.luma(try ImageIO.read(root + "/Testing/result.bmp"))
        let x0 = 40, size = 24, margin = 8
        let sr = ScSR(dictionary: dictionary)
        let out = Quantize.to8Bit(sr.upscale(lowRes: low.cropped(x: x0, y: x0, width: size, height: size)))
        let side = 2 * size - 2 * margin
        let psnr = Metrics.psnr(out.cropped(x: margin, y: margin, width: side, height: side),
                                theirs.cropped(x: 2 * x0 + margin, y: 2 * x0 + margin, width: side, height: side), shave: 0)
        #expect(psnr > 45, "PSNR against the release's output: \(psnr) dB")
    }
}

@Suite struct ScSRProgressTests {
    /// Progress counts the patches coded, a block at a time, and does not change the result.
    @Test func progressCountsEveryPatch() {
        var options = ScSR.Options(backProjectionIterations: 2)
        options.block = 50
        let sr = ScSR(dictionary: smallDictionary(scale: 2), options: options)
        var low = Plane(width: 12, height: 10)
        for y in 0..<10 { for x in 0..<12 { low[x, y] = 0.5 + 0.4 * sin(Double(x) / 2) * cos(Double(y) / 3) } }
        let lock = NSLock()
        nonisolated(unsafe) var reports: [(Int, Int)] = []
        let watched = sr.upscale(lowRes: low, progress: { done, total in lock.lock(); reports.append((done, total)); lock.unlock() })
        let patches = sr.patchSignals(midRes: Resize.bicubic(low.map { $0 * 255 }, scale: 2)).positions.count
        #expect(reports.count == (patches + 49) / 50)
        #expect(reports.allSatisfy { $0.1 == patches } && reports.last?.0 == patches)
        #expect(watched.values == sr.upscale(lowRes: low).values)
    }
}
