import LinearAlgebra

/// OMPBox's standard OMP (Rubinstein, `omp.m` / `ompcore.c`) with a sparsity target, as Zeyde et
/// al.'s code calls it on the PCA features: per signal x, at each step pick the atom with the
/// largest |Dᵀr| (the first on ties) and stop early if it was picked before, if (Dᵀr)² < 1e-14,
/// or if it is linearly dependent on the picked atoms (1 − ‖L⁻¹·D_Iᵀd‖² ≤ 1e-14, the Cholesky
/// factor L of D_IᵀD_I grown a row at a time with its diagonal taken as 1 for unit-norm atoms);
/// otherwise solve least squares on the picked atoms (L·Lᵀ·γ = D_Iᵀx) and update the residual.
///
/// `codes(for:)` is Batch-OMP (the form OMPBox runs when given the Gram matrix): Dᵀx for all
/// signals is one GEMM, and the residual correlations are updated as Dᵀr = Dᵀx − G_I·γ with
/// G = DᵀD. `codeNaive` is the per-signal twin that forms r and Dᵀr explicitly.
public struct OrthogonalMatchingPursuit: Sendable {
    /// D (d × K), unit-norm atoms.
    public let dictionary: Matrix<Double>
    public let sparsity: Int
    /// G = DᵀD (K × K).
    let gram: Matrix<Double>

    /// OMPBox's thresholds: a correlation whose square is below it ends the pursuit, and so does
    /// a new atom whose Cholesky pivot 1 − ‖w‖² is at most it.
    public static let tolerance = 1e-14

    public struct Code: Sendable, Equatable {
        public var atoms: [Int] = []
        public var coefficients: [Double] = []
    }

    public init(dictionary: Matrix<Double>, sparsity: Int) {
        precondition(sparsity >= 1)
        self.dictionary = dictionary
        self.sparsity = sparsity
        gram = matmul(dictionary, transposeA: true, dictionary)
    }

    /// The codes of every column of `signals` (d × n).
    public func codes(for signals: Matrix<Double>) -> [Code] {
        let k = dictionary.columns, t = sparsity
        var codes = [Code](repeating: Code(), count: signals.columns)
        // Raw buffers: the K-long loops below then vectorise (no copy-on-write checks per element).
        let alpha = UnsafeMutablePointer<Double>.allocate(capacity: k)
        let selected = UnsafeMutablePointer<Bool>.allocate(capacity: k)
        selected.initialize(repeating: false, count: k)
        defer { alpha.deallocate(); selected.deallocate() }
        var factor = [Double](repeating: 0, count: t * t) // L, row-major t × t
        var w = [Double](repeating: 0, count: t)
        gram.elements.withUnsafeBufferPointer { g in
            DictionaryScores.forEachTile(dictionary, signals) { first, count, correlations in
                for n in 0..<count {
                    let initial = correlations + n * k // Dᵀx
                    alpha.update(from: initial, count: k)
                    var code = Code()
                    while code.atoms.count < t {
                        let i = code.atoms.count
                        let pos = DictionaryScores.argmaxAbs(alpha, count: k)
                        if selected[pos] || alpha[pos] * alpha[pos] < Self.tolerance { break }
                        if i > 0 {
                            // w = L⁻¹·G(I, pos), then the pivot 1 − ‖w‖².
                            for r in 0..<i {
                                var sum = g[code.atoms[r] + pos * k]
                                for q in 0..<r { sum -= factor[r * t + q] * w[q] }
                                w[r] = sum / factor[r * t + r]
                            }
                            var squares = 0.0
                            for r in 0..<i { squares += w[r] * w[r] }
                            if 1 - squares <= Self.tolerance { break }
                            for r in 0..<i { factor[i * t + r] = w[r] }
                            factor[i * t + i] = (1 - squares).squareRoot()
                        } else {
                            factor[0] = 1
                        }
                        code.atoms.append(pos)
                        selected[pos] = true
                        code.coefficients = Self.choleskySolve(factor, size: i + 1, stride: t,
                                                               rhs: code.atoms.map { initial[$0] })
                        // Dᵀr = Dᵀx − G_I·γ.
                        alpha.update(from: initial, count: k)
                        for (atom, c) in zip(code.atoms, code.coefficients) {
                            let column = g.baseAddress! + atom * k
                            for j in 0..<k { alpha[j] -= column[j] * c }
                        }
                    }
                    for atom in code.atoms { selected[atom] = false }
                    codes[first + n] = code
                }
            }
        }
        return codes
    }

    /// One signal, with the residual formed explicitly (r = x − D_I·γ, then Dᵀr by loops).
    public func codeNaive(_ x: [Double]) -> Code {
        let d = dictionary.rows, k = dictionary.columns, t = sparsity
        func correlations(_ r: [Double]) -> [Double] {
            (0..<k).map { j in (0..<d).reduce(0.0) { $0 + dictionary[$1, j] * r[$1] } }
        }
        let initial = correlations(x)
        var alpha = initial
        var code = Code()
        var factor = [[Double]]()
        while code.atoms.count < t {
            let pos = alpha.withUnsafeBufferPointer { DictionaryScores.argmaxAbs($0.baseAddress!, count: k) }
            if code.atoms.contains(pos) || alpha[pos] * alpha[pos] < Self.tolerance { break }
            var row = [Double]()
            for (r, atom) in code.atoms.enumerated() {
                var sum = (0..<d).reduce(0.0) { $0 + dictionary[$1, atom] * dictionary[$1, pos] }
                for q in 0..<r { sum -= factor[r][q] * row[q] }
                row.append(sum / factor[r][r])
            }
            let pivot = 1 - row.reduce(0) { $0 + $1 * $1 }
            if !code.atoms.isEmpty && pivot <= Self.tolerance { break }
            factor.append(row + [code.atoms.isEmpty ? 1 : pivot.squareRoot()])
            code.atoms.append(pos)
            let flat = (0..<factor.count).flatMap { r in (0..<factor.count).map { q in q <= r ? factor[r][q] : 0 } }
            code.coefficients = Self.choleskySolve(flat, size: factor.count, stride: factor.count,
                                                   rhs: code.atoms.map { initial[$0] })
            var residual = x
            for (atom, c) in zip(code.atoms, code.coefficients) {
                for i in 0..<d { residual[i] -= dictionary[i, atom] * c }
            }
            alpha = correlations(residual)
        }
        return code
    }

    /// Solves L·Lᵀ·γ = rhs for the lower factor L (row-major, leading dimension `stride`).
    static func choleskySolve(_ l: [Double], size n: Int, stride ld: Int, rhs: [Double]) -> [Double] {
        var y = rhs
        for i in 0..<n {
            for q in 0..<i { y[i] -= l[i * ld + q] * y[q] }
            y[i] /= l[i * ld + i]
        }
        for i in (0..<n).reversed() {
            for q in (i + 1)..<max(i + 1, n) { y[i] -= l[q * ld + i] * y[q] }
            y[i] /= l[i * ld + i]
        }
        return y
    }
}
