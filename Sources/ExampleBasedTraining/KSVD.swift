import Foundation
import ExampleBased
import LinearAlgebra
import SeededRandom

/// K-SVD (Aharon, Elad, Bruckstein 2006) as Rubinstein's KSVDBox (`ksvd.m`, v13) runs it for
/// Zeyde's dictionary (`learn_dict.m`: sparsity 3, 20 iterations, memusage 'normal', 1024 atoms):
///
/// 1. Initial atoms: distinct random training signals of squared norm > 1e-6, normalised.
/// 2. Each iteration: sparse-code every signal by OMP with the Gram matrix (Batch-OMP, OMPBox's
///    `omp(D, X, G, T)`: `OrthogonalMatchingPursuit.codes(for:)`); then update the atoms one at a
///    time in a random order, each seeing the atoms and coefficients updated before it.
/// 3. The update is KSVDBox's default approximate K-SVD (`exact` = 0), which the authors'
///    dictionaries were trained with: one step of the power method on the residual E_j of the
///    signals I that use atom j, d = E_j·γ / ‖E_j·γ‖ and γ = dᵀ·E_j, with
///    E_j = X_I − D·Γ_I + d_j·γ never formed. (The exact update, the top singular pair of E_j,
///    lowers the error slightly more per iteration but is not what produced the release's data.)
///    An atom no signal uses is replaced by the worst-represented of up to 5000 random unused signals.
/// 4. After the update, the RMSE ‖X − DΓ‖/√(numel X); then `cleardict`: an atom whose largest
///    |correlation| with another atom exceeds 0.99, or that was not just replaced and fewer than 4
///    signals use (|γ| > 1e-7), is replaced by the worst-represented of up to 5000 random unused
///    signals, in atom order.
///
/// Departure: in `cleardict` KSVDBox removes the chosen signal from its unused list but not from
/// the error list of the random sample, so the next replacement takes the signal after it in the
/// list (a neighbour of the worst one) rather than the next-worst; here its error is zeroed, so
/// each replacement takes the next-worst signal.
public struct KSVD {
    public struct Settings: Sendable, Equatable {
        public var atoms = 1024
        public var sparsity = 3
        public var iterations = 20
        /// KSVDBox's `muthresh`.
        public var mutualCoherenceLimit = 0.99
        /// KSVDBox's `use_thresh`.
        public var minimumUses = 4
        /// Unused signals sampled when an atom is replaced.
        public var replacementCandidates = 5000
        public init() {}
    }

    /// Γ with at most `sparsity` entries per signal: entry t of signal n at `n·sparsity + t`
    /// (atom −1 when OMP stopped early).
    public struct Codes: Sendable {
        public let sparsity: Int
        public var atoms: [Int32]
        public var values: [Double]
        public var signals: Int { atoms.count / sparsity }
    }

    public struct IterationReport: Sendable {
        public let iteration: Int
        /// RMSE after the atom updates (KSVDBox's `err(iter)`).
        public let error: Double
        /// Atoms replaced as unused during the update plus those cleared afterwards.
        public let replaced: Int
        public let seconds: Double
    }

    public struct Result: Sendable {
        /// D (d × K) after the last iteration's clean-up, as `ksvd.m` returns it.
        public let dictionary: Matrix<Double>
        /// Γ of the last iteration after the atom updates (before the clean-up), as returned.
        public let codes: Codes
        public let reports: [IterationReport]
    }

    public enum TrainingError: Error, CustomStringConvertible, Equatable {
        case tooFewSignals(found: Int, needed: Int)
        public var description: String {
            switch self {
            case .tooFewSignals(let found, let needed):
                return "K-SVD needs at least \(needed) training signals with energy (one per atom); the samples have \(found)"
            }
        }
    }

    /// Trains a dictionary on the columns of `data` (d × N).
    public static func train(data: Matrix<Double>, settings: Settings, random: inout Xoshiro256,
                             report: (IterationReport) -> Void = { _ in }) throws -> Result {
        let d = data.rows, n = data.columns, k = settings.atoms
        let usable = (0..<n).filter { j in squaredNorm(data, j) > 1e-6 }
        guard usable.count >= k else { throw TrainingError.tooFewSignals(found: usable.count, needed: k) }
        var chosen = usable
        random.shuffle(&chosen)
        var dictionary = data.columns(Array(chosen.prefix(k)))
        for j in 0..<k { normalise(&dictionary, column: j) }

        var reports: [IterationReport] = []
        var codes = Codes(sparsity: settings.sparsity, atoms: [], values: [])
        for iteration in 1...max(1, settings.iterations) {
            let start = Date()
            codes = sparseCode(data, dictionary: dictionary, sparsity: settings.sparsity)
            var unused = [Int32]((0..<n).map { Int32($0) })
            var replacedInUpdate = [Bool](repeating: false, count: k)
            var order = Array(0..<k)
            random.shuffle(&order)
            updateAtoms(data, dictionary: &dictionary, codes: &codes, order: order, unused: &unused,
                        replaced: &replacedInUpdate, settings: settings, random: &random)
            let error = (totalSquaredError(data, dictionary: dictionary, codes: codes) / Double(d * n)).squareRoot()
            let cleared = clearDictionary(data, dictionary: &dictionary, codes: codes, unused: &unused,
                                          replaced: replacedInUpdate, settings: settings, random: &random)
            let entry = IterationReport(iteration: iteration, error: error,
                                        replaced: replacedInUpdate.filter { $0 }.count + cleared,
                                        seconds: Date().timeIntervalSince(start))
            reports.append(entry)
            report(entry)
        }
        return Result(dictionary: dictionary, codes: codes, reports: reports)
    }

    /// Batch-OMP of every column, on all cores (OpenBLAS on one thread per block).
    public static func sparseCode(_ data: Matrix<Double>, dictionary: Matrix<Double>, sparsity: Int) -> Codes {
        let pursuit = OrthogonalMatchingPursuit(dictionary: dictionary, sparsity: sparsity)
        let n = data.columns, d = data.rows
        let block = 8192
        let blocks = (n + block - 1) / block
        var atoms = [Int32](repeating: -1, count: n * sparsity)
        var values = [Double](repeating: 0, count: n * sparsity)
        atoms.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { v in
                nonisolated(unsafe) let atomsOut = a.baseAddress!, valuesOut = v.baseAddress!
                BLASThreads.with(1) {
                    DispatchQueue.concurrentPerform(iterations: blocks) { b in
                        let first = b * block, count = min(block, n - first)
                        let part = Matrix(rows: d, columns: count,
                                          elements: Array(data.elements[(first * d)..<((first + count) * d)]))
                        for (offset, code) in pursuit.codes(for: part).enumerated() {
                            for (t, (atom, value)) in zip(code.atoms, code.coefficients).enumerated() {
                                atomsOut[(first + offset) * sparsity + t] = Int32(atom)
                                valuesOut[(first + offset) * sparsity + t] = value
                            }
                        }
                    }
                }
            }
        }
        return Codes(sparsity: sparsity, atoms: atoms, values: values)
    }

    /// KSVDBox's `optimize_atom` for every atom in `order`.
    static func updateAtoms(_ x: Matrix<Double>, dictionary: inout Matrix<Double>, codes: inout Codes, order: [Int],
                            unused: inout [Int32], replaced: inout [Bool], settings: Settings, random: inout Xoshiro256) {
        let d = x.rows, k = dictionary.columns, t = codes.sparsity
        // Each atom's entries (slot n·t + s), signals ascending: Γ's rows, as `sprow` gives them.
        var rowStart = [Int](repeating: 0, count: k + 1)
        for (slot, a) in codes.atoms.enumerated() where a >= 0 && codes.values[slot] != 0 { rowStart[Int(a) + 1] += 1 }
        for j in 0..<k { rowStart[j + 1] += rowStart[j] }
        var next = rowStart
        var entries = [Int](repeating: 0, count: rowStart[k])
        for (slot, a) in codes.atoms.enumerated() where a >= 0 && codes.values[slot] != 0 {
            entries[next[Int(a)]] = slot
            next[Int(a)] += 1
        }
        var v = [Double](repeating: 0, count: k)
        var touched = [Int](), isTouched = [Bool](repeating: false, count: k)
        var atom = [Double](repeating: 0, count: d), oldAtom = [Double](repeating: 0, count: d)
        var projections = [Double](repeating: 0, count: k)
        var updated = [Double]()
        for j in order {
            let mine = entries[rowStart[j]..<rowStart[j + 1]]
            if mine.isEmpty {
                replaceUnused(x, dictionary: &dictionary, codes: codes, atom: j, unused: &unused,
                              candidates: settings.replacementCandidates, random: &random)
                replaced[j] = true
                continue
            }
            for i in 0..<d { oldAtom[i] = dictionary[i, j]; atom[i] = 0 }
            // v = Γ_I·γ (K-long, sparse); atom = X_I·γ − D·v + d_j·(γ·γ).
            var gammaSquared = 0.0
            for slot in mine {
                let g = codes.values[slot], signal = slot / t
                gammaSquared += g * g
                for i in 0..<d { atom[i] += g * x[i, signal] }
                for s in 0..<t {
                    let a = Int(codes.atoms[signal * t + s])
                    guard a >= 0 else { continue }
                    if !isTouched[a] { isTouched[a] = true; touched.append(a) }
                    v[a] += g * codes.values[signal * t + s]
                }
            }
            for a in touched { for i in 0..<d { atom[i] -= dictionary[i, a] * v[a] } }
            for i in 0..<d { atom[i] += oldAtom[i] * gammaSquared }
            let norm = atom.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 {
                for i in 0..<d { atom[i] /= norm }
                // γ = atomᵀ·X_I − (atomᵀ·D)·Γ_I + (atomᵀ·d_j)·γ, all from the old values.
                for a in touched { projections[a] = (0..<d).reduce(0.0) { $0 + atom[$1] * dictionary[$1, a] } }
                let onOld = (0..<d).reduce(0.0) { $0 + atom[$1] * oldAtom[$1] }
                updated.removeAll(keepingCapacity: true)
                for slot in mine {
                    let signal = slot / t
                    var g = (0..<d).reduce(0.0) { $0 + atom[$1] * x[$1, signal] }
                    for s in 0..<t {
                        let a = Int(codes.atoms[signal * t + s])
                        if a >= 0 { g -= projections[a] * codes.values[signal * t + s] }
                    }
                    updated.append(g + onOld * codes.values[slot])
                }
                for (slot, g) in zip(mine, updated) { codes.values[slot] = g }
                for i in 0..<d { dictionary[i, j] = atom[i] }
            }
            for a in touched { v[a] = 0; isTouched[a] = false }
            touched.removeAll(keepingCapacity: true)
        }
    }

    /// An unused atom becomes the worst-represented of up to `candidates` random unused signals
    /// (KSVDBox's `optimize_atom` when `sprow` is empty); that signal is no longer unused.
    static func replaceUnused(_ x: Matrix<Double>, dictionary: inout Matrix<Double>, codes: Codes, atom j: Int,
                              unused: inout [Int32], candidates: Int, random: inout Xoshiro256) {
        guard !unused.isEmpty else { return }
        let sample = randomPositions(unused.count, count: min(candidates, unused.count), random: &random)
        var worst = 0, worstError = -1.0
        for (i, position) in sample.enumerated() {
            let e = squaredError(x, dictionary: dictionary, codes: codes, signal: Int(unused[position]))
            if e > worstError { worstError = e; worst = i }
        }
        let signal = Int(unused[sample[worst]])
        for i in 0..<x.rows { dictionary[i, j] = x[i, signal] }
        normalise(&dictionary, column: j)
        unused.remove(at: sample[worst])
    }

    /// KSVDBox's `cleardict`; returns how many atoms it replaced.
    static func clearDictionary(_ x: Matrix<Double>, dictionary: inout Matrix<Double>, codes: Codes, unused: inout [Int32],
                                replaced: [Bool], settings: Settings, random: inout Xoshiro256) -> Int {
        let d = x.rows, k = dictionary.columns
        let sample = randomPositions(unused.count, count: min(settings.replacementCandidates, unused.count), random: &random)
        let signals = sample.map { Int(unused[$0]) }
        var errors = signals.map { squaredError(x, dictionary: dictionary, codes: codes, signal: $0) }
        var uses = [Int](repeating: 0, count: k)
        for (slot, a) in codes.atoms.enumerated() where a >= 0 && abs(codes.values[slot]) > 1e-7 { uses[Int(a)] += 1 }
        var taken = [Int32]()
        var cleared = 0
        let limit = settings.mutualCoherenceLimit * settings.mutualCoherenceLimit
        for j in 0..<k {
            var largest = 0.0
            dictionary.elements.withUnsafeBufferPointer { e in
                let dj = e.baseAddress! + j * d
                for a in 0..<k where a != j {
                    let da = e.baseAddress! + a * d
                    var dot = 0.0
                    for i in 0..<d { dot += da[i] * dj[i] }
                    largest = max(largest, dot * dot)
                }
            }
            guard largest > limit || (!replaced[j] && uses[j] < settings.minimumUses) else { continue }
            guard let worst = errors.indices.max(by: { errors[$0] < errors[$1] || (errors[$0] == errors[$1] && $0 > $1) }) else { break }
            let signal = signals[worst]
            for i in 0..<d { dictionary[i, j] = x[i, signal] }
            normalise(&dictionary, column: j)
            errors[worst] = 0
            taken.append(Int32(signal))
            cleared += 1
        }
        if !taken.isEmpty {
            let gone = Set(taken)
            unused.removeAll { gone.contains($0) }
        }
        return cleared
    }

    /// The first `count` entries of a random permutation of 0..<n (MATLAB `randperm(n)`, cut).
    static func randomPositions(_ n: Int, count: Int, random: inout Xoshiro256) -> [Int] {
        var positions = Array(0..<n)
        for i in 0..<count { positions.swapAt(i, i + random.nextIndex(n - i)) }
        return Array(positions.prefix(count))
    }

    static func squaredNorm(_ x: Matrix<Double>, _ j: Int) -> Double {
        (0..<x.rows).reduce(0.0) { $0 + x[$1, j] * x[$1, j] }
    }

    static func normalise(_ m: inout Matrix<Double>, column j: Int) {
        let norm = squaredNorm(m, j).squareRoot()
        guard norm > 0 else { return }
        for i in 0..<m.rows { m[i, j] /= norm }
    }

    /// ‖x_n − D·Γ(:, n)‖².
    static func squaredError(_ x: Matrix<Double>, dictionary: Matrix<Double>, codes: Codes, signal n: Int) -> Double {
        let d = x.rows, t = codes.sparsity
        var error = 0.0
        for i in 0..<d {
            var r = x[i, n]
            for s in 0..<t {
                let a = Int(codes.atoms[n * t + s])
                if a >= 0 { r -= dictionary[i, a] * codes.values[n * t + s] }
            }
            error += r * r
        }
        return error
    }

    /// ‖X − D·Γ‖²_F.
    public static func totalSquaredError(_ x: Matrix<Double>, dictionary: Matrix<Double>, codes: Codes) -> Double {
        (0..<x.columns).reduce(0.0) { $0 + squaredError(x, dictionary: dictionary, codes: codes, signal: $1) }
    }

    /// `learn_dict.m`'s HR dictionary: Dh = (P·Γᵀ)·(Γ·Γᵀ)⁻¹ for HR patches P (rows × N). A Γ·Γᵀ
    /// that is singular (an atom cleared in the last iteration that no signal uses: MATLAB's `inv`
    /// would give Inf) gets a ridge of 1e-10·mean diagonal, which sets such an atom's column to 0.
    public static func highDictionary(patches: Matrix<Double>, codes: Codes, atoms k: Int) throws -> (dictionary: Matrix<Double>, ridge: Double) {
        let p = patches.rows, t = codes.sparsity
        var cross = Matrix<Double>(rows: k, columns: p)  // Γ·Pᵀ
        var gram = Matrix<Double>(rows: k, columns: k)   // Γ·Γᵀ
        for n in 0..<codes.signals {
            for s in 0..<t {
                let a = Int(codes.atoms[n * t + s])
                guard a >= 0 else { continue }
                let g = codes.values[n * t + s]
                for i in 0..<p { cross[a, i] += g * patches[i, n] }
                for r in 0..<t {
                    let b = Int(codes.atoms[n * t + r])
                    if b >= 0 { gram[a, b] += g * codes.values[n * t + r] }
                }
            }
        }
        var ridge = 0.0
        if let factor = try? Cholesky(gram) {
            return (try factor.solve(cross).transposed, ridge)
        }
        ridge = 1e-10 * (0..<k).reduce(0.0) { $0 + gram[$1, $1] } / Double(k)
        for i in 0..<k { gram[i, i] += ridge }
        return (try Cholesky(gram).solve(cross).transposed, ridge)
    }
}
