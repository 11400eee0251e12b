import SeededRandom
import Foundation
import Imaging
import LinearAlgebra

public enum DictionaryTrainingError: Error, CustomStringConvertible, Equatable {
    case noImages(source: String)
    case tooFewPatches(kept: Int, sampled: Int, needed: Int, threshold: Double)
    case checkpointMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case .noImages(let source): return "\(source): no training images"
        case .tooFewPatches(let kept, let sampled, let needed, let threshold):
            return "only \(kept) of \(sampled) sampled patch pairs have HR variance above \(threshold) (0–255 scale); training \(needed) atoms needs at least \(needed). Sample more patches or use more images."
        case .checkpointMismatch(let path, let reason): return "\(path): cannot resume from this checkpoint: \(reason)"
        }
    }
}

/// Coupled training data: column n of `high` is a mean-free HR patch (p², 0–255 scale) and
/// column n of `low` the four feature patches of the mid-resolution image at the same place (4p²).
public struct TrainingPairs: Sendable {
    public var high: Matrix<Double>
    public var low: Matrix<Double>
    public var count: Int { high.columns }
    /// How many pairs were drawn before pruning.
    public var sampled: Int

    /// Random patch pairs from HR Y planes (8-bit scale), as the release's `rnd_smp_patch.m`: the
    /// total spread over images in proportion to their area (floor), LR = bicubic 1/s then bicubic
    /// back to the HR size, features of that mid-res image, HR patch minus its mean.
    ///
    /// Note: departures from the release. Y of `rgb2ycbcr` (what is evaluated) rather than
    /// `rgb2gray`; the image is modcropped to a multiple of s and LR is not rounded to 8 bits (the
    /// evaluation protocol's LR); positions are drawn uniformly without repeats over the whole
    /// valid area (the release takes the first n of a meshgrid of shuffled rows and columns, which
    /// bunches them into a few rows); the generator is xoshiro256** seeded with `seed`.
    public static func sample(images: [Plane], scale: Int, patchSize p: Int = 5, count: Int,
                              seed: UInt64) -> TrainingPairs {
        var rng = Xoshiro256(seed: seed)
        let cropped = images.map { image -> Plane in
            image.cropped(x: 0, y: 0, width: image.width - image.width % scale, height: image.height - image.height % scale)
        }
        let areas = cropped.map { Double($0.width * $0.height) }
        let total = areas.reduce(0, +)
        var highValues: [Double] = [], lowValues: [Double] = []
        highValues.reserveCapacity(count * p * p); lowValues.reserveCapacity(count * 4 * p * p)
        var patch = [Double](repeating: 0, count: p * p)
        var feature = [Double](repeating: 0, count: 4 * p * p)
        for (index, hr) in cropped.enumerated() {
            let wanted = Int((areas[index] * Double(count) / total).rounded(.down))
            // 1-based rows p+1 … nrow−p−1 in the release: p pixels clear of every border.
            let xRange = p..<(hr.width - p - 1), yRange = p..<(hr.height - p - 1)
            guard wanted > 0, !xRange.isEmpty, !yRange.isEmpty else { continue }
            let low = Resize.bicubic(hr, scale: 1 / Double(scale))
            let mid = Resize.bicubic(low, width: hr.width, height: hr.height)
            let features = Features.extract(mid)
            let positions = xRange.count * yRange.count
            let take = min(wanted, positions)
            // Partial Fisher–Yates over position indices: `take` distinct positions.
            var order = Array(0..<positions)
            for i in 0..<take {
                let j = i + Int(rng.next() % UInt64(positions - i))
                order.swapAt(i, j)
            }
            for i in 0..<take {
                let x = xRange.lowerBound + order[i] % xRange.count, y = yRange.lowerBound + order[i] / xRange.count
                Patches.extract(hr, x: x, y: y, size: p, into: &patch, offset: 0)
                let mean = patch.reduce(0, +) / Double(p * p)
                highValues.append(contentsOf: patch.map { $0 - mean })
                for f in 0..<4 { Patches.extract(features[f], x: x, y: y, size: p, into: &feature, offset: f * p * p) }
                lowValues.append(contentsOf: feature)
            }
        }
        let n = highValues.count / (p * p)
        return TrainingPairs(high: Matrix(rows: p * p, columns: n, elements: highValues),
                             low: Matrix(rows: 4 * p * p, columns: n, elements: lowValues), sampled: n)
    }

    /// Keeps pairs whose HR patch variance (MATLAB `var`, n − 1 normalisation) exceeds `threshold`
    /// (`patch_pruning.m`, 10 on the 0–255 scale): flat patches teach nothing.
    public func pruned(varianceThreshold threshold: Double = 10) -> TrainingPairs {
        let d = high.rows
        var keep: [Int] = []
        for n in 0..<count {
            var sum = 0.0, squares = 0.0
            for r in 0..<d { let v = high[r, n]; sum += v; squares += v * v }
            let variance = (squares - sum * sum / Double(d)) / Double(d - 1)
            if variance > threshold { keep.append(n) }
        }
        return TrainingPairs(high: high.columns(keep), low: low.columns(keep), sampled: sampled)
    }

    /// The joint training signals of `train_coupled_dict.m`: drop pairs with a zero part,
    /// normalise each part, stack [√(p²)·Xh ; √(4p²)·Xl] and normalise the stack (dropping any
    /// with norm ≤ 1e-5).
    public func jointSignals() -> Matrix<Double> {
        let dh = high.rows, dl = low.rows, d = dh + dl
        var out: [Double] = []
        out.reserveCapacity(count * d)
        var column = [Double](repeating: 0, count: d)
        for n in 0..<count {
            var hNorm = 0.0, lNorm = 0.0
            for r in 0..<dh { hNorm += high[r, n] * high[r, n] }
            for r in 0..<dl { lNorm += low[r, n] * low[r, n] }
            guard hNorm > 0, lNorm > 0 else { continue }
            let hs = Double(dh).squareRoot() / hNorm.squareRoot(), ls = Double(dl).squareRoot() / lNorm.squareRoot()
            var norm = 0.0
            for r in 0..<dh { column[r] = high[r, n] * hs; norm += column[r] * column[r] }
            for r in 0..<dl { column[dh + r] = low[r, n] * ls; norm += column[dh + r] * column[dh + r] }
            norm = norm.squareRoot()
            guard norm > 1e-5 else { continue }
            out.append(contentsOf: column.map { $0 / norm })
        }
        return Matrix(rows: d, columns: out.count / d, elements: out)
    }
}
