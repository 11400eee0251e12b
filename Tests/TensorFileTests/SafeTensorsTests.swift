import Foundation
import Testing
@testable import TensorFile

@Suite struct SafeTensorsTests {
    @Test func roundTripKeepsValuesShapesAndMetadata() throws {
        let file = SafeTensorsFile(
            tensors: ["w": Tensor(shape: [2, 3], floats: [1, -2, 3.5, 0, 1e-7, 7]),
                      "d": Tensor(dtype: .f64, shape: [2], values: [0.1, -1e300])],
            metadata: ["scale": "3", "seed": "42"])
        let back = try SafeTensorsFile(data: file.serialized())
        #expect(back.tensors == file.tensors)
        #expect(back.metadata == file.metadata)
    }

    @Test func serialisationIsDeterministic() {
        let file = SafeTensorsFile(tensors: ["b": Tensor(shape: [1], floats: [1]),
                                             "a": Tensor(shape: [1], floats: [2])])
        #expect(file.serialized() == file.serialized())
    }

    @Test func corruptHeaderIsRejected() {
        var data = SafeTensorsFile(tensors: ["w": Tensor(shape: [1], floats: [1])]).serialized()
        data[9] = 0x7B // breaks the JSON
        data[10] = 0x7B
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: data) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: Data([1, 2, 3])) }
        let huge = Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x7B, 0x7D])
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: huge) }
    }

    @Test func truncatedTensorDataIsRejected() {
        let data = SafeTensorsFile(tensors: ["w": Tensor(shape: [4], floats: [1, 2, 3, 4])]).serialized()
        #expect((try? SafeTensorsFile(data: data)) != nil)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(data: data.dropLast(2)) }
    }

    @Test func shapeAndFinitenessAreChecked() throws {
        let file = SafeTensorsFile(tensors: ["w": Tensor(shape: [2, 2], floats: [1, 2, .nan, 4])])
        #expect(throws: SafeTensorsError.self) { try file.tensor("w", shape: [4]) }
        #expect(throws: SafeTensorsError.self) { try file.tensor("w", shape: [2, 2]) }
        #expect(throws: SafeTensorsError.self) { try file.tensor("missing") }
    }

    @Test func atomicWriteLeavesNoTemporaryAndFailsCleanly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try SafeTensorsFile(tensors: ["w": Tensor(shape: [1], floats: [3])]).write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsFile().write(to: dir.appendingPathComponent("no/such/dir/x").path)
        }
    }
}
