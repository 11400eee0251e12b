import Testing
import LinearAlgebra

/// The raw CBLAS/LAPACKE forwards of `BLASScalar`, in both precisions, against naive loops: every
/// transpose combination, leading dimensions larger than the rows, and padding that must stay untouched.
@Suite struct BLASScalarTests {
    static let transposes = [(false, false), (false, true), (true, false), (true, true)]

    @Test(arguments: transposes)
    func gemmFloat(_ t: (Bool, Bool)) { checkGemm(Float.self, transposeA: t.0, transposeB: t.1) }

    @Test(arguments: transposes)
    func gemmDouble(_ t: (Bool, Bool)) { checkGemm(Double.self, transposeA: t.0, transposeB: t.1) }

    /// C (m×n) = 0.5·op(A)·op(B) − 2·C, each matrix stored with 2–4 rows of padding per column.
    func checkGemm<T: BLASScalar>(_: T.Type, transposeA: Bool, transposeB: Bool) {
        let m = 7, n = 5, k = 6
        let a: Matrix<T> = transposeA ? testMatrix(k, m, seed: 1) : testMatrix(m, k, seed: 1)
        let b: Matrix<T> = transposeB ? testMatrix(n, k, seed: 2) : testMatrix(k, n, seed: 2)
        let c0: Matrix<T> = testMatrix(m, n, seed: 3)
        let lda = a.rows + 2, ldb = b.rows + 3, ldc = m + 4
        let pad = T(1234.5)
        let sa = padded(a, to: lda, with: pad), sb = padded(b, to: ldb, with: pad)
        var sc = padded(c0, to: ldc, with: pad)
        sa.withUnsafeBufferPointer { pa in
            sb.withUnsafeBufferPointer { pb in
                sc.withUnsafeMutableBufferPointer { pc in
                    T.gemm(transposeA, transposeB, m, n, k, 0.5, pa.baseAddress!, lda, pb.baseAddress!, ldb,
                           -2, pc.baseAddress!, ldc)
                }
            }
        }
        let product = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
        for j in 0..<n {
            for i in 0..<m {
                let expected = 0.5 * product[i][j] - 2 * Double(c0[i, j])
                #expect(abs(Double(sc[i + j * ldc]) - expected) <= tolerance(T.self, terms: k, scale: 3),
                        "C[\(i), \(j)] transposes \(transposeA) \(transposeB)")
            }
            for i in m..<ldc { #expect(sc[i + j * ldc] == pad, "gemm wrote into the padding of column \(j)") }
        }
    }

    @Test(arguments: [false, true])
    func gemvFloat(_ transpose: Bool) { checkGemv(Float.self, transpose: transpose) }

    @Test(arguments: [false, true])
    func gemvDouble(_ transpose: Bool) { checkGemv(Double.self, transpose: transpose) }

    /// y = 1.5·op(A)·x + 0.25·y for a 6×4 A stored with a leading dimension of 9.
    func checkGemv<T: BLASScalar>(_: T.Type, transpose: Bool) {
        let m = 6, n = 4, lda = 9
        let a: Matrix<T> = testMatrix(m, n, seed: 4)
        let x: [T] = testValues(transpose ? m : n, seed: 5)
        let y0: [T] = testValues(transpose ? n : m, seed: 6)
        let stored = padded(a, to: lda, with: 99)
        var y = y0
        stored.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    T.gemv(transpose, m, n, 1.5, pa.baseAddress!, lda, px.baseAddress!, 0.25, py.baseAddress!)
                }
            }
        }
        let xm = Matrix(rows: x.count, columns: 1, elements: x)
        let product = naiveProduct(a, transposeA: transpose, xm, transposeB: false)
        for i in y.indices {
            let expected = 1.5 * product[i][0] + 0.25 * Double(y0[i])
            #expect(abs(Double(y[i]) - expected) <= tolerance(T.self, terms: max(m, n), scale: 2), "y[\(i)]")
        }
    }

    @Test func choleskyFloat() { checkCholesky(Float.self) }
    @Test func choleskyDouble() { checkCholesky(Double.self) }

    /// potrf gives L with L Lᵀ = A; potrs solves A X = B with it; potri gives A⁻¹ (lower triangle).
    /// The upper triangle is padding LAPACK must leave alone (lower storage), as must the rows below n.
    func checkCholesky<T: BLASScalar>(_: T.Type) {
        let n = 5, lda = 7, nrhs = 3
        let a: Matrix<T> = spdMatrix(n, seed: 7)
        var factor = padded(a, to: lda, with: 0)
        for j in 0..<n { for i in 0..<j { factor[i + j * lda] = 77 } } // upper triangle: untouched
        let info = factor.withUnsafeMutableBufferPointer { T.potrf(n, $0.baseAddress!, lda) }
        #expect(info == 0)
        for j in 0..<n { for i in 0..<j { #expect(factor[i + j * lda] == 77, "potrf wrote above the diagonal") } }
        let lower = { (i: Int, j: Int) -> Double in i >= j ? Double(factor[i + j * lda]) : 0 }
        for j in 0..<n {
            for i in 0..<n {
                let llt = (0..<n).reduce(0.0) { $0 + lower(i, $1) * lower(j, $1) }
                #expect(abs(llt - Double(a[i, j])) <= tolerance(T.self, terms: n, scale: Double(n)), "L Lᵀ[\(i), \(j)]")
            }
        }

        let b: Matrix<T> = testMatrix(n, nrhs, seed: 8)
        let ldb = n + 1
        var x = padded(b, to: ldb, with: 0)
        let solved = factor.withUnsafeBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { T.potrs(n, nrhs, pa.baseAddress!, lda, $0.baseAddress!, ldb) }
        }
        #expect(solved == 0)
        for r in 0..<nrhs {
            for i in 0..<n {
                let ax = (0..<n).reduce(0.0) { $0 + Double(a[i, $1]) * Double(x[$1 + r * ldb]) }
                #expect(abs(ax - Double(b[i, r])) <= tolerance(T.self, terms: n * n, scale: Double(n)), "(A X)[\(i), \(r)]")
            }
        }

        var inverse = factor
        let inverted = inverse.withUnsafeMutableBufferPointer { T.potri(n, $0.baseAddress!, lda) }
        #expect(inverted == 0)
        let inv = { (i: Int, j: Int) -> Double in Double(i >= j ? inverse[i + j * lda] : inverse[j + i * lda]) }
        for j in 0..<n {
            for i in 0..<n {
                let product = (0..<n).reduce(0.0) { $0 + Double(a[i, $1]) * inv($1, j) }
                #expect(abs(product - (i == j ? 1 : 0)) <= tolerance(T.self, terms: n * n, scale: Double(n)), "(A A⁻¹)[\(i), \(j)]")
            }
        }
    }

    @Test func potrfRefusesAnIndefiniteMatrix() {
        var a: [Double] = [1, 2, 2, 1] // eigenvalues 3 and −1
        let info = a.withUnsafeMutableBufferPointer { Double.potrf(2, $0.baseAddress!, 2) }
        #expect(info == 2) // the leading minor of order 2 is not positive
    }

    @Test func symmetricEigenFloat() { checkSyev(Float.self) }
    @Test func symmetricEigenDouble() { checkSyev(Double.self) }

    /// syev: ascending eigenvalues, orthonormal eigenvectors with A v = λ v.
    func checkSyev<T: BLASScalar>(_: T.Type) {
        let n = 6
        let a: Matrix<T> = spdMatrix(n, seed: 9)
        var v = a.elements
        var w = [T](repeating: 0, count: n)
        let info = v.withUnsafeMutableBufferPointer { pv in
            w.withUnsafeMutableBufferPointer { T.syev(n, pv.baseAddress!, n, $0.baseAddress!) }
        }
        #expect(info == 0)
        #expect(zip(w, w.dropFirst()).allSatisfy { $0 <= $1 })
        let scale = Double(w.last!)
        for e in 0..<n {
            for i in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + Double(a[i, $1]) * Double(v[$1 + e * n]) }
                #expect(abs(av - Double(w[e]) * Double(v[i + e * n])) <= tolerance(T.self, terms: n * n, scale: scale))
            }
            for f in 0..<n {
                let dot = (0..<n).reduce(0.0) { $0 + Double(v[$1 + e * n]) * Double(v[$1 + f * n]) }
                #expect(abs(dot - (e == f ? 1 : 0)) <= tolerance(T.self, terms: n * n))
            }
        }
    }

    /// `m`'s columns with `ld − rows` copies of `value` after each: a matrix inside a larger one.
    func padded<T: BLASScalar>(_ m: Matrix<T>, to ld: Int, with value: T) -> [T] {
        var out = [T](repeating: value, count: ld * m.columns)
        for j in 0..<m.columns { for i in 0..<m.rows { out[i + j * ld] = m[i, j] } }
        return out
    }
}
