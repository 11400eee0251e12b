import Foundation
import ConvNet
import Imaging
import LinearAlgebra
import SparseCoding

/// SRCNN (Dong, Loy, He, Tang, ECCV 2014 / TPAMI 2016), Section 3.2, "Relationship to sparse-coding-
/// based methods": "the sparse-coding-based SR method can be viewed as a convolutional neural
/// network" — patch extraction and representation is a convolution with n1 filters (the LR atoms
/// applied to the patch features), the non-linear mapping is the sparse coding solver, and the
/// reconstruction is a convolution with the HR atoms followed by the averaging of overlapping
/// patches. This file makes that claim executable: built from a `CoupledDictionary`, it runs Yang
/// et al.'s pipeline (`ScSR.sparseReconstruction` with the `ISTA` solver) through ConvNet's
/// `conv2dForward`, and `EquivalenceCheck` measures the two against each other pixel by pixel.
///
/// Layers (H × W mid-res image on the 0–255 scale, p = 5, K atoms; outputs indexed by a patch's
/// top-left corner, (H − p + 1) × (W − p + 1)):
/// 1. features + LR atoms: the image zero-padded by 2, one (p + 4)×(p + 4) = 9×9 convolution with
///    K filters, each the composition of the four gradient filters with one atom's feature
///    patches (`ComposedFilters.layerOne`): output Dlᵀ·features(patch) for every patch at once.
///    Side paths, also convolutions: the four feature maps squared and box-summed (the feature
///    norm), the p×p box sum of the image and of its square (patch mean and mean-free norm).
/// 2. the non-linear mapping: b = layer-1 output / (L · max(1, feature norm)) (the pipeline's
///    "divide by the norm when it exceeds 1" as a per-pixel scale), w = soft(b, λ/L), then
///    `iterations − 1` times w = soft(S ⊛ w + b, λ/L) with S = I − DlᵀDl/L a 1×1 convolution.
/// 3. reconstruction: the per-patch contrast gain 1.2·‖mean-free patch‖ / ‖Dh w‖ (‖Dh w‖ from a
///    1×1 convolution K → p²) times the grid weight as a per-pixel scale of w, then one p×p
///    convolution K → 1 whose filters are the HR atoms (a "full" convolution: each code lays its
///    atom over its patch), plus the box-summed weighted means, divided by the box-summed grid
///    weights (the count map); pixels no patch covers keep mid-res.
///
/// Note: departures from a literal network.
/// - The solver is ISTA with a fixed number of iterations (the pipeline's default is the exact
///   lasso; the comparison runs ISTA on both sides). λ and the ½ convention are the pipeline's.
/// - The 1×1 layers skip input channels that are zero in a block of pixels (`SparsePointwise`): the
///   same convolution without the zero terms, through the same `conv2dForward`. It saves little in
///   the first iterations (with the x3 dictionary ~380 of 1024 codes are active after the first
///   soft-threshold) and more later (~40 at K = 100); each iteration on a 510×510 image is up to
///   ~550 GFLOP in Double.
/// - The rescale by ‖Dh w‖ and the normalisation are per-pixel divisions, not convolutions; the
///   paper's network has neither (they are where SRCNN departs from this pipeline).
/// - The grid weights follow `Patches.grid` (the release's last row/column of patches counted
///   twice), so the count map is not 25 at every interior pixel near the bottom/right border.
public struct SparseCodingNetwork: Sendable {
    public let patchSize: Int
    public let atoms: Int
    public let iterations: Int
    public let lambda: Double
    public let lipschitz: Double
    public let contrastGain: Double
    public let overlap: Int
    /// Dl with unit-norm columns, as `ScSR` codes against.
    public let lowNormalised: Matrix<Double>
    /// HWIO weights (see `ComposedFilters`).
    public let layerOne: [Double]
    public let inhibition: [Double]
    public let highPatch: [Double]
    public let reconstruction: [Double]
    public let gradient: [Double]

    /// Pass the pipeline's λ (0.2) and overlap (4); `lipschitz` nil computes L from Dl.
    public init(dictionary: CoupledDictionary, iterations: Int, lambda: Double = 0.2,
                lipschitz: Double? = nil, contrastGain: Double = 1.2, overlap: Int = 4) {
        precondition(iterations >= 1, "the network needs at least one ISTA layer")
        let p = dictionary.metadata.patchSize, k = dictionary.atoms
        patchSize = p; atoms = k
        self.iterations = iterations; self.lambda = lambda
        self.contrastGain = contrastGain; self.overlap = overlap
        lowNormalised = SparseCodingNetwork.normalisedColumns(dictionary.low)
        let gram = matmul(lowNormalised, transposeA: true, lowNormalised)
        let l = lipschitz ?? ISTA.lipschitzConstant(gram: gram)
        self.lipschitz = l
        layerOne = ComposedFilters.layerOne(low: lowNormalised.elements, atoms: k, patchSize: p)
        // S is symmetric, so its column-major elements are also the row-major [K × K] HWIO matrix.
        inhibition = ISTA.inhibition(gram: gram, lipschitz: l).elements
        highPatch = ComposedFilters.highPatch(high: dictionary.high.elements, atoms: k, patchSize: p)
        reconstruction = ComposedFilters.reconstruction(high: dictionary.high.elements, atoms: k, patchSize: p)
        gradient = ComposedFilters.gradientKernels()
    }

    /// Columns scaled to unit norm, as `ScSR` does before coding (same loop, same rounding).
    public static func normalisedColumns(_ low: Matrix<Double>) -> Matrix<Double> {
        var low = low
        for j in 0..<low.columns {
            var norm = 0.0
            for i in 0..<low.rows { norm += low[i, j] * low[i, j] }
            norm = norm.squareRoot()
            if norm > 0 { for i in 0..<low.rows { low[i, j] /= norm } }
        }
        return low
    }

    /// The estimate before back-projection from a mid-res image (0–255 scale), computed in `T`.
    /// `bandRows` rows of patch positions go through the wide layers at a time (memory:
    /// ~3 · bandRows · W · K scalars).
    public func apply<T: BLASScalar>(midRes mid: Plane, precision: T.Type = Double.self,
                                     bandRows: Int = 32) -> Plane {
        let p = patchSize, k = atoms, area = p * p, r = ComposedFilters.gradientRadius
        let h = mid.height, w = mid.width
        guard h >= p + 5, w >= p + 5 else { return mid } // no patch fits the release's grid
        let ho = h - p + 1, wo = w - p + 1, hp = h + 2 * r, wp = w + 2 * r
        let ws = Workspace<T>()
        let image = mid.values.map { T($0) }
        let padded = zeroPad(image, height: h, width: w, channels: 1, by: r)

        // Side paths on the whole image (few maps, cheap).
        let features = convolve(padded, height: hp, width: wp, channels: 1, weights: gradient.map { T($0) },
                                kernel: 2 * r + 1, outChannels: Features.count, workspace: ws)
        let featureNorm2 = convolve(features.map { $0 * $0 }, height: h, width: w, channels: Features.count,
                                    weights: [T](repeating: 1, count: area * Features.count), kernel: p,
                                    outChannels: 1, workspace: ws)
        let ones = [T](repeating: 1, count: area)
        let sums = convolve(image, height: h, width: w, channels: 1, weights: ones, kernel: p, outChannels: 1, workspace: ws)
        let squares = convolve(image.map { $0 * $0 }, height: h, width: w, channels: 1, weights: ones, kernel: p,
                               outChannels: 1, workspace: ws)
        let count = T(area)
        let means = sums.map { $0 / count }
        let patchNorms = zip(sums, squares).map { s, q in max(0, q - s * s / count).squareRoot() }
        let weights = gridWeights(height: h, width: w).map { T($0) }
        let coverage = convolve(zeroPad(weights, height: ho, width: wo, channels: 1, by: p - 1),
                                height: ho + 2 * p - 2, width: wo + 2 * p - 2, channels: 1, weights: ones,
                                kernel: p, outChannels: 1, workspace: ws)
        let weightedMeans = zip(weights, means).map { $0 * $1 }
        let meanSums = convolve(zeroPad(weightedMeans, height: ho, width: wo, channels: 1, by: p - 1),
                                height: ho + 2 * p - 2, width: wo + 2 * p - 2, channels: 1, weights: ones,
                                kernel: p, outChannels: 1, workspace: ws)

        let layerOneT = layerOne.map { T($0) }, inhibitionT = inhibition.map { T($0) }
        let highPatchT = highPatch.map { T($0) }, reconstructionT = reconstruction.map { T($0) }
        let side = p + 2 * r, l = T(lipschitz), tau = T(lambda / lipschitz), gain = T(contrastGain)
        var sum = [T](repeating: 0, count: h * w)
        var y0 = 0
        while y0 < ho {
            let rows = min(bandRows, ho - y0), pixels = rows * wo
            // Layer 1 on the padded rows this band's patches read.
            var b = padded.withUnsafeBufferPointer { src in
                convolve(src.baseAddress! + y0 * wp, height: rows + side - 1, width: wp, channels: 1,
                         weights: layerOneT, kernel: side, outChannels: k, workspace: ws)
            }
            // Per-pixel scale: 1/L, and 1/‖features‖ where that exceeds 1.
            for q in 0..<pixels {
                let n2 = featureNorm2[y0 * wo + q]
                let scale = 1 / (l * (n2 > 1 ? n2.squareRoot() : 1))
                for j in 0..<k { b[q * k + j] *= scale }
            }
            var codes = b.map { ISTA.softThreshold($0, tau) }
            var z = [T](repeating: 0, count: pixels * k)
            for _ in 1..<iterations {
                SparsePointwise.forward(output: &z, input: codes, weight: inhibitionT, pixels: pixels, channels: k)
                for i in 0..<(pixels * k) { codes[i] = ISTA.softThreshold(z[i] + b[i], tau) }
            }
            z = []; b = []
            // ‖Dh w‖ per pixel, then gain × grid weight as the code's scale.
            let hr = convolve(codes, height: rows, width: wo, channels: k, weights: highPatchT, kernel: 1,
                              outChannels: area, workspace: ws)
            for q in 0..<pixels {
                var n2: T = 0
                for e in 0..<area { n2 += hr[q * area + e] * hr[q * area + e] }
                let hrNorm = n2.squareRoot(), at = y0 * wo + q
                let scale = weights[at] * (hrNorm > 0 ? gain * patchNorms[at] / hrNorm : 1)
                for j in 0..<k { codes[q * k + j] *= scale }
            }
            let spread = convolve(zeroPad(codes, height: rows, width: wo, channels: k, by: p - 1),
                                  height: rows + 2 * p - 2, width: wo + 2 * p - 2, channels: k,
                                  weights: reconstructionT, kernel: p, outChannels: 1, workspace: ws)
            // The band's full convolution covers image rows y0 ..< y0 + rows + p − 1.
            for i in 0..<(rows + p - 1) { for x in 0..<w { sum[(y0 + i) * w + x] += spread[i * w + x] } }
            y0 += rows
        }
        var out = mid
        for i in 0..<(h * w) where coverage[i] > 0 {
            out.values[i] = Double((sum[i] + meanSums[i]) / coverage[i])
        }
        return out
    }

    /// The grid weight (multiplicity in `Patches.grid`) of each top-left position, 0 off the grid:
    /// (H − p + 1) × (W − p + 1).
    public func gridWeights(height h: Int, width w: Int) -> [Double] {
        let p = patchSize, wo = w - p + 1
        var out = [Double](repeating: 0, count: (h - p + 1) * wo)
        let xs = Patches.grid(length: w, patchSize: p, overlap: overlap)
        let ys = Patches.grid(length: h, patchSize: p, overlap: overlap)
        for y in ys { for x in xs { out[y.position * wo + x.position] = Double(x.weight * y.weight) } }
        return out
    }

    /// The averaging weights of every pixel: the count map (grid weights box-summed "full").
    public func coverage(height h: Int, width w: Int) -> Plane {
        let p = patchSize, ho = h - p + 1, wo = w - p + 1
        let padded = zeroPad(gridWeights(height: h, width: w), height: ho, width: wo, channels: 1, by: p - 1)
        let c = convolve(padded, height: ho + 2 * p - 2, width: wo + 2 * p - 2, channels: 1,
                         weights: [Double](repeating: 1, count: p * p), kernel: p, outChannels: 1,
                         workspace: Workspace<Double>())
        return Plane(width: w, height: h, values: c)
    }

    /// Layer 1 alone: the K correlation maps Dlᵀ·features(patch) at every top-left position
    /// ((H − p + 1)·(W − p + 1) × K, row-major), without normalisation.
    public func layerOneResponses(midRes mid: Plane) -> [Double] {
        let r = ComposedFilters.gradientRadius, side = patchSize + 2 * r
        let padded = zeroPad(mid.values, height: mid.height, width: mid.width, channels: 1, by: r)
        return convolve(padded, height: mid.height + 2 * r, width: mid.width + 2 * r, channels: 1,
                        weights: layerOne, kernel: side, outChannels: atoms, workspace: Workspace<Double>())
    }
}

/// A valid convolution through ConvNet's `conv2dForward` (NHWC, HWIO, one image).
func convolve<T: BLASScalar>(_ input: UnsafePointer<T>, height: Int, width: Int, channels: Int, weights: [T],
                             kernel: Int, outChannels: Int, workspace: Workspace<T>) -> [T] {
    precondition(weights.count == kernel * kernel * channels * outChannels, "weights do not match the layer's shape")
    var out = [T](repeating: 0, count: (height - kernel + 1) * (width - kernel + 1) * outChannels)
    out.withUnsafeMutableBufferPointer { o in
        weights.withUnsafeBufferPointer { wt in
            conv2dForward(output: o.baseAddress!, input: input, weight: wt.baseAddress!, bias: nil, batch: 1,
                          inChannels: channels, outChannels: outChannels, height: height, width: width,
                          kernel: kernel, workspace: workspace)
        }
    }
    return out
}

func convolve<T: BLASScalar>(_ input: [T], height: Int, width: Int, channels: Int, weights: [T],
                             kernel: Int, outChannels: Int, workspace: Workspace<T>) -> [T] {
    input.withUnsafeBufferPointer {
        convolve($0.baseAddress!, height: height, width: width, channels: channels, weights: weights,
                 kernel: kernel, outChannels: outChannels, workspace: workspace)
    }
}

/// NHWC zero padding by `by` on every side (MATLAB conv2's border; ConvNet pads by replication).
func zeroPad<T: BinaryFloatingPoint>(_ x: [T], height: Int, width: Int, channels: Int, by pad: Int) -> [T] {
    let w2 = width + 2 * pad
    var out = [T](repeating: 0, count: (height + 2 * pad) * w2 * channels)
    for y in 0..<height {
        let dst = ((y + pad) * w2 + pad) * channels, src = y * width * channels
        out.replaceSubrange(dst..<(dst + width * channels), with: x[src..<(src + width * channels)])
    }
    return out
}
