import Foundation
import Testing
import Imaging
import LinearAlgebra
import SeededRandom
@testable import ExampleBased

/// The shared front end: conv2-'same' features, the grid, PCA, overlap-add.
@Suite struct FrontEndTests {
    static func randomPlane(width: Int, height: Int, seed: UInt64) -> Plane {
        var rng = Xoshiro256(seed: seed)
        return Plane(width: width, height: height, values: (0..<(width * height)).map { _ in rng.nextUniform() })
    }

    /// The recipe's closed forms: at x3 the gradient is x[i+2] − x[i−1] (not centred), at x2
    /// x[i+1] − x[i−1], at x4 x[i+2] − x[i−2]; the Laplacian (x[i+s] − 2x[i] + x[i−s])/2.
    @Test(arguments: [2, 3, 4])
    func conv2SameMatchesTheRecipesDifferences(scale s: Int) {
        let image = Self.randomPlane(width: 23, height: 19, seed: UInt64(s))
        let filters = ZeydeConfiguration.recipeFilters(scale: s)
        let a = (s + 1) / 2
        let gradRows = ZeydeFeatures.conv2Same(image, kernel: filters[0], alongRows: true)
        let gradCols = ZeydeFeatures.conv2Same(image, kernel: filters[1], alongRows: false)
        let lapRows = ZeydeFeatures.conv2Same(image, kernel: filters[2], alongRows: true)
        let lapCols = ZeydeFeatures.conv2Same(image, kernel: filters[3], alongRows: false)
        func at(_ x: Int, _ y: Int) -> Double { x < 0 || y < 0 || x >= image.width || y >= image.height ? 0 : image[x, y] }
        var worst = 0.0
        for y in 0..<image.height {
            for x in 0..<image.width {
                worst = max(worst, abs(gradRows[x, y] - (at(x + a, y) - at(x + a - s, y))))
                worst = max(worst, abs(gradCols[x, y] - (at(x, y + a) - at(x, y + a - s))))
                worst = max(worst, abs(lapRows[x, y] - (at(x + s, y) - 2 * at(x, y) + at(x - s, y)) / 2))
                worst = max(worst, abs(lapCols[x, y] - (at(x, y + s) - 2 * at(x, y) + at(x, y - s)) / 2))
            }
        }
        #expect(worst < 1e-15)
    }

    @Test func gridCoversTheImageButItsBorderColumnMajor() {
        let grid = PatchGrid(width: 30, height: 24, scale: 3) // LR 10×8
        #expect(grid.rowCount == 4 && grid.columnCount == 6 && grid.count == 24)
        #expect(grid.corner(0) == (3, 3))
        #expect(grid.corner(1) == (6, 3)) // r fastest
        #expect(grid.corner(23) == (12, 18))
        // Last patch ends at H − s − 1 / W − s − 1.
        #expect(grid.corner(23).row + grid.patchSide - 1 == 24 - 3 - 1)
        #expect(grid.corner(23).column + grid.patchSide - 1 == 30 - 3 - 1)
        #expect(PatchGrid(width: 12, height: 12, scale: 3).count == 0)
    }

    @Test func overlapAddIsThePlainMeanAndLeavesTheBorderAtB() {
        let grid = PatchGrid(width: 12, height: 10, scale: 2) // 1 × 2 patches of 6×6 at (2,2), (2,4)
        #expect(grid.count == 2)
        let mid = Self.randomPlane(width: 12, height: 10, seed: 9)
        var details = [Double](repeating: 1, count: 36) + [Double](repeating: 3, count: 36)
        details[0] = 7 // pixel (row 2, column 2), covered by patch 0 only
        var sum = OverlapAdd(grid: grid)
        details.withUnsafeBufferPointer { sum.add(details: $0.baseAddress!, first: 0, count: 2) }
        let out = sum.result(midRes: mid)
        #expect(out[2, 2] == mid[2, 2] + 7)
        #expect(abs(out[5, 3] - (mid[5, 3] + 2)) < 1e-15)   // both patches
        #expect(abs(out[9, 7] - (mid[9, 7] + 3)) < 1e-15)   // patch 1 only
        #expect(out[0, 0] == mid[0, 0] && out[11, 9] == mid[11, 9] && out[10, 5] == mid[10, 5])
    }

    /// The fused, parallel filtering is the reference `conv2Same` path to the bit, in both
    /// precisions, on sizes that leave partial borders.
    @Test(arguments: [2, 3, 4])
    func filteredColumnMajorIsConv2SameBitForBit(scale s: Int) {
        let image = Self.randomPlane(width: 29, height: 17 + s, seed: 40 + UInt64(s))
        let filters = ZeydeConfiguration.recipeFilters(scale: s)
        let reference = ZeydeFeatures.filtered(image, filters: filters)
        #expect(ZeydeFeatures.filteredColumnMajor(image, filters: filters, as: Double.self)
                == ZeydeFeatures.columnMajor(reference, as: Double.self))
        #expect(ZeydeFeatures.filteredColumnMajor(image, filters: filters, as: Float.self)
                == ZeydeFeatures.columnMajor(reference, as: Float.self))
    }

    /// The column-split overlap-add gives the serial one's sums exactly, however it is split
    /// (boundaries inside patches, more parts than patch columns).
    @Test(arguments: [1, 2, 3, 7])
    func overlapAddSplitByColumnsIsTheSerialOne(parts: Int) {
        let grid = PatchGrid(width: 31, height: 22, scale: 3)
        let mid = Self.randomPlane(width: 31, height: 22, seed: 11)
        var rng = Xoshiro256(seed: 12)
        let details = (0..<(grid.count * grid.patchSide * grid.patchSide)).map { _ in Float(rng.nextUniform() - 0.5) }
        var serial = OverlapAdd(grid: grid), split = OverlapAdd(grid: grid)
        details.withUnsafeBufferPointer {
            serial.add(details: $0.baseAddress!, first: 0, count: grid.count)
            split.addAll(details: $0.baseAddress!, parts: parts)
        }
        #expect(split.result(midRes: mid).values == serial.result(midRes: mid).values)
    }
}

/// The front end against the reference's values for Set5 bird at each scale
/// (`derived_x{s}.safetensors`, float64).
@Suite(.enabled(if: aplusRoot != nil, "needs SRLAB_REFERENCE with aplus/"))
struct FrontEndGoldenTests {
    /// Our bicubic mid-res of bird_GT equals the reference's (both Double: 1e-12; measured: equal).
    @Test(.enabled(if: dataRoot != nil, "needs SRLAB_DATA"), arguments: [2, 3, 4])
    func bicubicMidResMatches(scale: Int) throws {
        let image = try preparedImages("Set5", scale: scale).first { $0.name == "bird_GT.bmp" }!
        let mid = Resize.bicubic(image.lowRes, scale: Double(scale))
        let golden = try derivedMatrix(try derived(scale: scale), "golden_bird_mid")
        #expect(mid.width == golden.columns && mid.height == golden.rows)
        let difference = relativeDifference(mid.values, golden.rowMajor)
        print("x\(scale) golden_bird_mid: max relative difference \(difference)")
        #expect(difference < 1e-12, "mid-res differs by \(difference) relative")
    }

    /// Raw features and their PCA for the first 16 grid patches of the reference's mid-res: to
    /// 1e-12 relative in Double (measured: equal, and 8e-16), 1e-6 in Float (the path of GR, ANR
    /// and A+).
    @Test(arguments: [2, 3, 4])
    func featuresAndPCAMatch(scale: Int) throws {
        let file = try derived(scale: scale)
        let mid = try derivedMatrix(file, "golden_bird_mid")
        let plane = Plane(width: mid.columns, height: mid.rows, values: mid.rowMajor)
        let c = try configuration(scale: scale)
        let raw = ZeydeFeatures.raw(plane, configuration: c)
        let first16 = raw.columns(Array(0..<16))
        let goldenFeatures = try derivedMatrix(file, "golden_bird_features_first16")
        #expect(first16.rows == goldenFeatures.rows)
        let featureDifference = relativeDifference(first16.elements, goldenFeatures.elements)
        #expect(featureDifference < 1e-12, "features differ by \(featureDifference) relative")
        let pca = ZeydeFeatures.project(first16, configuration: c)
        let goldenPCA = try derivedMatrix(file, "golden_bird_pca_first16")
        let pcaDifference = relativeDifference(pca.elements, goldenPCA.elements)
        let single = ZeydeFeatures.project(ZeydeFeatures.raw(plane, configuration: c, as: Float.self).columns(Array(0..<16)),
                                           pca: c.pca.converted())
        let singleDifference = relativeDifference(single.elements.map(Double.init), goldenPCA.elements)
        #expect(singleDifference < 1e-6, "Float PCA features differ by \(singleDifference) relative")
        print("x\(scale) Float golden_bird_pca_first16: \(singleDifference)")
        print("x\(scale) golden_bird_features_first16: \(featureDifference), golden_bird_pca_first16: \(pcaDifference) (max relative difference)")
        #expect(pcaDifference < 1e-12, "PCA features differ by \(pcaDifference) relative")
    }
}
