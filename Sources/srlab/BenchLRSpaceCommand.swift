import ArgumentParser
import ConvNet
import Foundation

/// `srlab bench lrspace`: FSRCNN, FSRCNN-s and ESPCN ×3 inference alone (the table's
/// "LR-space networks" rows without peers), with each layer's time — a quick figure while
/// working on their speed; with `--training`, the table's training step taken apart (each
/// layer's forward and backward, the loss, Adam, each shard). Release builds; random weights.
struct BenchLRSpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrspace",
        abstract: "FSRCNN, FSRCNN-s and ESPCN x3 inference (frames/s for 426x240 and 640x360 frames) or training steps, per layer.")

    @Option(help: "Networks, comma-separated (fsrcnn, fsrcnn-s, espcn).") var networks = "fsrcnn,fsrcnn-s,espcn"
    @Option(help: "Which inference runs: streaming (what upscale uses) or sequential (whole frame, layer by layer).")
    var runner = "streaming"
    @Option(help: "Streaming tile width in LR pixels (0: whole width; default: the runner's).") var tileWidth: Int?
    @Option(help: "Streaming band height in LR rows (default: the runner's).") var band: Int?
    @Option(help: "Timed frames (with --training: steps) per figure (median).") var repeats = 15
    @Flag(help: "Time Adam training steps instead (batch 128 of 11x11 LR, two shards), per layer forward and backward.")
    var training = false

    func run() throws {
        try reportingErrors {
            guard let runner = LRSpaceBenchmark.Runner(rawValue: runner) else {
                throw ValidationError("--runner must be streaming or sequential, not '\(runner)'")
            }
            for name in networks.split(separator: ",").map(String.init) {
                guard let spec = NetworkSpec.published(kind: name, scale: 3) else {
                    throw ValidationError("unknown network '\(name)' (\(NetworkSpec.publishedKinds.joined(separator: ", ")))")
                }
                if training {
                    printTrainingProfile(try LRSpaceBenchmark.training(spec, steps: repeats), spec: spec)
                    continue
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

    /// Shard 0's layers (one thread's share of the batch); the first layer with weights needs no
    /// input gradient, so its backward does the forward's multiply-adds once, the others twice.
    private func printTrainingProfile(_ p: LRSpaceBenchmark.TrainingProfile, spec: NetworkSpec) {
        print(String(format: "%@ train bs=128 LR 11x11 adam: %.0f samples/s, %.2f ms/step (shards + gradient sum %.2f, Adam %.2f); shards' CPU %@ ms",
                     spec.name, p.samplesPerSecond, p.stepMilliseconds, p.backpropMilliseconds, p.optimizerMilliseconds,
                     p.shardMilliseconds.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        print("    shard 0, per layer, thread CPU time: forward ms (GFLOP/s), backward ms (GFLOP/s)")
        let first = p.layers.firstIndex { $0.macs > 0 }
        for (i, layer) in p.layers.enumerated() {
            let backwardMacs = layer.macs * (i == first ? 1 : 2)
            func rate(_ macs: Double, _ ms: Double) -> String { macs > 0 && ms > 0 ? String(format: "(%5.1f)", 2 * macs / (ms / 1000) / 1e9) : "       " }
            print(String(format: "    %7.3f %@  %7.3f %@  %@", layer.forward, rate(layer.macs, layer.forward),
                         layer.backward, rate(backwardMacs, layer.backward), layer.layer))
        }
        print(String(format: "    %7.3f ms loss, gradient zeroing and copies", p.lossAndGradientCopies))
    }
}
