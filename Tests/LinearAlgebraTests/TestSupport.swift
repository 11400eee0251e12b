import LinearAlgebra

/// Deterministic values in [-1, 1) from a fixed seed (SplitMix64), so the tests need no other module.
func testValues<T: BLASScalar>(_ count: Int, seed: UInt64, as: T.Type = T.self) -> [T] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return T(Double(z >> 11) / Double(1 << 53) * 2 - 1)
    }
}

func testMatrix<T: BLASScalar>(_ rows: Int, _ columns: Int, seed: UInt64, as: T.Type = T.self) -> Matrix<T> {
    Matrix(rows: rows, columns: columns, elements: testValues(rows * columns, seed: seed))
}

/// A symmetric positive-definite n×n matrix: B Bᵀ + n I.
func spdMatrix<T: BLASScalar>(_ n: Int, seed: UInt64, as: T.Type = T.self) -> Matrix<T> {
    let b: Matrix<T> = testMatrix(n, n, seed: seed)
    var a = Matrix<T>(rows: n, columns: n)
    for j in 0..<n {
        for i in 0..<n {
            var sum = 0.0
            for l in 0..<n { sum += Double(b[i, l]) * Double(b[j, l]) }
            a[i, j] = T(sum + (i == j ? Double(n) : 0))
        }
    }
    return a
}

/// The naive product op(A)·op(B), summed in Double: the reference the BLAS calls are held to.
func naiveProduct<T: BLASScalar>(_ a: Matrix<T>, transposeA: Bool, _ b: Matrix<T>, transposeB: Bool) -> [[Double]] {
    let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    return (0..<m).map { i in
        (0..<n).map { j in
            var sum = 0.0
            for l in 0..<k {
                sum += Double(transposeA ? a[l, i] : a[i, l]) * Double(transposeB ? b[j, l] : b[l, j])
            }
            return sum
        }
    }
}

/// How far a result in T may be from a Double reference of magnitude about `scale` after `terms`
/// products summed: a few rounding errors of T per term.
func tolerance<T: BLASScalar>(_: T.Type, terms: Int, scale: Double = 1) -> Double {
    Double(T.ulpOfOne) * Double(max(1, terms)) * 4 * max(1, scale)
}
