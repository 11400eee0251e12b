import LinearAlgebra

// Winograd F(2×2, 3×3) (Lavin & Gray 2016) for 3×3 layers with many maps: a 4×4 input tile d and
// a 3×3 kernel g give a 2×2 output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// 16 multiplications where the direct form needs 36: 16 GEMMs [tiles × C]·[C × O], 2.25× fewer
// FLOPs than im2col's. Bᵀ and Aᵀ hold only 0 and ±1 and G halves, so the transforms add no
// rounding beyond the sums' (unlike F(4×4, 3×3), WinogradF4x3.swift, whose ±2 points cost accuracy).
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Used by `ConvAlgorithm.automatic`, run forward and backward by the engine in Winograd.swift:
// whole-image inference of networks without a streaming plan, SRCNN's training (the Keras
// variants, ESPCN and FSRCNN train by F(4×4, 3×3), `ConvAlgorithm.training`, and streaming
// inference runs its 3×3 layers with many maps by F(4×4, 3×3) too, StreamingStages.swift).
// Tiled SRCNN inference keeps the shift-invariant formulations for 3×3 layers.

enum WinogradF2x3: WinogradTransform {
    static let outputSide = 2
    static let kernelSide = 3

    /// G (4×3), row by row.
    static let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// Tiles per batch of 16 GEMMs: V and M of a 64 → 64 layer, 512 KB, stay in L2. 64–128 measured
    /// best on the Keras variants' training steps, 256 5–13 % slower (noisy shared machine).
    static let tilesPerChunk = 128

    @inline(__always)
    static func input<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3]), (v0, v1, v2, v3) = (v[0], v[1], v[2], v[3])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c)
            (d0 - d2).store(v0 + c)
            (d1 + d2).store(v1 + c)
            (d2 - d1).store(v2 + c)
            (d1 - d3).store(v3 + c)
        }
    }

    @inline(__always)
    static func inputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3]), (v0, v1, v2, v3) = (v[0], v[1], v[2], v[3])
        forEachLane(L.self, count: count) { c in
            let d0 = L(s0 + c), d1 = L(s1 + c), d2 = L(s2 + c), d3 = L(s3 + c)
            d0.store(v0 + c)
            (d1 - d2 + d3).store(v1 + c)
            (d1 + d2 - d0).store(v2 + c)
            (-d3).store(v3 + c)
        }
    }

    @inline(__always)
    static func output<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3]), (y0, y1) = (y[0], y[1])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c), m2 = L(s2 + c), m3 = L(s3 + c)
            (m0 + m1 + m2).store(y0 + c)
            (m1 - m2 - m3).store(y1 + c)
        }
    }

    @inline(__always)
    static func outputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
        let (s0, s1) = (s[0], s[1]), (y0, y1, y2, y3) = (y[0], y[1], y[2], y[3])
        forEachLane(L.self, count: count) { c in
            let m0 = L(s0 + c), m1 = L(s1 + c)
            m0.store(y0 + c)
            (m0 + m1).store(y1 + c)
            (m0 - m1).store(y2 + c)
            (-m1).store(y3 + c)
        }
    }
}
