import COpenBLAS
import CLAPACKE

/// The two precisions the lab computes in. Each conformance forwards to the matching CBLAS/LAPACKE
/// routine (`s…` or `d…`), so the algorithms above are written once.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha·op(A)·op(B) + beta·C, all column-major: op(A) is m×k, op(B) k×n, C m×n, and
    /// element (i, j) of a stored matrix is at `i + j * ld` of its pointer.
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ b: UnsafePointer<Self>, _ ldb: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// y = alpha·op(A)·x + beta·y for the m×n column-major A (leading dimension `lda`); x and y
    /// are contiguous.
    static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Self,
                     _ a: UnsafePointer<Self>, _ lda: Int, _ x: UnsafePointer<Self>,
                     _ beta: Self, _ y: UnsafeMutablePointer<Self>)
    /// Cholesky factorisation (lower), in place. Returns LAPACK's `info`.
    static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    /// Solves with a Cholesky factor from `potrf`, in place. Returns LAPACK's `info`.
    static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    /// The inverse from a Cholesky factor of `potrf`, in place (lower triangle). Returns `info`.
    static func potri(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    /// Symmetric eigen-decomposition (`syev`, eigenvectors overwrite `a`). Returns `info`.
    static func syev(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                     _ w: UnsafeMutablePointer<Self>) -> Int32
}

@inline(__always) private func op(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                            _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                            _ b: UnsafePointer<Float>, _ ldb: Int,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasColMajor, op(transA), op(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Float,
                            _ a: UnsafePointer<Float>, _ lda: Int, _ x: UnsafePointer<Float>,
                            _ beta: Float, _ y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasColMajor, op(trans), blasint(m), blasint(n), alpha, a, blasint(lda),
                    x, 1, beta, y, 1)
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        LAPACKE_spotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_spotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs),
                       a, Int32(lda), b, Int32(ldb))
    }
    public static func potri(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        LAPACKE_spotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
    }
    public static func syev(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                            _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyev(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                      Int32(n), a, Int32(lda), w)
    }
}

extension Double: BLASScalar {
    public static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                            _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                            _ b: UnsafePointer<Double>, _ ldb: Int,
                            _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasColMajor, op(transA), op(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Double,
                            _ a: UnsafePointer<Double>, _ lda: Int, _ x: UnsafePointer<Double>,
                            _ beta: Double, _ y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasColMajor, op(trans), blasint(m), blasint(n), alpha, a, blasint(lda),
                    x, 1, beta, y, 1)
    }
    public static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
    }
    public static func potrs(_ n: Int, _ nrhs: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(nrhs),
                       a, Int32(lda), b, Int32(ldb))
    }
    public static func potri(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), a, Int32(lda))
    }
    public static func syev(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                            _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyev(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                      Int32(n), a, Int32(lda), w)
    }
}
