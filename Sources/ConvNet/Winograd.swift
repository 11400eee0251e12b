import ConvKernels
import LinearAlgebra
import ConvKernels

// Winograd convolution F(m×m, r×r) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016), the engine shared by F(3×3, 5×5) (WinogradF3x5.swift), F(2×2, 3×3)
// (WinogradF2x3.swift) and F(4×4, 3×3) (WinogradF4x3.swift), which supply the transforms. An
// α×α input tile d (α = m + r − 1) and an r×r kernel g give an m×m output tile as
//     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// so a layer with many channels becomes α² GEMMs (one per tile point, [tiles × C]·[C × O]).
//
// Backward is the exact adjoint of the same arithmetic: with dM = A dY Aᵀ per tile,
//     dU = Σ_tiles dM ⊙ V (per point a [C × O] GEMM over tiles),   dW = Gᵀ dU G,
//     dV = dM ⊙ U (per point [tiles × O]·[O × C]),                 dX = Σ_tiles B dV Bᵀ (overlap-add).
//
// Layouts, per chunk of tiles: V, dV [tile][point][C] and M, dM [tile][point][O] (point
// p = α·row + column), or point-major [point][tile][·] in the backward pass of the Swift transforms
// (`operandStrides`); U, dU [point][C][O]. The per-point GEMMs are `smallProducts` (SmallProducts.swift).
// Tiles that run past the bottom or right edge read zeros and their extra outputs are dropped.
// Every tile's arithmetic is fixed by its position, and threads split tiles, never sums, so the
// result does not depend on the thread count.

/// One algorithm F(m×m, r×r): its sizes, kernel transform G and the 1-D transforms by Bᵀ, B
/// (input and its adjoint) and Aᵀ, A (output and its adjoint), each over `count` contiguous
/// channels of rows `Strided` apart.
protocol WinogradTransform {
    /// m, the output tile's side.
    static var outputSide: Int { get }
    /// r, the kernel's side.
    static var kernelSide: Int { get }
    /// G (α × r), row by row.
    static var g: [[Double]] { get }
    /// Tiles per batch of α² GEMMs: enough for efficient GEMMs, few enough that V and M stay in cache.
    static var tilesPerChunk: Int { get }
    /// out_i = Σ_j Bᵀ[i][j] · in_j: α rows in, α out.
    static func input<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int)
    /// out_i = Σ_j B[i][j] · in_j: α rows in, α out.
    static func inputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ v: Strided<L.Scalar>, count: Int)
    /// out_i = Σ_j Aᵀ[i][j] · in_j: α rows in, m out.
    static func output<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int)
    /// out_i = Σ_j A[i][j] · in_j: m rows in, α out.
    static func outputAdjoint<L: TransformLane>(_: L.Type, _ s: Strided<L.Scalar>, _ y: Strided<L.Scalar>, count: Int)
}

extension WinogradTransform {
    /// α, the input tile's side.
    static var tileSide: Int { outputSide + kernelSide - 1 }
    static var points: Int { tileSide * tileSide }
}

// MARK: - Lanes

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

/// The rows of a 1-D transform's input or output: vectors of channels `stride` apart.
struct Strided<T> {
    let base: UnsafeMutablePointer<T>, stride: Int
    init(_ base: UnsafePointer<T>, _ stride: Int) { self.base = UnsafeMutablePointer(mutating: base); self.stride = stride }
    init(_ base: UnsafeMutablePointer<T>, _ stride: Int) { self.base = base; self.stride = stride }
    @inline(__always) subscript(row: Int) -> UnsafeMutablePointer<T> { base + row * stride }
}

/// Runs `body` on lane type `L` at every channel offset, `L.width` apart.
@inline(__always)
func forEachLane<L: TransformLane>(_: L.Type, count: Int, _ body: (Int) -> Void) {
    var c = 0
    while c < count { body(c); c &+= L.width }
}

// MARK: - Two-dimensional tile transforms ([α][α][C] blocks; `tmp` holds α²·C elements)

/// V = Bᵀ d B for one input tile whose rows are `rowStride` apart (pixels `c` apart).
@inline(__always)
func transformInputTile<F: WinogradTransform, L: TransformLane>(
    _ f: F.Type, _ l: L.Type, _ d: UnsafePointer<L.Scalar>, rowStride: Int, channels c: Int,
    tmp: UnsafeMutablePointer<L.Scalar>, v: UnsafeMutablePointer<L.Scalar>, pointStride ps: Int
) {
    if let lanes = WinogradNativeTransforms.lanes(for: f, L.Scalar.self, channels: c) {
        return srlab_f3x5_input_tile(lanes, floats(d), rowStride, Int32(c), mutableFloats(tmp), mutableFloats(v), ps)
    }
    let α = F.tileSide
    for b in 0..<α { F.input(l, Strided(d + b * c, rowStride), Strided(tmp + b * c, α * c), count: c) }
    for a in 0..<α { F.input(l, Strided(tmp + a * α * c, c), Strided(v + a * α * ps, ps), count: c) }
}

/// dd = B dV Bᵀ for one tile.
@inline(__always)
func transformInputGradientTile<F: WinogradTransform, L: TransformLane>(
    _ f: F.Type, _ l: L.Type, _ dv: UnsafePointer<L.Scalar>, pointStride ps: Int, channels c: Int,
    tmp: UnsafeMutablePointer<L.Scalar>, dd: UnsafeMutablePointer<L.Scalar>
) {
    let α = F.tileSide
    for b in 0..<α { F.inputAdjoint(l, Strided(dv + b * ps, α * ps), Strided(tmp + b * c, α * c), count: c) }
    for a in 0..<α { F.inputAdjoint(l, Strided(tmp + a * α * c, c), Strided(dd + a * α * c, c), count: c) }
}

/// Y = Aᵀ M A: an [α][α][O] tile of GEMM results to its [m][m][O] output.
@inline(__always)
func transformOutputTile<F: WinogradTransform, L: TransformLane>(
    _ f: F.Type, _ l: L.Type, _ m: UnsafePointer<L.Scalar>, pointStride ps: Int, channels o: Int,
    tmp: UnsafeMutablePointer<L.Scalar>, y: UnsafeMutablePointer<L.Scalar>
) {
    if let lanes = WinogradNativeTransforms.lanes(for: f, L.Scalar.self, channels: o) {
        return srlab_f3x5_output_tile(lanes, floats(m), ps, Int32(o), mutableFloats(tmp), mutableFloats(y))
    }
    let α = F.tileSide, side = F.outputSide
    for b in 0..<α { F.output(l, Strided(m + b * ps, α * ps), Strided(tmp + b * o, α * o), count: o) }
    for i in 0..<side { F.output(l, Strided(tmp + i * α * o, o), Strided(y + i * side * o, o), count: o) }
}

/// dM = A dY Aᵀ for one [m][m][O] output-gradient tile whose rows are `rowStride` apart.
@inline(__always)
func transformOutputGradientTile<F: WinogradTransform, L: TransformLane>(
    _ f: F.Type, _ l: L.Type, _ dy: UnsafePointer<L.Scalar>, rowStride: Int, channels o: Int,
    tmp: UnsafeMutablePointer<L.Scalar>, dm: UnsafeMutablePointer<L.Scalar>, pointStride ps: Int
) {
    let α = F.tileSide, side = F.outputSide
    for j in 0..<side { F.outputAdjoint(l, Strided(dy + j * o, rowStride), Strided(tmp + j * o, side * o), count: o) }
    for a in 0..<α { F.outputAdjoint(l, Strided(tmp + a * side * o, o), Strided(dm + a * α * ps, ps), count: o) }
}

// MARK: - Kernel transforms

/// U[(i,j)][c][o] = Σ_{a,b} G[i][a] · w[a][b][c][o] · G[j][b] for HWIO weights; `tmp` holds α·r·C·O.
func winogradKernels<F: WinogradTransform, T: BLASScalar>(_: F.Type, _ weight: UnsafePointer<T>,
                                                          into u: UnsafeMutablePointer<T>, channels: Int,
                                                          tmp: UnsafeMutablePointer<T>) {
    let g = F.g.map { $0.map { T($0) } }, α = F.tileSide, r = F.kernelSide
    let n = channels   // C·O, one contiguous run per kernel tap
    // tmp[i][b] = Σ_a G[i][a] w[a][b], then u[i][j] = Σ_b G[j][b] tmp[i][b].
    for i in 0..<α {
        for b in 0..<r {
            let dst = tmp + (i * r + b) * n
            dst.update(repeating: 0, count: n)
            for a in 0..<r where g[i][a] != 0 {
                let src = weight + (a * r + b) * n, f = g[i][a]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
        for j in 0..<α {
            let dst = u + (i * α + j) * n
            dst.update(repeating: 0, count: n)
            for b in 0..<r where g[j][b] != 0 {
                let src = tmp + (i * r + b) * n, f = g[j][b]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
}

/// dW[a][b][c][o] += Σ_{i,j} G[i][a] · dU[(i,j)][c][o] · G[j][b], the adjoint of `winogradKernels`.
func winogradKernelGradient<F: WinogradTransform, T: BLASScalar>(_: F.Type, _ du: UnsafePointer<T>,
                                                                 into dWeight: UnsafeMutablePointer<T>,
                                                                 channels: Int, tmp: UnsafeMutablePointer<T>) {
    let g = F.g.map { $0.map { T($0) } }, α = F.tileSide, r = F.kernelSide
    let n = channels
    // tmp[i][b] = Σ_j G[j][b] dU[i][j], then dW[a][b] += Σ_i G[i][a] tmp[i][b].
    for i in 0..<α {
        for b in 0..<r {
            let dst = tmp + (i * r + b) * n
            dst.update(repeating: 0, count: n)
            for j in 0..<α where g[j][b] != 0 {
                let src = du + (i * α + j) * n, f = g[j][b]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
    for a in 0..<r {
        for b in 0..<r {
            let dst = dWeight + (a * r + b) * n
            for i in 0..<α where g[i][a] != 0 {
                let src = tmp + (i * r + b) * n, f = g[i][a]
                for e in 0..<n { dst[e] += f * src[e] }
            }
        }
    }
}

// MARK: - Tile geometry

/// Where the m×m output tiles of an r×r valid convolution lie: `down` × `across` per image, the
/// first with its corner at output (top, left). That is (0, 0) unless the caller anchors the grid
/// in its own coordinates (tiled inference: `phase` = the first output row and column on the
/// grid), when the first tiles hang over the top and left edge.
struct WinogradTiling {
    let height: Int, width: Int, outH: Int, outW: Int, top: Int, left: Int, down: Int, across: Int
    /// m and α: the output and input tiles' sides.
    let step: Int, side: Int

    init<F: WinogradTransform>(_: F.Type, height: Int, width: Int, phase: (rows: Int, columns: Int) = (0, 0)) {
        step = F.outputSide; side = F.tileSide
        precondition((0..<step).contains(phase.rows) && (0..<step).contains(phase.columns),
                     "Winograd phase \(phase) outside 0..<\(step)")
        self.height = height; self.width = width
        outH = height - F.kernelSide + 1; outW = width - F.kernelSide + 1
        top = phase.rows == 0 ? 0 : phase.rows - step
        left = phase.columns == 0 ? 0 : phase.columns - step
        down = (outH - top + step - 1) / step; across = (outW - left + step - 1) / step
    }

    var tilesPerImage: Int { down * across }

    /// Output (and input) row and column of tile (ty, tx)'s corner.
    @inline(__always) func corner(_ ty: Int, _ tx: Int) -> (y: Int, x: Int) { (top + step * ty, left + step * tx) }

    /// The rows (or columns) of a tile of `side` starting at `start` that lie in 0..<limit, as
    /// offsets within the tile.
    @inline(__always) static func inside(_ start: Int, _ side: Int, _ limit: Int) -> Range<Int> {
        max(0, -start)..<max(0, min(side, limit - start))
    }

    /// How many tiles from (ty, tx) rightwards, at most `limit`, lie inside the image (those
    /// `inputTile` takes in place).
    func tilesInside(ty: Int, from tx: Int, limit: Int) -> Int {
        let y0 = corner(ty, tx).y
        guard y0 >= 0 && y0 + side <= height else { return 0 }
        var count = 0
        while count < limit && tx + count < across {
            let x0 = corner(ty, tx + count).x
            guard x0 >= 0 && x0 + side <= width else { break }
            count += 1
        }
        return count
    }

    /// The α×α tile of a [H][W][C] image under output tile (ty, tx): in place when it lies inside
    /// the image, else copied into `scratch` with zeros past the edges. Returns it and its row stride.
    @inline(__always)
    func inputTile<T: BLASScalar>(_ image: UnsafePointer<T>, channels c: Int, ty: Int, tx: Int,
                                  scratch: UnsafeMutablePointer<T>) -> (UnsafePointer<T>, Int) {
        let (y0, x0) = corner(ty, tx)
        if y0 >= 0 && x0 >= 0 && y0 + side <= height && x0 + side <= width { return (image + (y0 * width + x0) * c, width * c) }
        return Self.padded(image, rowLength: width, side: side, y0: y0, x0: x0, limits: (height, width), channels: c,
                           into: scratch)
    }

    /// Same for the m×m tile of an [Ho][Wo][O] output gradient.
    @inline(__always)
    func outputTile<T: BLASScalar>(_ image: UnsafePointer<T>, channels o: Int, ty: Int, tx: Int,
                                   scratch: UnsafeMutablePointer<T>) -> (UnsafePointer<T>, Int) {
        let (y0, x0) = corner(ty, tx)
        if y0 >= 0 && x0 >= 0 && y0 + step <= outH && x0 + step <= outW { return (image + (y0 * outW + x0) * o, outW * o) }
        return Self.padded(image, rowLength: outW, side: step, y0: y0, x0: x0, limits: (outH, outW), channels: o,
                           into: scratch)
    }

    /// For ConvKernels' output-gradient transform, which reads only inside the output and takes
    /// zeros elsewhere: the m×m tile's corner in an [Ho][Wo][O] gradient and its rows and columns
    /// inside it (a training grid has no phase, so the corner is inside).
    @inline(__always)
    func clippedOutputTile<T>(_ image: UnsafePointer<T>, channels o: Int, ty: Int, tx: Int,
                              _ body: (UnsafePointer<T>, (Int32, Int32), (Int32, Int32)) -> Void) {
        let (y0, x0) = corner(ty, tx)
        precondition(y0 >= 0 && x0 >= 0, "a clipped tile starts inside the image")
        let rows = Self.inside(y0, step, outH), columns = Self.inside(x0, step, outW)
        body(image + (y0 * outW + x0) * o, (Int32(rows.lowerBound), Int32(rows.upperBound)),
             (Int32(columns.lowerBound), Int32(columns.upperBound)))
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

/// Valid 3×3 or 5×5 convolution by Winograd F(2×2, 3×3) (F(4×4, 3×3) with `largeTiles`) or
/// F(3×3, 5×5); same contract as `conv2dForward`. A caller that runs the same weights many times
/// (tiled inference, band by band) may pass their transform from `winogradKernels` as `kernels`,
/// and one whose V and M fit the cache at another size than training's its `tilesPerChunk`.
func conv2dForwardWinograd<T: BLASScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels c: Int, outChannels o: Int,
    height: Int, width: Int, kernel: Int, largeTiles: Bool = false, relu: Bool,
    phase: (rows: Int, columns: Int) = (0, 0), kernels: UnsafePointer<T>? = nil, tilesPerChunk: Int? = nil,
    wideTransforms: Bool = false, padding: Int = 0, replicatePadding: Bool = false, activation: FusedActivation = .none,
    workspace: Workspace<T>
) {
    func run<F: WinogradTransform>(_ f: F.Type) {
        // The transforms run four Float channels at a time where the channel counts allow.
        if T.self == Float.self && c % 4 == 0 && o % 4 == 0 {
            winogradForward(f, SIMD4<Float>.self, output: output, input: input, weight: weight, bias: bias,
                            batch: batch, inChannels: c, outChannels: o, height: height, width: width, relu: relu,
                            phase: phase, kernels: kernels, tilesPerChunk: tilesPerChunk ?? f.tilesPerChunk,
                            vectorLevel: wideTransforms ? wideF4x3Level(f) : nil, padding: padding,
                            replicatePadding: replicatePadding, activation: activation, workspace: workspace)
        } else if T.self == Float.self {
            winogradForward(f, Float.self, output: output, input: input, weight: weight, bias: bias, batch: batch,
                            inChannels: c, outChannels: o, height: height, width: width, relu: relu, phase: phase,
                            kernels: kernels, tilesPerChunk: tilesPerChunk ?? f.tilesPerChunk, vectorLevel: nil,
                            padding: 0, replicatePadding: false, activation: activation, workspace: workspace)
        } else {
            winogradForward(f, Double.self, output: output, input: input, weight: weight, bias: bias, batch: batch,
                            inChannels: c, outChannels: o, height: height, width: width, relu: relu, phase: phase,
                            kernels: kernels, tilesPerChunk: tilesPerChunk ?? f.tilesPerChunk, vectorLevel: nil,
                            padding: 0, replicatePadding: false, activation: activation, workspace: workspace)
        }
    }
    switch (kernel, largeTiles) {
    case (3, false): run(WinogradF2x3.self)
    case (3, true): run(WinogradF4x3.self)
    case (5, false): run(WinogradF3x5.self)
    default: preconditionFailure("Winograd needs a 3×3 or 5×5 kernel (large tiles: 3×3 only), got \(kernel)×\(kernel)")
    }
}

/// Gradients of `conv2dForwardWinograd` (dBias is the caller's); same contract as `conv2dBackward`.
func conv2dBackwardWinograd<T: BLASScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, kernel: Int,
    largeTiles: Bool = false, wideTransforms: Bool = false, padding: Int = 0, replicatePadding: Bool = false,
    inputActivation: FusedActivation = .none, workspace: Workspace<T>
) {
    func run<F: WinogradTransform>(_ f: F.Type) {
        if T.self == Float.self && c % 4 == 0 && o % 4 == 0 {
            winogradBackward(f, SIMD4<Float>.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                             weight: weight, batch: batch, inChannels: c, outChannels: o, height: height,
                             width: width, vectorLevel: wideTransforms ? wideF4x3Level(f) : nil, padding: padding,
                             replicatePadding: replicatePadding, inputActivation: inputActivation, workspace: workspace)
        } else if T.self == Float.self {
            winogradBackward(f, Float.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                             weight: weight, batch: batch, inChannels: c, outChannels: o, height: height,
                             width: width, vectorLevel: nil, padding: 0, replicatePadding: false,
                             inputActivation: inputActivation, workspace: workspace)
        } else {
            winogradBackward(f, Double.self, dInput: dInput, dWeight: dWeight, dOutput: dOutput, input: input,
                             weight: weight, batch: batch, inChannels: c, outChannels: o, height: height,
                             width: width, vectorLevel: nil, padding: 0, replicatePadding: false,
                             inputActivation: inputActivation, workspace: workspace)
        }
    }
    switch (kernel, largeTiles) {
    case (3, false): run(WinogradF2x3.self)
    case (3, true): run(WinogradF4x3.self)
    case (5, false): run(WinogradF3x5.self)
    default: preconditionFailure("Winograd needs a 3×3 or 5×5 kernel (large tiles: 3×3 only), got \(kernel)×\(kernel)")
    }
}

/// Tiles side by side whose F(3×3, 5×5) input transforms share their columns' first pass
/// (`srlab_f3x5_input_tiles`): 8 share 28 columns where they would transform 56, in a 28 · 7 ·
/// C-float scratch that stays in cache (49 KB at C = 64).
let f3x5TilesSharingColumns = 8

/// Where a chunk's GEMM operand (V, M, dM, dV: `slots` tiles of α² points of `channels`) puts each
/// point and each tile: tile-major [tile][point][C] (the forward pass, and the backward pass with
/// ConvKernels' transforms), so that a tile's transform reads and writes one contiguous block
/// (point-major, its α² stores went to α² places a chunk apart, and the transforms waited on
/// them), the GEMMs taking rows α²·C apart; or point-major [point][tile][C], each point's matrix
/// contiguous (the backward pass of the Swift transforms). The layout changes no sum, so no result.
@inline(__always)
private func operandStrides(points: Int, slots: Int, channels: Int, tileMajor: Bool) -> (point: Int, tile: Int) {
    tileMajor ? (channels, points * channels) : (slots * channels, channels)
}

/// The level of ConvKernels' F(4×4, 3×3) tile transforms (`srlab_vector_level`) when `f` is that
/// algorithm and the CPU has AVX2 or AVX-512, else nil (the Swift transforms, compiled for SSE).
/// The same bits either way; a training step's layers take them, and streaming inference.
private func wideF4x3Level<F: WinogradTransform>(_ f: F.Type) -> Int32? {
    guard F.self == WinogradF4x3.self else { return nil }
    let level = srlab_vector_level()
    return level > 0 ? level : nil
}

/// A lane pointer as the Float pointer ConvKernels takes (its lane is SIMD4<Float> when a vector level is set).
@inline(__always)
private func floats(_ p: UnsafeRawPointer) -> UnsafePointer<Float> { p.assumingMemoryBound(to: Float.self) }

@inline(__always)
private func mutableFloats(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> { p.assumingMemoryBound(to: Float.self) }

/// `p` as a pointer to the lane's scalar, which the caller has checked is T.
@inline(__always)
private func lanePointer<T, L: TransformLane>(_ p: UnsafePointer<T>, _: L.Type) -> UnsafePointer<L.Scalar> {
    UnsafeRawPointer(p).assumingMemoryBound(to: L.Scalar.self)
}

@inline(__always)
private func lanePointer<T, L: TransformLane>(_ p: UnsafeMutablePointer<T>, _: L.Type) -> UnsafeMutablePointer<L.Scalar> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: L.Scalar.self)
}

private func winogradForward<F: WinogradTransform, T: BLASScalar, L: TransformLane>(
    _ f: F.Type, _ lane: L.Type, output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    bias: UnsafePointer<T>?, batch: Int, inChannels c: Int, outChannels o: Int,
    height: Int, width: Int, relu: Bool, phase: (rows: Int, columns: Int), kernels: UnsafePointer<T>?,
    tilesPerChunk: Int, vectorLevel: Int32?, padding: Int, replicatePadding: Bool, activation: FusedActivation,
    workspace: Workspace<T>
) {
    precondition(L.Scalar.self == T.self && c % L.width == 0 && o % L.width == 0)
    precondition(activation == .none || (phase == (0, 0) && !relu), "a fused activation is a training grid's")
    precondition(vectorLevel == nil || (L.self == SIMD4<Float>.self && F.self == WinogradF4x3.self))
    precondition(padding == 0 || (vectorLevel != nil && phase == (0, 0)), "implicit padding is the training transforms'")
    let t = WinogradTiling(f, height: height, width: width, phase: phase), p = F.points
    let α = F.tileSide, side = F.outputSide
    let u = kernels ?? {
        let u = workspace.buffer(2, count: p * c * o)
        winogradKernels(f, weight, into: u, channels: c * o, tmp: workspace.buffer(3, count: α * F.kernelSide * c * o))
        return UnsafePointer(u)
    }()
    // Chunks are runs of tile rows (image n, tile row ty flattened), so one wide image still splits.
    let tileRows = batch * t.down
    let rowsPerChunk = max(1, min(tileRows, tilesPerChunk / t.across))
    let slots = rowsPerChunk * t.across
    let v = workspace.buffer(0, count: slots * p * c)
    let m = workspace.buffer(1, count: slots * p * o)
    let (vPoint, vTile) = operandStrides(points: p, slots: slots, channels: c, tileMajor: true)
    let (mPoint, mTile) = operandStrides(points: p, slots: slots, channels: o, tileMajor: true)
    // `height` × `width` is the padded input the tiles cover; the image in memory is without the padding.
    let (imageHeight, imageWidth) = (height - 2 * padding, width - 2 * padding)
    let imageSize = imageHeight * imageWidth * c, outSize = t.outH * t.outW * o
    let x = lanePointer(input, lane), vL = lanePointer(v, lane), mL = lanePointer(m, lane)
    // F(3×3, 5×5) in C takes runs of tiles inside the image together, sharing their columns' first pass.
    let nativeLanes = vectorLevel == nil ? WinogradNativeTransforms.lanes(for: f, L.Scalar.self, channels: c) : nil
    let sharedColumns = 3 * (f3x5TilesSharingColumns - 1) + 7
    var first = 0
    while first < tileRows {
        let rows = min(rowsPerChunk, tileRows - first), start = first
        ConvNetThreads.forEachRange(rows, costPerItem: t.across * p * c * 8) { part in
            let capacity = 2 * p * c + (nativeLanes == nil ? 0 : sharedColumns * 7 * c)
            withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: capacity) { scratch in
                let tmp = scratch.baseAddress!, edge = tmp + p * c, columns = edge + p * c
                for r in part {
                    let n = (start + r) / t.down, ty = (start + r) % t.down
                    var next = 0
                    for tx in 0..<t.across where tx >= next {
                        if let nativeLanes, case let run = t.tilesInside(ty: ty, from: tx, limit: f3x5TilesSharingColumns),
                           run > 1 {
                            let (y0, x0) = t.corner(ty, tx)
                            srlab_f3x5_input_tiles(nativeLanes, floats(x + n * imageSize + (y0 * imageWidth + x0) * c),
                                                   imageWidth * c, Int32(c), Int32(run), mutableFloats(columns),
                                                   mutableFloats(vL + (r * t.across + tx) * vTile), vPoint, vTile)
                            next = tx + run
                            continue
                        }
                        if let vectorLevel {
                            let (y0, x0) = t.corner(ty, tx)
                            srlab_f4x3_input_tile(vectorLevel, floats(x + n * imageSize), imageWidth * c, c,
                                                  Int32(y0 - padding), Int32(x0 - padding), Int32(imageHeight),
                                                  Int32(imageWidth), Int32(padding), replicatePadding ? 1 : 0,
                                                  mutableFloats(vL + (r * t.across + tx) * vTile), vPoint)
                            continue
                        }
                        let (d, stride) = t.inputTile(x + n * imageSize, channels: c, ty: ty, tx: tx, scratch: edge)
                        transformInputTile(f, lane, d, rowStride: stride, channels: c, tmp: tmp,
                                           v: vL + (r * t.across + tx) * vTile, pointStride: vPoint)
                    }
                }
            }
        }
        let tiles = rows * t.across
        smallProducts(points: p, m: tiles, n: o, k: c, a: v, aPoint: vPoint, lda: vTile, b: u, bPoint: c * o, ldb: o,
                      accumulate: false, c: m, cPoint: mPoint, ldc: mTile,
                      level: SmallProducts.level(columns: o))
        ConvNetThreads.forEachRange(rows, costPerItem: t.across * p * o * 4) { part in
            withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: (α + side) * side * o) { scratch in
                let tmp = scratch.baseAddress!, yL = tmp + α * side * o
                let y = UnsafeMutableRawPointer(yL).assumingMemoryBound(to: T.self)
                for r in part {
                    let n = (start + r) / t.down, ty = (start + r) % t.down
                    for tx in 0..<t.across {
                        let (y0, x0) = t.corner(ty, tx)
                        if let vectorLevel, !relu {
                            // Bias added as it stores, straight into the output (a training grid has no phase).
                            let rowsEnd = min(side, t.outH - y0), columnsEnd = min(side, t.outW - x0)
                            srlab_f4x3_output_tile_store(vectorLevel, floats(mL + (r * t.across + tx) * mTile), mPoint, o,
                                                         bias.map { floats($0) },
                                                         mutableFloats(output + n * outSize + (y0 * t.outW + x0) * o),
                                                         t.outW * o, Int32(rowsEnd), Int32(columnsEnd))
                            continue
                        }
                        if let vectorLevel {
                            srlab_f4x3_output_tile(vectorLevel, floats(mL + (r * t.across + tx) * mTile), mPoint, o,
                                                   mutableFloats(yL))
                        } else {
                            transformOutputTile(f, lane, mL + (r * t.across + tx) * mTile, pointStride: mPoint,
                                                channels: o, tmp: tmp, y: yL)
                        }
                        let cols = WinogradTiling.inside(x0, side, t.outW)
                        for i in WinogradTiling.inside(y0, side, t.outH) where !cols.isEmpty {
                            let row = output + n * outSize + ((y0 + i) * t.outW + x0 + cols.lowerBound) * o
                            row.update(from: y + (i * side + cols.lowerBound) * o, count: cols.count * o)
                            addBiasReLU(row, pixels: cols.count, channels: o, bias: bias, relu: relu)
                        }
                    }
                    // The tile row's output rows are whole now, and in cache.
                    let y0 = t.corner(ty, 0).y, rowsEnd = min(side, t.outH - y0)
                    if activation != .none && rowsEnd > 0 {
                        activation.apply(output + n * outSize + y0 * t.outW * o, count: rowsEnd * t.outW * o)
                    }
                }
            }
        }
        first += rows
    }
}

private func winogradBackward<F: WinogradTransform, T: BLASScalar, L: TransformLane>(
    _ f: F.Type, _ lane: L.Type, dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, inChannels c: Int, outChannels o: Int, height: Int, width: Int, vectorLevel: Int32?, padding: Int,
    replicatePadding: Bool, inputActivation: FusedActivation, workspace: Workspace<T>
) {
    precondition(L.Scalar.self == T.self && c % L.width == 0 && o % L.width == 0)
    precondition(vectorLevel == nil || (L.self == SIMD4<Float>.self && F.self == WinogradF4x3.self))
    precondition(padding == 0 || vectorLevel != nil, "implicit padding is the training transforms'")
    let t = WinogradTiling(f, height: height, width: width), p = F.points, α = F.tileSide
    let kernelTmp = workspace.buffer(3, count: α * F.kernelSide * c * o)
    let u = workspace.buffer(2, count: p * c * o)
    winogradKernels(f, weight, into: u, channels: c * o, tmp: kernelTmp)
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
    let imagesPerChunk = max(1, min(batch, F.tilesPerChunk / perImage))
    let slots = imagesPerChunk * perImage
    let v = workspace.buffer(0, count: slots * p * c)   // V, then dV
    let dm = workspace.buffer(1, count: slots * p * o)
    let (vPoint, vTile) = operandStrides(points: p, slots: slots, channels: c, tileMajor: vectorLevel != nil)
    let (mPoint, mTile) = operandStrides(points: p, slots: slots, channels: o, tileMajor: vectorLevel != nil)
    let (imageHeight, imageWidth) = (height - 2 * padding, width - 2 * padding)
    let imageSize = imageHeight * imageWidth * c, outSize = t.outH * t.outW * o
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
                            if let vectorLevel {
                                let (y0, x0) = t.corner(ty, tx)
                                srlab_f4x3_input_tile(vectorLevel, floats(x + (start + m) * imageSize), imageWidth * c, c,
                                                      Int32(y0 - padding), Int32(x0 - padding), Int32(imageHeight),
                                                      Int32(imageWidth), Int32(padding), replicatePadding ? 1 : 0,
                                                      mutableFloats(vL + tile * vTile), vPoint)
                                t.clippedOutputTile(dy + (start + m) * outSize, channels: o, ty: ty, tx: tx) { g, rows, columns in
                                    srlab_f4x3_output_adjoint_tile(vectorLevel, floats(g), t.outW * o, o, rows.0, rows.1,
                                                                   columns.0, columns.1, mutableFloats(dmL + tile * mTile), mPoint)
                                }
                                continue
                            }
                            let (d, stride) = t.inputTile(x + (start + m) * imageSize, channels: c,
                                                          ty: ty, tx: tx, scratch: edge)
                            transformInputTile(f, lane, d, rowStride: stride, channels: c, tmp: tmp,
                                               v: vL + tile * c, pointStride: slots * c)
                            let (g, gStride) = t.outputTile(dy + (start + m) * outSize, channels: o,
                                                            ty: ty, tx: tx, scratch: edge)
                            transformOutputGradientTile(f, lane, g, rowStride: gStride, channels: o, tmp: tmp,
                                                        dm: dmL + tile * o, pointStride: slots * o)
                        }
                    }
                }
            }
        }
        let tiles = images * perImage
        smallProducts(points: p, transposeA: true, m: c, n: o, k: tiles, a: v, aPoint: vPoint, lda: vTile,
                      b: dm, bPoint: mPoint, ldb: mTile, accumulate: true, c: du, cPoint: c * o, ldc: o,
                      level: SmallProducts.level(columns: o))
        if let dInput {
            smallProducts(points: p, m: tiles, n: c, k: o, a: dm, aPoint: mPoint, lda: mTile, b: ut, bPoint: c * o,
                          ldb: c, accumulate: false, c: v, cPoint: vPoint, ldc: vTile,
                          level: SmallProducts.level(columns: c))
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
                                let (y0, x0) = t.corner(ty, tx)
                                if let vectorLevel {
                                    srlab_f4x3_input_adjoint_add_tile(vectorLevel, floats(vL + tile * vTile), vPoint, c,
                                                                      mutableFloats(image), imageWidth * c, Int32(y0 - padding),
                                                                      Int32(x0 - padding), Int32(imageHeight), Int32(imageWidth),
                                                                      Int32(padding), replicatePadding ? 1 : 0)
                                    continue
                                }
                                let cols = WinogradTiling.inside(x0, α, width)
                                transformInputGradientTile(f, lane, vL + tile * c, pointStride: slots * c,
                                                           channels: c, tmp: tmp, dd: dd)
                                for a in WinogradTiling.inside(y0, α, height) {
                                    let dst = image + ((y0 + a) * width + x0 + cols.lowerBound) * c
                                    let src = dd + (a * α + cols.lowerBound) * c
                                    for e in 0..<(cols.count * c) { dst[e] += src[e] }
                                }
                            }
                        }
                        // The image's gradient is whole now, and in cache: the input's activation
                        // (whose output the input is) takes its derivative here.
                        inputActivation.applyDerivative(dInput + (start + m) * imageSize,
                                                        output: input + (start + m) * imageSize, count: imageSize)
                    }
                }
            }
        }
        n0 += images
    }
    winogradKernelGradient(f, du, into: dWeight, channels: c * o, tmp: kernelTmp)
}
