// Winograd F(3×3, 5×5) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// a 7×7 input tile d and a 5×5 kernel g give a 3×3 output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// 49 multiplications where the direct form needs 225, so a 5×5 layer with many channels becomes
// 49 GEMMs (one per tile point, [tiles × C]·[C × O]) of 4.6× fewer FLOPs than im2col's. Tiles step
// by 3; the 21×21 output of a 25×25 training crop is exactly 7×7 tiles. The engine that runs it,
// forward and backward, is in Winograd.swift.
//
// The matrices are the Toom-Cook ones for the interpolation points 0, 1, −1, 2, −2, 1/2 and ∞
// (derived by experiments/winograd_f3x5.py, which also checks the identity exactly in rationals).
// Bᵀ and A hold halves and quarters only, so input and output transforms are exact in binary;
// G's thirds and ninths round, once per weight. Float32 error against float64 direct convolution,
// relative to the output's largest magnitude, on the 9-5-5 middle layer (64 → 32 maps): 2.9e-6 on
// post-ReLU-like inputs (the script), ≤ 5e-6 forward, 3e-6 dInput and 1.1e-5 dWeight on ±1 data
// (LayerTests); the direct formulations stay below 4e-7. Fine for training; tiled inference, which
// must be bit-identical to untiled, does not use it (`ConvAlgorithm.shiftInvariant`).

enum WinogradF3x5: WinogradTransform {
    static let outputSide = 3
    static let kernelSide = 5

    /// G (7×5), the kernel transform, row by row.
    static let g: [[Double]] = [
        [-1 / 2, 0, 0, 0, 0],
        [-1 / 3, -1 / 3, -1 / 3, -1 / 3, -1 / 3],
        [1 / 9, -1 / 9, 1 / 9, -1 / 9, 1 / 9],
        [1 / 36, 1 / 18, 1 / 9, 2 / 9, 4 / 9],
        [-1 / 60, 1 / 30, -1 / 15, 2 / 15, -4 / 15],
        [32 / 45, 16 / 45, 8 / 45, 4 / 45, 2 / 45],
        [0, 0, 0, 0, 1],
    ]

    /// Tiles per batch of 49 GEMMs (two 33×33 training crops): V and M stay in cache between the
    /// transforms and the GEMMs. 49–98 measured best on the 9-5-5 middle layer, 196 ~10 % slower,
    /// 784 ~40 %.
    static let tilesPerChunk = 98

    /// out_i = Σ_j Bᵀ[i][j] · in_j.
    @inline(__always)
    static func input<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5, s6) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        let (v0, v1, v2, v3, v4, v5, v6) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c)
            let d4 = L(s4 + c), d5 = L(s5 + c), d6 = L(s6 + c)
            (-2 * d0 + 4 * d1 + 2.5 * d2 - 5 * d3 - 0.5 * d4 + d5).store(v0 + c)
            (2 * d1 - 2 * d2 - 4.5 * d3 + 0.5 * d4 + d5).store(v1 + c)
            (-2 * d1 + 6 * d2 - 3.5 * d3 - 1.5 * d4 + d5).store(v2 + c)
            (d1 - 1.5 * d2 - 2 * d3 + 1.5 * d4 + d5).store(v3 + c)
            (-d1 + 2.5 * d2 - 2.5 * d4 + d5).store(v4 + c)
            (4 * d1 - 5 * d3 + d5).store(v5 + c)
            (-2 * d1 + 4 * d2 + 2.5 * d3 - 5 * d4 - 0.5 * d5 + d6).store(v6 + c)
        }
    }

    /// out_i = Σ_j B[i][j] · in_j (the adjoint of `input`).
    @inline(__always)
    static func inputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5, s6) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        let (v0, v1, v2, v3, v4, v5, v6) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c)
            let d4 = L(s4 + c), d5 = L(s5 + c), d6 = L(s6 + c)
            (-2 * d0).store(v0 + c)
            (4 * d0 + 2 * d1 - 2 * d2 + d3 - d4 + 4 * d5 - 2 * d6).store(v1 + c)
            (2.5 * d0 - 2 * d1 + 6 * d2 - 1.5 * d3 + 2.5 * d4 + 4 * d6).store(v2 + c)
            (-5 * d0 - 4.5 * d1 - 3.5 * d2 - 2 * d3 - 5 * d5 + 2.5 * d6).store(v3 + c)
            (-0.5 * d0 + 0.5 * d1 - 1.5 * d2 + 1.5 * d3 - 2.5 * d4 - 5 * d6).store(v4 + c)
            (d0 + d1 + d2 + d3 + d4 + d5 - 0.5 * d6).store(v5 + c)
            d6.store(v6 + c)
        }
    }

    /// out_i = Σ_j Aᵀ[i][j] · in_j: seven rows in, three out.
    @inline(__always)
    static func output<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3, s4, s5, s6) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        let (y0, y1, y2) = (y[0], y[1], y[2])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c), m2 = L(s2 + c), m3 = L(s3 + c)
            let m4 = L(s4 + c), m5 = L(s5 + c), m6 = L(s6 + c)
            (m0 + m1 + m2 + m3 + m4 + m5).store(y0 + c)
            (m1 - m2 + 2 * m3 - 2 * m4 + 0.5 * m5).store(y1 + c)
            (m1 + m2 + 4 * m3 + 4 * m4 + 0.25 * m5 + m6).store(y2 + c)
        }
    }

    /// out_i = Σ_j A[i][j] · in_j (the adjoint of `output`): three rows in, seven out.
    @inline(__always)
    static func outputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2) = (s[0], s[1], s[2])
        let (y0, y1, y2, y3, y4, y5, y6) = (y[0], y[1], y[2], y[3], y[4], y[5], y[6])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c), m2 = L(s2 + c)
            m0.store(y0 + c)
            (m0 + m1 + m2).store(y1 + c)
            (m0 - m1 + m2).store(y2 + c)
            (m0 + 2 * m1 + 4 * m2).store(y3 + c)
            (m0 - 2 * m1 + 4 * m2).store(y4 + c)
            (m0 + 0.5 * m1 + 0.25 * m2).store(y5 + c)
            m2.store(y6 + c)
        }
    }
}
