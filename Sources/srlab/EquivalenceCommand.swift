import ArgumentParser
import Equivalence
import Foundation
import Harness
import Imaging
import Methods
import SparseCoding

/// `srlab equivalence`: the sparse-coding pipeline and its network form, run from the same
/// dictionary with the same ISTA iterations, compared on every pixel (before back-projection).
struct EquivalenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "equivalence",
        abstract: "Run ScSR (ISTA, K iterations) patch by patch and as a convolutional network; print their pixel difference and PSNRs.")

    enum Precision: String, ExpressibleByArgument, CaseIterable { case double, float }
    enum ExactSolver: String, ExpressibleByArgument, CaseIterable { case featureSign = "feature-sign", homotopy }

    @Option(help: "Coupled dictionary (safetensors), e.g. results/models/sc_x3.safetensors.") var model: String
    @Option(help: "Image set under the data root, e.g. Set5.") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A folder of HR images (BMP, PNG, JPEG) instead of --dataset.") var images: String?
    @Option(help: "Scale factor, \(SRProtocol.scalesInWords).") var scale: ScaleOption
    @Option(help: "ISTA iterations, in the pipeline's solver and as the network's unrolled layers.") var iterations: Int
    @Option(help: "λ of the lasso (the release's inference value).") var lambda: Double = 0.2
    @Option(help: "Arithmetic of the network (the pipeline is always double).") var precision: Precision = .double
    @Option(help: "Also compare the network with the exact-lasso pipeline: feature-sign or homotopy.") var exact: ExactSolver?
    @Option(help: "Centre-crop each HR image to N×N first (a quick check on large sets; 0 = whole images).") var crop: Int = 0
    @Option(help: "Write the results as JSON to this file.") var json: String?

    func validate() throws {
        guard (dataset == nil) != (images == nil) else {
            throw ValidationError("give exactly one of --dataset NAME or --images DIR")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard lambda > 0 else { throw ValidationError("--lambda must be positive") }
        guard crop == 0 || crop >= 24 else { throw ValidationError("--crop must be 0 (whole images) or at least 24") }
    }

    struct ImageReport: Codable {
        var name: String
        var width: Int
        var height: Int
        var max_abs_diff: Double
        var mean_abs_diff: Double
        var psnr_network: Double
        var psnr_pipeline: Double
        var network_seconds: Double
        var pipeline_seconds: Double
        var psnr_exact: Double?
        var max_abs_diff_vs_exact: Double?
        var mean_abs_diff_vs_exact: Double?
    }

    struct Report: Codable {
        var command: String
        var model: String
        var dataset: String
        var scale: Int
        var iterations: Int
        var lambda: Double
        var lipschitz: Double
        var precision: String
        var exact_solver: String?
        var crop: Int
        var max_abs_diff: Double
        var mean_abs_diff: Double
        var mean_psnr_network: Double
        var mean_psnr_pipeline: Double
        var mean_psnr_exact: Double?
        var max_abs_diff_vs_exact: Double?
        var images: [ImageReport]
        var environment: RunEnvironment
    }

    func run() throws {
        try reportingErrors {
            let s = scale.value
            let source = try ImageSource(dataset: dataset, dataRoot: data, images: images)
            let urls = source.urls, setName = source.name
            let file = try ModelFile.load(model, as: .scDictionary, scale: s)
            let dictionary = try CoupledDictionary(file: file.contents, path: model)
            if let json { try OutputPath.prepareFile(json, option: "--json") }
            let loaded = try Evaluation.load(urls)
            let prepared = try loaded.map {
                try PreparedImage(image: crop > 0 ? centreCrop($0.image, side: crop) : $0.image, name: $0.name,
                                  scale: s, path: $0.path)
            }
            let network = SparseCodingNetwork(dictionary: dictionary, iterations: iterations, lambda: lambda)
            note(String(format: "network: %d atoms, 9×9 layer 1, %d ISTA layers (1×1, %d→%d), L = %.6g, λ = %g, %@",
                        network.atoms, iterations, network.atoms, network.atoms, network.lipschitz, lambda,
                        precision.rawValue))
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
                    let solver: any SparseSolver = exact == .featureSign ? FeatureSign() : LassoHomotopy()
                    let mid = EquivalenceCheck.midResolution(p.lowRes, scale: s)
                    let reference = EquivalenceCheck.pipeline(for: network, dictionary: dictionary, solver: solver)
                        .sparseReconstruction(midRes: mid).map { $0 / 255 }
                    let d = EquivalenceCheck.differences(r.network, reference)
                    row.psnr_exact = Metrics.psnr(Quantize.to8Bit(reference), p.groundTruth, shave: s)
                    row.max_abs_diff_vs_exact = d.max
                    row.mean_abs_diff_vs_exact = d.mean
                }
                totalDiff += r.meanAbsDiff * Double(r.network.values.count)
                totalPixels += r.network.values.count
                rows.append(row)
                var line = String(format: "[%d/%d] %@  max|diff| %.3e  mean|diff| %.3e  PSNR network %.4f  pipeline %.4f dB  (%.1f s / %.1f s)",
                                  i + 1, prepared.count, p.name, r.maxAbsDiff, r.meanAbsDiff, row.psnr_network,
                                  row.psnr_pipeline, r.networkSeconds, r.pipelineSeconds)
                if let e = row.psnr_exact, let d = row.max_abs_diff_vs_exact {
                    line += String(format: "  exact %.4f dB, max|network − exact| %.3e", e, d)
                }
                note(line)
            }
            let n = Double(rows.count)
            let mean = { (f: (ImageReport) -> Double) in rows.map(f).reduce(0, +) / n }
            let report = Report(
                command: (["srlab"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                model: model, dataset: setName, scale: s, iterations: iterations, lambda: lambda,
                lipschitz: network.lipschitz, precision: precision.rawValue, exact_solver: exact?.rawValue, crop: crop,
                max_abs_diff: rows.map(\.max_abs_diff).max() ?? 0, mean_abs_diff: totalDiff / Double(max(1, totalPixels)),
                mean_psnr_network: mean(\.psnr_network), mean_psnr_pipeline: mean(\.psnr_pipeline),
                mean_psnr_exact: exact == nil ? nil : mean { $0.psnr_exact! },
                max_abs_diff_vs_exact: exact == nil ? nil : rows.compactMap(\.max_abs_diff_vs_exact).max(),
                images: rows, environment: .current())
            let cropText = crop > 0 ? " (\(crop)×\(crop) centre crops)" : ""
            print(String(format: "%@%@ x%d, K = %d ISTA iterations (λ %g, %@): max |network − pipeline| = %.3e, mean = %.3e (on [0, 1], before back-projection)",
                         setName, cropText, s, iterations, lambda, precision.rawValue, report.max_abs_diff, report.mean_abs_diff))
            print(String(format: "mean PSNR: network %.4f dB, pipeline %.4f dB", report.mean_psnr_network, report.mean_psnr_pipeline))
            if let e = report.mean_psnr_exact, let d = report.max_abs_diff_vs_exact {
                print(String(format: "exact lasso (%@): mean PSNR %.4f dB; max |network − exact| = %.3e", exact!.rawValue, e, d))
            }
            if let json { try Evaluation.writeJSON(report, to: json) }
        }
    }
}

/// The centre `side`×`side` of an image (the whole image along a shorter side).
func centreCrop(_ image: Image8, side: Int) -> Image8 {
    let w = min(side, image.width), h = min(side, image.height)
    let x0 = (image.width - w) / 2, y0 = (image.height - h) / 2, c = image.channels
    var out = [UInt8](repeating: 0, count: w * h * c)
    for y in 0..<h {
        let src = ((y0 + y) * image.width + x0) * c
        out.replaceSubrange((y * w * c)..<((y + 1) * w * c), with: image.bytes[src..<(src + w * c)])
    }
    return Image8(width: w, height: h, channels: c, bytes: out)
}
