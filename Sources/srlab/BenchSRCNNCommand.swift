import ArgumentParser
import ConvNet
import Foundation
import Imaging
import LinearAlgebra
import Training

/// `srlab bench srcnn MODE`: SRCNN's development measurements, one number or a few per run, for
/// experiments/srcnn_measurements.md (the former `srcnn-bench` tool). Release builds; the machine
/// is shared, so single-thread CPU times are the steadiest figures.
struct BenchSRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srcnn",
        abstract: "One SRCNN measurement: inference or training speed, CPU time, a layer, memory, or a model's fit to its training set.",
        subcommands: [Infer.self, Train.self, CPU.self, Layer.self, TrainCPU.self, Memory.self, TrainLoss.self, Dead.self])

    /// What every mode shares: the architecture and the thread count.
    struct Common: ParsableArguments {
        @Argument(help: "Architecture f1-f2-f3[:n1-n2] (default: 9-1-5 and 9-5-5 where a mode runs several, else 9-1-5).")
        var arch: String?
        @Option(help: "Threads of the layers' loops and of OpenBLAS (default: as the process starts; cpu and layer use one).")
        var threads: Int?

        func validate() throws { _ = try architectures(default: []) }

        func architectures(default fallback: [SRCNNArchitecture]) throws -> [SRCNNArchitecture] {
            guard let arch else { return fallback }
            guard let parsed = SRCNNArchitecture(arch) else {
                throw ValidationError("'\(arch)' is not an architecture of the form 9-5-5 or 9-5-5:64-32")
            }
            return [parsed]
        }

        /// Runs `body` on the thread counts asked for, after a line naming them.
        func measure(_ body: () throws -> Void) throws {
            let count = max(1, threads ?? BLASThreads.count)
            try ConvNetThreads.with(threads ?? ConvNetThreads.count) {
                try BLASThreads.with(count) {
                    print("BLAS \(BLASRuntime.kernel), \(BLASRuntime.threads) BLAS threads, \(ConvNetThreads.count) SRCNN threads")
                    try body()
                }
            }
        }
    }

    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wall milliseconds of the network (no bicubic) on 256² and 512² planes; with --layers, where a 256² image's time goes.")
        @OptionGroup var common: Common
        @Flag(help: "Each layer's CPU time over the threads (≈ its share of the wall time) on a 256² plane, and its GFLOP/s.")
        var layers = false

        func run() throws {
            try common.measure {
                for arch in try common.architectures(default: [.srcnn915, .srcnn955]) {
                    for size in [256, 512] {
                        print(String(format: "inference %@ %d²: %.2f ms", arch.description, size,
                                     SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: size)))
                    }
                    guard layers else { continue }
                    for layer in SRCNNBenchmark.inferenceLayers(architecture: arch, size: 256) {
                        print(String(format: "    %7.2f ms %7.1f GFLOP/s  %@", layer.milliseconds,
                                     2 * layer.macs / (layer.milliseconds / 1000) / 1e9, layer.layer))
                    }
                }
            }
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Training samples/s at batch 128, SGD and Adam.")
        @OptionGroup var common: Common
        func run() throws {
            try common.measure {
                for arch in try common.architectures(default: [.srcnn915, .srcnn955]) {
                    for (name, optimizer) in [("sgd", SGDMomentum() as any Optimizer), ("adam", Adam())] {
                        let rate = SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 10, optimizer: optimizer)
                        print(String(format: "training %@ batch 128 %@: %.0f samples/s", arch.description, name, rate))
                    }
                }
            }
        }
    }

    struct CPU: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Single-thread CPU milliseconds per 256² image (steady under load).")
        @OptionGroup var common: Common
        func run() throws {
            try common.measure {
                let arch = try common.architectures(default: [.srcnn915])[0]
                let t = SRCNNBenchmark.inferenceCPUMilliseconds(architecture: arch)
                print(String(format: "inference %@ 256², 1 thread, CPU time: median %.2f ms, min %.2f ms", arch.description, t.median, t.min))
            }
        }
    }

    struct Layer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The middle layer's forward and backward on one training shard, each algorithm (im2col, Winograd for 5×5).")
        @OptionGroup var common: Common
        func run() throws {
            try common.measure {
                let arch = try common.architectures(default: [.srcnn955])[0]
                let algorithms: [(String, ConvAlgorithm)] = arch.f2 == 5 ? [("im2col", .im2col), ("winograd", .winograd)] : [("automatic", .automatic)]
                let times = SRCNNBenchmark.middleLayerCPUMilliseconds(architecture: arch, algorithms: algorithms.map(\.1))
                for ((name, _), (forward, backward)) in zip(algorithms, times) {
                    print(String(format: "layer 2 of %@, 64 crops, 1 thread, CPU time: %@ forward %.2f ms, backward %.2f ms (%.0f µs per crop)",
                                 arch.description, name, forward, backward, (forward + backward) * 1e3 / 64))
                }
            }
        }
    }

    struct TrainCPU: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traincpu",
            abstract: "Training samples per CPU-second (and wall); --shard-threads 2 runs the two shards at once.")
        @OptionGroup var common: Common
        @Option(help: "Threads the shards run on (1: one after the other).") var shardThreads = 1
        @Option(help: "Sub-images per batch.") var batch = 128
        @Option(help: "Shards per batch.") var shards = 2
        func run() throws {
            try common.measure {
                let arch = try common.architectures(default: [.srcnn915])[0]
                let rate = SRCNNBenchmark.trainingCPURate(architecture: arch, batch: batch, threads: shardThreads, shards: shards)
                print(String(format: "training %@ batch %d, %d thread%@: %.0f samples/s wall; %.0f samples/s by CPU time (13 steps)",
                             arch.description, batch, shardThreads, shardThreads == 1 ? "" : "s", rate.wall, rate.perCPUSecond))
            }
        }
    }

    struct Memory: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A ×3 upscale to about SIDE×SIDE: seconds and peak resident memory.")
        @OptionGroup var common: Common
        @Argument(help: "Side of the output.") var side = 2048
        func run() throws {
            try common.measure {
                let arch = try common.architectures(default: [.srcnn915])[0]
                let m = SRCNNBenchmark.upscaleMemory(architecture: arch, side: side)
                print(String(format: "%@ upscale to %dx%d: %.2f s, peak resident %.0f MiB", arch.description, m.width, m.height, m.seconds, m.peakMiB))
            }
        }
    }

    /// The model and training folder the diagnostics read.
    struct ModelOnData: ParsableArguments {
        @Argument(help: "An SRCNN model file.") var model: String
        @Argument(help: "A folder of training images (T91).") var images: String
        @Option(help: "Scale of the sub-images' bicubic degradation.") var scale = 3

        func load() throws -> (SRCNN, SubImageSet) {
            let model = try SRCNN(contentsOf: model)
            let set = try SubImageSet(imageFiles: try SubImageSet.imageFiles(in: images), scale: scale)
            return (model, set)
        }
    }

    struct TrainLoss: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trainloss",
            abstract: "A model's MSE on the training sub-images (valid convolutions, centre label), beside bicubic's.")
        @OptionGroup var data: ModelOnData
        func run() throws {
            try reportingErrors {
                let (model, set) = try data.load()
                let e = SRCNNDiagnostics.trainingSetError(model: model, set: set)
                print(String(format: "training-set MSE %.4e (bicubic %.4e) over %d sub-images", e.mse, e.bicubicMSE, e.subImages))
            }
        }
    }

    struct Dead: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How many layer-1 and layer-2 maps never fire on 1,024 training sub-images.")
        @OptionGroup var data: ModelOnData
        func run() throws {
            try reportingErrors {
                let (model, set) = try data.load()
                let dead = SRCNNDiagnostics.deadMaps(model: model, set: set)
                let arch = model.architecture
                print("dead maps: layer 1 \(dead.layer1)/\(arch.n1), layer 2 \(dead.layer2)/\(arch.n2)")
            }
        }
    }
}
