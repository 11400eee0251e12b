// Winograd F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
// for training's 3×3 layers with many maps: a 6×6 input tile d and a 3×3 kernel g give a 4×4
// output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// 36 multiplications per 16 outputs (2.25 per output) where F(2×2, 3×3) needs 4 and the direct
// form 9: 36 GEMMs [tiles × C]·[C × O] with 1.78× fewer FLOPs than F(2×2, 3×3)'s 16. The engine
// that runs it, forward and backward, is in Winograd.swift.
//
// The matrices are the Toom-Cook ones for the interpolation points 0, 1, −1, 2, −2 and ∞, the
// standard ones (derived by experiments/winograd_f4x3.py, which checks the identity exactly in
// rationals):
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//   G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
// The ±2 points make Bᵀ's and Aᵀ's entries reach 5 and 8 and G's sixths round, so Float32 error
// grows about tenfold over F(2×2, 3×3)'s exact transforms: against float64 direct convolution,
// relative to the output's largest magnitude, 3.6e-6 vs 3.3e-7 on a 64 → 64 layer with
// post-ReLU-like inputs (the script); on ±1 data ≤ 6.4e-6 forward, 3.3e-6 dInput, 5.6e-6 dWeight
// (LayerTests). Harmless to a gradient step, whose noise is orders larger; whole-image inference
// keeps F(2×2, 3×3) (`ConvAlgorithm.automatic`), streaming inference takes F(4×4, 3×3) for its
// 3×3 layers with many maps (StreamingStages.swift; ESPCN's mean Set5 and Set14 PSNRs unchanged
// to the fourth decimal). Training steps take it for every 3×3 layer with ≥ 12 maps in and ≥ 4 out
// (`ConvAlgorithm.training`, Conv2D.swift): measured faster than F(2×2, 3×3) on every such shape
// the lab trains, tying only at 9×9 outputs, where 4×4 tiles waste most. There the tile transforms
// run in ConvKernels (WinogradKernels.c: the same arithmetic, so the same bits, in AVX-512 or AVX2
// vectors), on tile-major GEMM operands, and a padded layer reads its unpadded input
// (`conv2dForwardPadded`, Conv2D.swift); inference keeps these Swift transforms.

enum WinogradF4x3: WinogradTransform {
    static let outputSide = 4
    static let kernelSide = 3

    /// G (6×3), the kernel transform, row by row.
    static let g: [[Double]] = [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ]

    /// Tiles per batch of 36 GEMMs (one 32×32 crop's output in backward's whole-image chunks is
    /// 64): V and M of a 64 → 64 layer take 0.6 MB. 16–32 measured best on 64 → 64, 128 → 128 and
    /// 256 → 128 training shards (`srlab bench conv`), 64–128 up to 10 % slower, 256 5–20 %.
    static let tilesPerChunk = 32

    /// out_i = Σ_j Bᵀ[i][j] · in_j (shared differences, as Lavin & Gray write it).
    @inline(__always)
    static func input<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5) = (s[0], s[1], s[2], s[3], s[4], s[5])
        let (v0, v1, v2, v3, v4, v5) = (v[0], v[1], v[2], v[3], v[4], v[5])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c), d4 = L(s4 + c), d5 = L(s5 + c)
            let t0 = d4 - 4 * d2, t1 = d3 - 4 * d1, t2 = d4 - d2, t3 = 2 * (d3 - d1)
            (4 * d0 - 5 * d2 + d4).store(v0 + c)
            (t0 + t1).store(v1 + c)
            (t0 - t1).store(v2 + c)
            (t2 + t3).store(v3 + c)
            (t2 - t3).store(v4 + c)
            (4 * d1 - 5 * d3 + d5).store(v5 + c)
        }
    }

    /// out_i = Σ_j B[i][j] · in_j (the adjoint of `input`).
    @inline(__always)
    static func inputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5) = (s[0], s[1], s[2], s[3], s[4], s[5])
        let (v0, v1, v2, v3, v4, v5) = (v[0], v[1], v[2], v[3], v[4], v[5])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c), d4 = L(s4 + c), d5 = L(s5 + c)
            (4 * d0).store(v0 + c)
            (4 * (d2 - d1) + 2 * (d4 - d3) + 4 * d5).store(v1 + c)
            (-5 * d0 - 4 * (d1 + d2) - (d3 + d4)).store(v2 + c)
            ((d1 - d2) + 2 * (d3 - d4) - 5 * d5).store(v3 + c)
            (d0 + d1 + d2 + d3 + d4).store(v4 + c)
            d5.store(v5 + c)
        }
    }

    /// out_i = Σ_j Aᵀ[i][j] · in_j: six rows in, four out.
    @inline(__always)
    static func output<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5) = (s[0], s[1], s[2], s[3], s[4], s[5])
        let (y0, y1, y2, y3) = (y[0], y[1], y[2], y[3])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c), m2 = L(s2 + c), m3 = L(s3 + c), m4 = L(s4 + c), m5 = L(s5 + c)
            let sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4
            (m0 + sum12 + sum34).store(y0 + c)
            (difference12 + 2 * difference34).store(y1 + c)
            (sum12 + 4 * sum34).store(y2 + c)
            (difference12 + 8 * difference34 + m5).store(y3 + c)
        }
    }

    /// out_i = Σ_j A[i][j] · in_j (the adjoint of `output`): four rows in, six out.
    @inline(__always)
    static func outputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3])
        let (y0, y1, y2, y3, y4, y5) = (y[0], y[1], y[2], y[3], y[4], y[5])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c), m2 = L(s2 + c), m3 = L(s3 + c)
            let even = m0 + m2, odd = m1 + m3, evenScaled = m0 + 4 * m2, oddScaled = 2 * m1 + 8 * m3
            m0.store(y0 + c)
            (even + odd).store(y1 + c)
            (even - odd).store(y2 + c)
            (evenScaled + oddScaled).store(y3 + c)
            (evenScaled - oddScaled).store(y4 + c)
            m3.store(y5 + c)
        }
    }
}
