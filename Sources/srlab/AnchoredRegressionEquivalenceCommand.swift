import ArgumentParser
import Equivalence
import ExampleBased
import Foundation
import Harness
import Imaging

/// `srlab equivalence aplus`: ANR or A+ patch by patch (`ExampleBasedSR`) and as a convolutional
/// network with a hard gate, from the same configuration and regressors, compared on every pixel;
/// fails (exit 1) when they differ by more than the bound.
struct AnchoredRegressionEquivalenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aplus",
        abstract: "Run ANR or A+ patch by patch and as a convolutional network with a hard gate; print their pixel difference and gate agreement.")

    @Option(help: "Scale factor, \(SRProtocol.scalesInWords).") var scale: ScaleOption
    @Option(help: "Zeyde configuration (V_pca, dict_lores, dict_hires, filters), e.g. the authors' zeyde_conf_x3.safetensors (default with --regressors: the one they name or sit beside).") var dictionary: String?
    @Option(help: "A+ regressors (Aplus_PPs) for that configuration; ANR derives its own and takes none.") var regressors: String?
    @Option(help: "anr or aplus (default: aplus with --regressors, else anr).") var method: AnchoredRegressionExperiment.Method?
    @Option(help: "Image set under the data root, e.g. Set5.") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A folder of HR images (BMP, PNG, JPEG) instead of --dataset.") var images: String?
    @Option(help: "Arithmetic of the network (the pipeline runs in float).") var precision: EquivalenceExperiment.Precision = .double
    @Option(help: "Write the results as JSON to this file.") var json: String?

    func validate() throws {
        guard (dataset == nil) != (images == nil) else {
            throw ValidationError("give exactly one of --dataset NAME or --images DIR")
        }
        guard dictionary != nil || regressors != nil else {
            throw ValidationError("give --dictionary FILE (ANR), or A+ --regressors FILE (their dictionary is the one they name or sit beside)")
        }
    }

    func run() throws {
        try reportingErrors {
            let source = try ImageSource(dataset: dataset, dataRoot: data, images: images)
            if let json { try OutputPath.prepareFile(json, option: "--json") }
            let experiment = AnchoredRegressionExperiment(method: method ?? (regressors == nil ? .anr : .aplus), precision: precision)
            let dictionary = try self.dictionary ?? AnchoredRegressorFile.configurationPath(forRegressors: regressors!, scale: scale.value)
            let report = try experiment.run(dictionary: dictionary, regressors: regressors, scale: scale.value,
                                            images: try Evaluation.load(source.urls), dataset: source.name,
                                            command: (["srlab"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                            progress: note)
            report.summary.forEach { print($0) }
            if let json { try Evaluation.writeJSON(report, to: json) }
            guard report.withinBound else {
                throw BoundExceeded(description: String(format: "the network and the pipeline differ by %.3e, above the bound %.0e",
                                                        report.max_abs_diff, report.bound))
            }
        }
    }
}

/// The proof failed: printed as the error line, exit status 1.
struct BoundExceeded: Error, CustomStringConvertible {
    let description: String
}

extension AnchoredRegressionExperiment.Method: ExpressibleByArgument {}
