import LinearAlgebra

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
    // scratch, length k
    let correlation: UnsafeMutablePointer<Double>
    let direction: UnsafeMutablePointer<Double>
    let mask: UnsafeMutablePointer<UInt8>
    // active set, length maxActive (+1 for the Cholesky append column)
    var active: [Int]
    var sign: [Double]
    var weight: [Double]
    var step: [Double]
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
        mask = .allocate(capacity: k)
        mask.initialize(repeating: 0, count: k)
        active = []; sign = []; weight = []; step = []
        active.reserveCapacity(maxActive); sign.reserveCapacity(maxActive)
        weight.reserveCapacity(maxActive); step.reserveCapacity(maxActive)
        factor = .allocate(capacity: maxActive * maxActive)
        column = .allocate(capacity: maxActive + 1)
    }

    deinit {
        correlation.deallocate(); direction.deallocate(); mask.deallocate()
        factor.deallocate(); column.deallocate()
    }

    /// Adds atom j to the active set and its row to the Cholesky factor; false if it is dependent.
    private func activate(_ j: Int, sign s: Double) -> Bool {
        let n = active.count
        guard n < maxActive else { return false }
        for p in 0..<n { column[p] = gram[active[p] * k + j] }
        column[n] = gram[j * k + j]
        guard SmallCholesky.append(factor, n: n, ld: maxActive, column: column) else { return false }
        active.append(j); sign.append(s); weight.append(0); step.append(0)
        mask[j] = 1
        return true
    }

    private func refactor() {
        let n = active.count
        for i in 0..<n { for p in 0...i { factor[i * maxActive + p] = gram[active[i] * k + active[p]] } }
        _ = SmallCholesky.factor(factor, n: n, ld: maxActive)
    }

    func code(correlations c0: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double]) {
        active.removeAll(keepingCapacity: true); sign.removeAll(keepingCapacity: true)
        weight.removeAll(keepingCapacity: true); step.removeAll(keepingCapacity: true)
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
        while steps < 8 * maxActive + 16 {
            steps += 1
            let n = active.count
            // Direction of the coefficients per unit decrease of λ: G_AA·step = sign.
            for p in 0..<n { step[p] = sign[p] }
            step.withUnsafeMutableBufferPointer { SmallCholesky.solve(factor, n: n, ld: maxActive, $0.baseAddress!) }
            // direction = G[:, A]·step: how fast each correlation falls.
            do {
                let g0 = gram + active[0] * k, s0 = step[0]
                for j in 0..<k { direction[j] = g0[j] * s0 }
                for p in 1..<max(1, n) {
                    let g = gram + active[p] * k, s = step[p]
                    for j in 0..<k { direction[j] += g[j] * s }
                }
            }
            // The next event: the smallest decrease t of λ at which something happens.
            var t = level - lambda
            var event = 0, who = -1, newSign = 0.0 // event 0: reached λ, 1: atom joins, 2: leaves
            for j in 0..<k where mask[j] == 0 {
                let aj = direction[j], cj = correlation[j]
                let up = 1 - aj, down = 1 + aj
                if up > 0 && level - cj < t * up { t = (level - cj) / up; event = 1; who = j; newSign = 1 }
                if down > 0 && level + cj < t * down { t = (level + cj) / down; event = 1; who = j; newSign = -1 }
            }
            for p in 0..<n where weight[p] != 0 && step[p] * weight[p] < 0 {
                let crossing = -weight[p] / step[p]
                if crossing < t { t = crossing; event = 2; who = p }
            }
            if justDropped >= 0 { mask[justDropped] = 0; justDropped = -1 }
            if t < 0 { t = 0 }
            for p in 0..<n { weight[p] += t * step[p] }
            for j in 0..<k { correlation[j] -= t * direction[j] }
            level -= t
            if event == 0 { break }
            if event == 1 {
                if !activate(who, sign: newSign) { break }
            } else {
                // Leaves: it may not re-enter on the very next step (its correlation sits at ±λ).
                let atom = active[who]
                active.remove(at: who); sign.remove(at: who); weight.remove(at: who); step.remove(at: who)
                mask[atom] = 2
                justDropped = atom
                if active.isEmpty { mask[atom] = 0; break }
                refactor()
            }
        }
        if justDropped >= 0 { mask[justDropped] = 0 }
        let n = active.count
        // Polish: the exact stationarity solve on the final support, kept if the signs agree.
        if n > 0 {
            for p in 0..<n { step[p] = c0[active[p]] - lambda * sign[p] }
            step.withUnsafeMutableBufferPointer { SmallCholesky.solve(factor, n: n, ld: maxActive, $0.baseAddress!) }
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
        for p in 0..<n { mask[active[p]] = 0 }
    }
}
