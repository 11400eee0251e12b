import Foundation
import Testing
import TensorFile
@testable import Training

/// The stack on a network that is not one of the lab's methods (`ToyNetwork`).
@Suite struct NetworkTrainerTests {
    static func options(_ folder: URL, epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 4
        o.epochs = epochs
        o.learningRate = 0.05
        o.lastLayerLearningRate = 0.01
        o.augment = true
        o.seed = 7
        o.outputFolder = folder.path
        o.trainingFolder = "/data/T91"   // not read: the tests give the sub-images
        o.threads = 1
        return o
    }

    @Test func anyTrainableNetworkTrainsAndResumesBitIdentically() throws {
        let set = syntheticSet()
        let a = try temporaryFolder(), b = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let straight = try NetworkTrainer(network: ToyNetwork(), options: Self.options(a, epochs: 3), trainingSet: set, validation: [])
        var losses: [Double] = []
        try straight.run { if case .epochEnd(let r) = $0 { losses.append(r.trainMSE) } }
        #expect(losses.count == 3 && losses.last! < losses.first!, "losses \(losses)")
        let firstLeg = try NetworkTrainer(network: ToyNetwork(), options: Self.options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        let resumed = try NetworkTrainer<ToyNetwork>(resumingFrom: firstLeg.checkpointPath, epochs: 3, trainingSet: set, validation: [])
        #expect(resumed.epoch == 1 && resumed.parameters == firstLeg.parameters)
        try resumed.run()
        #expect(resumed.parameters == straight.parameters && resumed.optimizerState == straight.optimizerState)
        #expect(resumed.rng == straight.rng && resumed.step == straight.step)
        #expect(resumed.history.map(\.trainMSE) == straight.history.map(\.trainMSE))
    }

    /// The checkpoint's `options` is one flat JSON object: the options and the network's settings,
    /// the shape of a run's config file.
    @Test func theCheckpointKeepsOptionsAndNetworkSettingsTogether() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try NetworkTrainer(network: ToyNetwork(initialWeight: 0.25), options: Self.options(folder, epochs: 1),
                                         trainingSet: syntheticSet(), validation: [])
        try trainer.run()
        let file = try SafeTensorsFile(contentsOf: trainer.checkpointPath)
        #expect(file.metadata["kind"] == "toy-training-checkpoint")
        let json = try #require(file.metadata["options"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["batchSize"] as? Int == 4 && object["initialWeight"] as? Double == 0.25)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: Data(json.utf8)) == trainer.options)
        #expect(try ToyNetwork(checkpoint: file, path: trainer.checkpointPath).initialWeight == 0.25)
        #expect(file.tensors.keys.sorted() == ["optimizer0.affine.bias", "optimizer0.affine.weight", "optimizer1.affine.bias",
                                               "optimizer1.affine.weight", "param.affine.bias", "param.affine.weight"])
    }

    /// Run folders move (results/models/checkpoints/ → experiments/runs/): a resumed run writes
    /// beside the checkpoint it resumed, not into the folder its options name.
    @Test func aResumedRunGoesOnInTheCheckpointsFolder() throws {
        let set = syntheticSet()
        let old = try temporaryFolder(), moved = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: moved) }
        let first = try NetworkTrainer(network: ToyNetwork(), options: Self.options(old, epochs: 1), trainingSet: set, validation: [])
        try first.run()
        let copy = moved.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.copyItem(atPath: first.checkpointPath, toPath: copy.path)
        let before = try Data(contentsOf: URL(fileURLWithPath: first.checkpointPath))
        let resumed = try NetworkTrainer<ToyNetwork>(resumingFrom: copy.path, epochs: 2, dataRoot: "/elsewhere",
                                                     trainingSet: set, validation: [])
        #expect(resumed.options.outputFolder == moved.path && resumed.checkpointPath == copy.path)
        #expect(resumed.options.trainingFolder == "/elsewhere/T91")
        try resumed.run()
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.checkpointPath)) == before)
        #expect(FileManager.default.fileExists(atPath: moved.appendingPathComponent("log.csv").path))
        #expect(try SafeTensorsFile(contentsOf: copy.path).metadata["epoch"] == "2")
    }

    @Test func theNetworksDescriptionIsHeldToTheRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func refusal(_ network: ToyNetwork) -> String {
            do {
                _ = try NetworkTrainer(network: network, options: Self.options(folder, epochs: 1), trainingSet: syntheticSet(), validation: [])
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(refusal(ToyNetwork(scale: 2)).contains("is for x2, the run trains x3"))
        #expect(refusal(ToyNetwork(shrink: 33)).contains("33×33 sub-image is too small for toy"))
        #expect(refusal(ToyNetwork()) == "accepted")
    }

    @Test func missingKeysKeepTheGivenDefaults() throws {
        var base = TrainingOptions()
        base.batchSize = 16
        base.threads = 1
        let decoder = JSONDecoder()
        decoder.userInfo[TrainingOptions.defaultsKey] = base
        let o = try decoder.decode(TrainingOptions.self, from: Data(#"{"epochs": 7, "architecture": "9-1-5"}"#.utf8))
        #expect(o.epochs == 7 && o.batchSize == 16 && o.threads == 1 && o.shards == 2)
        // Checkpoints from before sharding ran one shard.
        decoder.userInfo[TrainingOptions.defaultsKey] = TrainingOptions.checkpointDefaults
        #expect(try decoder.decode(TrainingOptions.self, from: Data("{}".utf8)).shards == 1)
        #expect(TrainingOptions.keys.contains("learningRateMilestones") && !TrainingOptions.keys.contains("architecture"))
    }

    @Test func theOptimiserLineNamesTheNetworksRateGroups() {
        var o = TrainingOptions()
        o.learningRateMilestones = [5]
        #expect(o.optimizerDescription(groups: ("layers 1-2", "layer 3"))
                == "Adam (0.9, 0.999, 1e-8), lr 0.0001 (layers 1-2) / 1e-05 (layer 3), batch 128, lr /10 from epochs 5")
    }
}
