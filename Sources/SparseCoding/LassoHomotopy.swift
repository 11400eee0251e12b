import LinearAlgebra

/// The fast solver: the lasso homotopy (LARS with the lasso modification; Osborne, Presnell &
/// Turlach 2000; Efron et al. 2004) run per signal on the precomputed Gram matrix DᵀD.
///
/// Starting from w = 0 at λ₀ = max|Dᵀy|, the solution is piecewise linear in λ; each step moves
/// along G_AA⁻¹·sign to the next event (an atom's correlation reaches ±λ and it joins, or an active
/// coefficient crosses zero and it leaves) until λ is reached. It therefore ends at the exact lasso
/// solution, the same one feature-sign finds, in as many steps as atoms enter (a handful here).
///
/// Speed comes from: Dᵀy for a block of signals in one GEMM; per step only the Gram columns of
/// active atoms (copied side by side) and one event search over all atoms, eight at a time without
/// branches; the active-set Cholesky grown a row at a time; both cores coding blocks in parallel;
/// and the per-atom passes run in single precision first (twice the SIMD width, half the memory).
/// That first pass only proposes the support and signs: the coefficients are then solved in double
/// precision on that support (G_AA w = Dᵀy_A − λ·s) and the optimality conditions are checked in
/// double precision over all atoms; if any fails (a near-tie decided differently by rounding), the
/// signal is solved again entirely in double precision. Results are therefore exact either way.
public struct LassoHomotopy: SparseSolver {
    /// Run the single-precision first pass (default). `false` solves in double precision only.
    public var mixedPrecision: Bool

    public init(mixedPrecision: Bool = true) {
        self.mixedPrecision = mixedPrecision
    }

    public var name: String { mixedPrecision ? "lasso-homotopy" : "lasso-homotopy (double)" }

    public func encode(_ signals: Matrix<Double>, dictionary: CodingDictionary, lambda: Double) -> SparseCodes {
        let mixed = mixedPrecision
        return encodeInChunks(signals, dictionary: dictionary) {
            LassoHomotopyCoder(dictionary: dictionary, lambda: lambda, mixedPrecision: mixed)
        }
    }
}

final class LassoHomotopyCoder: SignalCoder {
    let exact: HomotopyPath<Double>
    let fast: HomotopyPath<Float>?
    let gram: UnsafePointer<Double>
    let k: Int
    let lambda: Double
    /// Inactive correlations may exceed λ by this much (feature-sign's own tolerance).
    let tolerance = 1e-9
    let residual: UnsafeMutablePointer<Double>
    let gramStorage: PinnedBuffer<Double>

    convenience init(dictionary: CodingDictionary, lambda: Double, mixedPrecision: Bool) {
        self.init(gram: dictionary.gramStorage, single: mixedPrecision ? dictionary.gramSingle : nil,
                  atoms: dictionary.count, maxActive: min(dictionary.dimension, dictionary.count), lambda: lambda)
    }

    init(gram: PinnedBuffer<Double>, single: PinnedBuffer<Float>?, atoms: Int, maxActive: Int, lambda: Double) {
        gramStorage = gram
        self.gram = UnsafePointer(gram.pointer)
        k = atoms
        self.lambda = lambda
        exact = HomotopyPath(gram: gram, lanes: gram, atoms: atoms, maxActive: maxActive, lambda: lambda)
        fast = single.map { HomotopyPath(gram: gram, lanes: $0, atoms: atoms, maxActive: maxActive, lambda: lambda) }
        residual = .allocate(capacity: atoms)
    }

    deinit { residual.deallocate() }

    func code(correlations c0: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double]) {
        if let fast, fast.run(c0), verify(fast, c0) {
            fast.emit(indices: &indices, values: &values)
            return
        }
        _ = exact.run(c0)
        exact.emit(indices: &indices, values: &values)
    }

    /// The lasso optimality conditions in double precision: on the support the polish made
    /// g = λ·sign exactly; elsewhere |g_j| = |c0_j − Σ G_j,A w_A| must not exceed λ.
    private func verify<R: HomotopyLane>(_ path: HomotopyPath<R>, _ c0: UnsafePointer<Double>) -> Bool {
        for j in 0..<k { residual[j] = c0[j] }
        for p in 0..<path.n {
            let g = gram + path.active[p] * k, w = path.weight[p]
            for j in 0..<k { residual[j] -= g[j] * w }
        }
        let bound = lambda + tolerance
        for j in 0..<k where abs(residual[j]) > bound {
            var isActive = false
            for p in 0..<path.n where path.active[p] == j { isActive = true }
            if !isActive { return false }
        }
        return true
    }
}

/// One homotopy run per signal. The per-atom quantities (correlations, their rates, the active
/// Gram columns) are held in `R` — Double for the exact path, Float for the fast first pass; the
/// active set's coefficients, Cholesky factor and final polish are always Double.
final class HomotopyPath<R: HomotopyLane> {
    let gramStorage: PinnedBuffer<Double>
    let laneStorage: PinnedBuffer<R>
    let gram: UnsafePointer<Double>
    let lanes: UnsafePointer<R>
    let k: Int
    let maxActive: Int
    let lambda: Double
    // Per atom (length k): the current correlations Dᵀ(y − Dw), how fast each falls per unit
    // decrease of λ, and +∞ for active atoms so the event search needs no branch to skip them.
    let correlation: UnsafeMutablePointer<R>
    let direction: UnsafeMutablePointer<R>
    let excluded: UnsafeMutablePointer<R>
    /// The Gram columns of the active atoms side by side (k × maxActive).
    let activeColumns: UnsafeMutablePointer<R>
    // Per active atom (length maxActive): atom index, sign, coefficient, coefficient rate.
    let active: UnsafeMutablePointer<Int>
    let sign: UnsafeMutablePointer<Double>
    let weight: UnsafeMutablePointer<Double>
    let step: UnsafeMutablePointer<Double>
    var n = 0
    /// Lower Cholesky factor of G_AA, row-major with leading dimension maxActive.
    let factor: UnsafeMutablePointer<Double>
    let column: UnsafeMutablePointer<Double>

    init(gram: PinnedBuffer<Double>, lanes: PinnedBuffer<R>, atoms: Int, maxActive: Int, lambda: Double) {
        gramStorage = gram
        laneStorage = lanes
        self.gram = UnsafePointer(gram.pointer)
        self.lanes = UnsafePointer(lanes.pointer)
        k = atoms
        self.maxActive = maxActive
        self.lambda = lambda
        correlation = .allocate(capacity: k)
        direction = .allocate(capacity: k)
        direction.initialize(repeating: 0, count: k)
        excluded = .allocate(capacity: k)
        excluded.initialize(repeating: 0, count: k)
        activeColumns = .allocate(capacity: k * maxActive)
        active = .allocate(capacity: maxActive)
        sign = .allocate(capacity: maxActive)
        weight = .allocate(capacity: maxActive)
        step = .allocate(capacity: maxActive)
        factor = .allocate(capacity: maxActive * maxActive)
        column = .allocate(capacity: maxActive + 1)
    }

    deinit {
        correlation.deallocate(); direction.deallocate(); excluded.deallocate(); activeColumns.deallocate()
        active.deallocate(); sign.deallocate(); weight.deallocate(); step.deallocate()
        factor.deallocate(); column.deallocate()
    }

    /// Adds atom j to the active set and its row to the Cholesky factor; false if it is dependent.
    private func activate(_ j: Int, sign s: Double) -> Bool {
        guard n < maxActive else { return false }
        for p in 0..<n { column[p] = gram[active[p] * k + j] }
        column[n] = gram[j * k + j]
        guard SmallCholesky.append(factor, n: n, ld: maxActive, column: column) else { return false }
        active[n] = j; sign[n] = s; weight[n] = 0; step[n] = 0
        (activeColumns + n * k).update(from: lanes + j * k, count: k)
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

    /// Follows the path from λ₀ down to λ. Returns false if it had to stop early (a dependent
    /// atom or the step limit), in which case the result is not trusted.
    func run(_ c0: UnsafePointer<Double>) -> Bool {
        for p in 0..<n { excluded[active[p]] = 0 }
        n = 0
        var first = 0, largest = 0.0
        for j in 0..<k {
            let v = c0[j]
            correlation[j] = R(v)
            if abs(v) > largest { largest = abs(v); first = j }
        }
        guard largest > lambda else { return true }
        var level = R(largest)
        let target = R(lambda)
        _ = activate(first, sign: c0[first] > 0 ? 1 : -1)
        var justDropped = -1
        var steps = 0
        var finished = false
        var lastStep: R = 0 // the previous move, applied to the correlations in the next pass
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
                    let s0 = R(step[p]), s1 = R(step[p + 1]), s2 = R(step[p + 2]), s3 = R(step[p + 3])
                    if first {
                        for j in 0..<k { direction[j] = (g0[j] * s0 + g1[j] * s1) + (g2[j] * s2 + g3[j] * s3) }
                    } else {
                        for j in 0..<k { direction[j] += (g0[j] * s0 + g1[j] * s1) + (g2[j] * s2 + g3[j] * s3) }
                    }
                    p += 4
                } else {
                    let g = UnsafePointer(activeColumns + p * k), s = R(step[p])
                    if first {
                        for j in 0..<k { direction[j] = g[j] * s }
                    } else {
                        for j in 0..<k { direction[j] += g[j] * s }
                    }
                    p += 1
                }
            }
            // The next event: the smallest decrease t of λ at which an inactive correlation reaches
            // ±λ (for t > 0 and a nonnegative numerator, num < t·den implies den > 0). Eight atoms
            // at a time without branches; a group holding a winner is re-examined one by one.
            var (t, who, newSign) = R.nextEvent(direction: direction, correlation: correlation, excluded: excluded,
                                                count: k, level: level, limit: level - target)
            var event = who >= 0 ? 1 : 0 // 0: reached λ, 1: atom joins, 2: leaves
            for p in 0..<n where weight[p] != 0 && step[p] * weight[p] < 0 {
                let crossing = R(-weight[p] / step[p])
                if crossing < t { t = crossing; event = 2; who = p }
            }
            if justDropped >= 0 { excluded[justDropped] = 0; justDropped = -1 }
            if t < 0 { t = 0 }
            let move = Double(t)
            for p in 0..<n { weight[p] += move * step[p] }
            lastStep = t
            level -= t
            if event == 0 { finished = true; break }
            if event == 1 {
                if !activate(who, sign: newSign) { break }
            } else {
                // Leaves; it may not re-enter on the very next step (its correlation sits at ±λ).
                let atom = active[who]
                deactivate(at: who)
                if n == 0 { finished = true; break }
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
            if consistent { for p in 0..<n { weight[p] = step[p] } } else { return false }
        }
        return finished
    }

    /// The nonzero coefficients in ascending atom order.
    func emit(indices: inout [Int32], values: inout [Double]) {
        let order = (0..<n).sorted { active[$0] < active[$1] }
        for p in order where weight[p] != 0 {
            indices.append(Int32(active[p]))
            values.append(weight[p])
        }
    }
}

/// The per-atom precision of a homotopy path. The event search is written once per concrete
/// type: SIMD code inside a generic function compiles to scalar loops even when specialised.
protocol HomotopyLane: BinaryFloatingPoint & SIMDScalar {
    /// The smallest decrease t ≤ `limit` of λ at which an inactive correlation reaches ±λ, with
    /// that atom and the sign it joins with (atom −1: none before `limit`). For t > 0 and a
    /// nonnegative numerator, num < t·den implies den > 0, so the test needs no division; eight
    /// atoms are tested at a time without branches and a group holding a winner is re-examined
    /// one by one. `excluded` is +∞ for active atoms, which then never win.
    static func nextEvent(direction: UnsafePointer<Self>, correlation: UnsafePointer<Self>,
                          excluded: UnsafePointer<Self>, count k: Int, level: Self, limit: Self)
        -> (t: Self, atom: Int, sign: Double)
}

extension Float: HomotopyLane {
    static func nextEvent(direction: UnsafePointer<Float>, correlation: UnsafePointer<Float>,
                          excluded: UnsafePointer<Float>, count k: Int, level: Float, limit: Float)
        -> (t: Float, atom: Int, sign: Double) {
        var t = limit, who = -1, newSign = 0.0
        var j = 0
        let levels = SIMD8<Float>(repeating: level), ones = SIMD8<Float>(repeating: 1)
        while j + 8 <= k {
            let aj = UnsafeRawPointer(direction + j).loadUnaligned(as: SIMD8<Float>.self)
            let cj = UnsafeRawPointer(correlation + j).loadUnaligned(as: SIMD8<Float>.self)
            let skip = UnsafeRawPointer(excluded + j).loadUnaligned(as: SIMD8<Float>.self)
            let tv = SIMD8<Float>(repeating: t)
            let up = levels - cj + skip, down = levels + cj + skip
            if any((up .< tv * (ones - aj)) .| (down .< tv * (ones + aj))) {
                scalarEvent(direction, correlation, excluded, j..<(j + 8), level, &t, &who, &newSign)
            }
            j += 8
        }
        scalarEvent(direction, correlation, excluded, j..<k, level, &t, &who, &newSign)
        return (t, who, newSign)
    }
}

extension Double: HomotopyLane {
    static func nextEvent(direction: UnsafePointer<Double>, correlation: UnsafePointer<Double>,
                          excluded: UnsafePointer<Double>, count k: Int, level: Double, limit: Double)
        -> (t: Double, atom: Int, sign: Double) {
        var t = limit, who = -1, newSign = 0.0
        var j = 0
        let levels = SIMD8<Double>(repeating: level), ones = SIMD8<Double>(repeating: 1)
        while j + 8 <= k {
            let aj = UnsafeRawPointer(direction + j).loadUnaligned(as: SIMD8<Double>.self)
            let cj = UnsafeRawPointer(correlation + j).loadUnaligned(as: SIMD8<Double>.self)
            let skip = UnsafeRawPointer(excluded + j).loadUnaligned(as: SIMD8<Double>.self)
            let tv = SIMD8<Double>(repeating: t)
            let up = levels - cj + skip, down = levels + cj + skip
            if any((up .< tv * (ones - aj)) .| (down .< tv * (ones + aj))) {
                scalarEvent(direction, correlation, excluded, j..<(j + 8), level, &t, &who, &newSign)
            }
            j += 8
        }
        scalarEvent(direction, correlation, excluded, j..<k, level, &t, &who, &newSign)
        return (t, who, newSign)
    }
}

@inline(__always)
private func scalarEvent<R: BinaryFloatingPoint>(_ direction: UnsafePointer<R>, _ correlation: UnsafePointer<R>,
                                                 _ excluded: UnsafePointer<R>, _ range: Range<Int>, _ level: R,
                                                 _ t: inout R, _ who: inout Int, _ newSign: inout Double) {
    for q in range {
        let a = direction[q], c = correlation[q], x = excluded[q]
        let u = level - c + x, d = level + c + x
        if u < t * (1 - a) { t = u / (1 - a); who = q; newSign = 1 }
        if d < t * (1 + a) { t = d / (1 + a); who = q; newSign = -1 }
    }
}
