import LinearAlgebra

/// ANR's and A+'s inference: the anchor of a feature f is the atom k* = argmax_k |Dl[:,k]·f|
/// (the first on ties), and its detail is PP_k*·f with that atom's P × d regressor.
///
/// The fast path scores all patches of a block with one GEMM (Dlᵀ·F), sorts the patches by anchor
/// (a stable counting sort) and runs one GEMM per anchor group. `anchorsNaive` and
/// `detailsPerPatch` are the per-patch twins the tests hold it to.
public struct AnchoredRegressors: Sendable {
    /// Dl (d × K): the anchors.
    public let anchors: Matrix<Double>
    /// One P × d regressor per atom.
    public let regressors: [Matrix<Double>]

    public init(anchors: Matrix<Double>, regressors: [Matrix<Double>]) {
        precondition(regressors.count == anchors.columns, "one regressor per anchor")
        precondition(regressors.allSatisfy { $0.columns == anchors.rows && $0.rows == regressors[0].rows },
                     "regressors must all be P × d")
        self.anchors = anchors
        self.regressors = regressors
    }

    public var patchLength: Int { regressors[0].rows }

    /// k* for each column of `features` (d × n), from one GEMM.
    public func anchors(for features: Matrix<Double>) -> [Int] {
        let scores = matmul(anchors, transposeA: true, features)
        return Self.argmaxAbs(scores)
    }

    /// Per column of `scores` (K × n), the row of the largest magnitude, the first on ties.
    static func argmaxAbs(_ scores: Matrix<Double>) -> [Int] {
        let k = scores.rows
        return scores.elements.withUnsafeBufferPointer { s in
            (0..<scores.columns).map { n in
                let column = s.baseAddress! + n * k
                var best = 0, bestValue = abs(column[0])
                for i in 1..<k where abs(column[i]) > bestValue {
                    best = i
                    bestValue = abs(column[i])
                }
                return best
            }
        }
    }

    /// The details (P × n) of the features (d × n): scores by GEMM, then one GEMM per anchor group.
    public func details(for features: Matrix<Double>) -> Matrix<Double> {
        details(for: features, anchors: anchors(for: features))
    }

    /// The details given each column's anchor.
    public func details(for features: Matrix<Double>, anchors chosen: [Int]) -> Matrix<Double> {
        let d = features.rows, n = features.columns, p = patchLength, k = regressors.count
        precondition(chosen.count == n && d == anchors.rows)
        // Stable counting sort of the patches by anchor.
        var start = [Int](repeating: 0, count: k + 1)
        for a in chosen { start[a + 1] += 1 }
        for a in 0..<k { start[a + 1] += start[a] }
        var order = [Int](repeating: 0, count: n)
        var next = start
        for (column, a) in chosen.enumerated() {
            order[next[a]] = column
            next[a] += 1
        }
        var out = Matrix<Double>(rows: p, columns: n)
        var gathered = [Double](repeating: 0, count: d * n)
        var produced = [Double](repeating: 0, count: p * n)
        features.elements.withUnsafeBufferPointer { f in
            gathered.withUnsafeMutableBufferPointer { g in
                for (slot, column) in order.enumerated() {
                    (g.baseAddress! + slot * d).update(from: f.baseAddress! + column * d, count: d)
                }
            }
        }
        gathered.withUnsafeBufferPointer { g in
            produced.withUnsafeMutableBufferPointer { y in
                for a in 0..<k where start[a + 1] > start[a] {
                    let first = start[a], members = start[a + 1] - start[a]
                    regressors[a].elements.withUnsafeBufferPointer { r in
                        Double.gemm(false, false, p, members, d, 1, r.baseAddress!, p,
                                    g.baseAddress! + first * d, d, 0, y.baseAddress! + first * p, p)
                    }
                }
            }
        }
        produced.withUnsafeBufferPointer { y in
            out.elements.withUnsafeMutableBufferPointer { o in
                for (slot, column) in order.enumerated() {
                    (o.baseAddress! + column * p).update(from: y.baseAddress! + slot * p, count: p)
                }
            }
        }
        return out
    }

    /// The anchors one patch at a time with plain loops (the twin of `anchors(for:)`).
    public func anchorsNaive(for features: Matrix<Double>) -> [Int] {
        (0..<features.columns).map { n in
            var best = 0, bestValue = -1.0
            for atom in 0..<anchors.columns {
                var dot = 0.0
                for i in 0..<anchors.rows { dot += anchors[i, atom] * features[i, n] }
                if abs(dot) > bestValue { best = atom; bestValue = abs(dot) }
            }
            return best
        }
    }

    /// The details one patch at a time with plain loops (the twin of `details(for:anchors:)`).
    public func detailsPerPatch(for features: Matrix<Double>, anchors chosen: [Int]) -> Matrix<Double> {
        var out = Matrix<Double>(rows: patchLength, columns: features.columns)
        for n in 0..<features.columns {
            let r = regressors[chosen[n]]
            for i in 0..<r.rows {
                var sum = 0.0
                for j in 0..<r.columns { sum += r[i, j] * features[j, n] }
                out[i, n] = sum
            }
        }
        return out
    }
}

/// The regressors GR and ANR derive from the dictionaries alone (Timofte et al., ICCV 2013), in
/// Double from the configuration's matrices.
public enum RidgeRegressors {
    /// GR's λ for a dictionary of `atoms` atoms, as the release picks it.
    public static func globalLambda(atoms: Int) -> Double {
        switch atoms {
        case ..<1024: 0.01
        case ..<2048: 0.1
        case ..<8192: 1
        default: 5
        }
    }

    /// GR: PP = (1+λ)·Dh·(DlᵀDl + λI)⁻¹·Dlᵀ (P × d).
    public static func global(_ c: ZeydeConfiguration, lambda: Double? = nil) throws -> Matrix<Double> {
        let lambda = lambda ?? globalLambda(atoms: c.atoms)
        return try ridge(low: c.lowDictionary, high: c.highDictionary, lambda: lambda, gain: 1 + lambda)
    }

    /// gain·H·(LᵀL + λI)⁻¹·Lᵀ for L (d × m) and H (P × m).
    static func ridge(low: Matrix<Double>, high: Matrix<Double>, lambda: Double, gain: Double) throws -> Matrix<Double> {
        var gram = matmul(low, transposeA: true, low)
        for i in 0..<gram.rows { gram[i, i] += lambda }
        let projection = try Cholesky(gram).solve(low.transposed) // (LᵀL + λI)⁻¹·Lᵀ, m × d
        var pp = matmul(high, projection)
        for i in pp.elements.indices { pp.elements[i] *= gain }
        return pp
    }

    /// ANR's neighbourhoods: for each atom k, the `size` atoms with the largest |Dlᵀ·Dl[:,k]|, by a
    /// stable descending sort (so k itself comes first).
    public static func neighbourhoods(_ c: ZeydeConfiguration, size: Int = 40) -> [[Int]] {
        let gram = matmul(c.lowDictionary, transposeA: true, c.lowDictionary)
        return (0..<c.atoms).map { k in
            StableTopK.largestMagnitudes(gram.elements[(k * c.atoms)..<((k + 1) * c.atoms)], count: size)
        }
    }

    /// ANR: PP_k = (1+λ)·Dh[:,N_k]·(LoᵀLo + λI)⁻¹·Loᵀ with Lo = Dl[:,N_k], λ = 0.01, |N_k| = 40.
    public static func anchored(_ c: ZeydeConfiguration, neighbours: Int = 40, lambda: Double = 0.01) throws -> [Matrix<Double>] {
        try neighbourhoods(c, size: neighbours).map { n in
            try ridge(low: c.lowDictionary.columns(n), high: c.highDictionary.columns(n), lambda: lambda, gain: 1 + lambda)
        }
    }
}

/// Indices of the `count` largest magnitudes of a sequence in a stable descending order: equal
/// magnitudes keep their index order (NumPy's stable argsort of −|v|, MATLAB's `sort(…, 'descend')`).
enum StableTopK {
    static func largestMagnitudes<C: Collection>(_ values: C, count: Int) -> [Int] where C.Element == Double {
        var chosen: [(index: Int, magnitude: Double)] = []
        chosen.reserveCapacity(count + 1)
        for (index, value) in values.enumerated() {
            let m = abs(value)
            if chosen.count == count, m <= chosen[count - 1].magnitude { continue }
            // After every kept magnitude ≥ m: a later equal value ranks below earlier ones.
            var at = chosen.count
            while at > 0 && chosen[at - 1].magnitude < m { at -= 1 }
            chosen.insert((index, m), at: at)
            if chosen.count > count { chosen.removeLast() }
        }
        return chosen.map(\.index)
    }
}
