// Multiply-adds per HR pixel, from the configuration's sizes (F raw feature length, d PCA
// dimension, K atoms, P HR patch length): the cost measure notebook 7 compares methods by. One
// patch per LR pixel (stride s), so a patch's work is shared by s² HR pixels.

extension ExampleBasedSR {
    /// The four feature filters per mid-res pixel: two 2-tap gradients and two 3-tap Laplacians.
    static let filterMultiplyAdds = 10.0

    /// Multiply-adds per HR pixel of this method on this configuration.
    public var multiplyAddsPerOutputPixel: Double {
        Self.multiplyAddsPerOutputPixel(method, configuration: configuration)
    }

    public static func multiplyAddsPerOutputPixel(_ method: ExampleBasedMethod, configuration c: ZeydeConfiguration) -> Double {
        let (f, d, k, p) = (Double(c.featureLength), Double(c.pcaDimension), Double(c.atoms), Double(c.patchLength))
        let perPatch: Double
        switch method {
        case .zeyde: perPatch = d * k + 3 * k + 3 * p                 // Dᵀf, 3 Gram-column updates, Dh·γ
        case .gr: perPatch = p * d
        case .anr, .aplus: perPatch = d * k + p * d                    // anchor scores, one regression
        case .neLLE: perPatch = d * k + 24 * 24 * d + 24 * 24 * 24 / 3 + 24 * p // scores, Gram, Cholesky, Dh·w
        }
        // PCA projection and overlap-add are shared by every method.
        return (f * d + perPatch + p) / Double(c.scale * c.scale) + filterMultiplyAdds
    }
}
