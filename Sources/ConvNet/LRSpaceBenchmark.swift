import Dispatch
import Foundation
import Imaging
import LinearAlgebra
import SeededRandom
import Training

/// Speed only, for `srlab bench`: the LR-space networks (FSRCNN, FSRCNN-s, ESPCN) as the peers'
/// `bench_fast_sr.py` times them in PyTorch — one frame through the network, frames per second,
/// and Adam training steps on batches of LR sub-images — plus where the time goes, layer by layer.
/// Random weights: the work does not depend on their values. Not called by tests.
public enum LRSpaceBenchmark {
    public struct Inference: Sendable {
        public var network: String
        public var width: Int, height: Int, scale: Int
        /// Median wall-clock milliseconds per frame, and frames per second from it.
        public var milliseconds: Double
        public var framesPerSecond: Double { 1000 / milliseconds }
        /// Multiply-adds of one frame.
        public var macs: Double
        public var gflops: Double { 2 * macs / (milliseconds / 1000) / 1e9 }
        /// Each layer's median milliseconds and multiply-adds, in layer order; streaming, each step's
        /// (a convolution with its activation; a Winograd step counts the direct form's multiply-adds).
        public var layers: [(layer: String, milliseconds: Double, macs: Double)]
    }

    /// Multiply-adds of `layer` per input pixel of that layer (`shape`: its input).
    static func macs(_ layer: LayerSpec, input shape: ActivationShape) -> Double {
        let pixels = Double(shape.height * shape.width)
        switch layer {
        case let .conv(k, c, o, p):
            // A valid convolution (p < k/2) computes fewer outputs; count those it does.
            let h = Double(shape.height + 2 * p - k + 1), w = Double(shape.width + 2 * p - k + 1)
            return h * w * Double(k * k * c * o)
        case let .deconv(k, c, o, _, _):
            return pixels * Double(k * k * c * o)
        case .residual, .parallel:
            // Blocks keep the size: their layers' cost per pixel, on this grid.
            return pixels * NetworkSpec(name: layer.summary, layers: [layer]).multiplyAddsPerInputPixel
        default:
            return 0
        }
    }

    /// Floating-point operations of one training sample through `spec` on a `side`² input: the
    /// forward pass, the weight gradients (the same multiply-adds again) and the input gradients
    /// of every layer but the first (whose input needs none); 2 FLOPs per multiply-add. How the
    /// bench reads a training rate against the FMA peak, the same count for SRLab and the peer.
    public static func trainingFLOPs(_ spec: NetworkSpec, side: Int) throws -> Double {
        let shapes = try spec.shapes(height: side, width: side)
        let forward = spec.layers.indices.map { macs(spec.layers[$0], input: shapes[$0]) }
        let first = forward.first { $0 > 0 } ?? 0
        return 2 * (3 * forward.reduce(0, +) - first)
    }

    /// Which inference runs: what `SequentialModel` uses (`StreamingInference` where the spec
    /// allows), or `SequentialNetwork` on the whole frame (the former path, for comparison).
    public enum Runner: String, Sendable, CaseIterable { case streaming, sequential }

    /// One `width`×`height` LR frame through `spec`, `repeats` times after a warm-up; medians.
    /// Streaming, each layer's figure is its step's (a convolution with its activation, or the
    /// last step's shuffle) CPU time summed over the threads, divided by the thread count.
    public static func inference(_ spec: NetworkSpec, width: Int, height: Int, repeats: Int = 15,
                                 deconvolution: DeconvolutionAlgorithm = .gemm, runner: Runner = .streaming,
                                 tileWidth: Int? = nil, band: Int? = nil) throws -> Inference {
        let parameters = spec.initialParameters(seed: 1)
        var rng = Xoshiro256(seed: 2)
        let frame = (0..<(width * height)).map { _ in Float(rng.nextUniform()) }
        let shapes = try spec.shapes(height: height, width: width)
        let layerMacs = spec.layers.indices.map { macs(spec.layers[$0], input: shapes[$0]) }
        if runner == .streaming, let streaming = StreamingInference(spec: spec, parameters: parameters) {
            if let tileWidth { streaming.tileWidth = tileWidth }
            if let band { streaming.band = band }
            let plane = Plane(width: width, height: height, values: frame.map(Double.init))
            _ = streaming.apply(to: plane)   // warm-up
            var totals: [Double] = []
            var perStage = [[Double]](repeating: [], count: streaming.stageLayers.count)
            let threads = Double(max(1, ConvNetThreads.count))
            for _ in 0..<repeats {
                streaming.stageSeconds = [Double](repeating: 0, count: perStage.count)
                let start = DispatchTime.now().uptimeNanoseconds
                _ = streaming.apply(to: plane)
                totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                for (s, seconds) in streaming.stageSeconds!.enumerated() { perStage[s].append(seconds * 1000 / threads) }
            }
            return Inference(network: spec.name, width: width, height: height, scale: spec.scale,
                             milliseconds: median(totals), macs: layerMacs.reduce(0, +),
                             layers: streaming.stageLayers.indices.map {
                                 (streaming.stageSummaries[$0], median(perStage[$0]), streaming.stageLayers[$0].map { layerMacs[$0] }.reduce(0, +))
                             })
        }
        let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: height, inputWidth: width, forwardOnly: true)
        net.deconvolutionAlgorithm = deconvolution
        var totals: [Double] = []
        var perLayer = [[Double]](repeating: [], count: spec.layers.count)
        frame.withUnsafeBufferPointer { x in
            _ = net.forward(parameters: parameters, inputs: x.baseAddress!, batch: 1)   // warm-up
            for _ in 0..<repeats {
                net.layerSeconds = [Double](repeating: 0, count: spec.layers.count)
                let start = DispatchTime.now().uptimeNanoseconds
                _ = net.forward(parameters: parameters, inputs: x.baseAddress!, batch: 1)
                totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                for (l, seconds) in net.layerSeconds!.enumerated() { perLayer[l].append(seconds * 1000) }
            }
        }
        return Inference(network: spec.name, width: width, height: height, scale: spec.scale,
                         milliseconds: median(totals), macs: layerMacs.reduce(0, +),
                         layers: spec.layers.indices.map { (spec.layers[$0].summary, median(perLayer[$0]), layerMacs[$0]) })
    }

    /// Median samples per second of Adam training steps (forward, backward, update) on random
    /// batches of `lrSide`² LR sub-images with HR labels `scale` times larger, as the peers time them.
    /// The step is the trainer's: the batch cut into `shards` shards, each on its own thread with
    /// one BLAS thread (`ShardedBackprop`, `TrainingOptions.shards`), gradients summed.
    public static func trainingSamplesPerSecond(_ spec: NetworkSpec, batch: Int = 128, lrSide: Int = 11,
                                                steps: Int = 15, threads: Int = 2, shards: Int = 2) throws -> Double {
        try training(spec, batch: batch, lrSide: lrSide, steps: steps, threads: threads, shards: shards,
                     profiled: false).samplesPerSecond
    }

    /// Where a training step's time goes: medians over the timed steps, in milliseconds.
    public struct TrainingProfile: Sendable {
        public var samplesPerSecond: Double
        /// The whole step: shards' forward and backward, the gradients' sum, and Adam.
        public var stepMilliseconds: Double
        /// `ShardedBackprop.step` (the shards in parallel and the gradients' sum), and Adam's update.
        public var backpropMilliseconds: Double, optimizerMilliseconds: Double
        /// Each shard's own forward + backward + loss, CPU time of its thread (the slowest sets the pace).
        public var shardMilliseconds: [Double]
        /// Shard 0's thread CPU time per outer layer, forward and backward, with its multiply-adds per shard.
        public var layers: [(layer: String, forward: Double, backward: Double, macs: Double)]
        /// Shard 0's loss, and the zeroing and copying of its parameter gradients.
        public var lossAndGradientCopies: Double
    }

    /// `trainingSamplesPerSecond` with the step taken apart (`profiled`: per-layer clocks on).
    public static func training(_ spec: NetworkSpec, batch: Int = 128, lrSide: Int = 11, steps: Int = 15,
                                threads: Int = 2, shards: Int = 2, profiled: Bool = true) throws -> TrainingProfile {
        let shapes = try spec.shapes(height: lrSide, width: lrSide)   // a spec too large for the side throws here
        let net = ShardedBackprop(batchCapacity: batch, shards: shards) {
            try! SequentialNetwork<Float>(spec: spec, batchCapacity: $0, inputHeight: lrSide, inputWidth: lrSide)
        }
        let inputCount = net.shards[0].inputShape.count, outputCount = net.shards[0].outputShape.count
        var parameters = spec.initialParameters(seed: 1)
        let optimizer = Adam()
        var state = parameters.map { [[Float]](repeating: [Float](repeating: 0, count: $0.count), count: optimizer.stateCount) }
        var rng = Xoshiro256(seed: 3)
        let x = (0..<(batch * inputCount)).map { _ in Float(rng.nextUniform()) }
        let y = (0..<(batch * outputCount)).map { _ in Float(rng.nextUniform()) }
        let layerCount = spec.layers.count
        var times: [Double] = [], backprop: [Double] = [], update: [Double] = []
        var forward = [[Double]](repeating: [], count: layerCount), backward = [[Double]](repeating: [], count: layerCount + 1)
        var perShard = [[Double]](repeating: [], count: net.shards.count)
        ConvNetThreads.with(shards > 1 ? 1 : threads) { BLASThreads.with(shards > 1 ? 1 : threads) {
            for s in 0..<(steps + 10) {   // warm-up: see SRCNNBenchmark.trainingSamplesPerSecond
                if profiled {
                    for shard in net.shards {
                        shard.layerSeconds = [Double](repeating: 0, count: layerCount)
                        shard.backwardLayerSeconds = [Double](repeating: 0, count: layerCount + 1)
                        shard.layerClockIsThreadCPU = true
                    }
                }
                let start = DispatchTime.now().uptimeNanoseconds
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        _ = net.step(parameters: parameters, inputs: xp.baseAddress!, labels: yp.baseAddress!,
                                     batch: batch, threads: threads)
                    }
                }
                let middle = DispatchTime.now().uptimeNanoseconds
                for t in parameters.indices {
                    optimizer.update(parameters: &parameters[t], gradients: net.gradients[t], state: &state[t],
                                     learningRate: 1e-4, step: s + 1)
                }
                let end = DispatchTime.now().uptimeNanoseconds
                guard s >= 10 else { continue }
                times.append(Double(end - start) / 1e9)
                backprop.append(Double(middle - start) / 1e6)
                update.append(Double(end - middle) / 1e6)
                guard profiled else { continue }
                for (k, shard) in net.shards.enumerated() {
                    perShard[k].append((shard.layerSeconds!.reduce(0, +) + shard.backwardLayerSeconds!.reduce(0, +)) * 1000)
                }
                for l in 0..<layerCount { forward[l].append(net.shards[0].layerSeconds![l] * 1000) }
                for l in 0...layerCount { backward[l].append(net.shards[0].backwardLayerSeconds![l] * 1000) }
            }
        } }
        let shardBatch = net.shards[0].batchCapacity, fused = net.shards[0].outerLayersRunInConvolutions
        return TrainingProfile(samplesPerSecond: Double(batch) / median(times), stepMilliseconds: median(times) * 1000,
                               backpropMilliseconds: median(backprop), optimizerMilliseconds: median(update),
                               shardMilliseconds: perShard.map(median),
                               layers: (0..<layerCount).map {
                                   (spec.layers[$0].summary + (fused.contains($0) ? " (run inside the convolutions beside it)" : ""),
                                    median(forward[$0]), median(backward[$0]),
                                    Double(shardBatch) * macs(spec.layers[$0], input: shapes[$0]))
                               },
                               lossAndGradientCopies: median(backward[layerCount]))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
