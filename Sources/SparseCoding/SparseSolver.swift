import Foundation
import LinearAlgebra

/// The l1-regularised least-squares problem every solver here answers, for each signal y:
///
///     minimise over w   ½‖y − D w‖² + λ‖w‖₁
///
/// This is the convention of the release's `L1QP_FeatureSign_yang(lambda, A, b)` (it minimises
/// ½wᵀAw + bᵀw + λ‖w‖₁ with A = DᵀD, b = −Dᵀy), so λ = 0.2 / 0.15 mean what they mean there. It is
/// also scikit-learn's `sparse_encode(…, alpha=λ)` with lasso_lars (which divides alpha by the
/// dimension and scales the residual by 1/(2·dim)).
public protocol SparseSolver: Sendable {
    var name: String { get }
    /// Codes every column of `signals` (dimension × count) against `dictionary`.
    func encode(_ signals: Matrix<Double>, dictionary: CodingDictionary, lambda: Double) -> SparseCodes
}

/// A dictionary (dimension × atoms, column j is atom j) with its Gram matrix DᵀD, computed once
/// because every solver works from it.
public struct CodingDictionary: Sendable {
    public let atoms: Matrix<Double>
    public let gram: Matrix<Double>
    public var dimension: Int { atoms.rows }
    public var count: Int { atoms.columns }
    /// The Gram matrix at a fixed address, so the solver threads share it without copies.
    let gramStorage: PinnedBuffer<Double>
    /// The Gram matrix in single precision, for the fast solver's first pass.
    let gramSingle: PinnedBuffer<Float>
    let atomStorage: PinnedBuffer<Double>

    public init(_ atoms: Matrix<Double>) {
        self.atoms = atoms
        self.gram = matmul(atoms, transposeA: true, atoms)
        self.gramStorage = PinnedBuffer(gram.elements)
        self.gramSingle = PinnedBuffer(gram.elements.map { Float($0) })
        self.atomStorage = PinnedBuffer(atoms.elements)
    }
}

/// Codes of many signals, stored by column (compressed sparse column): the nonzeros of signal n are
/// `indices[starts[n]..<starts[n+1]]` with `values` alongside.
public struct SparseCodes: Sendable, Equatable {
    public let atoms: Int
    public var starts: [Int]
    public var indices: [Int32]
    public var values: [Double]

    public init(atoms: Int) {
        self.atoms = atoms
        starts = [0]
        indices = []
        values = []
    }

    public var count: Int { starts.count - 1 }
    public var nonzeroCount: Int { values.count }

    public mutating func append(indices newIndices: [Int32], values newValues: [Double]) {
        indices.append(contentsOf: newIndices)
        values.append(contentsOf: newValues)
        starts.append(indices.count)
    }

    public mutating func append(contentsOf other: SparseCodes) {
        precondition(other.atoms == atoms)
        let base = indices.count
        indices.append(contentsOf: other.indices)
        values.append(contentsOf: other.values)
        starts.append(contentsOf: other.starts.dropFirst().map { $0 + base })
    }

    /// Signal n's code as a dense vector.
    public func dense(_ n: Int) -> [Double] {
        var w = [Double](repeating: 0, count: atoms)
        for p in starts[n]..<starts[n + 1] { w[Int(indices[p])] = values[p] }
        return w
    }
}

public enum SparseObjective {
    /// ½‖y − D w‖² + λ‖w‖₁ for signal `n`.
    public static func value(signal y: [Double], code w: [Double], dictionary: Matrix<Double>,
                             lambda: Double) -> Double {
        let reconstruction = matvec(dictionary, w)
        var residual = 0.0
        for i in 0..<y.count { residual += (y[i] - reconstruction[i]) * (y[i] - reconstruction[i]) }
        return 0.5 * residual + lambda * w.reduce(0) { $0 + abs($1) }
    }

    /// The summed objective over all signals.
    public static func total(signals: Matrix<Double>, codes: SparseCodes, dictionary: Matrix<Double>,
                             lambda: Double) -> Double {
        var sum = 0.0
        for n in 0..<signals.columns {
            sum += value(signal: signals.column(n), code: codes.dense(n), dictionary: dictionary,
                         lambda: lambda)
        }
        return sum
    }

    /// The largest violation of the lasso optimality (KKT) conditions for one code: with
    /// g = Dᵀ(y − Dw), active atoms need g_i = λ·sign(w_i) and inactive ones |g_i| ≤ λ.
    public static func kktViolation(signal y: [Double], code w: [Double], dictionary: CodingDictionary,
                                    lambda: Double) -> Double {
        let residual = zip(y, matvec(dictionary.atoms, w)).map { $0 - $1 }
        let g = matvec(dictionary.atoms, transpose: true, residual)
        var worst = 0.0
        for i in 0..<w.count {
            let violation = w[i] != 0 ? abs(g[i] - lambda * (w[i] > 0 ? 1 : -1)) : max(0, abs(g[i]) - lambda)
            worst = max(worst, violation)
        }
        return worst
    }
}

/// Codes all signals on every core. Each worker takes blocks of `block` signals, computes their
/// correlations Dᵀy with one single-threaded GEMM into its own (cache-sized) buffer and codes them.
/// OpenBLAS is held at one thread meanwhile: its own threads would otherwise spin between calls and
/// take the cores from the solver threads. Blocks are fixed, so results do not depend on timing.
func encodeInChunks(_ signals: Matrix<Double>, dictionary: CodingDictionary, block: Int = 128,
                    workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                    makeWorker: @Sendable () -> SignalCoder) -> SparseCodes {
    precondition(signals.rows == dictionary.dimension,
                 "signals have dimension \(signals.rows), dictionary atoms \(dictionary.dimension)")
    let total = signals.columns, k = dictionary.count, d = dictionary.dimension
    let blocks = (total + block - 1) / block
    guard blocks > 0 else { return SparseCodes(atoms: k) }
    nonisolated(unsafe) let results = UnsafeMutableBufferPointer<SparseCodes>.allocate(capacity: blocks)
    results.initialize(repeating: SparseCodes(atoms: k))
    let next = BlockCounter()
    BLASThreads.with(1) { signals.elements.withUnsafeBufferPointer { ps in
        nonisolated(unsafe) let signalBase = ps.baseAddress!
        let atoms = UnsafePointer(dictionary.atomStorage.pointer)
        nonisolated(unsafe) let atomBase = atoms
        DispatchQueue.concurrentPerform(iterations: min(workers, blocks)) { _ in
            let worker = makeWorker()
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: k * block)
            defer { buffer.deallocate() }
            var indices: [Int32] = [], values: [Double] = []
            while true {
                let b = next.take()
                if b >= blocks { break }
                let lo = b * block, hi = min(total, lo + block)
                Double.gemm(true, false, k, hi - lo, d, 1, atomBase, d, signalBase + lo * d, d, 0, buffer, k)
                var local = SparseCodes(atoms: k)
                for j in 0..<(hi - lo) {
                    indices.removeAll(keepingCapacity: true)
                    values.removeAll(keepingCapacity: true)
                    worker.code(correlations: buffer + j * k, indices: &indices, values: &values)
                    local.append(indices: indices, values: values)
                }
                results[b] = local
            }
        }
    } }
    var codes = SparseCodes(atoms: k)
    codes.indices.reserveCapacity(results.reduce(0) { $0 + $1.nonzeroCount })
    codes.values.reserveCapacity(codes.indices.capacity)
    codes.starts.reserveCapacity(total + 1)
    for b in 0..<blocks { codes.append(contentsOf: results[b]) }
    results.deinitialize()
    results.deallocate()
    return codes
}

/// Hands out block numbers to worker threads.
final class BlockCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// One thread's solver with its scratch memory: codes one signal from its correlations Dᵀy.
protocol SignalCoder: AnyObject {
    func code(correlations: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double])
}

/// Read-only values at a stable address, shared by worker threads (never mutated after init).
final class PinnedBuffer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(_ values: [T]) {
        count = values.count
        pointer = .allocate(capacity: max(1, count))
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: count) }
    }

    deinit { pointer.deallocate() }
}
