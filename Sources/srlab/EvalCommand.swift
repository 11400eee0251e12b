import ArgumentParser
import Foundation
import Harness
import Imaging

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a method on an image set under the SR protocol (Y, MATLAB bicubic, s-pixel shave).")

    @Option(help: "bicubic, sc, srcnn or scn.") var method: MethodName
    @Option(help: "Model file (safetensors) for sc, srcnn and scn.") var model: String?
    @Option(help: "Sparse-coding solver for sc: homotopy (fast) or feature-sign (the exact reference).") var solver: SolverName = .homotopy
    @Option(help: "Image set under the data root, e.g. Set5.") var dataset: String?
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A folder of HR images (BMP, PNG, JPEG) instead of --dataset.") var images: String?
    @Option(help: "Scale factor, a whole number from 2 to 8.") var scale: ScaleOption
    @Option(help: "Write each scored Y (<stem>.png) and colour result (<stem>_rgb.png) here.") var save: String?
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
            let source = try ImageSource(dataset: dataset, dataRoot: data, images: images)
            let urls = source.urls, setName = source.name
            let resolver = try makeResolver(method, model: model, scale: s, solver: solver)
            let loaded = try Evaluation.load(urls)
            if let save { try ensureWritableFolder(save) }
            if let json { try ensureWritableFolder(URL(fileURLWithPath: json).deletingLastPathComponent().path) }
            let report = try Evaluation.run(resolver, images: loaded, scale: s, dataset: setName,
                                            save: save.map(Evaluation.saver(folder:))) { i, r in
                note(String(format: "[%d/%d] %@  %.4f dB  %.3f s", i + 1, loaded.count, r.name, r.psnr, r.seconds))
            }
            print(Evaluation.table(report, seconds: !noTiming))
            if let json { try Evaluation.writeJSON(report, to: json) }
        }
    }
}
