import ConvNet
import LinearAlgebra

/// Layers 2 and 3 of the anchored-regression network: the anchor scores, a 1×1 convolution with
/// K maps whose weights are Dlᵀ, and a hard gate — at each position the map with the largest
/// |score| (the first on ties, as the pipeline's anchor) opens one of K linear 1×1 convolutions
/// d → P, the "experts" (atom k's regressor: ANR's ridge map or A+'s learned one). A mixture of
/// experts whose gate is an arg-max, so exactly one expert runs per position.
///
/// The experts are evaluated where their gate opened: the positions are grouped by expert and
/// each group is one 1×1 convolution over its positions (a GEMM through `conv2dForward`), the same
/// numbers as running every expert everywhere and keeping the chosen one, K times cheaper.
public struct GatedExperts: Sendable {
    /// d, K, P.
    public let inputs: Int
    public let atoms: Int
    public let outputs: Int
    /// HWIO [1, 1, d, K]: tap (c, k) = Dl[c, k], i.e. Dl row-major.
    public let scoreWeights: [Double]
    /// Expert k's HWIO [1, 1, d, P]: tap (c, q) = PP_k[q, c], which is PP_k's column-major storage.
    public let expertWeights: [[Double]]
    /// Positions scored at a time (bounds the K score maps held at once).
    public var chunk = 4096

    public init(lowDictionary: Matrix<Double>, regressors: [Matrix<Double>]) {
        precondition(regressors.count == lowDictionary.columns, "one regressor per atom")
        precondition(regressors.allSatisfy { $0.columns == lowDictionary.rows && $0.rows == regressors[0].rows },
                     "regressors must all be P × d")
        inputs = lowDictionary.rows
        atoms = lowDictionary.columns
        outputs = regressors[0].rows
        scoreWeights = lowDictionary.rowMajor
        expertWeights = regressors.map(\.elements)
    }

    /// The gate of each of `positions` positions of a d-channel NHWC map: the expert it opens.
    public func gates<T: BLASScalar>(_ features: [T], positions: Int, workspace: Workspace<T> = Workspace<T>()) -> [Int] {
        precondition(features.count == positions * inputs, "features are not \(positions) × \(inputs)")
        let k = atoms, weights = scoreWeights.map { T($0) }
        var chosen = [Int](repeating: 0, count: positions)
        var scores = [T](repeating: 0, count: min(chunk, positions) * k)
        features.withUnsafeBufferPointer { f in
            weights.withUnsafeBufferPointer { w in
                for first in stride(from: 0, to: positions, by: chunk) {
                    let n = min(chunk, positions - first)
                    scores.withUnsafeMutableBufferPointer { out in
                        conv2dForward(output: out.baseAddress!, input: f.baseAddress! + first * inputs, weight: w.baseAddress!,
                                      bias: nil, batch: 1, inChannels: inputs, outChannels: k, height: 1, width: n,
                                      kernel: 1, workspace: workspace)
                    }
                    for p in 0..<n {
                        var best = 0, largest = abs(scores[p * k])
                        for a in 1..<k where abs(scores[p * k + a]) > largest { best = a; largest = abs(scores[p * k + a]) }
                        chosen[first + p] = best
                    }
                }
            }
        }
        return chosen
    }

    /// The P-channel map: at each position, its gate's expert applied to its d features.
    public func details<T: BLASScalar>(_ features: [T], gates: [Int], workspace: Workspace<T> = Workspace<T>()) -> [T] {
        let positions = gates.count, d = inputs, p = outputs
        precondition(features.count == positions * d, "features are not \(positions) × \(d)")
        var members = [[Int]](repeating: [], count: atoms)
        for (position, k) in gates.enumerated() { members[k].append(position) }
        var out = [T](repeating: 0, count: positions * p)
        var gathered: [T] = [], produced: [T] = []
        for (k, group) in members.enumerated() where !group.isEmpty {
            gathered.removeAll(keepingCapacity: true)
            for position in group { gathered.append(contentsOf: features[(position * d)..<((position + 1) * d)]) }
            produced = [T](repeating: 0, count: group.count * p)
            let weights = expertWeights[k].map { T($0) }
            produced.withUnsafeMutableBufferPointer { y in
                gathered.withUnsafeBufferPointer { x in
                    weights.withUnsafeBufferPointer { w in
                        conv2dForward(output: y.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!, bias: nil,
                                      batch: 1, inChannels: d, outChannels: p, height: 1, width: group.count,
                                      kernel: 1, workspace: workspace)
                    }
                }
            }
            for (slot, position) in group.enumerated() {
                out.replaceSubrange((position * p)..<((position + 1) * p), with: produced[(slot * p)..<((slot + 1) * p)])
            }
        }
        return out
    }
}
