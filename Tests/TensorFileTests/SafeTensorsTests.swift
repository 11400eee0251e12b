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

/// I32 tensors (the A+ release's settings and atom indices) are read, but only as integers.
@Suite struct IntegerTensorTests {
    static let header = #"{"n":{"dtype":"I32","shape":[3],"data_offsets":[0,12]}}"#

    /// A file written by hand (not by `serialized()`), so reading does not depend on writing.
    static func handWritten() -> Data {
        var json = Data(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for v: Int32 in [3, -1, Int32.max] { var le = v.littleEndian; withUnsafeBytes(of: &le) { out.append(contentsOf: $0) } }
        return out
    }

    @Test func i32ValuesAreDecodedExactly() throws {
        let file = try SafeTensorsFile(data: Self.handWritten(), path: "ints.safetensors")
        #expect(try file.integers("n", shape: [3], path: "ints.safetensors") == [3, -1, Int(Int32.max)])
        #expect(throws: SafeTensorsError.wrongShape(path: "ints.safetensors", name: "n", expected: [2], found: [3])) {
            try file.integers("n", shape: [2], path: "ints.safetensors")
        }
    }

    @Test func floatAccessorsRefuseI32AndIntegersRefuseFloats() throws {
        let file = try SafeTensorsFile(data: Self.handWritten(), path: "ints.safetensors")
        #expect(throws: SafeTensorsError.wrongDType(path: "p", name: "n", expected: "F32 or F64", found: "I32")) {
            try file.tensor("n", path: "p")
        }
        #expect(throws: SafeTensorsError.self) { try file.floats("n", path: "p") }
        let floats = SafeTensorsFile(tensors: ["w": Tensor(shape: [1], floats: [2])])
        #expect(throws: SafeTensorsError.wrongDType(path: "p", name: "w", expected: "I32", found: "F32")) {
            try floats.integers("w", path: "p")
        }
    }

    @Test func i32RoundTripsThroughSerialisation() throws {
        let file = SafeTensorsFile(tensors: ["n": Tensor(dtype: .i32, shape: [3], values: [3, -1, Double(Int32.max)])])
        #expect(file.serialized().suffix(12) == Self.handWritten().suffix(12))
        #expect(try SafeTensorsFile(data: file.serialized()).tensors == file.tensors)
    }
}
