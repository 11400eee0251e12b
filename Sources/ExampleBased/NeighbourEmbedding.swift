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

    /// The details (P × n) of the features (d × n); |Dlᵀf| for all columns is one GEMM.
    public func details(for features: Matrix<Double>) -> Matrix<Double> {
        let scores = matmul(low, transposeA: true, features)
        let atoms = low.columns, d = low.rows, k = neighbours
        var out = Matrix<Double>(rows: high.rows, columns: features.columns)
        for n in 0..<features.columns {
            let chosen = StableTopK.largestMagnitudes(scores.elements[(n * atoms)..<((n + 1) * atoms)], count: k)
            var z = low.columns(chosen)
            for j in 0..<k { for i in 0..<d { z[i, j] -= features[i, n] } }
            var c = matmul(z, transposeA: true, z)
            var trace = 0.0
            for i in 0..<k { trace += c[i, i] }
            let ridge = trace == 0 ? 1e-4 : 1e-4 * trace
            for i in 0..<k { c[i, i] += ridge }
            guard let solved = try? Cholesky(c).solve([Double](repeating: 1, count: k)) else {
                preconditionFailure("NE+LLE: ZᵀZ + ridge is not positive definite (non-finite features?)")
            }
            let total = solved.reduce(0, +)
            for (j, atom) in chosen.enumerated() {
                let weight = solved[j] / total
                for i in 0..<high.rows { out[i, n] += high[i, atom] * weight }
            }
        }
        return out
    }
}
