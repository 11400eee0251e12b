import ConvKernels
import LinearAlgebra

/// Batches of small products, GEMMs with few rows or columns: a Winograd layer's per-point ones
/// (Winograd.swift), and in SRCNN's tiled inference the 1×1 layer on pixel-major rows and the last
/// layer's partial maps. For p < `points`, C_p = op(A_p) · B_p (+ C_p when `accumulate`), op(A_p)
/// m × k — A_p's rows `lda` apart from a + p·aPoint, or with `transposeA` its columns.
/// ConvKernels' kernel runs them at `level` (a `srlab_vector_level`; ConvKernels/SmallProducts.c
/// says why), the points split over the ConvNet threads; with `level` nil, or T Double, OpenBLAS
/// runs them one point at a time. Its bits depend on neither m nor n: tiled inference leans on that.
func smallProducts<T: BLASScalar>(points: Int, transposeA: Bool = false, m: Int, n: Int, k: Int,
                                  a: UnsafePointer<T>, aPoint: Int, lda: Int,
                                  b: UnsafePointer<T>, bPoint: Int, ldb: Int, accumulate: Bool,
                                  c: UnsafeMutablePointer<T>, cPoint: Int, ldc: Int,
                                  level: Int32?) {
    guard m > 0, n > 0, k > 0 else { return }
    if T.self == Float.self, let level {
        let (aRow, aDepth) = transposeA ? (1, lda) : (lda, 1)
        let (af, bf) = (UnsafeRawPointer(a).assumingMemoryBound(to: Float.self),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self))
        let cf = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        ConvNetThreads.forEachRange(points, costPerItem: m * n * k / 8) { part in
            let ran = srlab_small_products(level, part.count, m, n, k, af + part.lowerBound * aPoint, aPoint, aRow,
                                           aDepth, bf + part.lowerBound * bPoint, bPoint, ldb,
                                           cf + part.lowerBound * cPoint, cPoint, ldc, accumulate ? 1 : 0)
            precondition(ran == 1, "small products cannot run at level \(level)")
        }
        return
    }
    for p in 0..<points {
        rowMajorGemm(transposeA: transposeA, m: m, n: n, k: k, a: a + p * aPoint, lda: lda, b: b + p * bPoint, ldb: ldb,
                     beta: accumulate ? 1 : 0, c: c + p * cPoint, ldc: ldc)
    }
}

enum SmallProducts {
    /// The `srlab_vector_level` the kernel runs at on this CPU, or nil (no AVX2: OpenBLAS).
    static var level: Int32? {
        let level = srlab_vector_level()
        return level > 0 ? level : nil
    }

    /// The level for a Winograd layer's products `columns` wide: the kernel's where the width is a
    /// multiple of 32 (its register block), else nil (OpenBLAS).
    static func level(columns: Int) -> Int32? { columns % 32 == 0 ? level : nil }
}
