import Foundation
import Testing
import Imaging
import LinearAlgebra
import TensorFile
@testable import Training
@testable import ConvNet

/// The LR-space networks through the trainer: LR sub-images, the loss margin, training,
/// resume, last-layer-only training and the transfer of a ×3 model to ×2.
@Suite struct LRSpaceTrainingTests {
    static let spec = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 3)

    /// The smooth planes of `TrainerTests`, cut as LR sub-images.
    static func lowResolutionSet(scale: Int = 3, size: Int = 7, stride: Int = 4) -> SubImageSet {
        SubImageSet(lumaPlanes: smoothPlanes(), scale: scale, lowResolutionSize: size, stride: stride)
    }

    /// Three smooth 61×61 planes.
    static func smoothPlanes() -> [Plane] {
        (0..<3).map { k in
            Plane(width: 61, height: 61, values: (0..<(61 * 61)).map { i in
                let x = Double(i % 61), y = Double(i / 61)
                return 0.5 + 0.4 * sin(x / Double(3 + k)) * cos(y / Double(4 + k))
            })
        }
    }

    static func network(_ spec: NetworkSpec = spec) throws -> SequentialTrainable {
        try SequentialTrainable(spec: spec, inputSize: 7, stride: 4)
    }

    /// The published networks' training step on the bench's 11×11 sub-images (every fast path
    /// the step takes: F(4×4) with widened maps, the deconvolution's runs, SIMD PReLU): the same
    /// inputs give the same bytes twice, and on one thread as on two (the shards fix the sums).
    @Test(arguments: ["fsrcnn", "fsrcnn-s", "espcn"])
    func aTrainingStepIsDeterministic(_ kind: String) throws {
        let spec = try #require(NetworkSpec.published(kind: kind, scale: 3))
        let trainable = try SequentialTrainable(spec: spec, inputSize: 11)
        let (batch, label) = (6, trainable.labelSize)
        let parameters = spec.initialParameters(seed: 5)
        let x: [Float] = randomValues(batch * 11 * 11, seed: 6).map { ($0 + 1) / 2 }
        let y: [Float] = randomValues(batch * label * label, seed: 7).map { ($0 + 1) / 2 }
        func step(threads: Int) -> (error: Double, gradients: [[Float]]) {
            BLASThreads.with(1) {
                let net = ShardedBackprop(batchCapacity: batch, shards: 2) { trainable.makeBackprop(batchCapacity: $0) }
                let error = net.step(parameters: parameters, inputs: x, labels: y, batch: batch, threads: threads)
                return (error, net.gradients)
            }
        }
        let first = step(threads: 2), again = step(threads: 2), oneThread = step(threads: 1)
        #expect(first.error == again.error && first.gradients == again.gradients)
        #expect(first.error == oneThread.error && first.gradients == oneThread.gradients)
        #expect(first.gradients.allSatisfy { $0.contains { $0 != 0 } })
    }

    @Test func theDefaultsFollowTheDeconvolutionsReach() throws {
        #expect(SequentialTrainable.defaultLossMargin(.fsrcnn(scale: 2)) == 4)
        #expect(SequentialTrainable.defaultLossMargin(.fsrcnn(scale: 3)) == 3)
        #expect(SequentialTrainable.defaultLossMargin(.fsrcnn(scale: 4)) == 3)
        #expect(SequentialTrainable.defaultLossMargin(.espcn(scale: 3)) == 0)
        let fsrcnn = try SequentialTrainable(spec: .fsrcnn(scale: 3), inputSize: 11)
        #expect(fsrcnn.stride == 5 && fsrcnn.outputSize == 33 && fsrcnn.labelSize == 27)
        let description = fsrcnn.networkDescription
        #expect(description.shrink == 6 && description.input == .lowResolution(size: 11, stride: 5))
        #expect(throws: TrainingError.self) { try SequentialTrainable(spec: .fsrcnn(scale: 3), inputSize: 2, lossMargin: 3) }
    }

    /// The margin is left out of the loss: outputs there get no gradient and do not count.
    @Test func theLossMarginIsLeftOut() throws {
        let net = try SequentialNetwork<Double>(spec: .espcn(scale: 2), batchCapacity: 2, inputHeight: 5, inputWidth: 5, lossMargin: 2)
        let params = NetworkSpec.espcn(scale: 2).initialParameters(seed: 3).map { $0.map(Double.init) }
        let x: [Double] = randomValues(2 * 25, seed: 1)
        let output = net.forward(parameters: params, inputs: x, batch: 2)
        #expect(net.labelShape == ActivationShape(height: 6, width: 6, channels: 1))
        // Labels equal to the output's centre: zero loss and zero gradients, whatever the margin holds.
        var labels: [Double] = []
        for n in 0..<2 { for r in 2..<8 { for c in 2..<8 { labels.append(output[n * 100 + r * 10 + c]) } } }
        #expect(net.step(parameters: params, inputs: x, labels: labels, batch: 2) == 0)
        #expect(net.gradients.allSatisfy { $0.allSatisfy { $0 == 0 } })
        labels[0] += 0.5
        #expect(abs(net.step(parameters: params, inputs: x, labels: labels, batch: 2) - 0.25 / 72) < 1e-15)
    }

    /// Training only the last layer, the backward pass stops there with the same gradients.
    @Test func theBackwardPassStopsAtTheOnlyTrainedLayer() throws {
        let network = try Self.network()
        let whole = network.makeBackprop(batchCapacity: 3), last = network.makeBackprop(batchCapacity: 3, trainsOnlyLastLayer: true)
        #expect(last.firstTrainedLayer == 8 && whole.firstTrainedLayer == 0)
        let params = Self.spec.initialParameters(seed: 4)
        let x: [Float] = randomValues(3 * 49, seed: 5), y: [Float] = randomValues(3 * 15 * 15, seed: 6)
        #expect(whole.step(parameters: params, inputs: x, labels: y, batch: 3) == last.step(parameters: params, inputs: x, labels: y, batch: 3))
        let deconvolution = Self.spec.firstTensorIndex[8]!
        for t in params.indices {
            if t >= deconvolution {
                #expect(last.gradients[t] == whole.gradients[t])
            } else {
                #expect(last.gradients[t].allSatisfy { $0 == 0 } && whole.gradients[t].contains { $0 != 0 }, "tensor \(t)")
            }
        }
    }

    static func options(_ folder: URL, epochs: Int) -> TrainingOptions {
        var o = TrainerTests.options(folder, epochs: epochs)
        o.learningRate = 3e-3
        o.lastLayerLearningRate = 3e-4
        o.batchSize = 8
        return o
    }

    @Test func aTinyRunLowersTheLoss() throws {
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try NetworkTrainer(network: try Self.network(), options: Self.options(folder, epochs: 4),
                                         trainingSet: Self.lowResolutionSet(), validation: [])
        try trainer.run()
        let mse = trainer.history.map(\.trainMSE)
        #expect(mse.last! < 0.5 * mse.first!, "\(mse)")
        let model = try SequentialModel(contentsOf: folder.appendingPathComponent("last.safetensors").path, scale: 3)
        #expect(model.parameters == trainer.parameters)
        #expect(model.metadata["training_set"]?.contains("LR sub-images 7x7 stride 4 with their HR 21x21") == true)
    }

    @Test func aResumedRunIsBitIdentical() throws {
        let set = Self.lowResolutionSet()
        let a = try TrainerTests.temporaryFolder(), b = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let straight = try NetworkTrainer(network: try Self.network(), options: Self.options(a, epochs: 3), trainingSet: set, validation: [])
        try straight.run()
        let firstLeg = try NetworkTrainer(network: try Self.network(), options: Self.options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        let resumed = try NetworkTrainer<SequentialTrainable>(resumingFrom: firstLeg.checkpointPath, epochs: 3,
                                                              trainingSet: set, validation: [])
        #expect(resumed.network == straight.network)
        try resumed.run()
        #expect(resumed.parameters == straight.parameters && resumed.optimizerState == straight.optimizerState)
        #expect(resumed.step == straight.step && resumed.history.map(\.trainMSE) == straight.history.map(\.trainMSE))
    }

    /// The trainer refuses SRCNN's bicubic sub-images for an LR-space network, and the reverse.
    @Test func theTrainingSetMustBeTheNetworksKind() throws {
        var options = Self.options(FileManager.default.temporaryDirectory, epochs: 1)
        options.scale = 3
        do {
            _ = try NetworkTrainer(network: try Self.network(), options: options, trainingSet: TrainerTests.syntheticSet(), validation: [])
            Issue.record("the trainer accepted bicubic-upscaled sub-images for an LR-space network")
        } catch let error as TrainingError {
            #expect("\(error)".contains("takes 7×7 LR sub-images at stride 4, the training set has 33×33 bicubic-upscaled sub-images at stride 14"))
        }
        #expect(throws: TrainingError.self) {
            try NetworkTrainer(network: TrainerTests.network, options: options, trainingSet: Self.lowResolutionSet(), validation: [])
        }
    }

    /// FSRCNN's transfer: a ×3 model starts a ×2 run in which only the deconvolution moves.
    @Test func onlyTheDeconvolutionTrainsFromAModelOfAnotherScale() throws {
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let x3 = Self.spec.initialParameters(seed: 9)
        let path = folder.appendingPathComponent("x3.safetensors").path
        try SequentialModel(spec: Self.spec, parameters: x3).write(to: path)
        var options = Self.options(folder, epochs: 1)
        options.scale = 2
        options.initialModel = path
        options.trainOnlyLastLayer = true
        let x2 = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 2)
        let trainer = try NetworkTrainer(network: try Self.network(x2), options: options,
                                         trainingSet: Self.lowResolutionSet(scale: 2), validation: [])
        #expect(trainer.parameters == x3)
        try trainer.run()
        let deconvolution = x2.firstTensorIndex[8]!
        for t in x3.indices {
            if t == deconvolution || t == deconvolution + 1 {
                #expect(trainer.parameters[t] != x3[t], "tensor \(t) did not train")
            } else {
                #expect(trainer.parameters[t] == x3[t], "tensor \(t) moved")
            }
        }
        #expect(trainer.modelMetadata["optimiser"]?.hasSuffix("only the last layer trained") == true)
        // ESPCN's last layer has s² maps: a ×3 model cannot start a ×2 run.
        let espcnPath = folder.appendingPathComponent("espcn.safetensors").path
        try SequentialModel(spec: .espcn(scale: 3), parameters: NetworkSpec.espcn(scale: 3).initialParameters(seed: 1)).write(to: espcnPath)
        let espcn2 = try SequentialTrainable(spec: .espcn(scale: 2), inputSize: 7)
        #expect(throws: SequentialModelError.self) { try espcn2.parameters(fromModel: espcnPath, scale: 2) }
    }
}
