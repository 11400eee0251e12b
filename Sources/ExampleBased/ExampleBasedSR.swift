import Foundation
import Imaging
import LinearAlgebra

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
/// - Precision: Double throughout, from the `_f64` tensors (the .mat's exact values, which the
///   numpy reference also used); the A+ regressors are single in the .mat and are widened
///   exactly. MATLAB runs single precision; the reference measured that this moves no set mean by
///   more than 1e-4 dB.
/// - Border: pixels no patch covers (the outer s) are B; the release leaves them 0 and the
///   s-pixel shave removes them, so scores are the same.
/// - Batch-OMP (correlations updated through the Gram matrix) where OMPBox, given no Gram matrix,
///   recomputes Dᵀr; the two are equal to rounding (tests hold them to 1e-10).
/// - GR's and ANR's regressors are derived at load time (well under a second), not read.
public struct ExampleBasedSR: Sendable {
    public let method: ExampleBasedMethod
    public let configuration: ZeydeConfiguration
    public let mapping: DetailMapping
    public var scale: Int { configuration.scale }
    /// The file named in errors: the regressors for A+, else the configuration.
    public let modelPath: String?
    /// Patches per block (bounds memory: K scores per patch).
    public var block = 2048

    /// A method over an in-memory configuration; A+ needs its regressors (P × d per atom).
    public init(method: ExampleBasedMethod, configuration: ZeydeConfiguration,
                aplusRegressors: [Matrix<Double>]? = nil, modelPath: String? = nil) throws {
        self.method = method
        self.configuration = configuration
        self.modelPath = modelPath ?? configuration.path
        switch method {
        case .zeyde:
            mapping = .sparseCoding(OrthogonalMatchingPursuit(dictionary: configuration.lowDictionary, sparsity: 3),
                                    high: configuration.highDictionary)
        case .gr:
            mapping = .global(try RidgeRegressors.global(configuration))
        case .anr:
            mapping = .anchored(AnchoredRegressors(anchors: configuration.lowDictionary,
                                                   regressors: try RidgeRegressors.anchored(configuration)))
        case .neLLE:
            mapping = .neighbourEmbedding(NeighbourEmbedding(configuration: configuration))
        case .aplus:
            guard let aplusRegressors else { throw ExampleBasedError.regressorsRequired(method: method.displayName) }
            mapping = .anchored(AnchoredRegressors(anchors: configuration.lowDictionary, regressors: aplusRegressors))
        }
    }

    /// The registry's entry point: loads and checks the configuration file (kind, scale, sizes)
    /// and, for A+, the regressor file, before any work. Errors name the file.
    public init(method: ExampleBasedMethod, configuration: URL, regressors: URL? = nil, scale: Int) throws {
        let c = try ZeydeConfiguration(contentsOf: configuration.path, scale: scale)
        let minimumAtoms = method == .anr ? 40 : method == .neLLE ? 24 : 1
        guard c.atoms >= minimumAtoms else {
            throw ExampleBasedError.invalidFile(path: configuration.path,
                                                reason: "\(method.displayName) needs at least \(minimumAtoms) atoms; dict_lores has \(c.atoms)")
        }
        switch (method, regressors) {
        case (.aplus, nil):
            throw ExampleBasedError.regressorsRequired(method: method.displayName)
        case (.aplus, let file?):
            let loaded = try AnchoredRegressorFile.load(contentsOf: file.path, for: c)
            try self.init(method: method, configuration: c, aplusRegressors: loaded, modelPath: file.path)
        case (_, let file?):
            throw ExampleBasedError.regressorsUnused(method: method.displayName, path: file.path)
        case (_, nil):
            try self.init(method: method, configuration: c)
        }
    }

    /// The HR Y of a LR Y (both on [0, 1]), `scale` times larger.
    public func upscale(lowRes: Plane, progress: ProgressHook? = nil) -> Plane {
        reconstruct(midRes: Resize.bicubic(lowRes, scale: Double(scale)), progress: progress)
    }

    /// Steps 3–7 of the recipe on the bicubic image B. Blocks of patches run on all cores (OpenBLAS
    /// on one thread each, so the result does not depend on the scheduling).
    public func reconstruct(midRes: Plane, progress: ProgressHook? = nil) -> Plane {
        let grid = PatchGrid(width: midRes.width, height: midRes.height, scale: scale)
        guard grid.count > 0 else { return midRes }
        let filtered = ZeydeFeatures.filtered(midRes, filters: configuration.filters)
        let p = configuration.patchLength, f = configuration.featureLength
        let blocks = (grid.count + block - 1) / block
        var details = [Double](repeating: 0, count: p * grid.count)
        let counter = WorkCounter(total: grid.count, hook: progress)
        let workers = min(blocks, ProcessInfo.processInfo.activeProcessorCount)
        let next = BlockQueue(count: blocks)
        let block = self.block
        details.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let base = out.baseAddress!
            BLASThreads.with(1) {
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    while let b = next.take() {
                        let first = b * block, count = min(block, grid.count - first)
                        var raw = Matrix<Double>(rows: f, columns: count)
                        raw.elements.withUnsafeMutableBufferPointer {
                            ZeydeFeatures.raw(filtered, grid: grid, first: first, count: count, into: $0.baseAddress!)
                        }
                        let features = ZeydeFeatures.project(raw, configuration: configuration)
                        let result = mapping.details(for: features)
                        result.elements.withUnsafeBufferPointer {
                            (base + first * p).update(from: $0.baseAddress!, count: p * count)
                        }
                        counter?.add(count)
                    }
                }
            }
        }
        var sum = OverlapAdd(grid: grid)
        details.withUnsafeBufferPointer { sum.add(details: $0.baseAddress!, first: 0, count: grid.count) }
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

/// Step 6 of the recipe: the HR detail patches (P × n) of PCA features (d × n).
public enum DetailMapping: Sendable {
    case sparseCoding(OrthogonalMatchingPursuit, high: Matrix<Double>)
    case global(Matrix<Double>)
    case anchored(AnchoredRegressors)
    case neighbourEmbedding(NeighbourEmbedding)

    public func details(for features: Matrix<Double>) -> Matrix<Double> {
        switch self {
        case .sparseCoding(let omp, let high):
            var out = Matrix<Double>(rows: high.rows, columns: features.columns)
            for (n, code) in omp.codes(for: features).enumerated() {
                for (atom, c) in zip(code.atoms, code.coefficients) {
                    for i in 0..<high.rows { out[i, n] += high[i, atom] * c }
                }
            }
            return out
        case .global(let pp):
            return matmul(pp, features)
        case .anchored(let regressors):
            return regressors.details(for: features)
        case .neighbourEmbedding(let ne):
            return ne.details(for: features)
        }
    }
}

/// Hands out block indices to workers, each once.
final class BlockQueue: @unchecked Sendable {
    private let count: Int
    private var next = 0
    private let lock = NSLock()

    init(count: Int) { self.count = count }

    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
