/// Matrix products and solves over `Matrix`, each a thin call into BLAS/LAPACK.

public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    case notPositiveDefinite(info: Int32)
    case lapackFailed(routine: String, info: Int32)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let info):
            return "matrix is not positive definite (LAPACK potrf info \(info))"
        case .lapackFailed(let routine, let info):
            return "LAPACK \(routine) failed with info \(info)"
        }
    }
}

/// `C = alpha * op(A) * op(B) + beta * C`.
public func gemm<T: BLASScalar>(_ a: Matrix<T>, transposeA: Bool = false,
                                _ b: Matrix<T>, transposeB: Bool = false,
                                alpha: T = 1, beta: T = 0, into c: inout Matrix<T>) {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let kb = transposeB ? b.columns : b.rows
    let n = transposeB ? b.rows : b.columns
    precondition(k == kb, "gemm: inner dimensions \(k) and \(kb) differ")
    precondition(c.rows == m && c.columns == n, "gemm: output is \(c.rows)x\(c.columns), needs \(m)x\(n)")
    guard m > 0, n > 0 else { return }
    if k == 0 { // BLAS would still scale C; keep that contract without calling it on empty inputs.
        for i in c.elements.indices { c.elements[i] *= beta }
        return
    }
    a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
            c.elements.withUnsafeMutableBufferPointer { pc in
                T.gemm(transposeA, transposeB, m, n, k, alpha, pa.baseAddress!, max(1, a.rows),
                       pb.baseAddress!, max(1, b.rows), beta, pc.baseAddress!, max(1, c.rows))
            }
        }
    }
}

/// `op(A) * op(B)` as a new matrix.
public func matmul<T: BLASScalar>(_ a: Matrix<T>, transposeA: Bool = false,
                                  _ b: Matrix<T>, transposeB: Bool = false) -> Matrix<T> {
    var c = Matrix<T>(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns)
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
    return c
}

/// `op(A) * x`.
public func matvec<T: BLASScalar>(_ a: Matrix<T>, transpose: Bool = false, _ x: [T]) -> [T] {
    precondition(x.count == (transpose ? a.rows : a.columns), "matvec: vector length mismatch")
    var y = [T](repeating: 0, count: transpose ? a.columns : a.rows)
    guard a.rows > 0, a.columns > 0 else { return y }
    a.elements.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                T.gemv(transpose, a.rows, a.columns, 1, pa.baseAddress!, a.rows,
                       px.baseAddress!, 0, py.baseAddress!)
            }
        }
    }
    return y
}

/// The lower Cholesky factor of a symmetric positive-definite matrix, ready for `solve`.
public struct Cholesky<T: BLASScalar>: Sendable {
    public let factor: Matrix<T>

    public init(_ a: Matrix<T>) throws {
        precondition(a.rows == a.columns, "Cholesky needs a square matrix")
        var f = a
        let n = a.rows
        let info = f.elements.withUnsafeMutableBufferPointer { T.potrf(n, $0.baseAddress!, max(1, n)) }
        guard info == 0 else { throw LinearAlgebraError.notPositiveDefinite(info: info) }
        factor = f
    }

    /// Solves `A X = B` for every column of `B`.
    public func solve(_ b: Matrix<T>) throws -> Matrix<T> {
        precondition(b.rows == factor.rows)
        var x = b
        let n = factor.rows
        let info = factor.elements.withUnsafeBufferPointer { pa in
            x.elements.withUnsafeMutableBufferPointer { px in
                T.potrs(n, b.columns, pa.baseAddress!, max(1, n), px.baseAddress!, max(1, n))
            }
        }
        guard info == 0 else { throw LinearAlgebraError.lapackFailed(routine: "potrs", info: info) }
        return x
    }

    public func solve(_ b: [T]) throws -> [T] {
        try solve(Matrix(rows: b.count, columns: 1, elements: b)).elements
    }
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.
public func symmetricEigen<T: BLASScalar>(_ a: Matrix<T>) throws -> (values: [T], vectors: Matrix<T>) {
    precondition(a.rows == a.columns)
    var v = a
    var w = [T](repeating: 0, count: a.rows)
    let n = a.rows
    let info = v.elements.withUnsafeMutableBufferPointer { pa in
        w.withUnsafeMutableBufferPointer { T.syev(n, pa.baseAddress!, max(1, n), $0.baseAddress!) }
    }
    guard info == 0 else { throw LinearAlgebraError.lapackFailed(routine: "syev", info: info) }
    return (w, v)
}
