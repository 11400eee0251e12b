import Foundation
import ExampleBased
import Imaging
import LinearAlgebra

/// Training samples on Zeyde's front end, as the release's `learn_dict.m` / `collect.m` and
/// `collectSamplesScales.m` make them from HR Y images: modcrop to s, degrade by MATLAB bicubic
/// 1/s, re-upscale by s (B, the mid-res image: `upsample_factor` = s, so it is also the
/// interpolated image), then per patch of the grid the raw feature of B (`ZeydeFeatures`) and the
/// HR-minus-B patch (column-major w×w, w = 3s). Images are taken in the given order, patches
/// column-major over each image's grid.
public enum TrainingSamples {
    /// One image's samples: raw (F × n) or PCA (d × n) features and HR detail patches (P × n).
    public struct Pairs: Sendable {
        public var features: Matrix<Double>
        public var patches: Matrix<Double>
        public var count: Int { features.columns }
    }

    /// The samples of one HR image at `scale`, on the grid of `step` LR pixels.
    public static func pairs(highRes: Plane, scale s: Int, step: Int, filters: [[Double]]) -> Pairs {
        let hr = highRes.modcropped(s)
        let low = Resize.bicubic(hr, scale: 1 / Double(s))
        let mid = Resize.bicubic(low, scale: Double(s))
        let grid = PatchGrid(width: mid.width, height: mid.height, scale: s, step: step)
        let w = 3 * s, f = 4 * w * w, p = w * w
        var features = Matrix<Double>(rows: f, columns: grid.count)
        var patches = Matrix<Double>(rows: p, columns: grid.count)
        guard grid.count > 0 else { return Pairs(features: features, patches: patches) }
        let images = ZeydeFeatures.filteredColumnMajor(mid, filters: filters, as: Double.self)
        images.withUnsafeBufferPointer { i in
            features.elements.withUnsafeMutableBufferPointer {
                ZeydeFeatures.raw(i.baseAddress!, grid: grid, first: 0, count: grid.count, into: $0.baseAddress!)
            }
        }
        // HR minus B, column-major like the filtered images, cut on the same grid.
        var detail = [Double](repeating: 0, count: hr.width * hr.height)
        for r in 0..<hr.height { for c in 0..<hr.width { detail[r + hr.height * c] = hr[c, r] - mid[c, r] } }
        patches.elements.withUnsafeMutableBufferPointer { out in
            detail.withUnsafeBufferPointer { x in
                for n in 0..<grid.count {
                    let (r, c) = grid.corner(n)
                    for dc in 0..<w {
                        (out.baseAddress! + n * p + w * dc).update(from: x.baseAddress! + r + hr.height * (c + dc), count: w)
                    }
                }
            }
        }
        return Pairs(features: features, patches: patches)
    }

    /// `pairs` for every image (in parallel, results in image order), concatenated: the samples
    /// `learn_dict.m` trains the dictionary on (step 2: the release's overlap [1, 1] "for faster
    /// training").
    public static func collect(images: [Plane], scale: Int, step: Int, filters: [[Double]]) -> Pairs {
        let each = parallelMap(images) { pairs(highRes: $0, scale: scale, step: step, filters: filters) }
        return concatenate(each)
    }

    static func concatenate(_ parts: [Pairs]) -> Pairs {
        let f = parts.first?.features.rows ?? 0, p = parts.first?.patches.rows ?? 0
        let total = parts.reduce(0) { $0 + $1.count }
        var features = [Double](), patches = [Double]()
        features.reserveCapacity(f * total)
        patches.reserveCapacity(p * total)
        for part in parts {
            features += part.features.elements
            patches += part.patches.elements
        }
        return Pairs(features: Matrix(rows: f, columns: total, elements: features),
                     patches: Matrix(rows: p, columns: total, elements: patches))
    }

    /// Runs `body` on every element on all cores (OpenBLAS on one thread inside), in order.
    static func parallelMap<T, R>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] {
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let out = results
        nonisolated(unsafe) let input = items
        BLASThreads.with(1) {
            DispatchQueue.concurrentPerform(iterations: items.count) { out[$0] = body(input[$0]) }
        }
        return results.map { $0! }
    }
}

/// A+'s sample pool (`collectSamplesScales.m` with 12 scales of factor 0.98): for level
/// i = 0…11 every image is first resized by MATLAB bicubic to 0.98^i (level 0 is the image
/// itself: `imresize` by 1 returns it), then treated as above on the test grid (step 1, the
/// release's overlap [2, 2]); features are projected on V_pca at once. Samples are appended level
/// after level, image after image, and collection stops once `limit` are in hand (the release
/// keeps the first 5,000,000 columns).
public struct SamplePyramid: Sendable {
    /// PCA features (d × N) and HR detail patches (P × N), in single precision (the release's
    /// samples are single; 5 M of them take 2 GB even so).
    public var features: [Float]
    public var patches: [Float]
    public let pcaDimension: Int
    public let patchLength: Int
    public var count: Int { features.count / pcaDimension }
    /// Samples the pyramid holds in all (the pool before the cut, when collection went that far).
    public var available: Int
    /// Levels collected (all 12 unless the limit was reached earlier).
    public var levelsCollected: Int

    public static let levels = 12
    public static let levelFactor = 0.98

    /// Collects the pool; `limit` nil keeps every sample. `progress(level, samples)` after each level.
    public static func collect(images: [Plane], configuration c: ZeydeConfiguration, limit: Int?,
                               levels: Int = SamplePyramid.levels, factor: Double = SamplePyramid.levelFactor,
                               progress: (Int, Int) -> Void = { _, _ in }) -> SamplePyramid {
        let d = c.pcaDimension, p = c.patchLength
        var pool = SamplePyramid(features: [], patches: [], pcaDimension: d, patchLength: p, available: 0, levelsCollected: 0)
        let pca = c.pca, scale = c.scale, filters = c.filters
        for level in 0..<levels {
            let size = Foundation.pow(factor, Double(level))
            let each = TrainingSamples.parallelMap(images) { image -> (features: [Float], patches: [Float]) in
                let resized = level == 0 ? image : Resize.bicubic(image, scale: size)
                let raw = TrainingSamples.pairs(highRes: resized, scale: scale, step: 1, filters: filters)
                let projected = matmul(pca, transposeA: true, raw.features)
                return (projected.elements.map(Float.init), raw.patches.elements.map(Float.init))
            }
            for part in each {
                pool.available += part.features.count / d
                if let limit, pool.count >= limit { continue }
                let take = min(part.features.count / d, limit.map { $0 - pool.count } ?? .max)
                pool.features += part.features.prefix(take * d)
                pool.patches += part.patches.prefix(take * p)
            }
            pool.levelsCollected = level + 1
            progress(level, pool.count)
            if let limit, pool.count >= limit { break }
        }
        return pool
    }
}
