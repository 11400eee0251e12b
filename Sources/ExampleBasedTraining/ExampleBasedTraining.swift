import Foundation
import ExampleBased
import Imaging
import LinearAlgebra
import SeededRandom

/// Training of the example-based family from HR images (T91), as Timofte's A+ release
/// (2014-09-01; `learn_dict.m`, KSVDBox v13, OMPBox, `collectSamplesScales.m`,
/// `go_run_*_Aplus1024.m`) does it:
/// - The shared front end and Zeyde's dictionary: R. Zeyde, M. Elad, M. Protter, "On Single Image
///   Scale-Up Using Sparse-Representations", Curves and Surfaces 2010. Samples on a grid of step
///   2 LR pixels (overlap [1, 1]); PCA keeping 99.9% of the energy (`PrincipalComponents`);
///   K-SVD with 1024 atoms, sparsity 3, 20 iterations (`KSVD`); Dh = P·Γᵀ·(Γ·Γᵀ)⁻¹. GR, ANR and
///   NE+LLE need nothing more: they derive their regressors from this file at load time.
/// - A+: R. Timofte, V. De Smet, L. Van Gool, "A+: Adjusted Anchored Neighborhood Regression for
///   Fast Super-Resolution", ACCV 2014. Samples over a 12-level pyramid (factor 0.98) on the
///   test grid, the first 5,000,000 kept (`SamplePyramid`), regressors from each atom's 2048
///   nearest normalised samples with λ = 0.1 (`AplusRegressorTraining`).
///
/// Departures from the release (each also noted where it is made):
/// - Random choices (K-SVD's initial atoms, atom order, replacement candidates) come from
///   `Xoshiro256` seeded by `seed`, recorded in the file; MATLAB's `randperm` stream cannot be
///   reproduced, so no run reproduces the authors' dictionaries bit for bit.
/// - Precision: images, features, PCA and K-SVD in Double (MATLAB holds images and features in
///   single and forms X·Xᵀ in single); A+'s sample pool in single, as the release's.
/// - KSVDBox's `cleardict` takes the next-worst signal for each further replacement (see `KSVD`).
/// - A singular Γ·Γᵀ gets a tiny ridge instead of MATLAB's `inv` warning (see `KSVD.highDictionary`).
/// - A+'s neighbours are ranked by a GEMM-based distance in single precision, and its ridge
///   solves use the primal d × d form in Double (see `AplusRegressorTraining`).
/// - `AplusTraining.Settings.sampleLimit` nil keeps every sample (the reference found that all
///   12.1 M x2 samples, not the first 5 M, reproduce the published x2 numbers).
public enum ZeydeDictionaryTraining {
    public struct Settings: Sendable, Equatable {
        public var scale: Int
        public var ksvd = KSVD.Settings()
        public var seed: UInt64 = 0
        /// LR pixels between training patches (the release's overlap [1, 1] during training).
        public var step = 2
        public init(scale: Int) { self.scale = scale }
    }

    public enum TrainingError: Error, CustomStringConvertible, Equatable {
        case tooFewPatches(found: Int, needed: Int, images: Int)
        public var description: String {
            switch self {
            case .tooFewPatches(let found, let needed, let images):
                return "the \(images) training image(s) give \(found) patches; a dictionary of \(needed) atoms needs at least \(needed) (use more or larger images)"
            }
        }
    }

    /// Trains the configuration from HR Y planes on [0, 1]. `log` receives progress lines and
    /// each stage's seconds; the returned provenance goes into the file's metadata.
    public static func train(images: [Plane], trainingSet: String, settings: Settings,
                             log: (String) -> Void = { _ in }) throws -> (configuration: ZeydeConfiguration, provenance: [String: String]) {
        let s = settings.scale
        let filters = ZeydeConfiguration.recipeFilters(scale: s)
        var timings: [String] = []
        func stage<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            let result = try body()
            let seconds = Date().timeIntervalSince(start)
            timings.append("\(name) \(String(format: "%.1f", seconds)) s")
            log(String(format: "  %@: %.1f s", name, seconds))
            return result
        }
        let samples = stage("samples") { TrainingSamples.collect(images: images, scale: s, step: settings.step, filters: filters) }
        log("  \(samples.count) patch pairs from \(images.count) images (x\(s), step \(settings.step) LR pixels)")
        guard samples.count >= settings.ksvd.atoms else {
            throw TrainingError.tooFewPatches(found: samples.count, needed: settings.ksvd.atoms, images: images.count)
        }
        let pca = try stage("PCA") { try PrincipalComponents(features: samples.features) }
        log("  PCA keeps \(pca.basis.columns) of \(pca.basis.rows) dimensions (\(String(format: "%.4f", pca.keptEnergy * 100))% of the energy)")
        let projected = stage("projection") { matmul(pca.basis, transposeA: true, samples.features) }
        var random = Xoshiro256(seed: settings.seed)
        let ksvd = try stage("K-SVD") {
            try KSVD.train(data: projected, settings: settings.ksvd, random: &random) { r in
                log(String(format: "    K-SVD iteration %d/%d: RMSE %.6g, %d atoms replaced, %.1f s",
                           r.iteration, settings.ksvd.iterations, r.error, r.replaced, r.seconds))
            }
        }
        let high = try stage("HR dictionary") { try KSVD.highDictionary(patches: samples.patches, codes: ksvd.codes, atoms: settings.ksvd.atoms) }
        if high.ridge > 0 { log("  Γ·Γᵀ was singular: ridge \(high.ridge) added") }
        let configuration = ZeydeConfiguration(scale: s, pca: pca.basis, lowDictionary: ksvd.dictionary,
                                               highDictionary: high.dictionary, filters: filters)
        let provenance: [String: String] = [
            "method": "Zeyde et al. 2010 dictionary (K-SVD), trained by srlab as the A+ release's learn_dict.m",
            "training_set": trainingSet,
            "seed": String(settings.seed),
            "random_generator": "xoshiro256** seeded by SplitMix64",
            "samples": String(samples.count),
            "sample_step_lr_pixels": String(settings.step),
            "pca_kept_energy": String(pca.keptEnergy),
            "ksvd_atoms": String(settings.ksvd.atoms),
            "ksvd_sparsity": String(settings.ksvd.sparsity),
            "ksvd_iterations": String(settings.ksvd.iterations),
            "ksvd_update": "approximate (KSVDBox default)",
            "ksvd_rmse": ksvd.reports.map { String(format: "%.6g", $0.error) }.joined(separator: ","),
            "hr_dictionary_ridge": String(high.ridge),
            "stage_seconds": timings.joined(separator: "; "),
        ]
        return (configuration, provenance)
    }
}

public enum AplusTraining {
    public struct Settings: Sendable, Equatable {
        /// Samples kept from the pyramid (the release: the first 5,000,000); nil keeps all.
        public var sampleLimit: Int? = 5_000_000
        public var neighbours = AplusRegressorTraining.neighbours
        public var lambda = AplusRegressorTraining.lambda
        public var levels = SamplePyramid.levels
        public init() {}
    }

    /// A+'s regressors (P × d per atom) for `configuration` from HR Y planes on [0, 1].
    public static func train(images: [Plane], trainingSet: String, configuration c: ZeydeConfiguration, settings: Settings = Settings(),
                             log: (String) -> Void = { _ in }) throws -> (regressors: [Matrix<Double>], provenance: [String: String]) {
        var timings: [String] = []
        func record(_ name: String, _ seconds: Double) {
            timings.append("\(name) \(String(format: "%.1f", seconds)) s")
            log(String(format: "  %@: %.1f s", name, seconds))
        }
        var start = Date()
        var pool = SamplePyramid.collect(images: images, configuration: c, limit: settings.sampleLimit, levels: settings.levels) { level, count in
            log("    pyramid level \(level + 1)/\(settings.levels): \(count) samples")
        }
        record("sample pyramid", Date().timeIntervalSince(start))
        log("  \(pool.count) samples kept of \(pool.available) collected over \(pool.levelsCollected) levels")
        guard pool.count >= settings.neighbours else {
            throw AplusRegressorTraining.TrainingError.tooFewSamples(found: pool.count, needed: settings.neighbours)
        }
        start = Date()
        AplusRegressorTraining.normalise(features: &pool.features, patches: &pool.patches,
                                         pcaDimension: pool.pcaDimension, patchLength: pool.patchLength)
        record("normalisation", Date().timeIntervalSince(start))
        let regressors = try AplusRegressorTraining.regressors(features: pool.features, patches: pool.patches,
                                                               pcaDimension: pool.pcaDimension, patchLength: pool.patchLength,
                                                               anchors: c.lowDictionary, neighbours: settings.neighbours,
                                                               lambda: settings.lambda) { name, seconds in record(name, seconds) }
        let provenance: [String: String] = [
            "method": "A+ (Timofte et al. 2014) regressors, trained by srlab as the A+ release's go_run_*_Aplus1024.m",
            "training_set": trainingSet,
            "number_samples": String(pool.count),
            "samples_collected": String(pool.available),
            "sample_limit": settings.sampleLimit.map(String.init) ?? "all",
            "pyramid": "\(pool.levelsCollected) of \(settings.levels) levels, factor \(SamplePyramid.levelFactor)",
            "neighbours": String(settings.neighbours),
            "lambda": String(settings.lambda),
            "stage_seconds": timings.joined(separator: "; "),
        ]
        return (regressors, provenance)
    }
}
