// Quick SRCNN speed check for development; `srlab bench` calls the same SRCNNBenchmark functions.
import ConvNet
import Foundation
import LinearAlgebra

BLASRuntime.ensureFastKernel()
let args = CommandLine.arguments.dropFirst()
let what = args.first ?? "all"
let archs = args.count > 1 ? [SRCNNArchitecture(args[args.startIndex + 1])!] : [SRCNNArchitecture.srcnn915, .srcnn955]
if let t = ProcessInfo.processInfo.environment["SRLAB_THREADS"].flatMap(Int.init) { ConvNetThreads.configure(threads: t) }
print("BLAS \(BLASRuntime.kernel), \(BLASRuntime.threads) BLAS threads, \(ConvNetThreads.count) SRCNN threads")
if what == "all" || what == "infer" {
    for arch in archs {
        for size in [256, 512] {
            let ms = SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: size)
            print(String(format: "inference %@ %d²: %.2f ms", arch.description, size, ms))
        }
    }
}
if what == "all" || what == "train" {
    for arch in archs {
        for (name, opt) in [("sgd", SGDMomentum() as any Optimizer), ("adam", Adam())] {
            let rate = SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 10, optimizer: opt)
            print(String(format: "training %@ batch 128 %@: %.0f samples/s", arch.description, name, rate))
        }
    }
}
