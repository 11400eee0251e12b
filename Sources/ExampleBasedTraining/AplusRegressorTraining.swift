import Foundation
import LinearAlgebra

/// A+'s regressors from a sample pool (`go_run_*_Aplus1024.m`, "A+ computing the regressors"):
///
/// 1. Every LR sample is divided by its l2 norm (+ eps); its HR sample by the same norm only when
///    that norm is at least 0.1 (the release's quirk: `l2(l2 < 0.1) = 1` after the LR division).
/// 2. For each atom, the 2048 samples nearest to it in Euclidean distance (`pdist2`, then a full
///    ascending sort: ties keep sample order).
/// 3. PP = Hi·(LoᵀLo + λI₂₀₄₈)⁻¹·Loᵀ with λ = 0.1, computed as the equal primal form
///    Hi·Loᵀ·(Lo·Loᵀ + λI_d)⁻¹ (a d × d solve instead of 2048 × 2048).
///
/// Departures: distances are ranked by ‖x‖² − 2·xᵀd in single precision from a GEMM (pdist2
/// subtracts element-wise), so samples whose distances tie to rounding may be ranked otherwise;
/// the ridge solves run in Double (the release inverts in single; the README measured < 0.05%).
public enum AplusRegressorTraining {
    public static let neighbours = 2048
    public static let lambda = 0.1

    public enum TrainingError: Error, CustomStringConvertible, Equatable {
        case tooFewSamples(found: Int, needed: Int)
        public var description: String {
            switch self {
            case .tooFewSamples(let found, let needed):
                return "A+ needs at least \(needed) training samples (the neighbourhood of every atom); the images gave \(found)"
            }
        }
    }

    /// Step 1, in place: LR columns (d × N) and HR columns (P × N).
    public static func normalise(features: inout [Float], patches: inout [Float], pcaDimension d: Int, patchLength p: Int) {
        let n = features.count / d
        features.withUnsafeMutableBufferPointer { f in
            patches.withUnsafeMutableBufferPointer { h in
                for j in 0..<n {
                    var sum: Float = 0
                    for i in 0..<d { sum += f[j * d + i] * f[j * d + i] }
                    // MATLAB: single + eps (double) rounds back to single, so eps only counts at 0.
                    let l2 = sum.squareRoot() + Float(Double.ulpOfOne)
                    for i in 0..<d { f[j * d + i] /= l2 }
                    if l2 >= 0.1 { for i in 0..<p { h[j * p + i] /= l2 } }
                }
            }
        }
    }

    /// Step 2: for each atom (column of `anchors`, d × K), the indices of its `count` nearest
    /// samples (columns of `features`), nearest first (ties: lower index first).
    public static func nearest(features: [Float], pcaDimension d: Int, anchors: Matrix<Double>, count: Int) -> [[Int32]] {
        let n = features.count / d, k = anchors.columns
        precondition(anchors.rows == d && count <= n)
        let anchorsSingle: Matrix<Float> = anchors.converted()
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Atoms are split between workers; each streams every sample tile through its atoms.
        let perWorker = (k + workers - 1) / workers
        let tile = 4096
        var result = [[Int32]](repeating: [], count: k)
        result.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            features.withUnsafeBufferPointer { fb in
                nonisolated(unsafe) let f = fb.baseAddress!
                anchorsSingle.elements.withUnsafeBufferPointer { ab in
                    nonisolated(unsafe) let a = ab.baseAddress!
                    BLASThreads.with(1) {
                        DispatchQueue.concurrentPerform(iterations: workers) { w in
                            let firstAtom = w * perWorker, atoms = min(perWorker, k - firstAtom)
                            guard atoms > 0 else { return }
                            var selections = (0..<atoms).map { _ in NearestSelection(count: count) }
                            var scores = [Float](repeating: 0, count: tile * atoms)
                            var norms = [Float](repeating: 0, count: tile)
                            for start in stride(from: 0, to: n, by: tile) {
                                let m = min(tile, n - start)
                                for j in 0..<m {
                                    var s: Float = 0
                                    for i in 0..<d { s += f[(start + j) * d + i] * f[(start + j) * d + i] }
                                    norms[j] = s
                                }
                                scores.withUnsafeMutableBufferPointer { sb in
                                    // scores (m × atoms, column-major: one atom's scores contiguous) = Xᵀ·D.
                                    Float.gemm(true, false, m, atoms, d, 1, f + start * d, d, a + firstAtom * d, d, 0, sb.baseAddress!, m)
                                    for atom in 0..<atoms {
                                        selections[atom].offer(sb.baseAddress! + atom * m, norms: norms, count: m, firstIndex: start)
                                    }
                                }
                            }
                            for atom in 0..<atoms { out[firstAtom + atom] = selections[atom].sorted() }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Step 3 for one atom: PP (P × d) from its neighbours, in Double.
    public static func regressor(features: [Float], patches: [Float], pcaDimension d: Int, patchLength p: Int,
                                 neighbours: [Int32], lambda: Double = AplusRegressorTraining.lambda) throws -> Matrix<Double> {
        let m = neighbours.count
        var lo = Matrix<Double>(rows: d, columns: m), hi = Matrix<Double>(rows: p, columns: m)
        for (c, index) in neighbours.enumerated() {
            let j = Int(index)
            for i in 0..<d { lo.elements[c * d + i] = Double(features[j * d + i]) }
            for i in 0..<p { hi.elements[c * p + i] = Double(patches[j * p + i]) }
        }
        var gram = matmul(lo, lo, transposeB: true)          // Lo·Loᵀ (d × d)
        for i in 0..<d { gram[i, i] += lambda }
        let cross = matmul(lo, hi, transposeB: true)         // Lo·Hiᵀ (d × P)
        return try Cholesky(gram).solve(cross).transposed    // (Hi·Loᵀ·(Lo·Loᵀ + λI)⁻¹), P × d
    }

    /// Steps 2–3 for every atom (step 1 done by the caller), on all cores.
    public static func regressors(features: [Float], patches: [Float], pcaDimension d: Int, patchLength p: Int,
                                  anchors: Matrix<Double>, neighbours count: Int = AplusRegressorTraining.neighbours,
                                  lambda: Double = AplusRegressorTraining.lambda,
                                  stage: (String, Double) -> Void = { _, _ in }) throws -> [Matrix<Double>] {
        let n = features.count / d
        guard n >= count else { throw TrainingError.tooFewSamples(found: n, needed: count) }
        var start = Date()
        let neighbourhoods = nearest(features: features, pcaDimension: d, anchors: anchors, count: count)
        stage("nearest \(count) samples of \(anchors.columns) atoms among \(n)", Date().timeIntervalSince(start))
        start = Date()
        let k = anchors.columns
        let results = Results(count: k)
        BLASThreads.with(1) {
            DispatchQueue.concurrentPerform(iterations: k) { atom in
                results.set(atom, Result {
                    try regressor(features: features, patches: patches, pcaDimension: d, patchLength: p,
                                  neighbours: neighbourhoods[atom], lambda: lambda)
                })
            }
        }
        let out = try results.values.map { try $0!.get() }
        stage("\(k) ridge regressions", Date().timeIntervalSince(start))
        return out
    }
}

/// The `count` smallest keys ‖x‖² − 2·xᵀd seen so far for one atom, with their sample indices: a
/// buffer of up to 2·count candidates, cut back to the best `count` when full, so that most
/// samples are rejected by one comparison with the current bound.
struct NearestSelection {
    let count: Int
    var keys: [Float] = []
    var indices: [Int32] = []
    /// Keys at or above it cannot enter (samples arrive in index order, so an equal key is later).
    var bound = Float.infinity

    init(count: Int) {
        self.count = count
        keys.reserveCapacity(2 * count)
        indices.reserveCapacity(2 * count)
    }

    mutating func offer(_ scores: UnsafePointer<Float>, norms: [Float], count m: Int, firstIndex: Int) {
        norms.withUnsafeBufferPointer { nb in
            for j in 0..<m {
                let key = nb[j] - 2 * scores[j]
                if key < bound {
                    keys.append(key)
                    indices.append(Int32(firstIndex + j))
                    if keys.count == 2 * count { cut() }
                }
            }
        }
    }

    /// Keeps the best `count` (key, then index) and tightens the bound to the worst kept key.
    mutating func cut() {
        let order = keys.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && indices[$0] < indices[$1]) }
        let kept = order.prefix(count)
        keys = kept.map { keys[$0] }
        indices = kept.map { indices[$0] }
        keys.reserveCapacity(2 * count)
        indices.reserveCapacity(2 * count)
        if keys.count == count { bound = keys[count - 1] }
    }

    /// The selected indices, nearest first.
    mutating func sorted() -> [Int32] {
        cut()
        return indices
    }
}

/// Per-atom results written by concurrent workers.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<Matrix<Double>, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<Matrix<Double>, Error>) { lock.lock(); values[i] = value; lock.unlock() }
}
