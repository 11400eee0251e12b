import LinearAlgebra

/// `learn_dict.m`'s PCA of the raw features: the eigenvectors of C = X·Xᵀ (no mean removal),
/// eigenvalues ascending as `eig` returns them; the smallest are dropped while their cumulative
/// share of the energy stays below 0.1%, i.e. V_pca = V(:, k:end) with k the first index where
/// cumsum(λ)/Σλ ≥ 1e-3. The kept columns stay in `eig`'s ascending order, as in the release.
public struct PrincipalComponents: Sendable {
    /// V_pca (F × d).
    public let basis: Matrix<Double>
    /// All eigenvalues of C, ascending.
    public let eigenvalues: [Double]
    /// The share of Σλ the kept components carry (≥ 0.999).
    public let keptEnergy: Double

    /// The release's threshold: components are dropped up to 0.1% of the energy.
    public static let droppedEnergy = 1e-3

    /// The PCA of the columns of `features` (F × N).
    public init(features: Matrix<Double>, droppedEnergy: Double = PrincipalComponents.droppedEnergy) throws {
        let scatter = matmul(features, features, transposeB: true)
        try self.init(scatter: scatter, droppedEnergy: droppedEnergy)
    }

    /// From C = X·Xᵀ directly.
    public init(scatter: Matrix<Double>, droppedEnergy: Double = PrincipalComponents.droppedEnergy) throws {
        let (values, vectors) = try symmetricEigen(scatter)
        let total = values.reduce(0, +)
        precondition(total > 0, "PCA of all-zero features")
        var cumulative = 0.0, first = values.count - 1
        for (i, v) in values.enumerated() {
            cumulative += v
            if cumulative / total >= droppedEnergy { first = i; break }
        }
        let kept = Array(first..<values.count)
        basis = vectors.columns(kept)
        eigenvalues = values
        keptEnergy = kept.reduce(0) { $0 + values[$1] } / total
    }
}
