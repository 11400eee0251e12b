import Foundation
import Testing
import Imaging
import LinearAlgebra
import TensorFile
@testable import Training
@testable import ConvNet

@Suite struct TrainerTests {
    /// Smooth synthetic "images" so a tiny network has something learnable.
    static func syntheticSet() -> SubImageSet {
        let planes = (0..<3).map { k in
            Plane(width: 61, height: 61, values: (0..<(61 * 61)).map { i in
                let x = Double(i % 61), y = Double(i / 61)
                return 0.5 + 0.4 * sin(x / Double(3 + k)) * cos(y / Double(4 + k))
            })
        }
        return SubImageSet(lumaPlanes: planes, scale: 3)
    }

    /// A tiny SRCNN, Gaussian-initialised.
    static let network = SRCNNTrainable(architecture: SRCNNArchitecture("5-1-3:4-3")!, initialStandardDeviation: 0.1)

    static func options(_ folder: URL, epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 4
        o.epochs = epochs
        o.learningRate = 1e-3
        o.lastLayerLearningRate = 1e-4
        o.augment = true
        o.seed = 42
        o.outputFolder = folder.path
        o.threads = 1
        return o
    }

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func fineTuningStartsFromTheModelAndRefusesAnotherArchitecture() throws {
        let set = Self.syntheticSet()
        let a = try Self.temporaryFolder(), b = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let first = try SRCNNTrainer(network: Self.network, options: Self.options(a, epochs: 1), trainingSet: set, validation: [])
        try first.run()
        var o = Self.options(b, epochs: 1)
        o.initialModel = a.appendingPathComponent("last.safetensors").path
        let tuned = try SRCNNTrainer(network: Self.network, options: o, trainingSet: set, validation: [])
        #expect(tuned.parameters == first.parameters && tuned.epoch == 0)
        #expect(tuned.model.metadata["initialisation"]?.hasPrefix("fine-tuned from last.safetensors (") == true)
        let other = SRCNNTrainable(architecture: SRCNNArchitecture("5-3-3:4-3")!, initialStandardDeviation: 0.1)
        #expect(throws: SRCNNError.self) { try SRCNNTrainer(network: other, options: o, trainingSet: set, validation: []) }
        // A resume needs neither the initial model's file nor its parameters: the checkpoint has both.
        try tuned.run()
        try FileManager.default.removeItem(at: a.appendingPathComponent("last.safetensors"))
        let resumed = try SRCNNTrainer(resumingFrom: tuned.checkpointPath, epochs: 2, trainingSet: set, validation: [])
        #expect(resumed.parameters == tuned.parameters)
        #expect(resumed.model.metadata["initialisation"] == tuned.model.metadata["initialisation"])
    }

    @Test func resumeContinuesBitIdentically() throws {
        let set = Self.syntheticSet()
        #expect(set.count == 3 * 4)
        let a = try Self.temporaryFolder(), b = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let straight = try SRCNNTrainer(network: Self.network, options: Self.options(a, epochs: 3), trainingSet: set, validation: [])
        try straight.run()
        let firstLeg = try SRCNNTrainer(network: Self.network, options: Self.options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        let resumed = try SRCNNTrainer(resumingFrom: firstLeg.checkpointPath, epochs: 3, trainingSet: set, validation: [])
        #expect(resumed.epoch == 1 && resumed.parameters == firstLeg.parameters)
        try resumed.run()
        #expect(resumed.epoch == 3 && resumed.step == straight.step)
        #expect(resumed.parameters == straight.parameters)
        #expect(resumed.optimizerState == straight.optimizerState)
        #expect(resumed.rng == straight.rng)
        #expect(resumed.parameters != firstLeg.parameters)
        // The outputs exist and the best model loads as a plain SRCNN file.
        let best = try SRCNN(contentsOf: a.appendingPathComponent("last.safetensors").path)
        #expect(best.parameters == straight.parameters && best.metadata["epochs"] == "3")
    }

    @Test func futureMilestonesOnResumeEqualHavingThemFromTheStart() throws {
        let set = Self.syntheticSet()
        let a = try Self.temporaryFolder(), b = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        var withMilestone = Self.options(a, epochs: 3)
        withMilestone.learningRateMilestones = [3]
        let straight = try SRCNNTrainer(network: Self.network, options: withMilestone, trainingSet: set, validation: [])
        try straight.run()
        let firstLeg = try SRCNNTrainer(network: Self.network, options: Self.options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        #expect(throws: TrainingError.self) {
            try SRCNNTrainer(resumingFrom: firstLeg.checkpointPath, epochs: 3, learningRateMilestones: [1],
                             trainingSet: set, validation: [])
        }
        let resumed = try SRCNNTrainer(resumingFrom: firstLeg.checkpointPath, epochs: 3, learningRateMilestones: [3],
                                       trainingSet: set, validation: [])
        try resumed.run()
        #expect(resumed.parameters == straight.parameters)
        #expect(withMilestone.learningRateFactor(epoch: 2) == 1 && withMilestone.learningRateFactor(epoch: 3) == 0.1)
    }

    @Test(arguments: [TrainingOptions.OptimizerName.adam, .sgd])
    func trainingLowersTheLoss(_ optimizer: TrainingOptions.OptimizerName) throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var o = Self.options(folder, epochs: 12)
        o.optimizer = optimizer
        if optimizer == .sgd { o.learningRate = 1e-3; o.lastLayerLearningRate = 1e-3 } else { o.learningRate = 0.01; o.lastLayerLearningRate = 0.01 }
        let trainer = try SRCNNTrainer(network: Self.network, options: o, trainingSet: Self.syntheticSet(), validation: [])
        var losses: [Double] = []
        try trainer.run { if case .epochEnd(let r) = $0 { losses.append(r.trainMSE) } }
        #expect(losses.count == 12)
        #expect(losses.last! < 0.5 * losses.first!, "losses \(losses)")
    }

    @Test func aDivergingRunStopsWithAClearErrorAndWritesNothing() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var o = Self.options(folder, epochs: 2)
        o.optimizer = .sgd
        o.learningRate = 1e12
        o.lastLayerLearningRate = 1e12
        let trainer = try SRCNNTrainer(network: Self.network, options: o, trainingSet: Self.syntheticSet(), validation: [])
        do {
            try trainer.run()
            Issue.record("a learning rate of 1e12 trained without diverging")
        } catch {
            #expect("\(error)".contains("diverged"))
        }
        #expect(!FileManager.default.fileExists(atPath: trainer.checkpointPath))
    }

    @Test func badOptionsAreRejected() {
        #expect(throws: TrainingError.self) { try SRCNNTrainable(architecture: "9-5") }
        #expect(throws: TrainingError.self) { try SRCNNTrainable(architecture: "9-5-5", initialStandardDeviation: 0) }
        #expect((try? SRCNNTrainable(architecture: "9-5-5:64-32"))?.architecture == .srcnn955)
        var o = TrainingOptions()
        o.batchSize = 0
        #expect(throws: TrainingError.self) { try o.validate() }
    }

    /// SRCNN's settings are read from the keys its checkpoints and configs have always used, and
    /// written back under them.
    @Test func srcnnSettingsUseTheCheckpointsKeys() throws {
        let json = #"{"architecture":"9-5-5","batchSize":16,"heInitialisation":true,"initialStandardDeviation":0.001}"#
        let network = try JSONDecoder().decode(SRCNNTrainable.self, from: Data(json.utf8))
        #expect(network == SRCNNTrainable(architecture: .srcnn955, heInitialisation: true))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(network), as: UTF8.self)
                == #"{"architecture":"9-5-5","heInitialisation":true,"initialStandardDeviation":0.001}"#)
        #expect(throws: TrainingError.self) {
            try JSONDecoder().decode(SRCNNTrainable.self, from: Data(#"{"architecture":"9-5"}"#.utf8))
        }
    }
}

@Suite struct ShardingTests {
    @Test func shardsGiveTheSameBytesOnOneOrTwoThreadsAndMatchOneShard() {
        // One BLAS thread per shard, as the trainer runs them.
        BLASThreads.with(1) {
            let arch = SRCNNArchitecture(f1: 5, f2: 3, f3: 3, n1: 6, n2: 4)
            let params = SRCNN(architecture: arch, seed: 3, standardDeviation: 0.2).parameters
            let batch = 5
            let single = SRCNNBackprop<Float>(architecture: arch, batchCapacity: batch)
            let x: [Float] = randomValues(batch * 33 * 33, seed: 8)
            let y: [Float] = randomValues(batch * single.labelSize * single.labelSize, seed: 9)
            let one = SRCNNShardedBackprop(architecture: arch, batchCapacity: batch, shards: 2)
            let two = SRCNNShardedBackprop(architecture: arch, batchCapacity: batch, shards: 2)
            let e1 = one.step(parameters: params, inputs: x, labels: y, batch: batch, threads: 1)
            let e2 = two.step(parameters: params, inputs: x, labels: y, batch: batch, threads: 2)
            #expect(e1 == e2 && one.gradients == two.gradients)
            let e0 = single.step(parameters: params, inputs: x, labels: y, batch: batch)
            #expect(abs(e0 - e1) < 1e-6)
            for t in params.indices {
                #expect(maxAbsDifference(single.gradients[t], one.gradients[t]) < 1e-4 * max(1, Double(single.gradients[t].map(abs).max()!)))
            }
        }
    }
}
