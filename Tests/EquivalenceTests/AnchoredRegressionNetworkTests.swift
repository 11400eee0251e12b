import Foundation
import Testing
import Harness
import Imaging
import LinearAlgebra
import SeededRandom
import _TestSupport
import ExampleBased
@testable import Equivalence

/// A random configuration (Gaussian V_pca, unit-norm Dl, Gaussian Dh) and random A+ regressors at
/// `scale`: small, so the layers can be checked without the authors' files.
func randomAnchoredModel(scale: Int, dimension d: Int = 8, atoms k: Int = 16, seed: UInt64)
    -> (configuration: ZeydeConfiguration, regressors: [Matrix<Double>]) {
    var rng = Xoshiro256(seed: seed)
    let p = 9 * scale * scale
    func gaussian(_ rows: Int, _ columns: Int) -> Matrix<Double> {
        var m = Matrix<Double>(rows: rows, columns: columns)
        for i in m.elements.indices { m.elements[i] = rng.nextGaussian() }
        return m
    }
    let pca = gaussian(4 * p, d)
    var low = gaussian(d, k)
    for j in 0..<k {
        let norm = (0..<d).map { low[$0, j] * low[$0, j] }.reduce(0, +).squareRoot()
        for i in 0..<d { low[i, j] /= norm }
    }
    let c = ZeydeConfiguration(scale: scale, pca: pca, lowDictionary: low, highDictionary: gaussian(p, k))
    return (c, (0..<k).map { _ in gaussian(p, d) })
}

/// The synthetic test image on [0, 1].
func unitImage(width: Int, height: Int, seed: UInt64) -> Plane {
    syntheticImage(width: width, height: height, seed: seed).map { $0 / 255 }
}

/// Grid maps are row-major over the grid (i·columnCount + j); the pipeline's patches column-major.
func pipelineOrder<T>(_ map: [T], grid: PatchGrid, channels: Int) -> [T] {
    var out = map
    for i in 0..<grid.rowCount {
        for j in 0..<grid.columnCount {
            let from = (i * grid.columnCount + j) * channels, to = (i + grid.rowCount * j) * channels
            out.replaceSubrange(to..<(to + channels), with: map[from..<(from + channels)])
        }
    }
    return out
}

@Suite struct AnchoredRegressionNetworkTests {
    /// Layer 1: the composed kernel, strided, equals the four filters then V_pcaᵀ at every grid
    /// position, on images whose sides are and are not multiples of s; its side is 5s.
    @Test(arguments: [2, 3, 4])
    func composedKernelEqualsFiltersThenPCA(scale: Int) {
        let (c, _) = randomAnchoredModel(scale: scale, seed: UInt64(scale))
        let layer = ComposedFeatureLayer(configuration: c)
        #expect(layer.side == 5 * scale && layer.before == scale)
        #expect(layer.kernel.count == layer.side * layer.side * c.pcaDimension)
        for (width, height) in [(12 * scale, 10 * scale), (12 * scale + 1, 10 * scale + scale - 1)] {
            let b = unitImage(width: width, height: height, seed: 5)
            let grid = PatchGrid(width: width, height: height, scale: scale)
            let network = pipelineOrder(layer.apply(midRes: b, grid: grid, as: Double.self), grid: grid, channels: c.pcaDimension)
            let pipeline = ZeydeFeatures.project(ZeydeFeatures.raw(b, configuration: c), configuration: c).elements
            let largest = pipeline.map(abs).max()!
            let diff = zip(network, pipeline).map { abs($0 - $1) }.max()!
            #expect(network.count == pipeline.count && diff <= 1e-12 * largest, "\(width)×\(height): \(diff) of \(largest)")
        }
    }

    /// A kernel that is wrong in one tap is caught: the test above can fail.
    @Test func aPerturbedKernelDiffers() {
        let (c, _) = randomAnchoredModel(scale: 3, seed: 3)
        let layer = ComposedFeatureLayer(configuration: c)
        var shifted = c.filters
        shifted[0] = [0] + shifted[0].dropLast() // the gradient one pixel off
        let other = ComposedFeatureLayer(configuration: ZeydeConfiguration(scale: 3, pca: c.pca, lowDictionary: c.lowDictionary,
                                                                           highDictionary: c.highDictionary, filters: shifted))
        #expect(zip(layer.kernel, other.kernel).map { abs($0 - $1) }.max()! > 0.1)
    }

    /// Layer 4 is the pipeline's overlap-add: the same image from the same details, the count 9 in
    /// the interior and 0 on the outer s pixels.
    @Test(arguments: [2, 3])
    func overlapAveragingIsTheOverlapAdd(scale: Int) {
        let b = unitImage(width: 11 * scale, height: 9 * scale + 1, seed: 8)
        let grid = PatchGrid(width: b.width, height: b.height, scale: scale)
        let p = 9 * scale * scale
        var rng = Xoshiro256(seed: 9)
        let details = (0..<(grid.count * p)).map { _ in rng.nextGaussian() } // the network's order
        let averaging = OverlapAveraging(scale: scale)
        let network = averaging.apply(details: details, grid: grid, midRes: b)
        var sum = OverlapAdd(grid: grid)
        pipelineOrder(details, grid: grid, channels: p).withUnsafeBufferPointer {
            sum.add(details: $0.baseAddress!, first: 0, count: grid.count)
        }
        #expect(EquivalenceCheck.differences(network, sum.result(midRes: b)).max <= 1e-12)
        let coverage = averaging.coverage(grid: grid)
        #expect(coverage[5 * scale, 4 * scale] == 9 && coverage[0, 0] == 0 && coverage[b.width - 1, b.height / 2] == 0)
        #expect(coverage[scale, scale] == 1)
    }

    /// The whole network against the pipeline (A+, in Float) on a random model: gates equal the
    /// pipeline's anchors, the images agree to Float rounding.
    @Test(arguments: [2, 3])
    func networkEqualsThePipelineOnARandomModel(scale: Int) throws {
        let (c, regressors) = randomAnchoredModel(scale: scale, seed: 11)
        let pipeline = try ExampleBasedSR(method: .aplus, configuration: c, aplusRegressors: regressors)
        let network = AnchoredRegressionNetwork(configuration: c, regressors: regressors)
        let b = unitImage(width: 14 * scale, height: 13 * scale, seed: 12)
        let r = AnchoredRegressionCheck.run(network: network, pipeline: pipeline, midRes: b)
        #expect(r.patches == 10 * 9 && r.gatesAgreeing == r.patches)
        #expect(r.maxAbsDiff <= 1e-4, "max |network − pipeline| \(r.maxAbsDiff)")
        // Something happened: the detail moved pixels away from B.
        #expect(EquivalenceCheck.differences(r.network, b).max > 1e-2)
    }

    /// Swapping two experts changes the output where their gates opened: the equality test can fail.
    @Test func anotherExpertChangesTheImage() throws {
        let (c, regressors) = randomAnchoredModel(scale: 2, seed: 11)
        let b = unitImage(width: 28, height: 26, seed: 12)
        let network = AnchoredRegressionNetwork(configuration: c, regressors: regressors)
        let used = Set(network.apply(midRes: b).gates)
        let k = used.first!
        var swapped = regressors
        swapped[k] = regressors[(k + 1) % regressors.count]
        let pipeline = try ExampleBasedSR(method: .aplus, configuration: c, aplusRegressors: swapped)
        #expect(AnchoredRegressionCheck.run(network: network, pipeline: pipeline, midRes: b).maxAbsDiff > 1e-3)
    }

    /// A gate that opens another expert on a patch with real features counts as a real
    /// disagreement, not as rounding: the Set5 tests' "no other disagreement" can fail.
    @Test func aWrongGateIsARealDisagreement() throws {
        let (c, regressors) = randomAnchoredModel(scale: 2, seed: 11)
        let b = unitImage(width: 28, height: 26, seed: 12)
        let pipeline = try ExampleBasedSR(method: .aplus, configuration: c, aplusRegressors: regressors)
        let (features, anchors) = AnchoredRegressionCheck.pipelineAnchors(pipeline, midRes: b)
        var gates = anchors
        gates[7] = (gates[7] + 1) % c.atoms
        gates[8] = (gates[8] + 3) % c.atoms
        let network = AnchoredRegressionNetwork(configuration: c, regressors: regressors)
        let noise = network.featureNoise(Double.self)
        #expect(noise > 1e-16 && noise < 1e-10)
        let d = GateDisagreements(gates: gates, anchors: anchors, features: features, lowDictionary: c.lowDictionary, noiseFloor: noise)
        #expect(d == { var e = GateDisagreements(); e.other = 2; return e }())
        let zero = Matrix<Float>(rows: features.rows, columns: features.columns)
        #expect(GateDisagreements(gates: gates, anchors: anchors, features: zero, lowDictionary: c.lowDictionary, noiseFloor: noise).faint == 2)
    }

    @Test func layersAreDescribed() {
        let (c, regressors) = randomAnchoredModel(scale: 3, seed: 1)
        #expect(AnchoredRegressionNetwork(configuration: c, regressors: regressors).layers
            == "15×15 conv stride 3 (1 → 8) · 1×1 conv (8 → 16) · arg-max gate over 16 experts, 1×1 (8 → 81) · 9×9 transposed conv stride 3 (81 → 1), ÷ coverage, + B")
    }
}

/// The package root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let datasetRoot = TestData.datasetRoot(packageRoot: packageRoot)
/// The authors' converted ANR / A+ data (`reference/aplus`), nil when absent.
let aplusRoot: String? = TestData.referenceRoot(packageRoot: packageRoot).map { $0 + "/aplus" }
    .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }

/// The proof on Set5 with the authors' files: every pixel within `AnchoredRegressionExperiment.bound`.
@Suite(.enabled(if: aplusRoot != nil && datasetRoot != nil, "needs SRLAB_REFERENCE with aplus/ and SRLAB_DATA"))
struct AnchoredRegressionSet5Tests {
    static func set5() throws -> [LoadedImage] {
        let folder = datasetRoot! + "/Set5"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".bmp") }.sorted().map {
            LoadedImage(name: $0, path: folder + "/" + $0, image: try ImageIO.read(folder + "/" + $0))
        }
    }

    func check(_ method: AnchoredRegressionExperiment.Method, scale: Int, dictionary: String, regressors: String?) throws {
        let report = try AnchoredRegressionExperiment(method: method)
            .run(dictionary: dictionary, regressors: regressors, scale: scale, images: Self.set5(), dataset: "Set5", command: "test")
        report.summary.forEach { print($0) }
        report.images.forEach { print($0.line(0, of: 5)) }
        #expect(report.images.count == 5)
        #expect(report.withinBound, "max |network − pipeline| \(report.max_abs_diff)")
        // Every gate opens the pipeline's anchor's expert, except where the choice changes no pixel
        // (faint features, whose scores are rounding noise) or the two scores tie to Float rounding.
        #expect(report.gates_agreeing + report.gates_disagreeing.total == report.patches)
        #expect(report.gates_disagreeing.other == 0, "\(report.gates_disagreeing)")
        #expect(report.composed_kernel == 5 * scale)
    }

    @Test func anrX3FromTheAuthorsConfiguration() throws {
        try check(.anr, scale: 3, dictionary: aplusRoot! + "/zeyde_conf_x3.safetensors", regressors: nil)
    }

    @Test func aplusX2FromTheAuthorsRegressors() throws {
        try check(.aplus, scale: 2, dictionary: aplusRoot! + "/zeyde_conf_x2.safetensors",
                  regressors: aplusRoot! + "/aplus_x2_1024atoms2048nn_5mil.safetensors")
    }

    /// SRLab's own A+ ×3 (trained here), once it ships beside its dictionary.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: packageRoot + "/results/models/aplus_x3.safetensors")
                       && FileManager.default.fileExists(atPath: packageRoot + "/results/models/zeyde_x3.safetensors"),
                   "needs results/models/aplus_x3.safetensors and zeyde_x3.safetensors"))
    func aplusX3FromSRLabsOwnRegressors() throws {
        try check(.aplus, scale: 3, dictionary: packageRoot + "/results/models/zeyde_x3.safetensors",
                  regressors: packageRoot + "/results/models/aplus_x3.safetensors")
    }
}
