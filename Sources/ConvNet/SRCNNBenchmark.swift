import SeededRandom
import Foundation
import Imaging
import LinearAlgebra
import Training

/// Speed only, on synthetic inputs (no data needed): what `srlab bench` reports for SRCNN.
/// Medians, because the machine is shared.
public enum SRCNNBenchmark {
    /// Median milliseconds of the network (no bicubic) on one size×size Y plane, 'same' output.
    public static func inferenceMilliseconds(architecture: SRCNNArchitecture = .srcnn915, size: Int = 256,
                                             repeats: Int = 15, tileSize: Int = 512) -> Double {
        var model = SRCNN(architecture: architecture, seed: 1, standardDeviation: 0.05)
        model.tileSize = tileSize
        var rng = Xoshiro256(seed: 2)
        let input = Plane(width: size, height: size, values: (0..<(size * size)).map { _ in rng.nextUniform() })
        _ = model.apply(to: input) // warm-up: buffers, BLAS threads
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.apply(to: input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return median(times)
    }

    /// Where `inferenceMilliseconds`'s time goes: each layer's thread CPU time summed over the
    /// threads and divided by their count (so the layers add up to about the wall time), median
    /// over the repeats, with its multiply-adds. A layer's time includes its bias and activation
    /// and the copies into the next layer's window; the first layer's, reading the input plane.
    public static func inferenceLayers(architecture: SRCNNArchitecture = .srcnn915, size: Int = 256,
                                       repeats: Int = 15, tileSize: Int = 512)
        -> [(layer: String, milliseconds: Double, macs: Double)] {
        var model = SRCNN(architecture: architecture, seed: 1, standardDeviation: 0.05)
        model.tileSize = tileSize
        var rng = Xoshiro256(seed: 2)
        let input = Plane(width: size, height: size, values: (0..<(size * size)).map { _ in rng.nextUniform() })
        _ = model.apply(to: input)
        let layers = architecture.layers
        let threads = Double(max(1, ConvNetThreads.count))
        var perLayer = [[Double]](repeating: [], count: layers.count)
        for _ in 0..<repeats {
            let clock = LayerClock(layers: layers.count)
            _ = model.apply(to: input, clock: clock)
            for l in layers.indices { perLayer[l].append(clock.seconds[l] * 1000 / threads) }
        }
        let first = layers[0]
        let firstWinograd = WinogradNineByNine.applies(kernel: first.kernel, inChannels: first.inChannels,
                                                       outChannels: first.outChannels)
        return layers.indices.map { l in
            let layer = layers[l]
            var name = "conv \(layer.kernel)×\(layer.kernel) \(layer.inChannels)→\(layer.outChannels)" + (l < 2 ? " + ReLU" : "")
            if l == 0 && firstWinograd { name += ", Winograd F(3×3, 3×3) on 3×3 sub-kernels" }
            if l == 1 && layer.kernel == 5 && ConvAlgorithm.automatic.resolved(kernel: 5, inChannels: layer.inChannels,
                                                                              outChannels: layer.outChannels) == .winograd {
                name += ", Winograd F(3×3, 5×5)"
            }
            let macs = Double(layer.kernel * layer.kernel * layer.inChannels * layer.outChannels * size * size)
            return (name, median(perLayer[l]), macs)
        }
    }

    /// Single-thread CPU milliseconds (median, min) of the network on one size×size plane:
    /// robust to other processes on the machine, unlike wall time.
    public static func inferenceCPUMilliseconds(architecture: SRCNNArchitecture = .srcnn915, size: Int = 256,
                                                repeats: Int = 20) -> (median: Double, min: Double) {
        ConvNetThreads.with(1) { BLASThreads.with(1) {
            var model = SRCNN(architecture: architecture, seed: 1, standardDeviation: 0.05)
            model.tileSize = max(1024, size)
            let input = Plane(width: size, height: size, repeating: 0.5)
            _ = model.apply(to: input)
            let times = (0..<repeats).map { _ in threadCPUMilliseconds { _ = model.apply(to: input) } }
            return (median(times), times.min() ?? .nan)
        } }
    }

    /// A ×3 upscale of a random plane to about side×side: the output's size, the seconds it took,
    /// and the process's peak resident memory in MiB afterwards (tiling bounds it by the tile width).
    public static func upscaleMemory(architecture: SRCNNArchitecture = .srcnn955, side: Int = 2048)
        -> (width: Int, height: Int, seconds: Double, peakMiB: Double) {
        let model = SRCNN(architecture: architecture, seed: 1, standardDeviation: 0.05)
        var rng = Xoshiro256(seed: 5)
        let n = side / 3 + 1
        let low = Plane(width: n, height: n, values: (0..<(n * n)).map { _ in rng.nextUniform() })
        let start = DispatchTime.now().uptimeNanoseconds
        let out = model.resolver(scale: 3).upscale(lowRes: low)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var usage = rusage()
        getrusage(0, &usage)  // RUSAGE_SELF
        return (out.width, out.height, seconds, Double(usage.ru_maxrss) / 1024)
    }

    /// `trainingSamplesPerSecond` (10 timed steps after 3 warm-up ones) and the same steps'
    /// samples per CPU-second of the whole process: with two shards at once, how much the second
    /// one costs beside the first (memory contention).
    public static func trainingCPURate(architecture: SRCNNArchitecture = .srcnn915, batch: Int = 128,
                                       threads: Int = 1, shards: Int = 2) -> (wall: Double, perCPUSecond: Double) {
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0)
        let wall = trainingSamplesPerSecond(architecture: architecture, batch: batch, steps: 10, threads: threads, shards: shards)
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1)
        let cpu = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        return (wall, Double(20 * batch) / cpu)   // 10 warm-up and 10 timed steps
    }

    /// Median training throughput (samples/s) of full steps — forward, backward and optimiser
    /// update — on random 33×33 batches, as the peers' PyTorch benchmark times them.
    public static func trainingSamplesPerSecond(architecture: SRCNNArchitecture = .srcnn915, batch: Int = 128,
                                                steps: Int = 20, optimizer: any Optimizer = SGDMomentum(),
                                                threads: Int = 2, shards: Int = 2) -> Double {
        let p = SubImageSet.defaultPatchSize
        let net = SRCNNShardedBackprop(architecture: architecture, batchCapacity: batch, shards: shards)
        // Shards on their own threads run their layers and BLAS on one thread each, as the trainer does.
        return ConvNetThreads.with(shards > 1 ? 1 : threads) { BLASThreads.with(shards > 1 ? 1 : threads) {
            var params = SRCNN(architecture: architecture, seed: 1).parameters
            var state = params.map { [[Float]](repeating: [Float](repeating: 0, count: $0.count), count: optimizer.stateCount) }
            var rng = Xoshiro256(seed: 3)
            let x = (0..<(batch * p * p)).map { _ in Float(rng.nextUniform()) }
            let y = (0..<(batch * net.labelSize * net.labelSize)).map { _ in Float(rng.nextUniform()) }
            var times: [Double] = []
            // 10 warm-up steps: the first training measurement of a process ran about 40% slow for more
            // than 3 steps (a start-up transient not pinned down), which made SGD, measured first, look
            // 1.6x slower than Adam.
            for s in 0..<(steps + 10) {
                let start = DispatchTime.now().uptimeNanoseconds
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        _ = net.step(parameters: params, inputs: xp.baseAddress!, labels: yp.baseAddress!, batch: batch,
                                     threads: threads)
                    }
                }
                for t in params.indices {
                    optimizer.update(parameters: &params[t], gradients: net.gradients[t], state: &state[t],
                                     learningRate: t >= 4 ? 1e-5 : 1e-4, step: s + 1)
                }
                if s >= 10 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
            return Double(batch) / median(times)
        } }
    }

    /// Median single-thread CPU milliseconds of the middle layer's forward (with ReLU) and backward
    /// on one training shard (`crops` 33×33 crops' activations), each algorithm in turn, interleaved
    /// so that load on the machine hits them alike.
    public static func middleLayerCPUMilliseconds(architecture: SRCNNArchitecture = .srcnn955, algorithms: [ConvAlgorithm],
                                                  crops: Int = 64, repeats: Int = 15) -> [(forward: Double, backward: Double)] {
        ConvNetThreads.with(1) { BLASThreads.with(1) {
            middleLayerTimes(architecture: architecture, algorithms: algorithms, crops: crops, repeats: repeats)
        } }
    }

    static func middleLayerTimes(architecture: SRCNNArchitecture, algorithms: [ConvAlgorithm],
                                 crops: Int, repeats: Int) -> [(forward: Double, backward: Double)] {
        let layer = architecture.layers[1]
        return convolutionTimes(batch: crops, inChannels: layer.inChannels, outChannels: layer.outChannels,
                                side: SubImageSet.defaultPatchSize - architecture.f1 + 1, kernel: layer.kernel,
                                algorithms: algorithms, repeats: repeats)
    }

    /// Median single-thread CPU milliseconds of one valid convolution's forward (with ReLU) and
    /// backward (with dInput) on `batch` `side`×`side` inputs, each algorithm in turn, interleaved.
    public static func convolutionCPUMilliseconds(batch: Int, inChannels: Int, outChannels: Int, side: Int, kernel: Int,
                                                  algorithms: [ConvAlgorithm], repeats: Int = 15) -> [(forward: Double, backward: Double)] {
        ConvNetThreads.with(1) { BLASThreads.with(1) {
            convolutionTimes(batch: batch, inChannels: inChannels, outChannels: outChannels, side: side, kernel: kernel,
                             algorithms: algorithms, repeats: repeats)
        } }
    }

    static func convolutionTimes(batch crops: Int, inChannels: Int, outChannels: Int, side: Int, kernel: Int,
                                 algorithms: [ConvAlgorithm], repeats: Int) -> [(forward: Double, backward: Double)] {
        let layer = (kernel: kernel, inChannels: inChannels, outChannels: outChannels)
        let outSide = side - layer.kernel + 1
        var rng = Xoshiro256(seed: 4)
        let x = (0..<(crops * side * side * layer.inChannels)).map { _ in Float(rng.nextUniform()) }
        let w = (0..<(layer.kernel * layer.kernel * layer.inChannels * layer.outChannels)).map { _ in Float(rng.nextUniform() - 0.5) * 0.05 }
        let b = [Float](repeating: 0.01, count: layer.outChannels)
        let dy = (0..<(crops * outSide * outSide * layer.outChannels)).map { _ in Float(rng.nextUniform() - 0.5) }
        var y = [Float](repeating: 0, count: dy.count), dx = x, dw = w, db = b
        let workspace = Workspace<Float>()
        var forward = [[Double]](repeating: [], count: algorithms.count), backward = forward
        for r in 0...repeats {   // the first round warms up
            for (a, algorithm) in algorithms.enumerated() {
                let f = threadCPUMilliseconds {
                    conv2dForward(output: &y, input: x, weight: w, bias: b, batch: crops, inChannels: layer.inChannels,
                                  outChannels: layer.outChannels, height: side, width: side, kernel: layer.kernel,
                                  relu: true, algorithm: algorithm, workspace: workspace)
                }
                let g = threadCPUMilliseconds {
                    conv2dBackward(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: dy, input: x, weight: w, batch: crops,
                                   inChannels: layer.inChannels, outChannels: layer.outChannels, height: side,
                                   width: side, kernel: layer.kernel, algorithm: algorithm, workspace: workspace)
                }
                if r > 0 { forward[a].append(f); backward[a].append(g) }
            }
        }
        return zip(forward, backward).map { (median($0), median($1)) }
    }

    static func threadCPUMilliseconds(_ body: () -> Void) -> Double {
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
        return Double(t1.tv_sec - t0.tv_sec) * 1e3 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
