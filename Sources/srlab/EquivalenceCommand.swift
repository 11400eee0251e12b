import ArgumentParser
import Equivalence
import Foundation
import Harness
import Imaging
import Methods
import SparseCoding

/// `srlab equivalence`: a patch pipeline and its network form, compared on every pixel. Without a
/// subcommand name it is `sparse-coding` (the seed's check, whose command lines stay valid).
struct EquivalenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "equivalence",
        abstract: "Run a patch pipeline and its convolutional-network form; print their pixel difference.",
        subcommands: [SparseCodingEquivalenceCommand.self, AnchoredRegressionEquivalenceCommand.self],
        defaultSubcommand: SparseCodingEquivalenceCommand.self)
}

/// `srlab equivalence [sparse-coding]`: the sparse-coding pipeline and its network form, run from
/// the same dictionary with the same ISTA iterations, compared on every pixel (before back-projection).
struct SparseCodingEquivalenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparse-coding",
        abstract: "Run ScSR (ISTA, K iterations) patch by patch and as a convolutional network; print their pixel difference and PSNRs.")

    @Option(help: "Coupled dictionary (safetensors), e.g. results/models/sc_x3.safetensors.") var model: String
    @Option(help: "Image set under the data root, e.g. Set5.") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A folder of HR images (BMP, PNG, JPEG) instead of --dataset.") var images: String?
    @Option(help: "Scale factor, \(SRProtocol.scalesInWords).") var scale: ScaleOption
    @Option(help: "ISTA iterations, in the pipeline's solver and as the network's unrolled layers.") var iterations: Int
    @Option(help: "λ of the lasso (the release's inference value).") var lambda: Double = 0.2
    @Option(help: "Arithmetic of the network (the pipeline is always double).") var precision: EquivalenceExperiment.Precision = .double
    @Option(help: "Also compare the network with the exact-lasso pipeline: feature-sign or homotopy.") var exact: EquivalenceExperiment.ExactSolver?
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

    func run() throws {
        try reportingErrors {
            let source = try ImageSource(dataset: dataset, dataRoot: data, images: images)
            let file = try ModelFile.load(model, as: .scDictionary, scale: scale.value)
            let dictionary = try CoupledDictionary(file: file.contents, path: model)
            if let json { try OutputPath.prepareFile(json, option: "--json") }
            let experiment = EquivalenceExperiment(iterations: iterations, lambda: lambda, precision: precision, exact: exact, crop: crop)
            let report = try experiment.run(dictionary: dictionary, images: try Evaluation.load(source.urls), model: model,
                                            dataset: source.name, command: (["srlab"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                            progress: note)
            report.summary.forEach { print($0) }
            if let json { try Evaluation.writeJSON(report, to: json) }
        }
    }
}

extension EquivalenceExperiment.Precision: ExpressibleByArgument {}
extension EquivalenceExperiment.ExactSolver: ExpressibleByArgument {}
