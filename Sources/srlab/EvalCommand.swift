import ArgumentParser
import Foundation
import Harness
import Imaging
import Methods

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a method on an image set under the SR protocol (Y, MATLAB bicubic, s-pixel shave).")

    @Option(help: "The method: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")).") var method: MethodName
    @Option(help: "Model file (safetensors) for \(MethodName.withModels.map(\.rawValue).joined(separator: ", ")).") var model: String?
    @Option(help: "Sparse-coding solver for sc: homotopy (fast) or feature-sign (the exact reference).") var solver: SolverName = .homotopy
    @Option(help: "Image set under the data root, e.g. Set5.") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A folder of HR images (BMP, PNG, JPEG) instead of --dataset.") var images: String?
    @Option(help: "Scale factor, \(SRProtocol.scalesInWords).") var scale: ScaleOption
    @Option(help: "Write each scored Y (<name>.png) and colour result (<name>_rgb.png) here: a new or empty folder, or one srlab wrote.") var save: String?
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(help: "Leave timings out of the printed table (for output that must repeat exactly, as in notebooks).") var noTiming = false

    func validate() throws {
        guard (dataset == nil) != (images == nil) else {
            throw ValidationError("give exactly one of --dataset NAME or --images DIR")
        }
    }

    func run() throws {
        try reportingErrors {
            let s = scale.value
            // Every output path is checked before any image is read or scored.
            let jsonPath = try json.map { try OutputPath.checkFile($0, option: "--json") }
            let saveFolder = try save.map { try ResultsFolder($0, option: "--save") }
            let source = try ImageSource(dataset: dataset, dataRoot: data, images: images)
            let urls = source.urls, setName = source.name
            let savedFiles = try saveFolder.map { try Evaluation.savedFileNames(ImageFolder.names(urls), folder: $0.path) }
            let resolver = try method.resolver(model: model, scale: s, solver: solver)
            let loaded = try Evaluation.load(urls)
            if let saveFolder, let savedFiles { try saveFolder.claim(savedFiles) }
            let report = try Evaluation.run(resolver, images: loaded, dataset: setName,
                                            save: saveFolder.map { Evaluation.saver(folder: $0.path) }) { i, r in
                note(String(format: "[%d/%d] %@  %.4f dB  %.3f s", i + 1, loaded.count, r.name, r.psnr, r.seconds))
            }
            print(Evaluation.table(report, seconds: !noTiming))
            if let jsonPath {
                try ensureWritableFolder(URL(fileURLWithPath: jsonPath).deletingLastPathComponent().path)
                try Evaluation.writeJSON(report, to: jsonPath)
            }
        }
    }
}
