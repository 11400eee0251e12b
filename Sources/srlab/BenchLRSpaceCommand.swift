import ArgumentParser
import ConvNet
import Foundation

/// `srlab bench lrspace`: FSRCNN, FSRCNN-s and ESPCN ×3 inference alone (the table's
/// "LR-space networks" rows without peers or training), with each layer's time — a quick
/// figure while working on their speed. Release builds; random weights.
struct BenchLRSpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrspace",
        abstract: "FSRCNN, FSRCNN-s and ESPCN x3 inference: frames/s for 426x240 and 640x360 frames, and per layer.")

    @Option(help: "Networks, comma-separated (fsrcnn, fsrcnn-s, espcn).") var networks = "fsrcnn,fsrcnn-s,espcn"
    @Option(help: "Which inference runs: streaming (what upscale uses) or sequential (whole frame, layer by layer).")
    var runner = "streaming"
    @Option(help: "Streaming tile width in LR pixels (0: whole width; default: the runner's).") var tileWidth: Int?
    @Option(help: "Streaming band height in LR rows (default: the runner's).") var band: Int?
    @Option(help: "Timed frames per figure (median).") var repeats = 15

    func run() throws {
        try reportingErrors {
            guard let runner = LRSpaceBenchmark.Runner(rawValue: runner) else {
                throw ValidationError("--runner must be streaming or sequential, not '\(runner)'")
            }
            for name in networks.split(separator: ",").map(String.init) {
                guard let spec = NetworkSpec.published(kind: name, scale: 3) else {
                    throw ValidationError("unknown network '\(name)' (\(NetworkSpec.publishedKinds.joined(separator: ", ")))")
                }
                for (w, h) in [(426, 240), (640, 360)] {
                    let r = try LRSpaceBenchmark.inference(spec, width: w, height: h, repeats: repeats, runner: runner,
                                                           tileWidth: tileWidth, band: band)
                    print(String(format: "%@ %dx%d->%dx%d: %.2f ms, %.1f frames/s, %.1f GFLOP/s",
                                 spec.name, w, h, 3 * w, 3 * h, r.milliseconds, r.framesPerSecond, r.gflops))
                    for layer in r.layers where layer.milliseconds > 0.005 || layer.macs > 0 {
                        let rate = layer.macs > 0 ? String(format: "%6.1f GFLOP/s", 2 * layer.macs / (layer.milliseconds / 1000) / 1e9) : ""
                        print(String(format: "    %8.2f ms %@  %@", layer.milliseconds, rate, layer.layer))
                    }
                }
            }
        }
    }
}
