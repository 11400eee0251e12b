import Foundation
import Harness
import Imaging
import LinearAlgebra
import SeededRandom

/// The package root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

// The data roots as every test target finds them (`Harness.TestData`): nil when absent, and the
// tests that need them are then skipped.
let dataRoot = TestData.datasetRoot(packageRoot: packageRoot.path).map { URL(fileURLWithPath: $0) }
/// The authors' converted data (`reference/aplus`), nil when absent.
let aplusRoot: URL? = TestData.referenceRoot(packageRoot: packageRoot.path)
    .map { URL(fileURLWithPath: $0).appendingPathComponent("aplus") }
    .flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }

/// Y on [0, 1] of the first `count` T91 images in file-name order.
func t91(first count: Int) throws -> [Plane] {
    let urls = try DataRoot(option: dataRoot!.path).dataset("T91").prefix(count)
    return try ImageFolder.load(Array(urls)).map { Color.luma($0.image).map { $0 / 255 } }
}

/// A d × n matrix of standard normal entries.
func gaussian(_ rows: Int, _ columns: Int, random: inout Xoshiro256) -> Matrix<Double> {
    Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in random.nextGaussian() })
}

/// Solves A·X = B by Gauss–Jordan elimination with partial pivoting (plain loops, no LAPACK).
func naiveSolve(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    let n = a.count
    var m = a, x = b
    for col in 0..<n {
        let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
        m.swapAt(col, pivot); x.swapAt(col, pivot)
        let p = m[col][col]
        for j in 0..<n { m[col][j] /= p }
        for j in 0..<x[col].count { x[col][j] /= p }
        for r in 0..<n where r != col {
            let f = m[r][col]
            if f == 0 { continue }
            for j in 0..<n { m[r][j] -= f * m[col][j] }
            for j in 0..<x[r].count { x[r][j] -= f * x[col][j] }
        }
    }
    return x
}

/// The `count` samples nearest to `atom` by direct Euclidean distances in Double (stable order).
func naiveNearest(features: [Float], d: Int, atom: [Double], count: Int) -> [Int] {
    let n = features.count / d
    let distances = (0..<n).map { j in
        (0..<d).reduce(0.0) { $0 + (Double(features[j * d + $1]) - atom[$1]) * (Double(features[j * d + $1]) - atom[$1]) }
    }
    return Array((0..<n).sorted { distances[$0] < distances[$1] || (distances[$0] == distances[$1] && $0 < $1) }.prefix(count))
}

/// A+'s regressor of one atom computed naively (plain loops, Gauss–Jordan) over its nearest
/// samples: in the release's dual form Hi·(LoᵀLo + λI)⁻¹·Loᵀ (an m × m solve), or in the primal
/// form Hi·Loᵀ·(Lo·Loᵀ + λI)⁻¹ (d × d).
func naiveAplusRegressor(features: [Float], patches: [Float], d: Int, p: Int, atom: [Double], count: Int, lambda: Double,
                         dual: Bool) -> [[Double]] {
    let chosen = naiveNearest(features: features, d: d, atom: atom, count: count)
    let lo = chosen.map { j in (0..<d).map { Double(features[j * d + $0]) } }   // m rows of d
    let hi = chosen.map { j in (0..<p).map { Double(patches[j * p + $0]) } }    // m rows of P
    let m = lo.count
    if dual {
        var gram = (0..<m).map { a in (0..<m).map { b in (0..<d).reduce(0.0) { $0 + lo[a][$1] * lo[b][$1] } } }
        for i in 0..<m { gram[i][i] += lambda }
        let projection = naiveSolve(gram, lo)                                   // (LoᵀLo + λI)⁻¹·Loᵀ, m × d
        return (0..<p).map { i in (0..<d).map { j in (0..<m).reduce(0.0) { $0 + hi[$1][i] * projection[$1][j] } } }
    }
    var gram = (0..<d).map { a in (0..<d).map { b in (0..<m).reduce(0.0) { $0 + lo[$1][a] * lo[$1][b] } } }
    for i in 0..<d { gram[i][i] += lambda }
    let cross = (0..<d).map { a in (0..<p).map { i in (0..<m).reduce(0.0) { $0 + lo[$1][a] * hi[$1][i] } } } // Lo·Hiᵀ, d × P
    let solved = naiveSolve(gram, cross)                                        // (Lo·Loᵀ + λI)⁻¹·Lo·Hiᵀ, d × P
    return (0..<p).map { i in (0..<d).map { j in solved[j][i] } }
}
