import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// Sparse-coding super-resolution: J. Yang, J. Wright, T. S. Huang, Y. Ma, "Image Super-Resolution
/// via Sparse Representation", IEEE Trans. Image Processing 19(11), 2010 — as the authors' MATLAB
/// release (`ScSR.m`, `backprojection.m`) runs it.
///
/// Per image (Y only, on the release's 0–255 scale internally): mid-res = bicubic upscale of the
/// LR; the four gradient features of mid-res (`Features`); 5×5 patches on the release's grid
/// (`Patches.grid`, stride p − overlap = 1, 2 pixels from the top/left border, 3 from the
/// bottom/right, last row/column of patches counted twice as the release's grid lists it twice);
/// per patch: feature vector y (100-dim) divided by its norm when that exceeds 1, w = argmin
/// ½‖Dl w − y‖² + λ‖w‖₁ on the column-normalised Dl, hr = Dh w scaled to 1.2 × the norm of the
/// mean-free mid-res patch, plus the mid-res patch mean; overlaps averaged, uncovered pixels keep
/// mid-res; finally 20 iterations of back-projection (`BackProjection`).
///
/// Note: departures from the release.
/// - Solver: the lasso homotopy (`LassoHomotopy`) by default instead of feature-sign search; both reach
///   the same minimiser (tests check the objective), `FeatureSign` can be passed in.
/// - Precision: Double throughout; the release casts mid-res to single.
/// - Input: the SR protocol's LR is not rounded, so mid-res is not rounded to 8 bits either; the
///   release's demo feeds uint8 Y, making `imresize` round mid-res. `roundMidResolution`
///   reproduces that for the demo comparison.
/// - Scales other than 2 use dictionaries trained for that scale (`DictionaryTrainer`); the release
///   ships x2 dictionaries only.
public struct ScSR: SuperResolver {
    public struct Options: Sendable, Equatable {
        /// λ of the inference lasso (the release's demo uses 0.2).
        public var lambda = 0.2
        public var overlap = 4
        public var backProjectionIterations = 20
        /// hr patches are scaled to this multiple of the mid-res patch's (mean-free) norm.
        public var contrastGain = 1.2
        /// Round mid-res to 8 bits as MATLAB's imresize does on uint8 input (release demo only).
        public var roundMidResolution = false
        /// Patches coded per solver call; bounds memory (100 doubles per patch).
        public var block = 16384

        public init(lambda: Double = 0.2, overlap: Int = 4, backProjectionIterations: Int = 20,
                    roundMidResolution: Bool = false) {
            self.lambda = lambda
            self.overlap = overlap
            self.backProjectionIterations = backProjectionIterations
            self.roundMidResolution = roundMidResolution
        }
    }

    public let dictionary: CoupledDictionary
    public let options: Options
    public let solver: any SparseSolver
    /// The dictionary file, for error messages (nil if built in memory).
    public var modelPath: String?
    /// Dl with unit-norm columns, as `ScSR.m` normalises it before coding.
    let lowCoding: CodingDictionary

    public var name: String { "sc" }
    /// The factor the dictionary was trained for.
    public var scale: Int { dictionary.metadata.scale }

    public init(dictionary: CoupledDictionary, options: Options = Options(), solver: any SparseSolver = LassoHomotopy()) {
        precondition(options.overlap >= 0 && options.overlap < dictionary.metadata.patchSize, "overlap must be below the patch size")
        self.dictionary = dictionary
        self.options = options
        self.solver = solver
        var low = dictionary.low
        for j in 0..<low.columns {
            var norm = 0.0
            for i in 0..<low.rows { norm += low[i, j] * low[i, j] }
            norm = norm.squareRoot()
            if norm > 0 { for i in 0..<low.rows { low[i, j] /= norm } }
        }
        lowCoding = CodingDictionary(low)
    }

    /// Reads a dictionary file (a dictionary that does not state its scale is refused, see
    /// `CoupledDictionary.init(file:path:)`) and checks that its patches are larger than the
    /// overlap; errors name `path`. The registry in Methods checks the file's kind and scale first.
    public init(file: SafeTensorsFile, path: String, options: Options = Options(),
                solver: any SparseSolver = LassoHomotopy()) throws {
        let dictionary = try CoupledDictionary(file: file, path: path)
        let p = dictionary.metadata.patchSize
        guard options.overlap >= 0, options.overlap < p else {
            throw DictionaryError.wrongShape(path: path, reason: "its \(p)×\(p) patches are too small for the patch overlap of \(options.overlap)")
        }
        self.init(dictionary: dictionary, options: options, solver: solver)
        modelPath = path
    }

    public func upscale(lowRes: Plane) -> Plane {
        upscale(lowRes: lowRes, progress: nil)
    }

    /// `progress` counts the patches coded (back-projection, a small part, is not counted).
    public func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane {
        let low255 = lowRes.map { $0 * 255 }
        var mid = Resize.bicubic(low255, scale: Double(scale))
        if options.roundMidResolution { mid = mid.map { min(255, max(0, $0.rounded())) } }
        var estimate = sparseReconstruction(midRes: mid, progress: progress)
        if options.backProjectionIterations > 0 {
            estimate = BackProjection.apply(estimate, lowRes: low255, iterations: options.backProjectionIterations)
        }
        return estimate.map { $0 / 255 }
    }

    /// Every patch of the release's grid over the mid-resolution image (0–255 scale): its
    /// top-left corner and weight (multiplicity in the grid), its feature vector (a column of
    /// `features`, divided by its norm when that exceeds 1), and the mean and mean-free norm of the
    /// mid-res patch itself.
    public struct PatchSignals: Sendable {
        public var positions: [(x: Int, y: Int, weight: Double)]
        public var features: Matrix<Double>
        public var means: [Double]
        public var norms: [Double]
    }

    public func patchSignals(midRes mid: Plane) -> PatchSignals {
        let p = dictionary.metadata.patchSize
        let xs = Patches.grid(length: mid.width, patchSize: p, overlap: options.overlap)
        let ys = Patches.grid(length: mid.height, patchSize: p, overlap: options.overlap)
        var positions: [(x: Int, y: Int, weight: Double)] = []
        positions.reserveCapacity(xs.count * ys.count)
        for x in xs { for y in ys { positions.append((x.position, y.position, Double(x.weight * y.weight))) } }
        return patchSignals(midRes: mid, features: Features.extract(mid), positions: positions)
    }

    func patchSignals(midRes mid: Plane, features: [Plane], positions: [(x: Int, y: Int, weight: Double)]) -> PatchSignals {
        let p = dictionary.metadata.patchSize, area = p * p, dimension = Features.count * area
        let n = positions.count
        var signals = [Double](repeating: 0, count: dimension * n)
        var means = [Double](repeating: 0, count: n)
        var norms = [Double](repeating: 0, count: n)
        var patch = [Double](repeating: 0, count: area)
        for i in 0..<n {
            let (x, y, _) = positions[i]
            for f in 0..<Features.count {
                Patches.extract(features[f], x: x, y: y, size: p, into: &signals, offset: i * dimension + f * area)
            }
            var featureNorm = 0.0
            for q in (i * dimension)..<((i + 1) * dimension) { featureNorm += signals[q] * signals[q] }
            featureNorm = featureNorm.squareRoot()
            if featureNorm > 1 { for q in (i * dimension)..<((i + 1) * dimension) { signals[q] /= featureNorm } }
            Patches.extract(mid, x: x, y: y, size: p, into: &patch, offset: 0)
            let mean = patch.reduce(0, +) / Double(area)
            means[i] = mean
            norms[i] = patch.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }.squareRoot()
        }
        return PatchSignals(positions: positions, features: Matrix(rows: dimension, columns: n, elements: signals),
                            means: means, norms: norms)
    }

    /// The patch-by-patch estimate from the mid-resolution image (0–255 scale), before
    /// back-projection.
    public func sparseReconstruction(midRes mid: Plane, progress: ProgressHook? = nil) -> Plane {
        let p = dictionary.metadata.patchSize, area = p * p
        let xs = Patches.grid(length: mid.width, patchSize: p, overlap: options.overlap)
        let ys = Patches.grid(length: mid.height, patchSize: p, overlap: options.overlap)
        var positions: [(x: Int, y: Int, weight: Double)] = []
        positions.reserveCapacity(xs.count * ys.count)
        for x in xs { for y in ys { positions.append((x.position, y.position, Double(x.weight * y.weight))) } }
        let features = Features.extract(mid)
        var sum = Plane(width: mid.width, height: mid.height)
        var count = Plane(width: mid.width, height: mid.height)
        let high = dictionary.high
        let counter = WorkCounter(total: positions.count, hook: progress)
        var start = 0
        while start < positions.count {
            let end = min(positions.count, start + options.block)
            let block = patchSignals(midRes: mid, features: features, positions: Array(positions[start..<end]))
            let codes = solver.encode(block.features, dictionary: lowCoding, lambda: options.lambda)
            var hr = [Double](repeating: 0, count: area)
            for i in 0..<(end - start) {
                for q in 0..<area { hr[q] = 0 }
                for z in codes.starts[i]..<codes.starts[i + 1] {
                    let atom = Int(codes.indices[z]), w = codes.values[z]
                    for q in 0..<area { hr[q] += w * high.elements[atom * area + q] }
                }
                let hrNorm = hr.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let gain = hrNorm > 0 ? options.contrastGain * block.norms[i] / hrNorm : 1
                for q in 0..<area { hr[q] = hr[q] * gain + block.means[i] }
                let (x, y, weight) = block.positions[i]
                hr.withUnsafeBufferPointer {
                    Patches.accumulate($0.baseAddress!, x: x, y: y, size: p, weight: weight, sum: &sum, count: &count)
                }
            }
            counter?.add(end - start)
            start = end
        }
        return Patches.average(sum: sum, count: count, fallback: mid)
    }
}
