import Dispatch
import Imaging
import LinearAlgebra

/// The release's patch grid on a mid-res (bicubic) image of H×W pixels at scale s: w×w patches
/// (w = 3s) with top-left corners r, c ∈ {s, 2s, …, H−4s} (resp. W−4s), i.e. a border of s and a
/// stride of s HR pixels. Patches are numbered column-major over the grid (r fastest), as the
/// release orders them; results do not depend on the order.
///
/// `step` (in LR pixels) is the release's `window − overlap`: 1 at test time and for A+'s
/// samples (overlap [2, 2]), 2 for the samples K-SVD learns the dictionary from (overlap [1, 1]).
public struct PatchGrid: Sendable, Equatable {
    public let scale: Int
    public let width: Int
    public let height: Int
    /// LR pixels between neighbouring patches.
    public let step: Int
    /// Patch positions down and across.
    public let rowCount: Int
    public let columnCount: Int

    public init(width: Int, height: Int, scale: Int, step: Int = 1) {
        precondition(step >= 1, "PatchGrid: step must be positive")
        self.scale = scale
        self.width = width
        self.height = height
        self.step = step
        // Corners s, s + step·s, … up to H − 4s (MATLAB's 1+border : skip : H−window+1−border).
        func count(_ length: Int) -> Int { length < 5 * scale ? 0 : (length - 5 * scale) / (step * scale) + 1 }
        rowCount = count(height)
        columnCount = count(width)
    }

    public var count: Int { rowCount * columnCount }
    public var patchSide: Int { 3 * scale }

    /// Top-left (row, column) of patch `index`.
    @inlinable public func corner(_ index: Int) -> (row: Int, column: Int) {
        (scale * (1 + step * (index % rowCount)), scale * (1 + step * (index / rowCount)))
    }
}

/// Zeyde et al.'s features: the bicubic image filtered by the four kernels of the configuration,
/// each w×w window flattened column-major, the four blocks concatenated (length F = 4w²).
public enum ZeydeFeatures {
    /// MATLAB `conv2(image, h, 'same')` for a 1-D kernel along rows (`h` a row vector: it moves the
    /// column index) or down columns: a true convolution (the kernel flipped) with zero padding,
    /// keeping full-convolution samples from ⌊m/2⌋ on, so y[i] = Σₖ h[k]·x[i + ⌊m/2⌋ − k].
    public static func conv2Same(_ image: Plane, kernel: [Double], alongRows: Bool) -> Plane {
        let half = kernel.count / 2
        // The taps that are not zero, as (offset of the input sample from i, weight).
        let taps = kernel.indices.filter { kernel[$0] != 0 }.map { (offset: half - $0, weight: kernel[$0]) }
        let reach = taps.map { abs($0.offset) }.max() ?? 0
        var out = Plane(width: image.width, height: image.height)
        let (n, other) = alongRows ? (image.width, image.height) : (image.height, image.width)
        image.values.withUnsafeBufferPointer { x in
            out.values.withUnsafeMutableBufferPointer { y in
                for line in 0..<other {
                    // Element i of this line is at base + i·stride.
                    let (base, stride) = alongRows ? (line * image.width, 1) : (line, image.width)
                    for i in 0..<n {
                        var sum = 0.0
                        if i >= reach && i < n - reach {
                            for t in taps { sum += t.weight * x[base + (i + t.offset) * stride] }
                        } else {
                            for t in taps where i + t.offset >= 0 && i + t.offset < n {
                                sum += t.weight * x[base + (i + t.offset) * stride]
                            }
                        }
                        y[base + i * stride] = sum
                    }
                }
            }
        }
        return out
    }

    /// The four filtered images, in feature order.
    public static func filtered(_ midRes: Plane, filters: [[Double]]) -> [Plane] {
        filters.enumerated().map { conv2Same(midRes, kernel: $0.element, alongRows: $0.offset % 2 == 0) }
    }

    /// The filtered images in the method's precision and column-major (a patch's column is then
    /// contiguous), one after another: image f's pixel (row r, column c) at f·H·W + r + H·c.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func columnMajor<T: BLASScalar>(_ filtered: [Plane], as: T.Type) -> [T] {
        guard let first = filtered.first else { return [] }
        let (h, w) = (first.height, first.width)
        var out = [T](repeating: 0, count: filtered.count * h * w)
        out.withUnsafeMutableBufferPointer { o in
            for (f, image) in filtered.enumerated() {
                image.values.withUnsafeBufferPointer { x in
                    let base = o.baseAddress! + f * h * w
                    for r in 0..<h { for c in 0..<w { base[r + h * c] = T(x[r * w + c]) } }
                }
            }
        }
        return out
    }

    /// `columnMajor(filtered(midRes, filters:))` without the row-major planes between, one filter
    /// per core: the same sums in the same tap order (so equal bit for bit), but every loop runs
    /// along contiguous memory, where `conv2Same` walks a column filter down strided pixels.
    public static func filteredColumnMajor<T: BLASScalar>(_ midRes: Plane, filters: [[Double]], as: T.Type) -> [T] {
        let (h, w) = (midRes.height, midRes.width)
        var image = [Double](repeating: 0, count: h * w) // B column-major
        midRes.values.withUnsafeBufferPointer { x in
            for r in 0..<h { for c in 0..<w { image[r + h * c] = x[r * w + c] } }
        }
        let plane = h * w
        return [T](unsafeUninitializedCapacity: filters.count * plane) { out, initialized in
            nonisolated(unsafe) let output = out.baseAddress!
            image.withUnsafeBufferPointer { b in
                nonisolated(unsafe) let source = b.baseAddress!
                DispatchQueue.concurrentPerform(iterations: filters.count) { f in
                    filterColumnMajor(source, height: h, width: w, kernel: filters[f], alongRows: f % 2 == 0,
                                      into: output + f * plane)
                }
            }
            initialized = filters.count * plane
        }
    }

    /// `conv2Same` on a column-major image into a column-major plane: per pixel, a sum from 0 over
    /// the taps in kernel order that fall inside the image, as `conv2Same` forms it.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func filterColumnMajor<T: BLASScalar>(_ x: UnsafePointer<Double>, height h: Int, width w: Int,
                                                 kernel: [Double], alongRows: Bool, into y: UnsafeMutablePointer<T>) {
        let half = kernel.count / 2
        let taps = kernel.indices.filter { kernel[$0] != 0 }.map { (offset: half - $0, weight: kernel[$0]) }
        let sum = UnsafeMutablePointer<Double>.allocate(capacity: h)
        defer { sum.deallocate() }
        for c in 0..<w {
            sum.initialize(repeating: 0, count: h)
            for t in taps {
                if alongRows {
                    // Row kernel: whole neighbouring columns, or none past the left/right edge.
                    let from = c + t.offset
                    guard from >= 0 && from < w else { continue }
                    let column = x + h * from
                    for r in 0..<h { sum[r] += t.weight * column[r] }
                } else {
                    // Column kernel: the rows of this column whose neighbour lies inside.
                    let column = x + h * c + t.offset
                    for r in max(0, -t.offset)..<min(h, h - t.offset) { sum[r] += t.weight * column[r] }
                }
            }
            let out = y + h * c
            for r in 0..<h { out[r] = T(sum[r]) }
        }
    }

    /// Raw features of patches `first..<first + count` of `grid`, as the columns of an F × count
    /// column-major buffer, from `columnMajor` filtered images.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func raw<T: BLASScalar>(_ images: UnsafePointer<T>, grid: PatchGrid, first: Int, count: Int,
                                          into out: UnsafeMutablePointer<T>) {
        let w = grid.patchSide, block = w * w, length = 4 * block, plane = grid.width * grid.height
        for n in 0..<count {
            let (r, c) = grid.corner(first + n)
            for f in 0..<4 {
                let source = images + f * plane + r + grid.height * c
                let column = out + n * length + f * block
                // A plain loop: a memmove call per 3s-value column cost more than the copy.
                for dc in 0..<w {
                    let from = source + grid.height * dc, to = column + w * dc
                    for i in 0..<w { to[i] = from[i] }
                }
            }
        }
    }

    /// Raw features of every patch as an F × N matrix (for tests and small images).
    public static func raw<T: BLASScalar>(_ midRes: Plane, configuration: ZeydeConfiguration, as: T.Type = Double.self) -> Matrix<T> {
        let grid = PatchGrid(width: midRes.width, height: midRes.height, scale: configuration.scale)
        let images = columnMajor(filtered(midRes, filters: configuration.filters), as: T.self)
        var x = Matrix<T>(rows: configuration.featureLength, columns: grid.count)
        images.withUnsafeBufferPointer { i in
            x.elements.withUnsafeMutableBufferPointer { raw(i.baseAddress!, grid: grid, first: 0, count: grid.count, into: $0.baseAddress!) }
        }
        return x
    }

    /// f = V_pcaᵀ·x for each column of `x` (no mean removal, no normalisation).
    public static func project<T: BLASScalar>(_ x: Matrix<T>, pca: Matrix<T>) -> Matrix<T> {
        matmul(pca, transposeA: true, x)
    }

    public static func project(_ x: Matrix<Double>, configuration: ZeydeConfiguration) -> Matrix<Double> {
        project(x, pca: configuration.pca)
    }
}

/// Step 7 of the recipe: each HR patch is its detail plus the w×w window of the bicubic image B;
/// every covered pixel is the plain mean of the patch values over it; pixels no patch covers (the
/// outer s) keep B.
public struct OverlapAdd {
    public let grid: PatchGrid
    private var sum: [Double]
    private var count: [Int32]

    public init(grid: PatchGrid) {
        self.grid = grid
        sum = [Double](repeating: 0, count: grid.width * grid.height)
        count = [Int32](repeating: 0, count: grid.width * grid.height)
    }

    /// Adds the details (P × n, column-major patches) of patches `first..<first + n`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func add<T: BLASScalar>(details: UnsafePointer<T>, first: Int, count n: Int) {
        let w = grid.patchSide, width = grid.width
        sum.withUnsafeMutableBufferPointer { s in
            count.withUnsafeMutableBufferPointer { k in
                for p in 0..<n {
                    let (r, c) = grid.corner(first + p)
                    let detail = details + p * w * w
                    for dc in 0..<w {
                        for dr in 0..<w {
                            let at = (r + dr) * width + c + dc
                            s[at] += Double(detail[dr + w * dc])
                            k[at] += 1
                        }
                    }
                }
            }
        }
    }

    /// `add` of every patch of the grid, the image's columns split among `parts` workers. A pixel
    /// still receives its patches in patch order, so the sums are `add`'s to the bit.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public mutating func addAll<T: BLASScalar>(details: UnsafePointer<T>, parts: Int = 2) {
        let grid = self.grid, w = grid.patchSide, width = grid.width, rows = grid.rowCount
        let bounds = (0...parts).map { $0 * width / parts }
        nonisolated(unsafe) let details = details
        sum.withUnsafeMutableBufferPointer { s in
            count.withUnsafeMutableBufferPointer { k in
                nonisolated(unsafe) let s = s.baseAddress!, k = k.baseAddress!
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    for gridColumn in 0..<grid.columnCount {
                        let c = grid.corner(rows * gridColumn).column
                        let from = max(0, bounds[part] - c), to = min(w, bounds[part + 1] - c)
                        guard from < to else { continue }
                        let columns = from..<to
                        for p in (rows * gridColumn)..<(rows * (gridColumn + 1)) {
                            let r = grid.corner(p).row
                            let detail = details + p * w * w
                            for dc in columns {
                                for dr in 0..<w {
                                    let at = (r + dr) * width + c + dc
                                    s[at] += Double(detail[dr + w * dc])
                                    k[at] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// B plus the mean detail over each pixel (the mean of detail + B, which is B + mean detail).
    public func result(midRes: Plane) -> Plane {
        var out = midRes
        for i in out.values.indices where count[i] > 0 {
            out.values[i] += sum[i] / Double(count[i])
        }
        return out
    }
}
