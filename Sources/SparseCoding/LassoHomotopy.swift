import LinearAlgebra
import COpenBLAS

/// The fast solver: the lasso homotopy (LARS with the lasso modification; Osborne, Presnell &
/// Turlach 2000; Efron et al. 2004) run per signal on the precomputed Gram matrix DᵀD.
///
/// Starting from w = 0 at λ₀ = max|Dᵀy|, the solution is piecewise linear in λ; each step moves
/// along G_AA⁻¹·sign to the next event (an atom's correlation reaches ±λ and it joins, or an active
/// coefficient crosses zero and it leaves) until λ is reached. It therefore ends at the exact lasso
/// solution, the same one feature-sign finds, in as many steps as atoms enter (a handful here).
///
/// Speed comes from: Dᵀy for a chunk of signals in one GEMM; only Gram columns of active atoms
/// touched (K·|A| work per step); the active-set Cholesky grown one row at a time; the event search
/// done with multiplications (a division only when a candidate wins); and both cores coding
/// signals in parallel. A final solve of G_AA w = Dᵀy_A − λ·s on the found active set removes the
/// rounding the path accumulates.
public struct LassoHomotopy: SparseSolver {
    public init() {}

    public var name: String { "lasso-homotopy" }

    public func encode(_ signals: Matrix<Double>, dictionary: CodingDictionary, lambda: Double) -> SparseCodes {
        encodeInChunks(signals, dictionary: dictionary) {
            LassoHomotopyCoder(gram: dictionary.gramStorage, atoms: dictionary.count,
                               maxActive: min(dictionary.dimension, dictionary.count), lambda: lambda)
        }
    }
}

final class LassoHomotopyCoder: SignalCoder {
    let gramStorage: PinnedBuffer
    let gram: UnsafePointer<Double>
    let k: Int
    let maxActive: Int
    let lambda: Double
    // Per atom (length k): the current correlations Dᵀ(y − Dw), how fast each falls per unit
    // decrease of λ, and +∞ for active atoms so the event search needs no branch to skip them.
    let correlation: UnsafeMutablePointer<Double>
    let direction: UnsafeMutablePointer<Double>
    let excluded: UnsafeMutablePointer<Double>
    // Per active atom (length maxActive): atom index, sign, coefficient, coefficient rate.
    let active: UnsafeMutablePointer<Int>
    let sign: UnsafeMutablePointer<Double>
    let weight: UnsafeMutablePointer<Double>
    let step: UnsafeMutablePointer<Double>
    var n = 0
    /// The Gram columns of the active atoms side by side (k × maxActive), so one BLAS gemv gives
    /// every correlation's rate.
    let activeColumns: UnsafeMutablePointer<Double>
    /// Lower Cholesky factor of G_AA, row-major with leading dimension maxActive.
    let factor: UnsafeMutablePointer<Double>
    let column: UnsafeMutablePointer<Double>

    init(gram: PinnedBuffer, atoms: Int, maxActive: Int, lambda: Double) {
        gramStorage = gram
        self.gram = UnsafePointer(gram.pointer)
        k = atoms
        self.maxActive = maxActive
        self.lambda = lambda
        correlation = .allocate(capacity: k)
        direction = .allocate(capacity: k)
        direction.initialize(repeating: 0, count: k)
        excluded = .allocate(capacity: k)
        excluded.initialize(repeating: 0, count: k)
        active = .allocate(capacity: maxActive)
        sign = .allocate(capacity: maxActive)
        weight = .allocate(capacity: maxActive)
        step = .allocate(capacity: maxActive)
        factor = .allocate(capacity: maxActive * maxActive)
        column = .allocate(capacity: maxActive + 1)
        activeColumns = .allocate(capacity: k * maxActive)
    }

    deinit {
        correlation.deallocate(); direction.deallocate(); excluded.deallocate()
        active.deallocate(); sign.deallocate(); weight.deallocate(); step.deallocate()
        factor.deallocate(); column.deallocate(); activeColumns.deallocate()
    }

    /// Adds atom j to the active set and its row to the Cholesky factor; false if it is dependent.
    private func activate(_ j: Int, sign s: Double) -> Bool {
        guard n < maxActive else { return false }
        for p in 0..<n { column[p] = gram[active[p] * k + j] }
        column[n] = gram[j * k + j]
        guard SmallCholesky.append(factor, n: n, ld: maxActive, column: column) else { return false }
        active[n] = j; sign[n] = s; weight[n] = 0; step[n] = 0
        (activeColumns + n * k).update(from: gram + j * k, count: k)
        n += 1
        excluded[j] = .infinity
        return true
    }

    private func deactivate(at position: Int) {
        excluded[active[position]] = 0
        for p in position..<(n - 1) {
            active[p] = active[p + 1]; sign[p] = sign[p + 1]; weight[p] = weight[p + 1]
            (activeColumns + p * k).update(from: activeColumns + (p + 1) * k, count: k)
        }
        n -= 1
        for i in 0..<n { for p in 0...i { factor[i * maxActive + p] = gram[active[i] * k + active[p]] } }
        _ = SmallCholesky.factor(factor, n: n, ld: maxActive)
    }

    func code(correlations c0: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double]) {
        n = 0
        var first = 0, level = 0.0
        for j in 0..<k {
            let v = c0[j]
            correlation[j] = v
            if abs(v) > level { level = abs(v); first = j }
        }
        guard level > lambda else { return }
        _ = activate(first, sign: c0[first] > 0 ? 1 : -1)
        var justDropped = -1
        var steps = 0
        var lastStep = 0.0 // the previous move, applied to the correlations lazily in the next pass
        while steps < 8 * maxActive + 16 {
            steps += 1
            // Coefficient rates per unit decrease of λ: G_AA·step = sign.
            for p in 0..<n { step[p] = sign[p] }
            SmallCholesky.solve(factor, n: n, ld: maxActive, step)
            // Correlations move by the previous step; their new rates are G[:, A]·step, summed four
            // columns per pass so `direction` is loaded and stored once per four atoms.
            if lastStep != 0 {
                let t = lastStep
                for j in 0..<k { correlation[j] -= t * direction[j] }
            }
            var p = 0
            while p < n {
                let first = p == 0
                if n - p >= 4 {
                    let g0 = UnsafePointer(activeColumns + p * k), g1 = g0 + k, g2 = g1 + k, g3 = g2 + k
                    let s0 = step[p], s1 = step[p + 1], s2 = step[p + 2], s3 = step[p + 3]
                    if first {
                        for j in 0..<k { direction[j] = (g0[j] * s0 + g1[j] * s1) + (g2[j] * s2 + g3[j] * s3) }
                    } else {
                        for j in 0..<k { direction[j] += (g0[j] * s0 + g1[j] * s1) + (g2[j] * s2 + g3[j] * s3) }
                    }
                    p += 4
                } else {
                    let g = UnsafePointer(activeColumns + p * k), s = step[p]
                    if first {
                        for j in 0..<k { direction[j] = g[j] * s }
                    } else {
                        for j in 0..<k { direction[j] += g[j] * s }
                    }
                    p += 1
                }
            }
            // The next event: the smallest decrease t of λ at which an inactive correlation reaches
            // ±λ (for t > 0 and a nonnegative numerator, num < t·den implies den > 0).
            var t = level - lambda
            var event = 0, who = -1, newSign = 0.0 // event 0: reached λ, 1: atom joins, 2: leaves
            // Eight atoms at a time without branches; the rare group holding a candidate that
            // beats the current t is re-examined one by one.
            var j = 0
            let levels = SIMD8<Double>(repeating: level), ones = SIMD8<Double>(repeating: 1)
            while j + 8 <= k {
                let aj = UnsafeRawPointer(direction + j).loadUnaligned(as: SIMD8<Double>.self)
                let cj = UnsafeRawPointer(correlation + j).loadUnaligned(as: SIMD8<Double>.self)
                let skip = UnsafeRawPointer(excluded + j).loadUnaligned(as: SIMD8<Double>.self)
                let tv = SIMD8<Double>(repeating: t)
                let up = levels - cj + skip, down = levels + cj + skip
                let hit = (up .< tv * (ones - aj)) .| (down .< tv * (ones + aj))
                if any(hit) {
                    for q in j..<(j + 8) {
                        let a = direction[q], c = correlation[q], x = excluded[q]
                        let u = level - c + x, d = level + c + x
                        if u < t * (1 - a) { t = u / (1 - a); event = 1; who = q; newSign = 1 }
                        if d < t * (1 + a) { t = d / (1 + a); event = 1; who = q; newSign = -1 }
                    }
                }
                j += 8
            }
            while j < k {
                let a = direction[j], c = correlation[j], x = excluded[j]
                let u = level - c + x, d = level + c + x
                if u < t * (1 - a) { t = u / (1 - a); event = 1; who = j; newSign = 1 }
                if d < t * (1 + a) { t = d / (1 + a); event = 1; who = j; newSign = -1 }
                j += 1
            }
            for p in 0..<n where weight[p] != 0 && step[p] * weight[p] < 0 {
                let crossing = -weight[p] / step[p]
                if crossing < t { t = crossing; event = 2; who = p }
            }
            if justDropped >= 0 { excluded[justDropped] = 0; justDropped = -1 }
            if t < 0 { t = 0 }
            for p in 0..<n { weight[p] += t * step[p] }
            lastStep = t
            level -= t
            if event == 0 { break }
            if event == 1 {
                if !activate(who, sign: newSign) { break }
            } else {
                // Leaves; it may not re-enter on the very next step (its correlation sits at ±λ).
                let atom = active[who]
                deactivate(at: who)
                if n == 0 { break }
                excluded[atom] = .infinity
                justDropped = atom
            }
        }
        if justDropped >= 0 { excluded[justDropped] = 0 }
        // Polish: the exact stationarity solve on the final support, kept if the signs agree.
        if n > 0 {
            for p in 0..<n { step[p] = c0[active[p]] - lambda * sign[p] }
            SmallCholesky.solve(factor, n: n, ld: maxActive, step)
            var consistent = true
            for p in 0..<n where step[p] * sign[p] <= 0 { consistent = false }
            if consistent { for p in 0..<n { weight[p] = step[p] } }
        }
        // Ascending atom order, as the other solvers report.
        let order = (0..<n).sorted { active[$0] < active[$1] }
        for p in order where weight[p] != 0 {
            indices.append(Int32(active[p]))
            values.append(weight[p])
        }
        for p in 0..<n { excluded[active[p]] = 0 }
    }
}
