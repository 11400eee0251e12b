import Foundation
import Imaging
import LinearAlgebra
import SparseCoding

/// The proof over an image set, as `srlab equivalence` runs it: for each image, the patch
/// pipeline and its network form from the same dictionary and ISTA iterations (`EquivalenceCheck`),
/// compared on every pixel before back-projection, and optionally the network against the exact
/// lasso pipeline (feature-sign or homotopy). The report is what `--json` writes.
public struct EquivalenceExperiment: Sendable {
    public enum Precision: String, CaseIterable, Sendable { case double, float }
    public enum ExactSolver: String, CaseIterable, Sendable {
        case featureSign = "feature-sign", homotopy

        var solver: any SparseSolver { self == .featureSign ? FeatureSign() : LassoHomotopy() }
    }

    /// ISTA iterations, in the pipeline's solver and as the network's unrolled layers.
    public var iterations: Int
    /// λ of the lasso (the release's inference value by default).
    public var lambda = 0.2
    /// Arithmetic of the network (the pipeline is always double).
    public var precision = Precision.double
    /// Also compare the network with the exact-lasso pipeline.
    public var exact: ExactSolver?
    /// Centre-crop each HR image to this side first (0: whole images).
    public var crop = 0

    public init(iterations: Int, lambda: Double = 0.2, precision: Precision = .double, exact: ExactSolver? = nil, crop: Int = 0) {
        self.iterations = iterations
        self.lambda = lambda
        self.precision = precision
        self.exact = exact
        self.crop = crop
    }

    // The field names are the JSON's (results/equivalence/*.json), hence snake case.
    public struct ImageReport: Codable, Sendable {
        public var name: String
        public var width: Int
        public var height: Int
        public var max_abs_diff: Double
        public var mean_abs_diff: Double
        public var psnr_network: Double
        public var psnr_pipeline: Double
        public var network_seconds: Double
        public var pipeline_seconds: Double
        public var psnr_exact: Double?
        public var max_abs_diff_vs_exact: Double?
        public var mean_abs_diff_vs_exact: Double?
    }

    public struct Report: Codable, Sendable {
        public var command: String
        public var model: String
        public var dataset: String
        public var scale: Int
        public var iterations: Int
        public var lambda: Double
        public var lipschitz: Double
        public var precision: String
        public var exact_solver: String?
        public var crop: Int
        public var max_abs_diff: Double
        public var mean_abs_diff: Double
        public var mean_psnr_network: Double
        public var mean_psnr_pipeline: Double
        public var mean_psnr_exact: Double?
        public var max_abs_diff_vs_exact: Double?
        public var images: [ImageReport]
        public var environment: RunEnvironment
    }

    /// Runs the comparison on `images` at the dictionary's scale. `progress` hears a line for the
    /// network once built and one per image; `model`, `dataset` and `command` are recorded.
    public func run(dictionary: CoupledDictionary, images: [LoadedImage], model: String, dataset: String,
                    command: String, progress: (String) -> Void = { _ in }) throws -> Report {
        let s = dictionary.metadata.scale
        let prepared = try images.map {
            try PreparedImage(image: crop > 0 ? $0.image.centreCropped(side: crop) : $0.image, name: $0.name, scale: s, path: $0.path)
        }
        let network = SparseCodingNetwork(dictionary: dictionary, iterations: iterations, lambda: lambda)
        progress(String(format: "network: %d atoms, 9×9 layer 1, %d ISTA layers (1×1, %d→%d), L = %.6g, λ = %g, %@",
                        network.atoms, iterations, network.atoms, network.atoms, network.lipschitz, lambda, precision.rawValue))
        var rows: [ImageReport] = []
        var totalDiff = 0.0, totalPixels = 0
        for (i, p) in prepared.enumerated() {
            let r = precision == .double
                ? EquivalenceCheck.run(network: network, dictionary: dictionary, lowRes: p.lowRes, scale: s,
                                       groundTruth: p.groundTruth, precision: Double.self)
                : EquivalenceCheck.run(network: network, dictionary: dictionary, lowRes: p.lowRes, scale: s,
                                       groundTruth: p.groundTruth, precision: Float.self)
            var row = ImageReport(name: p.name, width: r.network.width, height: r.network.height,
                                  max_abs_diff: r.maxAbsDiff, mean_abs_diff: r.meanAbsDiff,
                                  psnr_network: r.psnrNetwork!, psnr_pipeline: r.psnrPipeline!,
                                  network_seconds: r.networkSeconds, pipeline_seconds: r.pipelineSeconds)
            if let exact {
                let mid = EquivalenceCheck.midResolution(p.lowRes, scale: s)
                let reference = EquivalenceCheck.pipeline(for: network, dictionary: dictionary, solver: exact.solver)
                    .sparseReconstruction(midRes: mid).map { $0 / 255 }
                let d = EquivalenceCheck.differences(r.network, reference)
                row.psnr_exact = Metrics.psnr(Quantize.to8Bit(reference), p.groundTruth, shave: s)
                row.max_abs_diff_vs_exact = d.max
                row.mean_abs_diff_vs_exact = d.mean
            }
            totalDiff += r.meanAbsDiff * Double(r.network.values.count)
            totalPixels += r.network.values.count
            rows.append(row)
            progress(row.line(i + 1, of: prepared.count))
        }
        let n = Double(rows.count)
        let mean = { (f: (ImageReport) -> Double) in rows.map(f).reduce(0, +) / n }
        return Report(command: command, model: model, dataset: dataset, scale: s, iterations: iterations, lambda: lambda,
                      lipschitz: network.lipschitz, precision: precision.rawValue, exact_solver: exact?.rawValue, crop: crop,
                      max_abs_diff: rows.map(\.max_abs_diff).max() ?? 0, mean_abs_diff: totalDiff / Double(max(1, totalPixels)),
                      mean_psnr_network: mean(\.psnr_network), mean_psnr_pipeline: mean(\.psnr_pipeline),
                      mean_psnr_exact: exact == nil ? nil : mean { $0.psnr_exact! },
                      max_abs_diff_vs_exact: exact == nil ? nil : rows.compactMap(\.max_abs_diff_vs_exact).max(),
                      images: rows, environment: .current())
    }
}

extension EquivalenceExperiment.ImageReport {
    /// The progress line for image `index` of `count`.
    func line(_ index: Int, of count: Int) -> String {
        var line = String(format: "[%d/%d] %@  max|diff| %.3e  mean|diff| %.3e  PSNR network %.4f  pipeline %.4f dB  (%.1f s / %.1f s)",
                          index, count, name, max_abs_diff, mean_abs_diff, psnr_network, psnr_pipeline,
                          network_seconds, pipeline_seconds)
        if let e = psnr_exact, let d = max_abs_diff_vs_exact {
            line += String(format: "  exact %.4f dB, max|network − exact| %.3e", e, d)
        }
        return line
    }
}

extension EquivalenceExperiment.Report {
    /// The summary `srlab equivalence` prints: the differences, the mean PSNRs, the exact lasso's.
    public var summary: [String] {
        let cropText = crop > 0 ? " (\(crop)×\(crop) centre crops)" : ""
        var lines = [
            String(format: "%@%@ x%d, K = %d ISTA iterations (λ %g, %@): max |network − pipeline| = %.3e, mean = %.3e (on [0, 1], before back-projection)",
                   dataset, cropText, scale, iterations, lambda, precision, max_abs_diff, mean_abs_diff),
            String(format: "mean PSNR: network %.4f dB, pipeline %.4f dB", mean_psnr_network, mean_psnr_pipeline),
        ]
        if let solver = exact_solver, let e = mean_psnr_exact, let d = max_abs_diff_vs_exact {
            lines.append(String(format: "exact lasso (%@): mean PSNR %.4f dB; max |network − exact| = %.3e", solver, e, d))
        }
        return lines
    }
}
