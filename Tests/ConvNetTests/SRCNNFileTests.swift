import Foundation
import Testing
import Imaging
import TensorFile
@testable import ConvNet

/// Model files that are well-formed safetensors but no usable SRCNN at the requested scale, and a
/// model that loads but whose arithmetic overflows.
@Suite struct SRCNNFileTests {
    static func temporaryModelPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("srcnn-\(UUID()).safetensors").path
    }

    @Test func aFileWithoutScaleIsRefusedForUseButLoadsForInspection() throws {
        let model = SRCNNModelTests.smallModel()
        #expect(model.metadata["scale"] == nil)
        let path = Self.temporaryModelPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.write(to: path)
        for scale in [2, 3, 4] {
            do {
                _ = try SRCNN(contentsOf: path, scale: scale)
                Issue.record("a model without a scale ran at x\(scale)")
            } catch let error as ModelFileError {
                #expect(error == .missingScale(path: path, kind: "srcnn"))
                #expect(error.description.hasPrefix(path) && error.description.contains("no 'scale'"))
            }
        }
        #expect(try SRCNN(contentsOf: path).parameters == model.parameters) // `figure filters` needs no scale

        var stated = model
        stated.metadata["scale"] = "three"
        try stated.write(to: path)
        #expect(throws: ModelFileError.badScale(path: path, key: "scale", value: "three")) { try SRCNN(contentsOf: path, scale: 3) }
        stated.metadata["scale"] = "3"
        try stated.write(to: path)
        let loaded = try SRCNN(contentsOf: path, scale: 3)
        #expect(loaded.parameters == model.parameters && loaded.modelPath == path)
        #expect(throws: ModelFileError.wrongScale(path: path, kind: "srcnn", trained: 3, requested: 2)) { try SRCNN(contentsOf: path, scale: 2) }
    }

    /// The notebooks run the authors' ×3 filters at --scale 3; their files state scale 3.
    @Test(.enabled(if: referenceRoot != nil, "needs SRLAB_REFERENCE (or ../shared/reference)"),
          arguments: ["srcnn_x3_9-1-5.safetensors", "srcnn_x3_9-5-5.safetensors"])
    func authorsFiltersLoadAtScale3Only(_ file: String) throws {
        let path = referenceRoot!.appendingPathComponent(file).path
        #expect(try SRCNN(contentsOf: path, scale: 3).metadata["scale"] == "3")
        #expect(throws: ModelFileError.self) { try SRCNN(contentsOf: path, scale: 2) }
        #expect(throws: ModelFileError.self) { try SRCNN(contentsOf: path, scale: 4) }
    }

    @Test func shapesInferenceCannotRunAreRefused() throws {
        func file(n1: Int, n2: Int, f1: Int, f2: Int, f3: Int) -> SafeTensorsFile {
            let shapes = [[n1, 1, f1, f1], [n1], [n2, n1, f2, f2], [n2], [1, n2, f3, f3], [1]]
            let names = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias"]
            var tensors: [String: Tensor] = [:]
            for (name, shape) in zip(names, shapes) {
                tensors[name] = Tensor(shape: shape, floats: [Float](repeating: 0.1, count: shape.reduce(1, *)))
            }
            return SafeTensorsFile(tensors: tensors, metadata: ["scale": "3"])
        }
        #expect((try? SRCNN(file: file(n1: 4, n2: 2, f1: 3, f2: 1, f3: 3), path: "m", scale: 3)) != nil)
        // Even kernels (inference pads (k − 1)/2 each side) and empty layers used to load, then trap.
        for bad in [file(n1: 4, n2: 2, f1: 2, f2: 1, f3: 3), file(n1: 4, n2: 2, f1: 3, f2: 4, f3: 3),
                    file(n1: 4, n2: 2, f1: 3, f2: 1, f3: 0), file(n1: 0, n2: 2, f1: 3, f2: 1, f3: 3),
                    file(n1: 4, n2: 0, f1: 3, f2: 1, f3: 3)] {
            do {
                _ = try SRCNN(file: bad, path: "bad.safetensors", scale: 3)
                Issue.record("accepted \(bad.tensors.mapValues(\.shape))")
            } catch let error as SRCNNError {
                #expect(error.description.hasPrefix("bad.safetensors"))
            }
        }
    }

    @Test func float64WeightsBeyondFloat32AreRefused() throws {
        var file = SRCNNModelTests.smallModel().safeTensors()
        file.tensors["conv2.bias"] = Tensor(dtype: .f64, shape: [4], values: [0, 1e300, 0, 0])
        #expect(throws: SafeTensorsError.beyondFloat32(path: "m", name: "conv2.bias")) { try SRCNN(file: file, path: "m") }
    }

    /// Finite weights large enough that the second layer overflows float32. The ReLUs turn the
    /// resulting NaNs into zeros, so the output is a flat, finite image an output check cannot
    /// see: the bound on the activations must refuse the file when it is loaded.
    @Test func weightsThatOverflowAreRefusedAtLoad() throws {
        var model = SRCNNModelTests.smallModel()
        model.parameters = model.parameters.map { $0.map { $0 * 1e30 } }
        model.metadata["scale"] = "2"
        #expect(model.parameters.allSatisfy { $0.allSatisfy(\.isFinite) })
        let low = SRCNNModelTests.randomPlane(width: 12, height: 10, seed: 3)
        #expect(Set(model.resolver(scale: 2).upscale(lowRes: low).values) == [0]) // what the file would give
        let path = Self.temporaryModelPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.write(to: path)
        do {
            _ = try SRCNN(contentsOf: path, scale: 2)
            Issue.record("a model that overflows was loaded")
        } catch let error as SRCNNError {
            #expect(error.description.hasPrefix(path) && error.description.contains("layer 2 can overflow"))
        }
        // Trained models are far from the bound.
        #expect(SRCNN.overflowingLayer(model.architecture, SRCNNModelTests.smallModel().parameters) == nil)
        #expect(SRCNN.overflowingLayer(model.architecture, model.parameters) == 2)
    }
}
