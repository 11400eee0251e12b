import LinearAlgebra

/// NE+LLE as the ANR release runs it (Chang et al. 2004's neighbour embedding over the dictionary
/// atoms): the K atoms with the largest |Dlᵀf| (a stable descending sort, so an all-zero f takes
/// atoms 0…K−1), Z = Dl[:,N] − f·1ᵀ, C = ZᵀZ + 1e-4·trace(C)·I (1e-4·I if the trace is 0),
/// w = C⁻¹·1 normalised to sum 1, detail = Dh[:,N]·w. The detail is an interpolation, so it is
/// not zero where f is: flat patches get the fixed pattern of atoms 0…K−1.
public struct NeighbourEmbedding: Sendable {
    public let low: Matrix<Double>
    public let high: Matrix<Double>
    public let neighbours: Int

    public init(configuration c: ZeydeConfiguration, neighbours: Int = 24) {
        precondition(neighbours >= 1 && neighbours <= c.atoms)
        low = c.lowDictionary
        high = c.highDictionary
        self.neighbours = neighbours
    }

    /// The details (P × n) of the features (d × n); |Dlᵀf| comes from GEMMs over tiles of columns.
    public func details(for features: Matrix<Double>) -> Matrix<Double> {
        let atoms = low.columns, d = low.rows, k = neighbours, p = high.rows
        var out = Matrix<Double>(rows: p, columns: features.columns)
        // Raw work buffers: Z (d × k), C (k × k), the weights (k).
        let z = UnsafeMutablePointer<Double>.allocate(capacity: d * k)
        let c = UnsafeMutablePointer<Double>.allocate(capacity: k * k)
        let weights = UnsafeMutablePointer<Double>.allocate(capacity: k)
        defer { z.deallocate(); c.deallocate(); weights.deallocate() }
        out.elements.withUnsafeMutableBufferPointer { result in
            DictionaryScores.forEachTile(low, features) { first, count, scores in
                for n in first..<(first + count) {
                    let chosen = StableTopK.largestMagnitudes(scores + (n - first) * atoms, length: atoms, count: k)
                    for (j, atom) in chosen.enumerated() {
                        for i in 0..<d { z[i + j * d] = low[i, atom] - features[i, n] }
                    }
                    Double.gemm(true, false, k, k, d, 1, z, d, z, d, 0, c, k) // C = ZᵀZ
                    var trace = 0.0
                    for i in 0..<k { trace += c[i + i * k] }
                    let ridge = trace == 0 ? 1e-4 : 1e-4 * trace
                    for i in 0..<k { c[i + i * k] += ridge }
                    weights.update(repeating: 1, count: k)
                    // C is symmetric positive definite (ZᵀZ plus a positive ridge): C·w = 1 by Cholesky.
                    guard Double.potrf(k, c, k) == 0, Double.potrs(k, 1, c, k, weights, k) == 0 else {
                        preconditionFailure("NE+LLE: ZᵀZ + ridge is not positive definite (non-finite features?)")
                    }
                    var total = 0.0
                    for j in 0..<k { total += weights[j] }
                    let column = result.baseAddress! + n * p
                    for (j, atom) in chosen.enumerated() {
                        let weight = weights[j] / total
                        for i in 0..<p { column[i] += high[i, atom] * weight }
                    }
                }
            }
        }
        return out
    }
}
