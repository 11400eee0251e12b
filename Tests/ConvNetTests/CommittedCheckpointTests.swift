import Foundation
import Testing
import Imaging
import TensorFile
import Training
@testable import ConvNet

/// The committed SRCNN run folders (experiments/runs/, formerly results/models/checkpoints/) were
/// written before the training stack left ConvNet; each checkpoint must still resume: its options
/// and SRCNN settings read back, its parameters, optimiser state and counters loaded, and the
/// model files a resumed run writes must describe the run as the checkpoint does. Each run's
/// config.json must say what its checkpoint says.
@Suite struct CommittedCheckpointTests {
    static let runsFolder = packageRoot.appendingPathComponent("experiments/runs")

    /// The committed checkpoints of `kind`: SRCNN's here, the LR-space networks' below.
    static func committed(kind: String) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path)) ?? []).sorted()
            .map { runsFolder.appendingPathComponent($0).appendingPathComponent("checkpoint.safetensors") }
            .filter { (try? SafeTensorsFile(contentsOf: $0.path))?.metadata["kind"] == kind }
    }

    static var checkpoints: [URL] { committed(kind: SRCNNTrainable.checkpointKind) }
    static var lowResolutionCheckpoints: [URL] { committed(kind: SequentialTrainable.checkpointKind) }

    /// Enough synthetic sub-images for any committed batch size (128), at the run's scale.
    static func syntheticSet(scale: Int) -> SubImageSet {
        let side = 173
        let planes = (0..<2).map { k in
            Plane(width: side, height: side, values: (0..<(side * side)).map { (i: Int) -> Double in
                let x = Double(i % side), y = Double(i / side)
                return 0.5 + 0.4 * sin(x / Double(3 + k)) * cos(y / Double(4 + k))
            })
        }
        return SubImageSet(lumaPlanes: planes, scale: scale)
    }

    @Test func thereAreCommittedCheckpoints() {
        #expect(Self.checkpoints.count >= 6, "\(Self.checkpoints)")
    }

    @Test(arguments: checkpoints)
    func aCommittedCheckpointResumes(_ checkpoint: URL) throws {
        // A copy, so that nothing can touch the committed run folder.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("committed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.copyItem(at: checkpoint, to: copy)
        let file = try SafeTensorsFile(contentsOf: copy.path)
        let scale = try #require(Int(file.metadata["scale"] ?? ""))
        let trainer = try SRCNNTrainer(resumingFrom: copy.path, trainingSet: Self.syntheticSet(scale: scale), validation: [])
        #expect(trainer.epoch == Int(file.metadata["epoch"] ?? "") && trainer.step == Int(file.metadata["step"] ?? ""))
        #expect(trainer.architecture.description == file.metadata["arch"])
        #expect(trainer.options.outputFolder == folder.path && trainer.options.scale == scale)
        for (t, tensor) in trainer.network.networkDescription.parameters.enumerated() {
            #expect(trainer.parameters[t] == (try file.floats("param.\(tensor.name)", shape: [tensor.count], path: copy.path)))
            for slot in trainer.optimizerState[t].indices {
                #expect(trainer.optimizerState[t][slot]
                        == (try file.floats("optimizer\(slot).\(tensor.name)", shape: [tensor.count], path: copy.path)))
            }
        }
        #expect(trainer.history.count == trainer.epoch)
        let written = trainer.modelMetadata
        for key in ["arch", "scale", "seed", "optimiser", "augmentation", "initialisation", "validation_psnr"] {
            #expect(written[key] == file.metadata[key], "\(key)")
        }
    }

    /// A fresh run from the config repeats the checkpoint's run: the same options apart from where
    /// things are (folders, the initial model's folder) and the thread count, and the same network.
    @Test(arguments: checkpoints)
    func theRunsConfigSaysWhatItsCheckpointSays(_ checkpoint: URL) throws {
        let config = try Data(contentsOf: checkpoint.deletingLastPathComponent().appendingPathComponent("config.json"))
        let stored = Data(try #require(try SafeTensorsFile(contentsOf: checkpoint.path).metadata["options"]).utf8)
        func comparable(_ json: Data) throws -> (TrainingOptions, SRCNNTrainable) {
            var o = try JSONDecoder().decode(TrainingOptions.self, from: json)
            o.trainingFolder = ""; o.validationFolder = nil; o.outputFolder = ""; o.threads = 1
            o.initialModel = o.initialModel.map { ($0 as NSString).lastPathComponent }
            return (o, try JSONDecoder().decode(SRCNNTrainable.self, from: json))
        }
        let (fromConfig, networkFromConfig) = try comparable(config)
        let (fromCheckpoint, networkFromCheckpoint) = try comparable(stored)
        #expect(fromConfig == fromCheckpoint)
        #expect(networkFromConfig == networkFromCheckpoint)
    }

    /// A committed run of a network spec (FSRCNN, FSRCNN-s, ESPCN, the Keras variants) resumes: its network from the
    /// checkpoint's settings, its parameters and counters loaded; its config's options and
    /// sub-image settings are the checkpoint's.
    @Test(arguments: lowResolutionCheckpoints)
    func aCommittedLowResolutionCheckpointResumes(_ checkpoint: URL) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("committed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.copyItem(at: checkpoint, to: copy)
        let file = try SafeTensorsFile(contentsOf: copy.path)
        let network = try SequentialTrainable(checkpoint: file, path: copy.path)
        let scale = network.spec.scale
        let side = 60 * scale // a batch of sub-images and more at every scale's patch size and stride
        let plane = Plane(width: side, height: side, values: (0..<(side * side)).map { 0.5 + 0.4 * sin(Double($0 % side) / 3) * cos(Double($0 / side) / 4) })
        // Networks on the bicubic image (the Keras variants) train on bicubic sub-images of their input size.
        let set = network.spec.bicubicUpscale == nil
            ? SubImageSet(lumaPlanes: [plane, plane, plane], scale: scale, lowResolutionSize: network.inputSize, stride: network.stride)
            : SubImageSet(lumaPlanes: [plane, plane, plane], scale: scale, patchSize: network.inputSize, stride: network.stride)
        let trainer = try NetworkTrainer<SequentialTrainable>(resumingFrom: copy.path, trainingSet: set, validation: [])
        #expect(trainer.epoch == Int(file.metadata["epoch"] ?? "") && trainer.step == Int(file.metadata["step"] ?? ""))
        #expect(trainer.network.spec.modelKind.map { checkpoint.deletingLastPathComponent().lastPathComponent.hasPrefix($0 + "_") } == true)
        for (t, tensor) in network.networkDescription.parameters.enumerated() {
            #expect(trainer.parameters[t] == (try file.floats("param.\(tensor.name)", shape: [tensor.count], path: copy.path)))
        }
        let config = try Data(contentsOf: checkpoint.deletingLastPathComponent().appendingPathComponent("config.json"))
        func comparable(_ json: Data) throws -> TrainingOptions {
            var o = try JSONDecoder().decode(TrainingOptions.self, from: json)
            o.trainingFolder = ""; o.validationFolder = nil; o.outputFolder = ""; o.threads = 1
            // A transfer's initial model: its file name is the setting; its provenance is read from it.
            o.initialModel = o.initialModel.map { ($0 as NSString).lastPathComponent }
            o.initialModelProvenance = nil
            return o
        }
        #expect(try comparable(config) == comparable(Data((file.metadata["options"] ?? "").utf8)))
        let keys = try #require(try JSONSerialization.jsonObject(with: config) as? [String: Any])
        #expect((keys["lowResolutionPatchSize"] as? Int).map { $0 == network.inputSize } != false)
        #expect((keys["lowResolutionStride"] as? Int).map { $0 == network.stride } != false)
    }
}
