/// Dense Cholesky helpers for the small active sets of the lasso solvers (a few to a few dozen
/// atoms): LAPACK's call overhead would dominate at these sizes.
enum SmallCholesky {
    /// Factors the n×n matrix `a` (row-major, leading dimension `ld`) in place into its lower factor.
    /// Returns false if it is not numerically positive definite.
    static func factor(_ a: UnsafeMutablePointer<Double>, n: Int, ld: Int) -> Bool {
        for j in 0..<n {
            var diagonal = a[j * ld + j]
            for p in 0..<j { diagonal -= a[j * ld + p] * a[j * ld + p] }
            guard diagonal > 1e-12 else { return false }
            let root = diagonal.squareRoot()
            a[j * ld + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var sum = a[i * ld + j]
                for p in 0..<j { sum -= a[i * ld + p] * a[j * ld + p] }
                a[i * ld + j] = sum / root
            }
        }
        return true
    }

    /// Appends row/column n to a lower factor of size n, given the new column `g` (length n + 1,
    /// g[n] the diagonal entry). Returns false if the extended matrix is not positive definite.
    static func append(_ l: UnsafeMutablePointer<Double>, n: Int, ld: Int, column g: UnsafePointer<Double>) -> Bool {
        var norm = 0.0
        for i in 0..<n {
            var sum = g[i]
            for p in 0..<i { sum -= l[i * ld + p] * l[n * ld + p] }
            let value = sum / l[i * ld + i]
            l[n * ld + i] = value
            norm += value * value
        }
        let diagonal = g[n] - norm
        guard diagonal > 1e-10 else { return false }
        l[n * ld + n] = diagonal.squareRoot()
        return true
    }

    /// Solves L Lᵀ x = b in place.
    static func solve(_ l: UnsafePointer<Double>, n: Int, ld: Int, _ b: UnsafeMutablePointer<Double>) {
        for i in 0..<n {
            var sum = b[i]
            for p in 0..<i { sum -= l[i * ld + p] * b[p] }
            b[i] = sum / l[i * ld + i]
        }
        var i = n - 1
        while i >= 0 {
            var sum = b[i]
            for p in (i + 1)..<max(i + 1, n) { sum -= l[p * ld + i] * b[p] }
            b[i] = sum / l[i * ld + i]
            i -= 1
        }
    }
}
