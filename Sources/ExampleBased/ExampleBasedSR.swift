import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// The external example-based family on Zeyde et al.'s shared front end, as Timofte's A+ release
/// (2014-09-01, with Zeyde's code and OMPBox) runs it at test time:
/// - Zeyde: R. Zeyde, M. Elad, M. Protter, "On Single Image Scale-Up Using
///   Sparse-Representations", Curves and Surfaces 2010 — OMP with 3 atoms, detail = Dh·γ.
/// - GR and ANR: R. Timofte, V. De Smet, L. Van Gool, "Anchored Neighborhood Regression for Fast
///   Example-Based Super-Resolution", ICCV 2013 — one global ridge regressor (λ = 0.1 for 1024
///   atoms), or one per atom over its 40 most correlated atoms (λ = 0.01).
/// - NE+LLE: the same paper's baseline after Chang, Yeung, Xiong (CVPR 2004), 24 atoms.
/// - A+: R. Timofte, V. De Smet, L. Van Gool, "A+: Adjusted Anchored Neighborhood Regression for
///   Fast Super-Resolution", ACCV 2014 — ANR's anchors with regressors learned from samples.
///
/// Per image (Y only, on [0, 1]): B = bicubic ×s of the LR; the four filtered images of B
/// (`ZeydeFeatures`); 3s×3s patches on the grid of stride s (`PatchGrid`); f = V_pcaᵀ·x; a
/// detail patch per method (`DetailMapping`); B plus the mean detail over each pixel (`OverlapAdd`).
/// No back-projection. The recipe and its quirks are in `reference/aplus/README.md`.
///
/// Note: departures from the release.
/// - Precision: the dictionaries and PCA basis come from the `_f64` tensors (the .mat's exact
///   values, which the numpy reference used). Zeyde's OMP and NE+LLE run in Double; GR, ANR and A+
///   run their features, anchor scores and regressions in Float (GR's and ANR's regressors are
///   derived in Double and then rounded; the A+ regressors are single in the .mat), for speed.
///   MATLAB runs single precision; the reference measured that this moves no set mean by more than
///   1e-4 dB, and every mean here equals the reference's to its 4 printed decimals.
/// - Border: pixels no patch covers (the outer s) are B; the release leaves them 0 and the
///   s-pixel shave removes them, so scores are the same.
/// - OMP as Batch-OMP (correlations updated through the Gram matrix), the form OMPBox runs when
///   given the Gram matrix; without it OMPBox recomputes Dᵀr from the residual. The two are equal
///   to rounding (tests hold them to 1e-12).
/// - GR's and ANR's regressors are derived at load time (well under a second), not read.
public struct ExampleBasedSR: Sendable {
    public let method: ExampleBasedMethod
    public let configuration: ZeydeConfiguration
    public let mapping: DetailMapping
    public var scale: Int { configuration.scale }
    /// The file named in errors: the regressors for A+, else the configuration.
    public let modelPath: String?
    /// Patches whose raw features (F values each) are made at a time; bounds that memory.
    public var featureBlock = 1024
    /// Patches per block at most (a block holds d + P values per patch), for large images.
    public var maximumBlock = 32768
    /// V_pca rounded to Float, for the methods that run in Float.
    let pcaSingle: Matrix<Float>

    /// A method over an in-memory configuration; A+ needs its regressors (P × d per atom).
    public init(method: ExampleBasedMethod, configuration: ZeydeConfiguration,
                aplusRegressors: [Matrix<Double>]? = nil, modelPath: String? = nil) throws {
        self.method = method
        self.configuration = configuration
        self.modelPath = modelPath ?? configuration.path
        pcaSingle = configuration.pca.converted()
        let anchors: Matrix<Float> = configuration.lowDictionary.converted()
        switch method {
        case .zeyde:
            mapping = .sparseCoding(SparseCodingDetails(configuration: configuration))
        case .gr:
            mapping = .global(try RidgeRegressors.global(configuration).converted())
        case .anr:
            mapping = .anchored(AnchoredRegressors(anchors: anchors,
                                                   regressors: try RidgeRegressors.anchored(configuration).map { $0.converted() }))
        case .neLLE:
            mapping = .neighbourEmbedding(NeighbourEmbedding(configuration: configuration))
        case .aplus:
            guard let aplusRegressors else { throw ExampleBasedError.regressorsRequired(method: method.displayName) }
            mapping = .anchored(AnchoredRegressors(anchors: anchors, regressors: aplusRegressors.map { $0.converted() }))
        }
    }

    /// Loads and checks the configuration file (kind, scale, sizes) and, for A+, the regressor
    /// file, before any work. Errors name the file.
    public init(method: ExampleBasedMethod, configuration: URL, regressors: URL? = nil, scale: Int) throws {
        let c = try ZeydeConfiguration(contentsOf: configuration.path, scale: scale)
        switch (method, regressors) {
        case (.aplus, nil):
            throw ExampleBasedError.regressorsRequired(method: method.displayName)
        case (.aplus, let file?):
            try self.init(aplusRegressors: try SafeTensorsFile.readChecked(file.path), path: file.path, configuration: c)
        case (_, let file?):
            throw ExampleBasedError.regressorsUnused(method: method.displayName, path: file.path)
        case (_, nil):
            try self.init(method: method, checking: c)
        }
    }

    /// Zeyde, GR, ANR or NE+LLE from a checked configuration: refuses one with fewer atoms than
    /// the method's neighbourhood.
    public init(method: ExampleBasedMethod, checking c: ZeydeConfiguration) throws {
        let minimumAtoms = method == .anr ? 40 : method == .neLLE ? 24 : 1
        guard c.atoms >= minimumAtoms else {
            throw ExampleBasedError.invalidFile(path: c.path ?? "configuration",
                                                reason: "\(method.displayName) needs at least \(minimumAtoms) atoms; dict_lores has \(c.atoms)")
        }
        try self.init(method: method, configuration: c)
    }

    /// A+ from a regressor file already read, over its configuration: shapes and scale checked.
    public init(aplusRegressors file: SafeTensorsFile, path: String, configuration c: ZeydeConfiguration) throws {
        let loaded = try AnchoredRegressorFile.load(file, path: path, for: c)
        try self.init(method: .aplus, configuration: c, aplusRegressors: loaded, modelPath: path)
    }

    /// The HR Y of a LR Y (both on [0, 1]), `scale` times larger.
    public func upscale(lowRes: Plane, progress: ProgressHook? = nil) -> Plane {
        reconstruct(midRes: Resize.bicubic(lowRes, scale: Double(scale)), progress: progress)
    }

    /// Steps 3–7 of the recipe on the bicubic image B.
    public func reconstruct(midRes: Plane, progress: ProgressHook? = nil) -> Plane {
        switch mapping {
        case .sparseCoding(let m): reconstruct(midRes: midRes, pca: configuration.pca, model: m, progress: progress)
        case .global(let pp): reconstruct(midRes: midRes, pca: pcaSingle, model: pp, progress: progress)
        case .anchored(let m): reconstruct(midRes: midRes, pca: pcaSingle, model: m, progress: progress)
        case .neighbourEmbedding(let m): reconstruct(midRes: midRes, pca: configuration.pca, model: m, progress: progress)
        }
    }

    /// The patches are split into one block per core, or more of `maximumBlock` (OpenBLAS on one
    /// thread each, so the result does not depend on the scheduling): large blocks give ANR and A+
    /// large anchor groups, i.e. few, large GEMMs. Within a block the raw features are made `featureBlock` patches at a
    /// time (F values each) and projected at once. The filtering and the overlap-add are split
    /// among the cores too, each pixel's sums kept in the serial order.
    // Debug builds compile file by file, so generic code is specialised across files only where
    // asked (measured: unspecialised, the Float path ran 10 times slower). Not `exported: true`:
    // release (whole-module) builds then left the specialisations undefined at link time.
    @_specialize(where Model == SparseCodingDetails)
    @_specialize(where Model == Matrix<Float>)
    @_specialize(where Model == AnchoredRegressors)
    @_specialize(where Model == NeighbourEmbedding)
    func reconstruct<Model: DetailModel>(midRes: Plane, pca: Matrix<Model.Scalar>, model: Model,
                                         progress: ProgressHook?) -> Plane {
        typealias T = Model.Scalar
        let grid = PatchGrid(width: midRes.width, height: midRes.height, scale: scale)
        guard grid.count > 0 else { return midRes }
        let images = ZeydeFeatures.filteredColumnMajor(midRes, filters: configuration.filters, as: T.self)
        let p = configuration.patchLength, f = configuration.featureLength, d = configuration.pcaDimension
        let workers = ProcessInfo.processInfo.activeProcessorCount
        let featureBlock = self.featureBlock, maximumBlock = self.maximumBlock
        let block = min(maximumBlock, max(featureBlock, (grid.count + workers - 1) / workers))
        let blocks = (grid.count + block - 1) / block
        // Every patch's detail is written by its block before the overlap-add reads it.
        var details = [T](unsafeUninitializedCapacity: p * grid.count) { _, initialized in initialized = p * grid.count }
        let counter = WorkCounter(total: grid.count, hook: progress)
        images.withUnsafeBufferPointer { filtered in
            details.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let images = filtered.baseAddress!, base = out.baseAddress!
                BLASThreads.with(1) {
                    DispatchQueue.concurrentPerform(iterations: blocks) { b in
                        let first = b * block, count = min(block, grid.count - first)
                        var features = Matrix<T>(rows: d, columns: count)
                        var raw = [T](repeating: 0, count: f * featureBlock)
                        for start in stride(from: 0, to: count, by: featureBlock) {
                            let n = min(featureBlock, count - start)
                            raw.withUnsafeMutableBufferPointer { x in
                                ZeydeFeatures.raw(images, grid: grid, first: first + start, count: n, into: x.baseAddress!)
                                pca.elements.withUnsafeBufferPointer { v in
                                    features.elements.withUnsafeMutableBufferPointer { y in
                                        T.gemm(true, false, d, n, f, 1, v.baseAddress!, f, x.baseAddress!, f,
                                               0, y.baseAddress! + start * d, d) // f = V_pcaᵀ·x
                                    }
                                }
                            }
                        }
                        model.details(for: features, into: base + first * p)
                        counter?.add(count)
                    }
                }
            }
        }
        var sum = OverlapAdd(grid: grid)
        details.withUnsafeBufferPointer { sum.addAll(details: $0.baseAddress!, parts: workers) }
        return sum.result(midRes: midRes)
    }
}

public enum ExampleBasedMethod: String, CaseIterable, Sendable, Codable {
    case zeyde, gr, anr, neLLE = "ne-lle", aplus

    /// The name in the papers' tables.
    public var displayName: String {
        switch self {
        case .zeyde: "Zeyde"
        case .gr: "GR"
        case .anr: "ANR"
        case .neLLE: "NE+LLE"
        case .aplus: "A+"
        }
    }
}

/// Step 6 of the recipe, per method.
public enum DetailMapping: Sendable {
    case sparseCoding(SparseCodingDetails)
    case global(Matrix<Float>)
    case anchored(AnchoredRegressors)
    case neighbourEmbedding(NeighbourEmbedding)
}

/// The HR detail patches (P × n) of PCA features (d × n), in the model's precision.
public protocol DetailModel: Sendable {
    associatedtype Scalar: BLASScalar
    func details(for features: Matrix<Scalar>) -> Matrix<Scalar>
    /// The same details written to `out` (P × n), for models that can skip the copy.
    func details(for features: Matrix<Scalar>, into out: UnsafeMutablePointer<Scalar>)
}

extension DetailModel {
    public func details(for features: Matrix<Scalar>, into out: UnsafeMutablePointer<Scalar>) {
        let result = details(for: features)
        result.elements.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    }
}

/// Zeyde: γ = OMP(Dl, f, 3 atoms), detail = Dh·γ.
public struct SparseCodingDetails: DetailModel {
    public let pursuit: OrthogonalMatchingPursuit
    public let high: Matrix<Double>

    public init(configuration c: ZeydeConfiguration) {
        pursuit = OrthogonalMatchingPursuit(dictionary: c.lowDictionary, sparsity: 3)
        high = c.highDictionary
    }

    public func details(for features: Matrix<Double>) -> Matrix<Double> {
        var out = Matrix<Double>(rows: high.rows, columns: features.columns)
        for (n, code) in pursuit.codes(for: features).enumerated() {
            for (atom, c) in zip(code.atoms, code.coefficients) {
                for i in 0..<high.rows { out[i, n] += high[i, atom] * c }
            }
        }
        return out
    }
}

/// GR: one P × d map for every patch.
extension Matrix: DetailModel {
    public func details(for features: Matrix<Scalar>) -> Matrix<Scalar> { matmul(self, features) }
}

extension AnchoredRegressors: DetailModel {}
extension NeighbourEmbedding: DetailModel {}

