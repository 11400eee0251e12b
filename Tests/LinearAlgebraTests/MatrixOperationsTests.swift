import Testing
import LinearAlgebra

/// `Matrix` and the operations over it (shapes, the empty cases BLAS is not called on, errors).
@Suite struct MatrixOperationsTests {
    @Test func storageIsColumnMajor() {
        let m = Matrix<Double>(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        #expect(m[1, 0] == 2 && m[0, 2] == 5)
        #expect(m.column(1) == [3, 4])
        #expect(m.columns([2, 0]).elements == [5, 6, 1, 2])
        #expect(m.transposed == Matrix(rows: 3, columns: 2, elements: [1, 3, 5, 2, 4, 6]))
        #expect(Matrix<Float>.identity(2).elements == [1, 0, 0, 1])
        #expect(m.converted().converted() == m)
    }

    @Test func rowMajorConversionsAreInverse() {
        let m = Matrix<Float>.fromRowMajor(rows: 2, columns: 3, [1, 2, 3, 4, 5, 6])
        #expect(m[0, 1] == 2 && m[1, 0] == 4)
        #expect(m.elements == [1, 4, 2, 5, 3, 6])
        #expect(m.rowMajor == [1, 2, 3, 4, 5, 6])
    }

    @Test(arguments: BLASScalarTests.transposes)
    func gemmAccumulatesIntoC(_ t: (Bool, Bool)) {
        let a: Matrix<Double> = t.0 ? testMatrix(4, 3, seed: 11) : testMatrix(3, 4, seed: 11)
        let b: Matrix<Double> = t.1 ? testMatrix(2, 4, seed: 12) : testMatrix(4, 2, seed: 12)
        let c0: Matrix<Double> = testMatrix(3, 2, seed: 13)
        var c = c0
        gemm(a, transposeA: t.0, b, transposeB: t.1, alpha: 2, beta: 0.5, into: &c)
        let product = naiveProduct(a, transposeA: t.0, b, transposeB: t.1)
        for j in 0..<2 {
            for i in 0..<3 { #expect(abs(c[i, j] - (2 * product[i][j] + 0.5 * c0[i, j])) < 1e-14) }
        }
        let fresh = matmul(a, transposeA: t.0, b, transposeB: t.1)
        #expect(fresh.rows == 3 && fresh.columns == 2)
        for j in 0..<2 { for i in 0..<3 { #expect(abs(fresh[i, j] - product[i][j]) < 1e-14) } }
    }

    @Test func emptyInnerDimensionScalesC() {
        var c = Matrix<Float>(rows: 2, columns: 2, elements: [1, 2, 3, 4])
        gemm(Matrix(rows: 2, columns: 0), Matrix(rows: 0, columns: 2), beta: 3, into: &c)
        #expect(c.elements == [3, 6, 9, 12])
        #expect(matmul(Matrix<Float>(rows: 0, columns: 3), testMatrix(3, 2, seed: 1)).elements.isEmpty)
    }

    @Test(arguments: [false, true])
    func matvecAgainstLoops(_ transpose: Bool) {
        let a: Matrix<Float> = testMatrix(5, 3, seed: 14)
        let x: [Float] = testValues(transpose ? 5 : 3, seed: 15)
        let y = matvec(a, transpose: transpose, x)
        let expected = naiveProduct(a, transposeA: transpose, Matrix(rows: x.count, columns: 1, elements: x), transposeB: false)
        #expect(y.count == (transpose ? 3 : 5))
        for i in y.indices { #expect(abs(Double(y[i]) - expected[i][0]) <= tolerance(Float.self, terms: 5)) }
        #expect(matvec(Matrix<Float>(rows: 0, columns: 2), [1, 2]).isEmpty)
    }

    @Test func choleskySolvesMatricesAndVectors() throws {
        let a: Matrix<Double> = spdMatrix(4, seed: 16)
        let chol = try Cholesky(a)
        let b: Matrix<Double> = testMatrix(4, 2, seed: 17)
        let x = try chol.solve(b)
        let ax = matmul(a, x)
        for i in ax.elements.indices { #expect(abs(ax.elements[i] - b.elements[i]) < 1e-12) }
        let v = try chol.solve(b.column(0))
        #expect(v == x.column(0))
        for j in 0..<4 { for i in 0..<j { #expect(chol.factor[i, j] == a[i, j], "the upper triangle keeps A") } }
    }

    @Test func choleskyOfAnIndefiniteMatrixThrows() {
        let a = Matrix<Double>(rows: 2, columns: 2, elements: [1, 2, 2, 1])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(info: 2)) { try Cholesky(a) }
    }

    @Test func symmetricEigenOfADiagonalMatrixSortsItsDiagonal() throws {
        var a = Matrix<Double>(rows: 3, columns: 3)
        a[0, 0] = 3; a[1, 1] = -1; a[2, 2] = 2
        let (values, vectors) = try symmetricEigen(a)
        #expect(values == [-1, 2, 3])
        #expect(abs(vectors[1, 0]) == 1 && abs(vectors[2, 1]) == 1 && abs(vectors[0, 2]) == 1)
    }
}
