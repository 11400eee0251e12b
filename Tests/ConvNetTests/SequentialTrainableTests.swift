import Foundation
import Testing
import Imaging
import TensorFile
@testable import Training
@testable import ConvNet

/// A spec as a network of the training stack: model files, checkpoint settings, sharded steps,
/// and the model as a SuperResolver.
@Suite struct SequentialTrainableTests {
    static let spec = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 3)

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sequential-\(UUID()).safetensors").path
    }

    @Test func modelFilesRoundTripInPyTorchLayouts() throws {
        let params = Self.spec.parameterTensors.enumerated().map { t, tensor in
            randomValues(tensor.count, seed: UInt64(100 + t), as: Float.self)
        }
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SequentialModel(spec: Self.spec, parameters: params, metadata: ["seed": "1"]).write(to: path)
        let back = try SequentialModel(contentsOf: path, scale: 3)
        #expect(back.spec == Self.spec && back.parameters == params && back.metadata["seed"] == "1")
        let file = try SafeTensorsFile(contentsOf: path)
        // layers.0 is conv 5×5 1→8: OIHW [8, 1, 5, 5]; HWIO element (dy 1, dx 2, c 0, o 3) is OIHW [3, 0, 1, 2].
        #expect(file.tensors["layers.0.weight"]?.shape == [8, 1, 5, 5])
        let oihw: Int = ((3 * 1 + 0) * 5 + 1) * 5 + 2, hwio: Int = ((1 * 5 + 2) * 1 + 0) * 8 + 3
        #expect(file.tensors["layers.0.weight"]?.floats[oihw] == params[0][hwio])
        // The deconvolution (layers.8, 8→1, 9×9): [C, O, k, k] = [8, 1, 9, 9].
        let deconv = Self.spec.firstTensorIndex[8]!
        #expect(file.tensors["layers.8.weight"]?.shape == [8, 1, 9, 9])
        let cokk: Int = (5 * 1 + 0) * 81 + 4 * 9 + 7, ckko: Int = ((5 * 9 + 4) * 9 + 7) * 1 + 0
        #expect(file.tensors["layers.8.weight"]?.floats[cokk] == params[deconv][ckko])
        #expect(file.tensors["layers.1.slope"]?.floats == params[2])
    }

    @Test func badModelFilesAreRefusedWithThePath() throws {
        let params = Self.spec.initialParameters(seed: 1)
        let model = SequentialModel(spec: Self.spec, parameters: params)
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        func refusal(_ file: SafeTensorsFile, scale: Int = 3) throws -> String {
            try file.write(to: path)
            do { _ = try SequentialModel(contentsOf: path, scale: scale); return "accepted" } catch { return "\(error)" }
        }
        #expect(try refusal(model.safeTensors()) == "accepted")
        #expect(try refusal(model.safeTensors(), scale: 2).hasPrefix("\(path): not a usable network model: it is FSRCNN(8,4,1) x3, for x3"))
        var missing = model.safeTensors()
        missing.tensors["layers.4.bias"] = nil
        #expect(try refusal(missing) == "\(path): not a usable network model: missing tensor(s) layers.4.bias of FSRCNN(8,4,1) x3")
        var noSpec = model.safeTensors()
        noSpec.metadata["spec"] = nil
        #expect(try refusal(noSpec).hasSuffix("its metadata has no 'spec' (the network's layers)"))
        var badSpec = model.safeTensors()
        badSpec.metadata["spec"] = badSpec.metadata["spec"]!.replacingOccurrences(of: "\"outChannels\":4", with: "\"outChannels\":5")
        #expect(try refusal(badSpec).contains("takes 4 channels but its input has 5"))
        var huge = params
        let w4 = Self.spec.firstTensorIndex[4]!   // layers.4: conv 3×3 4→4
        huge[w4] = huge[w4].map { $0 * 3e37 }     // finite, but the bound overflows
        #expect(try refusal(SequentialModel(spec: Self.spec, parameters: huge).safeTensors())
                == "\(path): not a usable network model: its weights are so large that layer 5 (conv 3×3 4→4 pad 1) can overflow float32 (NaN or infinity in the output)")
        // Fine-tuning from a model of another network is refused.
        try model.write(to: path)
        let other = try SequentialTrainable(spec: .fsrcnnSmall(scale: 3), inputSize: 7)
        #expect(throws: SequentialModelError.self) { try other.parameters(fromModel: path, scale: 3) }
    }

    @Test func settingsComeBackFromACheckpoint() throws {
        let network = try SequentialTrainable(spec: .espcn(scale: 3, padding: .zero), inputSize: 11, deconvolutionAlgorithm: .subPixel)
        let options = String(decoding: try JSONEncoder().encode(network), as: UTF8.self)
        let file = SafeTensorsFile(metadata: ["kind": SequentialTrainable.checkpointKind, "options": options])
        #expect(try SequentialTrainable(checkpoint: file, path: "c.safetensors") == network)
        let srcnn = SafeTensorsFile(metadata: ["kind": "srcnn-training-checkpoint", "options": options])
        #expect(throws: TrainingError.self) { try SequentialTrainable(checkpoint: srcnn, path: "c.safetensors") }
        let description = network.networkDescription
        #expect(description.kind == "sequential" && description.scale == 3 && description.shrink == 0)
        #expect(description.lastLayerTensors == ["layers.4.weight", "layers.4.bias"])
        #expect(throws: TrainingError.self) { try SequentialTrainable(spec: .espcn(scale: 3), inputSize: 0) }
    }

    /// Training's data-parallel step over this network's `BatchBackprop`: two shards sum to the
    /// one-batch gradients.
    @Test func shardedStepsSumToTheWholeBatch() throws {
        let network = try SequentialTrainable(spec: Self.spec, inputSize: 7)
        let batch = 6
        let params = Self.spec.initialParameters(seed: 2).enumerated().map { t, p in
            Self.spec.parameterTensors[t].name == "layers.8.weight" ? p.map { $0 * 100 } : p
        }
        let x: [Float] = randomValues(batch * 49, seed: 3), y: [Float] = randomValues(batch * 21 * 21, seed: 4)
        let whole = network.makeBackprop(batchCapacity: batch)
        let mse = whole.step(parameters: params, inputs: x, labels: y, batch: batch)
        let sharded = ShardedBackprop(batchCapacity: batch, shards: 2) { network.makeBackprop(batchCapacity: $0) }
        let shardedMSE = sharded.step(parameters: params, inputs: x, labels: y, batch: batch, threads: 2)
        #expect(abs(mse - shardedMSE) < 1e-6 * mse)
        for t in params.indices {
            let scale = max(1e-3, whole.gradients[t].map { Double(abs($0)) }.max() ?? 0)
            #expect(maxAbsDifference(whole.gradients[t], sharded.gradients[t]) / scale < 1e-5)
        }
    }

    @Test func theModelUpscalesAPlaneByItsScale() throws {
        let spec = NetworkSpec.espcn(scale: 2)
        let model = SequentialModel(spec: spec, parameters: spec.initialParameters(seed: 5))
        let lowRes = Plane(width: 9, height: 6, values: (0..<54).map { Double($0 % 7) / 7 })
        let out = model.upscale(lowRes: lowRes)
        #expect(model.scale == 2)
        #expect(out.width == 18 && out.height == 12 && out.values.allSatisfy(\.isFinite))
        #expect(model.name == "espcn")
    }
}
