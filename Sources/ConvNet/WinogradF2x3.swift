import LinearAlgebra

// Winograd F(2×2, 3×3) (Lavin & Gray 2016) for 3×3 layers with many maps: a 4×4 input tile d and
// a 3×3 kernel g give a 2×2 output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// 16 multiplications where the direct form needs 36: 16 GEMMs [tiles × C]·[C × O], 2.25× fewer
// FLOPs than im2col's. Bᵀ and Aᵀ hold only 0 and ±1 and G halves, so the transforms add no
// rounding beyond the sums' (unlike F(4×4, 3×3), WinogradF4x3.swift, whose ±2 points cost accuracy).
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Two users: `ConvAlgorithm.automatic` (`WinogradF2x3` below, run forward and backward by the
// engine in Winograd.swift: whole-image inference of networks without a streaming plan, SRCNN's
// training; the Keras variants, ESPCN and FSRCNN train by F(4×4, 3×3), `ConvAlgorithm.training`),
// and streaming inference's own 8-lane
// forward step (`conv3x3ForwardWinogradF2x3`, below). Tiled SRCNN inference keeps the
// shift-invariant formulations for 3×3 layers.

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

// MARK: - Streaming inference's step
// Output row 0 and column 0 of a tile use none of the tile's input row 3 and column 3, so a tile
// that runs one past the last row or column computes its valid outputs exactly from valid input.
// Layouts: V [point][tile][C], U [point][C][O], M [point][tile][O], point p = 4·row + column.

/// U[p][c][o] = (G g Gᵀ)[p] of each (c, o) of HWIO 3×3 weights.
func winogradF2x3Kernels(_ weight: [Float], inChannels c: Int, outChannels o: Int) -> [Float] {
    let g = WinogradF2x3.g.map { $0.map(Float.init) }
    var u = [Float](repeating: 0, count: 16 * c * o)
    for ci in 0..<c {
        for oc in 0..<o {
            for i in 0..<4 {
                for j in 0..<4 {
                    var s: Float = 0
                    for a in 0..<3 { for b in 0..<3 { s += g[i][a] * weight[((a * 3 + b) * c + ci) * o + oc] * g[j][b] } }
                    u[((i * 4 + j) * c + ci) * o + oc] = s
                }
            }
        }
    }
    return u
}

/// Output rows 0..<2·pairs of the valid 3×3 convolution of `input` (NHWC rows of `width` pixels
/// × C; readable one row and one pixel past the last row it reads when the output's height or
/// width is odd), into `output` [2·pairs × (width − 2) × O] (rows past the input's end are
/// garbage for the caller to drop). C and O multiples of 8.
func conv3x3ForwardWinogradF2x3(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                kernels u: UnsafePointer<Float>, inChannels c: Int, outChannels o: Int,
                                width: Int, pairs: Int, workspace: Workspace<Float>) {
    typealias V8 = SIMD8<Float>
    precondition(c % 8 == 0 && o % 8 == 0, "Winograd F(2×2, 3×3) here needs channel counts that are multiples of 8")
    let outW = width - 2, across = (outW + 1) / 2, tiles = pairs * across
    let v = workspace.buffer(64, count: 16 * tiles * c), m = workspace.buffer(65, count: 16 * tiles * o)
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always) func store(_ x: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: x, as: V8.self) }

    // V = Bᵀ d B per tile, 8 channels at a time.
    let pointStride = tiles * c
    for a in 0..<pairs {
        for j in 0..<across {
            let t = a * across + j
            let base = input + (2 * a * width + 2 * j) * c
            for ch in stride(from: 0, to: c, by: 8) {
                // Column `col` of Bᵀ d.
                @inline(__always) func column(_ col: Int) -> (V8, V8, V8, V8) {
                    let p = base + col * c + ch
                    let d0 = load(p), d1 = load(p + width * c), d2 = load(p + 2 * width * c), d3 = load(p + 3 * width * c)
                    return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                }
                // Row i of (Bᵀ d)·B: points 4i ..< 4i + 4.
                @inline(__always) func row(_ x0: V8, _ x1: V8, _ x2: V8, _ x3: V8, _ i: Int) {
                    let out = v + 4 * i * pointStride + t * c + ch
                    store(x0 - x2, out)
                    store(x1 + x2, out + pointStride)
                    store(x2 - x1, out + 2 * pointStride)
                    store(x1 - x3, out + 3 * pointStride)
                }
                let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                row(c0.0, c1.0, c2.0, c3.0, 0)
                row(c0.1, c1.1, c2.1, c3.1, 1)
                row(c0.2, c1.2, c2.2, c3.2, 2)
                row(c0.3, c1.3, c2.3, c3.3, 3)
            }
        }
    }
    for p in 0..<16 {
        rowMajorGemm(m: tiles, n: o, k: c, a: v + p * pointStride, lda: c, b: u + p * c * o, ldb: o, beta: 0,
                     c: m + p * tiles * o, ldc: o)
    }
    // Y = Aᵀ M A per tile.
    for a in 0..<pairs {
        for j in 0..<across {
            let t = a * across + j
            let twoColumns = 2 * j + 1 < outW
            let dst0 = output + (2 * a * outW + 2 * j) * o, dst1 = dst0 + outW * o
            for och in stride(from: 0, to: o, by: 8) {
                // Column `col` of Aᵀ M.
                @inline(__always) func column(_ col: Int) -> (V8, V8) {
                    let p = m + (col * tiles + t) * o + och
                    let m0 = load(p), m1 = load(p + 4 * tiles * o), m2 = load(p + 8 * tiles * o), m3 = load(p + 12 * tiles * o)
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let a0 = column(0), a1 = column(1), a2 = column(2), a3 = column(3)
                store(a0.0 + a1.0 + a2.0, dst0 + och)
                store(a0.1 + a1.1 + a2.1, dst1 + och)
                if twoColumns {
                    store(a1.0 - a2.0 - a3.0, dst0 + o + och)
                    store(a1.1 - a2.1 - a3.1, dst1 + o + och)
                }
            }
        }
    }
}
