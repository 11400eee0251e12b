import ArgumentParser
import ConvNet
import Foundation

/// `srlab bench conv`: one convolution layer's forward and backward on a training shard, each
/// formulation, by single-thread CPU time (steady on a shared machine; the trainer runs one shard
/// per thread). The measurements behind `ConvAlgorithm.training`'s rule.
struct BenchConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "A convolution's forward and backward on one shard, each algorithm: single-thread CPU milliseconds.")

    @Option(help: "Input maps.") var inChannels = 64
    @Option(help: "Output maps.") var outChannels = 64
    @Option(help: "Side of the (already padded) input.") var side = 34
    @Option(help: "Kernel side.") var kernel = 3
    @Option(help: "Inputs per shard.") var batch = 32
    @Option(help: "Rounds (medians are quoted).") var repeats = 15
    @Option(help: "Time a transposed convolution with this stride instead (FSRCNN's padding; --side is its LR input's).")
    var transposedStride: Int?

    func validate() throws {
        guard inChannels > 0, outChannels > 0, kernel > 0, side >= kernel || transposedStride != nil, side > 0, batch > 0, repeats > 0,
              (transposedStride ?? 1) > 0 else {
            throw ValidationError("maps, batch and repeats must be positive and the side at least the kernel's")
        }
    }

    func run() throws {
        if let stride = transposedStride {
            for timing in DeconvolutionBenchmark.compare(height: side, width: side, batch: batch, inChannels: inChannels,
                                                         outChannels: outChannels, kernel: kernel, stride: stride,
                                                         repeats: repeats) {
                print(String(format: "deconv %dx%d stride %d %d -> %d, %d x %d², 1 thread: %@", kernel, kernel, stride,
                             inChannels, outChannels, batch, side, timing.description))
            }
            return
        }
        var algorithms: [(String, ConvAlgorithm)] = [("im2col", .im2col)]
        if kernel > 1 { algorithms.append(("partial-maps", .partialMaps)) }
        if kernel == 3 || kernel == 5 { algorithms.append(("winograd", .winograd)) }
        if kernel == 3 { algorithms.append(("winograd-f4x3", .winogradF4x3)) }
        // What a training step runs (F(4×4, 3×3) with ConvKernels' transforms where it applies).
        algorithms.append(("training", .training))
        let times = SRCNNBenchmark.convolutionCPUMilliseconds(batch: batch, inChannels: inChannels, outChannels: outChannels,
                                                              side: side, kernel: kernel, algorithms: algorithms.map(\.1),
                                                              repeats: repeats)
        for ((name, _), (forward, backward)) in zip(algorithms, times) {
            print(String(format: "%dx%d %d -> %d, %d x %d², 1 thread: %@ forward %.2f ms, backward %.2f ms, total %.2f ms",
                         kernel, kernel, inChannels, outChannels, batch, side, name, forward, backward, forward + backward))
        }
    }
}
