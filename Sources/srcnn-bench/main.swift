// Quick SRCNN speed check for development; `srlab bench` calls the same SRCNNBenchmark functions.
import ConvNet
import Foundation
import Imaging
import LinearAlgebra

BLASRuntime.ensureFastKernel()
let args = CommandLine.arguments.dropFirst()
let what = args.first ?? "all"
let archs = args.count > 1 ? [SRCNNArchitecture(args[args.startIndex + 1])!] : [SRCNNArchitecture.srcnn915, .srcnn955]
if let t = ProcessInfo.processInfo.environment["SRLAB_THREADS"].flatMap(Int.init) { ConvNetThreads.configure(threads: t) }
print("BLAS \(BLASRuntime.kernel), \(BLASRuntime.threads) BLAS threads, \(ConvNetThreads.count) SRCNN threads")
if what == "cpu" {
    // Single-thread CPU time per 256² image, robust to other processes on the machine.
    ConvNetThreads.configure(threads: 1)
    var model = SRCNN(architecture: archs[0], seed: 1, standardDeviation: 0.05)
    model.tileSize = 1024
    let input = Imaging.Plane(width: 256, height: 256, repeating: 0.5)
    _ = model.apply(to: input)
    var times: [Double] = []
    for _ in 0..<20 {
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
        _ = model.apply(to: input)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
        times.append(Double(t1.tv_sec - t0.tv_sec) * 1e3 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6)
    }
    times.sort()
    print(String(format: "inference %@ 256², 1 thread, CPU time: median %.2f ms, min %.2f ms", archs[0].description, times[10], times[0]))
}
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
