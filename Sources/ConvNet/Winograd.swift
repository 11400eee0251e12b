import LinearAlgebra

// Winograd F(3×3, 5×5) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// a 7×7 input tile d and a 5×5 kernel g give a 3×3 output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// 49 multiplications where the direct form needs 225, so a 5×5 layer with many channels becomes
// 49 GEMMs (one per tile point, [tiles × C]·[C × O]) of 4.6× fewer FLOPs than im2col's. Tiles step
// by 3; the 21×21 output of a 25×25 training crop is exactly 7×7 tiles.
//
// The matrices are the Toom-Cook ones for the interpolation points 0, 1, −1, 2, −2, 1/2 and ∞
// (derived by experiments/winograd_f3x5.py, which also checks the identity exactly in rationals).
// Bᵀ and A hold halves and quarters only, so input and output transforms are exact in binary;
// G's thirds and ninths round, once per weight. Float32 error against float64 direct convolution,
// relative to the output's largest magnitude, on the 9-5-5 middle layer (64 → 32 maps): 2.9e-6 on
// post-ReLU-like inputs (the script), ≤ 5e-6 forward, 3e-6 dInput and 1.1e-5 dWeight on ±1 data
// (LayerTests); the direct formulations stay below 4e-7. Fine for training; tiled inference, which
// must be bit-identical to untiled, does not use it (`ConvAlgorithm.shiftInvariant`).
//
// Backward is the exact adjoint of the same arithmetic: with dM = A dY Aᵀ per tile,
//     dU = Σ_tiles dM ⊙ V (per point a [C × O] GEMM over tiles),   dW = Gᵀ dU G,
//     dV = dM ⊙ U (per point [tiles × O]·[O × C]),                 dX = Σ_tiles B dV Bᵀ (overlap-add).
//
// Layouts, per chunk of tiles: V, dV [point][tile][C] and M, dM [point][tile][O] (point
// p = 7·row + column), so each point's GEMM operands are contiguous matrices; U, dU [point][C][O].
// Tiles that run past the bottom or right edge read zeros and their extra outputs are dropped.

enum WinogradF3x5 {
    static let points = 49

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
}

// MARK: - One-dimensional transforms, each over `count` contiguous channels

/// What the transforms compute on: one channel, or a SIMD vector of consecutive channels.
protocol TransformLane {
    associatedtype Scalar: BLASScalar
    static var width: Int { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Scalar, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    init(_ p: UnsafePointer<Scalar>)
    func store(_ p: UnsafeMutablePointer<Scalar>)
}

extension Float: TransformLane {
    static var width: Int { 1 }
    init(_ p: UnsafePointer<Float>) { self = p.pointee }
    func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension Double: TransformLane {
    static var width: Int { 1 }
    init(_ p: UnsafePointer<Double>) { self = p.pointee }
    func store(_ p: UnsafeMutablePointer<Double>) { p.pointee = self }
}

extension SIMD4: TransformLane where Scalar == Float {
    static var width: Int { 4 }
    init(_ p: UnsafePointer<Float>) { self = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }
    func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD4<Float>.self) }
}

/// The seven rows of a 1-D transform's input or output: vectors of channels `stride` apart.
struct Strided<T> {
    let base: UnsafeMutablePointer<T>, stride: Int
    init(_ base: UnsafePointer<T>, _ stride: Int) { self.base = UnsafeMutablePointer(mutating: base); self.stride = stride }
    init(_ base: UnsafeMutablePointer<T>, _ stride: Int) { self.base = base; self.stride = stride }
    @inline(__always) subscript(row: Int) -> UnsafeMutablePointer<T> { base + row * stride }
}

/// Runs `body` on lane type `L` at every channel offset, `L.width` apart.
@inline(__always)
private func forEachLane<L: TransformLane>(_: L.Type, count: Int, _ body: (Int) -> Void) {
    var c = 0
    while c < count { body(c); c &+= L.width }
}

/// out_i = Σ_j Bᵀ[i][j] · in_j.
@inline(__always)
private func inputTransform7<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
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

/// out_i = Σ_j B[i][j] · in_j (the adjoint of `inputTransform7`).
@inline(__always)
private func inputAdjoint7<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int) {
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
private func outputTransform7<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
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

/// out_i = Σ_j A[i][j] · in_j (the adjoint of `outputTransform7`): three rows in, seven out.
@inline(__always)
private func outputAdjoint3<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int) {
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

// MARK: - Two-dimensional tile transforms ([7][7][C] blocks; `tmp` holds 49·C elements)

/// V = Bᵀ d B for one input tile whose rows are `rowStride` apart (pixels `c` apart).
@inline(__always)
private func transformInputTile<L: TransformLane>(_ l: L.Type, _ d: UnsafePointer<L.Scalar>, rowStride: Int,
                                                  channels c: Int, tmp: UnsafeMutablePointer<L.Scalar>,
                                                  v: UnsafeMutablePointer<L.Scalar>, pointStride ps: Int) {
    for b in 0..<7 { inputTransform7(l, Strided(d + b * c, rowStride), Strided(tmp + b * c, 7 * c), count: c) }
    for a in 0..<7 { inputTransform7(l, Strided(tmp + a * 7 * c, c), Strided(v + a * 7 * ps, ps), count: c) }
}

/// dd = B dV Bᵀ for one tile.
@inline(__always)
private func transformInputGradientTile<L: TransformLane>(_ l: L.Type, _ dv: UnsafePointer<L.Scalar>, pointStride ps: Int,
                                                          channels c: Int,
                                                          tmp: UnsafeMutablePointer<L.Scalar>,
                                                          dd: UnsafeMutablePointer<L.Scalar>) {
    for b in 0..<7 { inputAdjoint7(l, Strided(dv + b * ps, 7 * ps), Strided(tmp + b * c, 7 * c), count: c) }
    for a in 0..<7 { inputAdjoint7(l, Strided(tmp + a * 7 * c, c), Strided(dd + a * 7 * c, c), count: c) }
}

/// Y = Aᵀ M A: a [7][7][O] tile of GEMM results to its [3][3][O] output.
@inline(__always)
private func transformOutputTile<L: TransformLane>(_ l: L.Type, _ m: UnsafePointer<L.Scalar>, pointStride ps: Int,
                                                   channels o: Int,
                                                   tmp: UnsafeMutablePointer<L.Scalar>, y: UnsafeMutablePointer<L.Scalar>) {
    for b in 0..<7 { outputTransform7(l, Strided(m + b * ps, 7 * ps), Strided(tmp + b * o, 7 * o), count: o) }
    for i in 0..<3 { outputTransform7(l, Strided(tmp + i * 7 * o, o), Strided(y + i * 3 * o, o), count: o) }
}

/// dM = A dY Aᵀ for one [3][3][O] output-gradient tile whose rows are `rowStride` apart.
@inline(__always)
private func transformOutputGradientTile<L: TransformLane>(_ l: L.Type, _ dy: UnsafePointer<L.Scalar>, rowStride: Int,
                                                           channels o: Int, tmp: UnsafeMutablePointer<L.Scalar>,
                                                           dm: UnsafeMutablePointer<L.Scalar>, pointStride ps: Int) {
    for j in 0..<3 { outputAdjoint3(l, Strided(dy + j * o, rowStride), Strided(tmp + j * o, 3 * o), count: o) }
    for a in 0..<7 { outputAdjoint3(l, Strided(tmp + a * 3 * o, o), Strided(dm + a * 7 * ps, ps), count: o) }
}

// MARK: - Kernel transforms

/// U[(i,j)][c][o] = Σ_{a,b} G[i][a] · w[a][b][c][o] · G[j][b] for HWIO weights; `tmp` holds 35·C·O.
func winogradKernels<T: BLASScalar>(_ weight: UnsafePointer<T>, into u: UnsafeMutablePointer<T>,
                                    channels: Int, tmp: UnsafeMutablePointer<T>) {
    let g = WinogradF3x5.g.map { $0.map { T($0) } }
    let n = channels   // C·O, one contiguous run per kernel tap
    // tmp[i][b] = Σ_a G[i][a] w[a][b], then u[i][j] = Σ_b G[j][b] tmp[i][b].
    for i in 0..<7 {
        for b in 0..<5 {
            let dst = tmp + (i * 5 + b) * n
            dst.update(repeating: 0, count: n)
            for a in 0..<5 where g[i][a] != 0 {
                let src = weight + (a * 5 + b) * n, f = g[i][a]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
        for j in 0..<7 {
            let dst = u + (i * 7 + j) * n
            dst.update(repeating: 0, count: n)
            for b in 0..<5 where g[j][b] != 0 {
                let src = tmp + (i * 5 + b) * n, f = g[j][b]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
}

/// dW[a][b][c][o] += Σ_{i,j} G[i][a] · dU[(i,j)][c][o] · G[j][b], the adjoint of `winogradKernels`.
func winogradKernelGradient<T: BLASScalar>(_ du: UnsafePointer<T>, into dWeight: UnsafeMutablePointer<T>,
                                           channels: Int, tmp: UnsafeMutablePointer<T>) {
    let g = WinogradF3x5.g.map { $0.map { T($0) } }
    let n = channels
    // tmp[i][b] = Σ_j G[j][b] dU[i][j], then dW[a][b] += Σ_i G[i][a] tmp[i][b].
    for i in 0..<7 {
        for b in 0..<5 {
            let dst = tmp + (i * 5 + b) * n
            dst.update(repeating: 0, count: n)
            for j in 0..<7 where g[j][b] != 0 {
                let src = du + (i * 7 + j) * n, f = g[j][b]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
    for a in 0..<5 {
        for b in 0..<5 {
            let dst = dWeight + (a * 5 + b) * n
            for i in 0..<7 where g[i][a] != 0 {
                let src = tmp + (i * 5 + b) * n, f = g[i][a]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
}

// MARK: - Tile geometry

/// Where the 3×3 output tiles of a 5×5 valid convolution lie: `down` × `across` per image, the first
/// with its corner at output (top, left). That is (0, 0) unless the caller anchors the grid in its
/// own coordinates (tiled inference: `phase` = the first output row and column on the grid), when
/// the first tiles hang over the top and left edge.
struct WinogradTiling {
    let height: Int, width: Int, outH: Int, outW: Int, top: Int, left: Int, down: Int, across: Int

    init(height: Int, width: Int, phase: (rows: Int, columns: Int) = (0, 0)) {
        precondition((0..<3).contains(phase.rows) && (0..<3).contains(phase.columns), "Winograd phase \(phase) outside 0..<3")
        self.height = height; self.width = width
        outH = height - 4; outW = width - 4
        top = phase.rows == 0 ? 0 : phase.rows - 3
        left = phase.columns == 0 ? 0 : phase.columns - 3
        down = (outH - top + 2) / 3; across = (outW - left + 2) / 3
    }

    var tilesPerImage: Int { down * across }

    /// Output (and input) row and column of tile (ty, tx)'s corner.
    @inline(__always) func corner(_ ty: Int, _ tx: Int) -> (y: Int, x: Int) { (top + 3 * ty, left + 3 * tx) }

    /// The rows (or columns) of a tile of `side` starting at `start` that lie in 0..<limit, as
    /// offsets within the tile.
    @inline(__always) static func inside(_ start: Int, _ side: Int, _ limit: Int) -> Range<Int> {
        max(0, -start)..<max(0, min(side, limit - start))
    }

    /// The 7×7 tile of a [H][W][C] image under output tile (ty, tx): in place when it lies inside
    /// the image, else copied into `scratch` with zeros past the edges. Returns it and its row stride.
    @inline(__always)
    func inputTile<T: BLASScalar>(_ image: UnsafePointer<T>, channels c: Int, ty: Int, tx: Int,
                                  scratch: UnsafeMutablePointer<T>) -> (UnsafePointer<T>, Int) {
        let (y0, x0) = corner(ty, tx)
        if y0 >= 0 && x0 >= 0 && y0 + 7 <= height && x0 + 7 <= width { return (image + (y0 * width + x0) * c, width * c) }
        return Self.padded(image, rowLength: width, side: 7, y0: y0, x0: x0, limits: (height, width), channels: c, into: scratch)
    }

    /// Same for the 3×3 tile of an [Ho][Wo][O] output gradient.
    @inline(__always)
    func outputTile<T: BLASScalar>(_ image: UnsafePointer<T>, channels o: Int, ty: Int, tx: Int,
                                   scratch: UnsafeMutablePointer<T>) -> (UnsafePointer<T>, Int) {
        let (y0, x0) = corner(ty, tx)
        if y0 >= 0 && x0 >= 0 && y0 + 3 <= outH && x0 + 3 <= outW { return (image + (y0 * outW + x0) * o, outW * o) }
        return Self.padded(image, rowLength: outW, side: 3, y0: y0, x0: x0, limits: (outH, outW), channels: o, into: scratch)
    }

    private static func padded<T: BLASScalar>(_ image: UnsafePointer<T>, rowLength: Int, side: Int, y0: Int, x0: Int,
                                              limits: (Int, Int), channels c: Int,
                                              into scratch: UnsafeMutablePointer<T>) -> (UnsafePointer<T>, Int) {
        scratch.update(repeating: 0, count: side * side * c)
        let cols = inside(x0, side, limits.1)
        for a in inside(y0, side, limits.0) where !cols.isEmpty {
            (scratch + (a * side + cols.lowerBound) * c)
                .update(from: image + ((y0 + a) * rowLength + x0 + cols.lowerBound) * c, count: cols.count * c)
        }
        return (UnsafePointer(scratch), side * c)
    }
}

// MARK: - Forward and backward

/// Valid 5×5 convolution by Winograd F(3×3, 5×5); same contract as `conv2dForward`. A caller that
/// runs the same weights many times (tiled inference, band by band) may pass their transform
/// from `winogradKernels` as `kernels`.
func conv2dForwardWinograd<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels c: Int, outChannels o: Int,
    height: Int, width: Int, relu: Bool, phase: (rows: Int, columns: Int) = (0, 0),
    kernels: UnsafePointer<T>? = nil, workspace: Workspace<T>
) {
    // The transforms run four Float channels at a time where the channel counts allow.
    if T.self == Float.self && c % 4 == 0 && o % 4 == 0 {
        winogradForward(SIMD4<Float>.self, output: output, input: input, weight: weight, bias: bias, batch: batch,
                        inChannels: c, outChannels: o, height: height, width: width, relu: relu, phase: phase,
                        kernels: kernels, workspace: workspace)
    } else if T.self == Float.self {
        winogradForward(Float.self, output: output, input: input, weight: weight, bias: bias, batch: batch,
                        inChannels: c, outChannels: o, height: height, width: width, relu: relu, phase: phase,
                        kernels: kernels, workspace: workspace)
    } else {
        winogradForward(Double.self, output: output, input: input, weight: weight, bias: bias, batch: batch,
                        inChannels: c, outChannels: o, height: height, width: width, relu: relu, phase: phase,
                        kernels: kernels, workspace: workspace)
    }
}

/// Gradients of `conv2dForwardWinograd` (dBias is the caller's); same contract as `conv2dBackward`.
func conv2dBackwardWinograd<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, workspace: Workspace<T>
) {
    if T.self == Float.self && c % 4 == 0 && o % 4 == 0 {
        winogradBackward(SIMD4<Float>.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                         weight: weight, batch: batch, inChannels: c, outChannels: o, height: height, width: width,
                         workspace: workspace)
    } else if T.self == Float.self {
        winogradBackward(Float.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                         weight: weight, batch: batch, inChannels: c, outChannels: o, height: height, width: width,
                         workspace: workspace)
    } else {
        winogradBackward(Double.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                         weight: weight, batch: batch, inChannels: c, outChannels: o, height: height, width: width,
                         workspace: workspace)
    }
}

/// `p` as a pointer to the lane's scalar, which the caller has checked is T.
@inline(__always)
private func lanePointer<T, L: TransformLane>(_ p: UnsafePointer<T>, _: L.Type) -> UnsafePointer<L.Scalar> {
    UnsafeRawPointer(p).assumingMemoryBound(to: L.Scalar.self)
}

@inline(__always)
private func lanePointer<T, L: TransformLane>(_ p: UnsafeMutablePointer<T>, _: L.Type) -> UnsafeMutablePointer<L.Scalar> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: L.Scalar.self)
}

private func winogradForward<T: BLASScalar, L: TransformLane>(
    _ lane: L.Type, output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels c: Int, outChannels o: Int,
    height: Int, width: Int, relu: Bool, phase: (rows: Int, columns: Int), kernels: UnsafePointer<T>?,
    workspace: Workspace<T>
) {
    precondition(L.Scalar.self == T.self && c % L.width == 0 && o % L.width == 0)
    let t = WinogradTiling(height: height, width: width, phase: phase), p = WinogradF3x5.points
    let u = kernels ?? {
        let u = workspace.buffer(2, count: p * c * o)
        winogradKernels(weight, into: u, channels: c * o, tmp: workspace.buffer(3, count: 35 * c * o))
        return UnsafePointer(u)
    }()
    // Chunks are runs of tile rows (image n, tile row ty flattened), so one wide image still splits.
    let tileRows = batch * t.down
    let rowsPerChunk = max(1, min(tileRows, WinogradF3x5.tilesPerChunk / t.across))
    let slots = rowsPerChunk * t.across
    let v = workspace.buffer(0, count: slots * p * c)
    let m = workspace.buffer(1, count: slots * p * o)
    let imageSize = height * width * c, outSize = t.outH * t.outW * o
    let x = lanePointer(input, lane), vL = lanePointer(v, lane), mL = lanePointer(m, lane)
    var first = 0
    while first < tileRows {
        let rows = min(rowsPerChunk, tileRows - first), start = first
        ConvNetThreads.forEachRange(rows, costPerItem: t.across * p * c * 8) { part in
            withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: 2 * p * c) { scratch in
                let tmp = scratch.baseAddress!, edge = tmp + p * c
                for r in part {
                    let n = (start + r) / t.down, ty = (start + r) % t.down
                    for tx in 0..<t.across {
                        let (d, stride) = t.inputTile(x + n * imageSize, channels: c, ty: ty, tx: tx, scratch: edge)
                        transformInputTile(lane, d, rowStride: stride, channels: c, tmp: tmp,
                                           v: vL + (r * t.across + tx) * c, pointStride: slots * c)
                    }
                }
            }
        }
        let tiles = rows * t.across
        for point in 0..<p {
            rowMajorGemm(m: tiles, n: o, k: c, a: v + point * slots * c, lda: c, b: u + point * c * o, ldb: o,
                         beta: 0, c: m + point * slots * o, ldc: o)
        }
        ConvNetThreads.forEachRange(rows, costPerItem: t.across * p * o * 4) { part in
            withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: 21 * o + 9 * o) { scratch in
                let tmp = scratch.baseAddress!, yL = tmp + 21 * o
                let y = UnsafeMutableRawPointer(yL).assumingMemoryBound(to: T.self)
                for r in part {
                    let n = (start + r) / t.down, ty = (start + r) % t.down
                    for tx in 0..<t.across {
                        transformOutputTile(lane, mL + (r * t.across + tx) * o, pointStride: slots * o, channels: o,
                                            tmp: tmp, y: yL)
                        let (y0, x0) = t.corner(ty, tx)
                        let cols = WinogradTiling.inside(x0, 3, t.outW)
                        for i in WinogradTiling.inside(y0, 3, t.outH) where !cols.isEmpty {
                            let row = output + n * outSize + ((y0 + i) * t.outW + x0 + cols.lowerBound) * o
                            row.update(from: y + (i * 3 + cols.lowerBound) * o, count: cols.count * o)
                            addBiasReLU(row, pixels: cols.count, channels: o, bias: bias, relu: relu)
                        }
                    }
                }
            }
        }
        first += rows
    }
}

private func winogradBackward<T: BLASScalar, L: TransformLane>(
    _ lane: L.Type, dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, workspace: Workspace<T>
) {
    precondition(L.Scalar.self == T.self && c % L.width == 0 && o % L.width == 0)
    let t = WinogradTiling(height: height, width: width), p = WinogradF3x5.points
    let kernelTmp = workspace.buffer(3, count: 35 * c * o)
    let u = workspace.buffer(2, count: p * c * o)
    winogradKernels(weight, into: u, channels: c * o, tmp: kernelTmp)
    // Uᵀ per point [O × C], so dV = dM · Uᵀ is a plain GEMM: OpenBLAS's small-matrix kernels
    // take it, not the transposed form.
    let ut = workspace.buffer(5, count: p * c * o)
    for point in 0..<p {
        for ci in 0..<c { for oc in 0..<o { ut[(point * o + oc) * c + ci] = u[(point * c + ci) * o + oc] } }
    }
    let du = workspace.buffer(4, count: p * c * o)
    du.update(repeating: 0, count: p * c * o)
    // Whole images per chunk, so the overlap-add into dInput can run one image per thread.
    let perImage = t.tilesPerImage
    let imagesPerChunk = max(1, min(batch, WinogradF3x5.tilesPerChunk / perImage))
    let slots = imagesPerChunk * perImage
    let v = workspace.buffer(0, count: slots * p * c)   // V, then dV
    let dm = workspace.buffer(1, count: slots * p * o)
    let imageSize = height * width * c, outSize = t.outH * t.outW * o
    let x = lanePointer(input, lane), dy = lanePointer(dOutput, lane)
    let vL = lanePointer(v, lane), dmL = lanePointer(dm, lane)
    var n0 = 0
    while n0 < batch {
        let images = min(imagesPerChunk, batch - n0), start = n0
        ConvNetThreads.forEachRange(images, costPerItem: perImage * p * (c + o) * 8) { part in
            withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: 2 * p * max(c, o)) { scratch in
                let tmp = scratch.baseAddress!, edge = tmp + p * max(c, o)
                for m in part {
                    for ty in 0..<t.down {
                        for tx in 0..<t.across {
                            let tile = (m * t.down + ty) * t.across + tx
                            let (d, stride) = t.inputTile(x + (start + m) * imageSize, channels: c,
                                                          ty: ty, tx: tx, scratch: edge)
                            transformInputTile(lane, d, rowStride: stride, channels: c, tmp: tmp, v: vL + tile * c,
                                               pointStride: slots * c)
                            let (g, gStride) = t.outputTile(dy + (start + m) * outSize, channels: o,
                                                            ty: ty, tx: tx, scratch: edge)
                            transformOutputGradientTile(lane, g, rowStride: gStride, channels: o, tmp: tmp,
                                                        dm: dmL + tile * o, pointStride: slots * o)
                        }
                    }
                }
            }
        }
        let tiles = images * perImage
        for point in 0..<p {
            rowMajorGemm(transposeA: true, m: c, n: o, k: tiles, a: v + point * slots * c, lda: c,
                         b: dm + point * slots * o, ldb: o, beta: 1, c: du + point * c * o, ldc: o)
        }
        if let dInput {
            for point in 0..<p {
                rowMajorGemm(m: tiles, n: c, k: o, a: dm + point * slots * o, lda: o,
                             b: ut + point * c * o, ldb: c, beta: 0, c: v + point * slots * c, ldc: c)
            }
            let dx = lanePointer(dInput, lane)
            ConvNetThreads.forEachRange(images, costPerItem: perImage * p * c * 8) { part in
                withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: 2 * p * c) { scratch in
                    let tmp = scratch.baseAddress!, dd = tmp + p * c
                    for m in part {
                        let image = dx + (start + m) * imageSize
                        image.update(repeating: 0, count: imageSize)
                        for ty in 0..<t.down {
                            for tx in 0..<t.across {
                                let tile = (m * t.down + ty) * t.across + tx
                                transformInputGradientTile(lane, vL + tile * c, pointStride: slots * c, channels: c,
                                                           tmp: tmp, dd: dd)
                                let (y0, x0) = t.corner(ty, tx)
                                let cols = WinogradTiling.inside(x0, 7, width)
                                for a in WinogradTiling.inside(y0, 7, height) {
                                    let dst = image + ((y0 + a) * width + x0 + cols.lowerBound) * c
                                    let src = dd + (a * 7 + cols.lowerBound) * c
                                    for e in 0..<(cols.count * c) { dst[e] += src[e] }
                                }
                            }
                        }
                    }
                }
            }
        }
        n0 += images
    }
    winogradKernelGradient(du, into: dWeight, channels: c * o, tmp: kernelTmp)
}
