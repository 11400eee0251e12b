import ConvNet
import ExampleBased
import Imaging
import LinearAlgebra

/// Layer 4 of the anchored-regression network: the experts' P = w² maps back to pixels. A
/// transposed convolution with stride s and a w×w kernel (w = 3s) in which channel q = dr + w·dc
/// (the pipeline's column-major patch order) is 1 at tap (dr, dc) and 0 elsewhere lays each
/// position's detail patch over its window and sums the overlaps; the same transposed convolution
/// of ones (1 at every grid position, all channels) counts them. Output: B plus sum / count on
/// every covered pixel, B where no patch reaches (the outer s pixels).
public struct OverlapAveraging: Sendable {
    public let scale: Int
    /// w: the patch side and the kernel's.
    public let side: Int
    /// [P, w, w, 1] (ConvNet's transposed-convolution layout: channel q's tap (dy, dx) at
    /// (q·w + dy)·w + dx): the one-hot placement of each channel.
    public let kernel: [Double]

    public init(scale: Int) {
        let w = 3 * scale
        self.scale = scale
        side = w
        var k = [Double](repeating: 0, count: w * w * w * w)
        for dc in 0..<w { for dr in 0..<w { k[((dr + w * dc) * w + dr) * w + dc] = 1 } }
        kernel = k
    }

    /// B plus the mean of the detail patches (`details`: the P-channel NHWC map on the grid,
    /// row i, column j at (i·columnCount + j)·P) over each pixel.
    public func apply<T: BLASScalar>(details: [T], grid: PatchGrid, midRes b: Plane,
                                     workspace: Workspace<T> = Workspace<T>()) -> Plane {
        precondition(grid.scale == scale && grid.width == b.width && grid.height == b.height, "grid of another image")
        precondition(details.count == grid.count * side * side, "details are not the grid's P maps")
        guard grid.count > 0 else { return b }
        let sums = spread(details, grid: grid, workspace: workspace)
        let counts = spread([T](repeating: 1, count: details.count), grid: grid, workspace: workspace)
        var out = b
        for (i, n) in counts.values.enumerated() where n > 0 { out.values[i] += sums.values[i] / n }
        return out
    }

    /// How many patches cover each pixel (0 on the uncovered border; 9 in the interior).
    public func coverage(grid: PatchGrid) -> Plane {
        spread([Double](repeating: 1, count: grid.count * side * side), grid: grid, workspace: Workspace<Double>())
    }

    /// The transposed convolution of a P-channel grid map, placed on the H×W image: grid position
    /// (i, j) stamps its patch at corner (s·(1 + i), s·(1 + j)). ConvNet's transposed convolution
    /// returns exactly s times its input's size, so the map gets ⌈(w − s)/s⌉ = 2 zero rows and
    /// columns below and right, for the last patches' overhang.
    func spread<T: BLASScalar>(_ map: [T], grid: PatchGrid, workspace: Workspace<T>) -> Plane {
        let s = scale, p = side * side, extra = (side - s + s - 1) / s
        let rows = grid.rowCount + extra, columns = grid.columnCount + extra
        var input = [T](repeating: 0, count: rows * columns * p)
        for i in 0..<grid.rowCount {
            let from = i * grid.columnCount * p
            input.replaceSubrange((i * columns * p)..<((i * columns + grid.columnCount) * p),
                                  with: map[from..<(from + grid.columnCount * p)])
        }
        var stamped = [T](repeating: 0, count: rows * s * columns * s)
        let weights = kernel.map { T($0) }
        stamped.withUnsafeMutableBufferPointer { y in
            input.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { w in
                    conv2dTransposeForward(output: y.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!, bias: nil,
                                           batch: 1, inChannels: p, outChannels: 1, height: rows, width: columns,
                                           kernel: side, stride: s, padding: 0, workspace: workspace)
                }
            }
        }
        // Stamped pixel (u, v) is image pixel (s + u, s + v); it reaches the image's last covered row.
        var out = Plane(width: grid.width, height: grid.height)
        for u in 0..<(rows * s) where s + u < grid.height {
            for v in 0..<(columns * s) where s + v < grid.width {
                out[s + v, s + u] = Double(stamped[u * columns * s + v])
            }
        }
        return out
    }
}
