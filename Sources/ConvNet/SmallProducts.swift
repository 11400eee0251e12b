import ConvKernels
import LinearAlgebra

/// Batches of small products, GEMMs with few columns: a Winograd layer's per-point ones
/// (Winograd.swift) and SRCNN 9-1-5's 1×1 layer on pixel-major rows. For p < `points`,
/// C_p = op(A_p) · B_p (+ C_p when `accumulate`), op(A_p) m × k — A_p's rows `lda` apart from
/// a + p·aPoint, or with `transposeA` its columns. ConvKernels' kernel runs them where it can
/// (Float, n a multiple of 32, AVX2 or AVX-512; ConvKernels/SmallProducts.c says why), the points
/// split over the ConvNet threads; elsewhere OpenBLAS runs them one point at a time. `level`: the
/// kernel's `srlab_vector_level`, or nil for OpenBLAS (tests pass one; by default the CPU's).
func smallProducts<T: BLASScalar>(points: Int, transposeA: Bool = false, m: Int, n: Int, k: Int,
                                  a: UnsafePointer<T>, aPoint: Int, lda: Int,
                                  b: UnsafePointer<T>, bPoint: Int, ldb: Int, accumulate: Bool,
                                  c: UnsafeMutablePointer<T>, cPoint: Int, ldc: Int,
                                  level: Int32? = SmallProducts.level) {
    guard m > 0, n > 0, k > 0 else { return }
    if T.self == Float.self, let level, n % 32 == 0 {
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
}
