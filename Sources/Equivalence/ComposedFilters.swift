import SparseCoding

/// The fixed filters of the network form, as HWIO arrays for ConvNet's `conv2dForward`
/// (w[((dy·k + dx)·C + c)·O + o], cross-correlation, valid).
public enum ComposedFilters {
    /// Radius of the widest gradient filter ([1 0 −2 0 1]); the image is zero-padded by this much
    /// so that the features are MATLAB's conv2 'same' with zero padding up to the border.
    public static let gradientRadius = 2

    /// The four gradient features as 5×5 correlation kernels on the image padded by 2, in HWIO
    /// [5, 5, 1, 4]. conv2 flips its kernel: feature(x) = Σ_k h(k)·image(x + centre − k), so tap k
    /// of h lands at offset 2 + centre − k.
    public static func gradientKernels() -> [Double] {
        let side = 2 * gradientRadius + 1
        var w = [Double](repeating: 0, count: side * side * Features.count)
        let kernels = [(Features.firstOrder, true), (Features.firstOrder, false),
                       (Features.secondOrder, true), (Features.secondOrder, false)]
        for (f, (h, horizontal)) in kernels.enumerated() {
            let centre = h.count / 2
            for (k, value) in h.enumerated() {
                let offset = gradientRadius + centre - k
                let (dy, dx) = horizontal ? (gradientRadius, offset) : (offset, gradientRadius)
                w[(dy * side + dx) * Features.count + f] = value
            }
        }
        return w
    }

    /// Layer 1: for each atom j (column of `low`, four p×p feature patches, column-major), the
    /// correlation kernel on the padded image whose output at a patch's top-left corner is
    /// Dl[:, j]ᵀ·features(patch). Composing a p×p correlation with the 5×5 gradient correlation
    /// gives side p + 4 (9×9 for 5×5 patches): K[u, v] = Σ_f Σ_{r,c} a_f[r, c]·g_f[u − r, v − c].
    /// HWIO [p+4, p+4, 1, K].
    public static func layerOne(low: [Double], atoms: Int, patchSize p: Int) -> [Double] {
        let g = gradientKernels(), gs = 2 * gradientRadius + 1, side = p + gs - 1
        let area = p * p, dimension = Features.count * area
        var w = [Double](repeating: 0, count: side * side * atoms)
        for j in 0..<atoms {
            for f in 0..<Features.count {
                for c in 0..<p {
                    for r in 0..<p {
                        let a = low[j * dimension + f * area + r + p * c]
                        if a == 0 { continue }
                        for dy in 0..<gs {
                            for dx in 0..<gs {
                                let gv = g[(dy * gs + dx) * Features.count + f]
                                if gv == 0 { continue }
                                w[((r + dy) * side + c + dx) * atoms + j] += a * gv
                            }
                        }
                    }
                }
            }
        }
        return w
    }

    /// Reconstruction: a "full" correlation (input zero-padded by p − 1) whose output at pixel
    /// (Y, X) is Σ_{r,c} code(Y − r, X − c)·Dh[r + p·c] — every patch's hr atom laid down at its
    /// top-left corner. The correlation kernel is the atom turned by 180°. HWIO [p, p, K, 1].
    public static func reconstruction(high: [Double], atoms: Int, patchSize p: Int) -> [Double] {
        let area = p * p
        var w = [Double](repeating: 0, count: area * atoms)
        for j in 0..<atoms {
            for dy in 0..<p {
                for dx in 0..<p {
                    w[(dy * p + dx) * atoms + j] = high[j * area + (p - 1 - dy) + p * (p - 1 - dx)]
                }
            }
        }
        return w
    }

    /// Dh as a 1×1 convolution K → p² (the hr patch at each top-left corner, for its norm).
    /// HWIO [1, 1, K, p²]: row j is atom j.
    public static func highPatch(high: [Double], atoms: Int, patchSize p: Int) -> [Double] {
        let area = p * p
        var w = [Double](repeating: 0, count: area * atoms)
        for j in 0..<atoms { for q in 0..<area { w[j * area + q] = high[j * area + q] } }
        return w
    }
}
