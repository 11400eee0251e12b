import Foundation
import ExampleBased
import Imaging
import LinearAlgebra

/// The ANR / A+ proof over an image set, as `srlab equivalence aplus` runs it: the configuration
/// and regressor files loaded and checked once (by `ExampleBasedSR`, before any work), the network
/// built from the same files, and for each image the pipeline and the network on its B
/// (`AnchoredRegressionCheck`). The report is what `--json` writes.
public struct AnchoredRegressionExperiment: Sendable {
    /// The bound the proof is held to: max |network − pipeline| on [0, 1] Y.
    public static let bound = 1e-4

    /// The two methods whose detail is an anchor's linear map.
    public enum Method: String, CaseIterable, Sendable {
        case anr, aplus

        public var exampleBased: ExampleBasedMethod { self == .anr ? .anr : .aplus }
    }

    public var method: Method
    public var precision: EquivalenceExperiment.Precision

    public init(method: Method, precision: EquivalenceExperiment.Precision = .double) {
        self.method = method
        self.precision = precision
    }

    // The field names are the JSON's, hence snake case.
    public struct ImageReport: Codable, Sendable {
        public var name: String
        public var width: Int
        public var height: Int
        public var max_abs_diff: Double
        public var mean_abs_diff: Double
        public var gates_agreeing: Int
        public var patches: Int
        public var gates_disagreeing: GateDisagreements
        public var psnr_network: Double
        public var psnr_pipeline: Double
        public var network_seconds: Double
        public var pipeline_seconds: Double
    }

    public struct Report: Codable, Sendable {
        public var command: String
        public var method: String
        public var dictionary: String
        public var regressors: String?
        public var dataset: String
        public var scale: Int
        public var precision: String
        public var layers: String
        /// The side of layer 1's composed kernel.
        public var composed_kernel: Int
        public var bound: Double
        public var max_abs_diff: Double
        public var mean_abs_diff: Double
        public var gates_agreeing: Int
        public var patches: Int
        public var gates_disagreeing: GateDisagreements
        public var mean_psnr_network: Double
        public var mean_psnr_pipeline: Double
        public var images: [ImageReport]
        public var environment: RunEnvironment

        public var withinBound: Bool { max_abs_diff <= bound }
    }

    /// The pipeline and the network of `method` from the files (ANR derives its regressors; A+
    /// reads them). Every check of the files happens here, before any image is touched.
    public func load(dictionary: String, regressors: String?, scale: Int) throws -> (ExampleBasedSR, AnchoredRegressionNetwork) {
        let pipeline = try ExampleBasedSR(method: method.exampleBased, configuration: URL(fileURLWithPath: dictionary),
                                          regressors: regressors.map { URL(fileURLWithPath: $0) }, scale: scale)
        let c = pipeline.configuration
        let maps = try regressors.map { try AnchoredRegressorFile.load(contentsOf: $0, for: c) } ?? RidgeRegressors.anchored(c)
        return (pipeline, AnchoredRegressionNetwork(configuration: c, regressors: maps))
    }

    /// Runs the comparison on `images` at `scale`. `progress` hears the network's layers once and
    /// a line per image.
    public func run(dictionary: String, regressors: String?, scale: Int, images: [LoadedImage], dataset: String,
                    command: String, progress: (String) -> Void = { _ in }) throws -> Report {
        let (pipeline, network) = try load(dictionary: dictionary, regressors: regressors, scale: scale)
        let prepared = try images.map { try PreparedImage(image: $0.image, name: $0.name, scale: scale, path: $0.path) }
        progress("\(method.exampleBased.displayName) x\(scale) as a network: \(network.layers)")
        var rows: [ImageReport] = []
        var totalDiff = 0.0, totalPixels = 0
        for (i, p) in prepared.enumerated() {
            let b = Resize.bicubic(p.lowRes, scale: Double(scale))
            let r = precision == .double
                ? AnchoredRegressionCheck.run(network: network, pipeline: pipeline, midRes: b, precision: Double.self)
                : AnchoredRegressionCheck.run(network: network, pipeline: pipeline, midRes: b, precision: Float.self)
            let row = ImageReport(name: p.name, width: b.width, height: b.height, max_abs_diff: r.maxAbsDiff,
                                  mean_abs_diff: r.meanAbsDiff, gates_agreeing: r.gatesAgreeing, patches: r.patches,
                                  gates_disagreeing: r.disagreements,
                                  psnr_network: SRProtocol.score(r.network, against: p).score.psnr,
                                  psnr_pipeline: SRProtocol.score(r.pipeline, against: p).score.psnr,
                                  network_seconds: r.networkSeconds, pipeline_seconds: r.pipelineSeconds)
            totalDiff += r.meanAbsDiff * Double(b.values.count)
            totalPixels += b.values.count
            rows.append(row)
            progress(row.line(i + 1, of: prepared.count))
        }
        let n = Double(max(1, rows.count))
        return Report(command: command, method: method.rawValue, dictionary: dictionary, regressors: regressors, dataset: dataset,
                      scale: scale, precision: precision.rawValue, layers: network.layers, composed_kernel: network.featureLayer.side,
                      bound: Self.bound, max_abs_diff: rows.map(\.max_abs_diff).max() ?? 0,
                      mean_abs_diff: totalDiff / Double(max(1, totalPixels)),
                      gates_agreeing: rows.map(\.gates_agreeing).reduce(0, +), patches: rows.map(\.patches).reduce(0, +),
                      gates_disagreeing: rows.map(\.gates_disagreeing).reduce(GateDisagreements(), +),
                      mean_psnr_network: rows.map(\.psnr_network).reduce(0, +) / n,
                      mean_psnr_pipeline: rows.map(\.psnr_pipeline).reduce(0, +) / n,
                      images: rows, environment: .current())
    }
}

extension AnchoredRegressionExperiment.ImageReport {
    /// The progress line for image `index` of `count`.
    func line(_ index: Int, of count: Int) -> String {
        String(format: "[%d/%d] %@  max|network − pipeline| %.3e  gates agreeing %d of %d  PSNR network %.4f  pipeline %.4f dB  (%.2f s / %.2f s)",
               index, count, name, max_abs_diff, gates_agreeing, patches, psnr_network, psnr_pipeline,
               network_seconds, pipeline_seconds)
    }
}

extension AnchoredRegressionExperiment.Report {
    /// The summary `srlab equivalence aplus` prints.
    public var summary: [String] {
        [
            String(format: "%@ %@ x%d (%@): max |network − pipeline| = %.3e (bound %.0e: %@), mean = %.3e (on [0, 1] Y)",
                   AnchoredRegressionExperiment.Method(rawValue: method)?.exampleBased.displayName ?? method, dataset, scale, precision,
                   max_abs_diff, bound, withinBound ? "holds" : "FAILS", mean_abs_diff),
            "gates agreeing with the pipeline's anchors: \(gates_agreeing) of \(patches) patches; the other \(gates_disagreeing.total): "
                + "\(gates_disagreeing.faint) faint (features below rounding noise), \(gates_disagreeing.nearTie) near-ties, \(gates_disagreeing.other) other",
            String(format: "mean PSNR: network %.4f dB, pipeline %.4f dB", mean_psnr_network, mean_psnr_pipeline),
        ]
    }
}
