import LinearAlgebra

/// ANR's and A+'s inference: the anchor of a feature f is the atom k* = argmax_k |Dl[:,k]·f|
/// (the first on ties), and its detail is PP_k*·f with that atom's P × d regressor.
///
/// The fast path scores the patches of a block by GEMMs (Dlᵀ·F, a tile of columns at a time),
/// sorts the patches by anchor (a stable counting sort) and runs one GEMM per anchor group.
/// `anchorsNaive` and `detailsPerPatch` are the per-patch twins the tests hold it to (they sum in
/// Double). Single precision: the scores and regressions are the bulk of the method's work.
public struct AnchoredRegressors: Sendable {
    public typealias Scalar = Float
    /// Dl (d × K): the anchors.
    public let anchors: Matrix<Scalar>
    /// One P × d regressor per atom, all in one buffer (atom k's column-major P × d block at
    /// k·P·d), so that a group's GEMM reads it in place.
    let regressorStorage: [Scalar]
    public let patchLength: Int

    public init(anchors: Matrix<Scalar>, regressors: [Matrix<Scalar>]) {
        precondition(regressors.count == anchors.columns, "one regressor per anchor")
        precondition(regressors.allSatisfy { $0.columns == anchors.rows && $0.rows == regressors[0].rows },
                     "regressors must all be P × d")
        self.anchors = anchors
        patchLength = regressors[0].rows
        regressorStorage = regressors.flatMap(\.elements)
    }

    public var pcaDimension: Int { anchors.rows }

    /// Atom k's regressor (P × d).
    public func regressor(_ k: Int) -> Matrix<Scalar> {
        let size = patchLength * pcaDimension
        return Matrix(rows: patchLength, columns: pcaDimension, elements: Array(regressorStorage[(k * size)..<((k + 1) * size)]))
    }

    /// k* for each column of `features` (d × n), the scores from GEMMs over tiles of columns.
    public func anchors(for features: Matrix<Scalar>) -> [Int] {
        var chosen = [Int](repeating: 0, count: features.columns)
        let k = anchors.columns
        chosen.withUnsafeMutableBufferPointer { out in
            DictionaryScores.forEachTile(anchors, features) { first, count, scores in
                for n in 0..<count { out[first + n] = DictionaryScores.argmaxAbs(scores + n * k, count: k) }
            }
        }
        return chosen
    }

    /// The details (P × n) of the features (d × n): anchors, then one GEMM per anchor group.
    public func details(for features: Matrix<Scalar>) -> Matrix<Scalar> {
        details(for: features, anchors: anchors(for: features))
    }

    /// The details given each column's anchor.
    public func details(for features: Matrix<Scalar>, anchors chosen: [Int]) -> Matrix<Scalar> {
        var out = Matrix<Scalar>(rows: patchLength, columns: features.columns)
        out.elements.withUnsafeMutableBufferPointer { details(for: features, anchors: chosen, into: $0.baseAddress!) }
        return out
    }

    /// The details of each column written to `out` (P × n, column-major). The buffers between are
    /// left uninitialised: every element is written before it is read.
    public func details(for features: Matrix<Scalar>, into out: UnsafeMutablePointer<Scalar>) {
        details(for: features, anchors: anchors(for: features), into: out)
    }

    func details(for features: Matrix<Scalar>, anchors chosen: [Int], into out: UnsafeMutablePointer<Scalar>) {
        let d = features.rows, n = features.columns, p = patchLength, k = anchors.columns
        precondition(chosen.count == n && d == pcaDimension)
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
        let gathered = UnsafeMutablePointer<Scalar>.allocate(capacity: d * n)
        let produced = UnsafeMutablePointer<Scalar>.allocate(capacity: p * n)
        defer { gathered.deallocate(); produced.deallocate() }
        features.elements.withUnsafeBufferPointer { f in
            for (slot, column) in order.enumerated() {
                (gathered + slot * d).update(from: f.baseAddress! + column * d, count: d)
            }
        }
        regressorStorage.withUnsafeBufferPointer { r in
            for a in 0..<k where start[a + 1] > start[a] {
                let first = start[a], members = start[a + 1] - start[a]
                Scalar.gemm(false, false, p, members, d, 1, r.baseAddress! + a * p * d, p,
                            gathered + first * d, d, 0, produced + first * p, p)
            }
        }
        for (slot, column) in order.enumerated() {
            (out + column * p).update(from: produced + slot * p, count: p)
        }
    }

    /// The anchors one patch at a time with plain loops summed in Double (the twin of `anchors(for:)`).
    public func anchorsNaive(for features: Matrix<Scalar>) -> [Int] {
        (0..<features.columns).map { n in
            var best = 0, bestValue = -1.0
            for atom in 0..<anchors.columns {
                var dot = 0.0
                for i in 0..<anchors.rows { dot += Double(anchors[i, atom]) * Double(features[i, n]) }
                if abs(dot) > bestValue { best = atom; bestValue = abs(dot) }
            }
            return best
        }
    }

    /// The details one patch at a time with plain loops summed in Double (the twin of
    /// `details(for:anchors:)`).
    public func detailsPerPatch(for features: Matrix<Scalar>, anchors chosen: [Int]) -> Matrix<Double> {
        var out = Matrix<Double>(rows: patchLength, columns: features.columns)
        for n in 0..<features.columns {
            let r = regressor(chosen[n])
            for i in 0..<r.rows {
                var sum = 0.0
                for j in 0..<r.columns { sum += Double(r[i, j]) * Double(features[j, n]) }
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
        return gram.elements.withUnsafeBufferPointer { g in
            (0..<c.atoms).map { k in StableTopK.largestMagnitudes(g.baseAddress! + k * c.atoms, length: c.atoms, count: size) }
        }
    }

    /// ANR: PP_k = (1+λ)·Dh[:,N_k]·(LoᵀLo + λI)⁻¹·Loᵀ with Lo = Dl[:,N_k], λ = 0.01, |N_k| = 40.
    public static func anchored(_ c: ZeydeConfiguration, neighbours: Int = 40, lambda: Double = 0.01) throws -> [Matrix<Double>] {
        try neighbourhoods(c, size: neighbours).map { n in
            try ridge(low: c.lowDictionary.columns(n), high: c.highDictionary.columns(n), lambda: lambda, gain: 1 + lambda)
        }
    }
}
