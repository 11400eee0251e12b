import Foundation
import Imaging
import Testing
import TensorFile
import Training
@testable import ConvNet

/// Batch normalisation (BatchNorm.swift): the batch-statistics forward against its formula,
/// whole-network gradients through it against central differences, the running statistics'
/// update and its average over shards, inference against the naive twin, folding into the
/// convolutions, and ResNet SR's files with it.
@Suite struct BatchNormTests {
    /// ResNet SR as the Keras project defines it (conv-BN-ReLU-conv-BN blocks), at tiny widths.
    static let spec = NetworkSpec.resNetSR(scale: 2, blocks: 2, batchNorm: true).narrowed

    /// Parameters with every batch norm's γ, β and running statistics away from their initial
    /// 1, 0, 0, 1, so that a mix-up of any two shows.
    static func parameters<T: BinaryFloatingPoint>(_ spec: NetworkSpec, as: T.Type = T.self) -> [[T]] {
        var params = BlockNetworkTests.parameters(spec).map { $0.map { T($0) } }
        for (t, tensor) in spec.parameterTensors.enumerated() where isNorm(spec, t) {
            let values: [T] = randomValues(tensor.count, seed: 400 + UInt64(t))
            switch tensor.name.split(separator: ".").last! {
            case "weight": params[t] = values.map { 1 + $0 / 2 }
            case "running_var": params[t] = values.map { 0.5 + abs($0) }
            default: params[t] = values.map { $0 / 4 }
            }
        }
        return params
    }

    static func isNorm(_ spec: NetworkSpec, _ tensor: Int) -> Bool {
        NetworkGraph(spec).nodes.contains { node in
            if case .layer(.batchNorm) = node.operation, let first = node.firstTensor { return (first..<(first + 4)).contains(tensor) }
            return false
        }
    }

    /// A conv → BN network's BN output, with batch statistics, against the formula over the
    /// batch's pixels, and the running statistics it proposes.
    @Test func batchStatisticsForwardAndRunningUpdate() throws {
        let spec = NetworkSpec(name: "conv + bn", layers: [.conv(kernel: 3, inChannels: 1, outChannels: 3, padding: 1),
                                                          .batchNorm(channels: 3)])
        let (side, batch, c) = (5, 3, 3)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        let params: [[Double]] = Self.parameters(spec)
        let x: [Double] = randomValues(batch * side * side, seed: 41)
        let y = net.forward(parameters: params, inputs: x, batch: batch)
        // The convolution alone (BN removed) gives what the BN normalises.
        var plain = spec
        plain.layers = [spec.layers[0]]
        let z = try SequentialNetwork<Double>(spec: plain, batchCapacity: batch, inputHeight: side, inputWidth: side)
            .forward(parameters: Array(params[0..<2]), inputs: x, batch: batch)
        let n = batch * side * side
        for ch in 0..<c {
            let values = stride(from: ch, to: z.count, by: c).map { z[$0] }
            let mean = values.reduce(0, +) / Double(n)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            let (gamma, beta) = (params[2][ch], params[3][ch])
            for (k, i) in stride(from: ch, to: z.count, by: c).enumerated() {
                #expect(abs(y[i] - (gamma * (values[k] - mean) / (variance + LayerSpec.batchNormEpsilon).squareRoot() + beta)) < 1e-12)
            }
            let m = LayerSpec.batchNormMomentum
            #expect(abs(net.updatedStatistics[4]![ch] - ((1 - m) * params[4][ch] + m * mean)) < 1e-14)
            #expect(abs(net.updatedStatistics[5]![ch] - ((1 - m) * params[5][ch] + m * variance * Double(n) / Double(n - 1))) < 1e-14)
        }
        // Inference normalises by the running statistics instead: a different output.
        net.usesBatchStatistics = false
        #expect(maxAbsDifference(net.forward(parameters: params, inputs: x, batch: batch), y) > 1e-3)
    }

    /// Every trained parameter of the EuclideanLoss through batch-statistics normalisations
    /// against central differences (the statistics depend on the parameters and the input), the
    /// running statistics without gradient, and the input gradient.
    @Test func gradientsMatchCentralDifferences() throws {
        let spec = Self.spec
        let (side, batch) = (6, 3)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        let params: [[Double]] = Self.parameters(spec)
        let x: [Double] = randomValues(batch * side * side, seed: 43).map { ($0 + 1) / 2 }
        let outCount = net.outputShape.count
        let label: [Double] = randomValues(batch * outCount, seed: 44)
        func loss(_ p: [[Double]]) -> Double {
            let y = net.forward(parameters: p, inputs: x, batch: batch)
            return zip(y, label).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * batch)
        }
        net.step(parameters: params, inputs: x, labels: label, batch: batch)
        let gradients = net.gradients
        let statistics = spec.parameterTensors.indices.filter {
            spec.parameterTensors[$0].name.hasSuffix(".running_mean") || spec.parameterTensors[$0].name.hasSuffix(".running_var")
        }
        #expect(statistics.count == 8)
        #expect(statistics.allSatisfy { gradients[$0].allSatisfy { $0 == 0 } })
        // A bias right before a batch norm cannot change the output (the batch mean takes it
        // away): its gradient is 0, which central differences give only to their rounding
        // noise (~1e-16·loss/h), so it is checked as zero and the rest relative to it. In
        // training the running statistics do not reach the output: their numeric gradient is 0 too.
        let cancelled = NetworkGraph(spec).nodes.compactMap { node -> Int? in
            if case .layer(.conv) = node.operation, case .batchNorm? = node.next { return node.firstTensor! + 1 }
            return nil
        }
        #expect(cancelled.count == 4)
        #expect(cancelled.allSatisfy { gradients[$0].allSatisfy { abs($0) < 1e-12 } })
        let checked = params.indices.filter { !cancelled.contains($0) }
        let worst = UpscalingGradientCheckTests.worstError(checked.map { params[$0] }, analytic: checked.map { gradients[$0] },
                                                           floor: 1e-4, step: 1e-5) { v in
            var p = params
            for (k, t) in checked.enumerated() { p[t] = v[k] }
            return loss(p)
        }
        #expect(worst < 1e-5)
        #expect(gradients.enumerated().contains { t, g in Self.isNorm(spec, t) && !statistics.contains(t) && g.contains { abs($0) > 1e-6 } })

        #expect(UpscalingGradientCheckTests.worstInputGradientError(net, parameters: params, inputs: x, batch: batch, seed: 45,
                                                                    floor: 1e-4, step: 1e-5) < 1e-5)
    }

    /// Inference (running statistics) against the naive twin, and the folded network (no batch
    /// norm left, conv weights and biases rescaled) against both.
    @Test func inferenceAndFolding() throws {
        let spec = Self.spec
        let side = 6
        let params: [[Double]] = Self.parameters(spec)
        let x: [Double] = randomValues(side * side, seed: 47).map { ($0 + 1) / 2 }
        let inference = try SequentialNetwork<Double>(spec: spec, batchCapacity: 1, inputHeight: side, inputWidth: side, forwardOnly: true)
        let y = inference.forward(parameters: params, inputs: x, batch: 1)
        let naive = naiveForward(spec, parameters: params, input: x, height: side, width: side)
        #expect(maxAbsDifference(y, naive) < 1e-12)
        let (folded, foldedParams) = spec.foldingBatchNorm(params)
        #expect(!folded.hasBatchNorm)
        #expect(folded.layers == NetworkSpec.resNetSR(scale: 2, blocks: 2).narrowed.layers)
        let z = try SequentialNetwork<Double>(spec: folded, batchCapacity: 1, inputHeight: side, inputWidth: side, forwardOnly: true)
            .forward(parameters: foldedParams, inputs: x, batch: 1)
        #expect(maxAbsDifference(z, y) < 1e-12)
        #expect(maxAbsDifference(z, naive) < 1e-12)
        // The statistics matter: the same weights folded with the initial ones give another output.
        let plain = NetworkSpec.resNetSR(scale: 2, blocks: 2).narrowed
        let withoutStatistics = params.indices.filter { !Self.isNorm(spec, $0) }.map { params[$0] }
        let other = try SequentialNetwork<Double>(spec: plain, batchCapacity: 1, inputHeight: side, inputWidth: side, forwardOnly: true)
            .forward(parameters: withoutStatistics, inputs: x, batch: 1)
        #expect(maxAbsDifference(other, y) > 1e-3)
    }

    /// Initial batch norms are Keras's (γ 1, β 0, statistics 0 and 1) but for the one ending each
    /// residual block, whose γ 0 makes the block start as the identity.
    @Test func initialisationStartsBlocksAsTheIdentity() {
        let spec = NetworkSpec.resNetSR(scale: 3, batchNorm: true)
        let params = spec.initialParameters(seed: 1)
        let tensors = spec.parameterTensors
        let gammas = tensors.indices.filter { Self.isNorm(spec, $0) && tensors[$0].name.hasSuffix(".weight") }
        #expect(gammas.count == 12)
        for t in gammas {
            // layers.2.block.<b>.block.1 follows the first conv, .block.4 ends the block.
            let endsBlock = tensors[t].name.hasSuffix(".block.4.weight")
            #expect(params[t].allSatisfy { $0 == (endsBlock ? 0 : 1) }, "\(tensors[t].name)")
            #expect(params[t + 1].allSatisfy { $0 == 0 } && params[t + 2].allSatisfy { $0 == 0 } && params[t + 3].allSatisfy { $0 == 1 })
        }
    }

    /// Two shards' proposed statistics average by shard size, and the trainer's description
    /// leaves them to the network (the optimiser does not touch them).
    @Test func shardsAverageTheirStatistics() throws {
        let trainable = try SequentialTrainable(spec: Self.spec, inputSize: 6)
        let description = trainable.networkDescription
        #expect(description.statisticTensors.count == 8)
        #expect(description.statisticTensors.allSatisfy { $0.hasSuffix(".running_mean") || $0.hasSuffix(".running_var") })
        let params: [[Float]] = Self.parameters(Self.spec)
        let sharded = ShardedBackprop(batchCapacity: 5, shards: 2) { trainable.makeBackprop(batchCapacity: $0) }
        let x: [Float] = randomValues(5 * 36, seed: 49).map { ($0 + 1) / 2 }
        let labelCount = trainable.labelSize * trainable.labelSize
        let labels: [Float] = randomValues(5 * labelCount, seed: 50)
        sharded.step(parameters: params, inputs: x, labels: labels, batch: 5, threads: 1)
        // Shards of 2 and 3 images: weights 2/5 and 3/5.
        let first = trainable.makeBackprop(batchCapacity: 3), second = trainable.makeBackprop(batchCapacity: 3)
        first.step(parameters: params, inputs: x, labels: labels, batch: 2, lossBatch: 5)
        x.withUnsafeBufferPointer { xs in labels.withUnsafeBufferPointer { ls in
            _ = second.step(parameters: params, inputs: xs.baseAddress! + 2 * 36, labels: ls.baseAddress! + 2 * labelCount, batch: 3, lossBatch: 5)
        } }
        #expect(sharded.updatedStatistics.count == 8)
        for (t, values) in sharded.updatedStatistics {
            let expected = zip(first.updatedStatistics[t]!, second.updatedStatistics[t]!).map { 0.4 * $0 + 0.6 * $1 }
            #expect(maxAbsDifference(values, expected) < 1e-6)
            #expect(maxAbsDifference(values, params[t]) > 0)
        }
    }

    /// Through the trainer: the running statistics move toward the data's and are not trained
    /// (their optimiser state stays zero), and a resumed run is bit-identical, statistics included.
    @Test func theTrainerKeepsTheRunningStatistics() throws {
        let set = SubImageSet(lumaPlanes: LRSpaceTrainingTests.smoothPlanes(), scale: 2, lowResolutionSize: 8, stride: 4)
        let network = { try SequentialTrainable(spec: Self.spec, inputSize: 8, stride: 4) }
        let a = try TrainerTests.temporaryFolder(), b = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        func options(_ folder: URL, epochs: Int) -> TrainingOptions {
            var o = LRSpaceTrainingTests.options(folder, epochs: epochs)
            o.scale = 2
            return o
        }
        let straight = try NetworkTrainer(network: try network(), options: options(a, epochs: 2), trainingSet: set, validation: [])
        let initial = straight.parameters
        try straight.run()
        let names = Self.spec.parameterTensors.map(\.name)
        let statistics = names.indices.filter { names[$0].hasSuffix(".running_mean") || names[$0].hasSuffix(".running_var") }
        #expect(statistics.count == 8)
        for t in statistics {
            #expect(straight.parameters[t] != initial[t], "\(names[t])")
            #expect(straight.optimizerState[t].allSatisfy { $0.allSatisfy { $0 == 0 } }, "\(names[t])")
        }
        #expect(statistics.filter { names[$0].hasSuffix(".running_var") }.allSatisfy { straight.parameters[$0].allSatisfy { $0 > 0 } })
        let firstLeg = try NetworkTrainer(network: try network(), options: options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        let resumed = try NetworkTrainer<SequentialTrainable>(resumingFrom: firstLeg.checkpointPath, epochs: 2,
                                                              trainingSet: set, validation: [])
        try resumed.run()
        #expect(resumed.parameters == straight.parameters && resumed.optimizerState == straight.optimizerState)
    }

    /// A ResNet SR file with batch norm loads as a "resnet-sr" model (its folded layers are
    /// ResNet SR's) and upscales as its folded network does; a negative running variance is refused,
    /// naming the tensor.
    @Test func resNetSRFilesWithBatchNorm() throws {
        let spec = NetworkSpec.resNetSR(scale: 2, batchNorm: true)
        let params: [[Float]] = Self.parameters(spec)
        let model = SequentialModel(spec: spec, parameters: params)
        let file = model.safeTensors()
        let loaded = try SequentialModel(file: file, path: "bn.safetensors", kind: NetworkSpec.resNetSRModelKind, scale: 2)
        #expect(loaded.parameters == params)
        let lowRes = Plane(width: 7, height: 6, values: randomValues(42, seed: 51, as: Double.self).map { ($0 + 1) / 2 })
        let (folded, foldedParams) = spec.foldingBatchNorm(params)
        let direct = SequentialModel(spec: folded, parameters: foldedParams).upscale(lowRes: lowRes)
        #expect(loaded.upscale(lowRes: lowRes).values == direct.values)

        // Batch norms elsewhere (after each block instead of inside it) are not the Keras model: refused.
        var elsewhere = NetworkSpec.resNetSR(scale: 2)
        elsewhere.layers = elsewhere.layers.map {
            guard case let .residual(blocks) = $0 else { return $0 }
            return .residual(blocks.flatMap { [$0, LayerSpec.batchNorm(channels: 64)] })
        }
        let moved = SequentialModel(spec: elsewhere, parameters: elsewhere.initialParameters(seed: 2)).safeTensors()
        #expect(throws: SequentialModelError.self) {
            try SequentialModel(file: moved, path: "moved.safetensors", kind: NetworkSpec.resNetSRModelKind, scale: 2)
        }

        var bad = file
        let name = spec.parameterTensors.first { $0.name.hasSuffix(".running_var") }!.name
        var values = params[spec.parameterTensors.firstIndex { $0.name == name }!]
        values[3] = -0.5
        bad.tensors[name] = Tensor(shape: [values.count], floats: values)
        #expect(throws: SequentialModelError.self) { try SequentialModel(file: bad, path: "bad.safetensors") }
        do { _ = try SequentialModel(file: bad, path: "bad.safetensors") } catch {
            #expect("\(error)".contains("bad.safetensors") && "\(error)".contains(name) && "\(error)".contains("negative"))
        }
    }
}
