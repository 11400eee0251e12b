import ConvNet
import ExampleBased
import Imaging
import LinearAlgebra

/// Layer 1 of the anchored-regression network: Zeyde's four feature filters followed by the PCA
/// projection, as ONE convolution of the bicubic image B with d output maps, evaluated with stride s
/// at the grid's positions.
///
/// Why one convolution: the pipeline's f_j at the patch with top-left corner (r, c) is
/// Σ_f Σ_{dr,dc} V[f·w² + dr + w·dc, j]·F_f(r + dr, c + dc), and each filtered image
/// F_f = conv2(B, h_f, 'same') reads B at F_f's sample plus the taps' offsets ⌊m/2⌋ − t
/// (`ZeydeFeatures.conv2Same`). Substituting, f_j = Σ_{u,v} K_j(u, v)·B(r − before + u, c − before + v):
/// a correlation with one kernel per PCA direction, whose side is the w×w window enlarged by the
/// filters' reach on both sides (`before` + `after`). At every scale of the release the reach is
/// the Laplacian's, s on each side, so the side is 3s + 2s = 5s (10, 15, 20 at ×2, ×3, ×4).
/// The grid's border of s keeps every kernel inside the image (the pipeline's zero padding is
/// never read), so the layer is a valid convolution; positions off the grid are not computed.
public struct ComposedFeatureLayer: Sendable {
    public let scale: Int
    /// The kernel's side: patch side + `before` + `after`.
    public let side: Int
    /// How far the filters read before (above, left of) a patch's first pixel.
    public let before: Int
    /// PCA dimension d: the output maps.
    public let outputs: Int
    /// The composed kernel, HWIO [side, side, 1, d] (ConvNet's layout: tap (u, v) of map j at
    /// (u·side + v)·d + j), built from the configuration's filters and V_pca.
    public let kernel: [Double]
    /// The same kernel for the space-to-depth image (see `apply`): HWIO [blocks, blocks, s², d].
    let blockKernel: [Double]
    /// ⌈side / s⌉: the kernel's side in s×s blocks.
    let blocks: Int

    public init(configuration c: ZeydeConfiguration) {
        let s = c.scale, w = c.patchSide, d = c.pcaDimension
        // Each filter as (offset from the sample it produces, weight), in its direction.
        let taps = c.filters.map { h in
            h.indices.filter { h[$0] != 0 }.map { (offset: h.count / 2 - $0, weight: h[$0]) }
        }
        let offsets = taps.flatMap { $0.map(\.offset) }
        before = max(0, -(offsets.min() ?? 0))
        let after = max(0, offsets.max() ?? 0)
        side = w + before + after
        scale = s
        outputs = d
        var k = [Double](repeating: 0, count: side * side * d)
        for (f, filter) in taps.enumerated() {
            let alongRows = f % 2 == 0 // feature order: rows, columns, rows, columns (as ZeydeFeatures)
            for dc in 0..<w {
                for dr in 0..<w {
                    let row = f * w * w + dr + w * dc // the raw feature's element: column-major window
                    for t in filter {
                        let u = before + dr + (alongRows ? 0 : t.offset)
                        let v = before + dc + (alongRows ? t.offset : 0)
                        for j in 0..<d { k[(u * side + v) * d + j] += c.pca[row, j] * t.weight }
                    }
                }
            }
        }
        kernel = k
        blocks = (side + s - 1) / s
        var b = [Double](repeating: 0, count: blocks * blocks * s * s * d)
        for u in 0..<side {
            for v in 0..<side {
                // Tap (u, v) is sub-pixel (u mod s, v mod s) of block (u / s, v / s), channel
                // (u mod s)·s + v mod s as the space-to-depth image orders them.
                let to = ((u / s * blocks + v / s) * s * s + (u % s) * s + v % s) * d
                for j in 0..<d { b[to + j] = k[(u * side + v) * d + j] }
            }
        }
        blockKernel = b
    }

    /// The d maps at every grid position, NHWC: grid row i (corner row s·(1 + i)), column j at
    /// (i·columnCount + j)·d.
    ///
    /// A stride-s convolution is a stride-1 convolution of the space-to-depth image (each s×s
    /// block of pixels becomes one pixel of s² channels: the inverse of ESPCN's pixel shuffle)
    /// with the kernel cut into s×s blocks, so the layer runs through ConvNet's `conv2dForward`
    /// and computes only the grid's positions.
    public func apply<T: BLASScalar>(midRes b: Plane, grid: PatchGrid, as: T.Type = T.self,
                                     workspace: Workspace<T> = Workspace<T>()) -> [T] {
        precondition(grid.scale == scale && grid.width == b.width && grid.height == b.height, "grid of another image")
        guard grid.count > 0 else { return [] }
        let s = scale, rows = grid.rowCount - 1 + blocks, columns = grid.columnCount - 1 + blocks
        // The pixels the kernels read: from the first kernel's top-left (s − before) on, zero
        // outside B (never read by a non-zero tap: the grid keeps the filters inside).
        let origin = s - before, height = rows * s, width = columns * s
        var region = [T](repeating: 0, count: height * width)
        for y in 0..<height where origin + y >= 0 && origin + y < b.height {
            for x in 0..<width where origin + x >= 0 && origin + x < b.width {
                region[y * width + x] = T(b[origin + x, origin + y])
            }
        }
        var spaceToDepth = [T](repeating: 0, count: height * width)
        spaceToDepth.withUnsafeMutableBufferPointer { out in
            region.withUnsafeBufferPointer { pixels in
                pixelShuffleBackward(dInput: out.baseAddress!, dOutput: pixels.baseAddress!, batch: 1,
                                     height: rows, width: columns, outChannels: 1, factor: s)
            }
        }
        var out = [T](repeating: 0, count: grid.count * outputs)
        let weights = blockKernel.map { T($0) }
        out.withUnsafeMutableBufferPointer { o in
            spaceToDepth.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { w in
                    conv2dForward(output: o.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!, bias: nil,
                                  batch: 1, inChannels: s * s, outChannels: outputs, height: rows, width: columns,
                                  kernel: blocks, algorithm: .im2col, workspace: workspace)
                }
            }
        }
        return out
    }
}
