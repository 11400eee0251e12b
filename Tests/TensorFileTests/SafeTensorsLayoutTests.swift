import Foundation
import Testing
@testable import TensorFile

/// A file from a literal header (any text, so integers can be out of range) and `dataBytes` zero bytes.
func rawFile(_ header: String, dataBytes: Int, headerLength: UInt64? = nil) -> Data {
    let json = Data(header.utf8)
    var out = Data()
    var length = (headerLength ?? UInt64(json.count)).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(Data(count: dataBytes))
    return out
}

/// The error's text if parsing throws a `SafeTensorsError`, nil if the file is accepted.
func rejection(_ data: Data) -> String? {
    do { _ = try SafeTensorsFile(data: data, path: "m.safetensors"); return nil } catch let error as SafeTensorsError {
        return error.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

/// Each rule of `SafeTensorsLayout` on a hand-made header. Several of these trapped (integer
/// overflow) or were accepted before the rules were applied.
@Suite struct SafeTensorsLayoutTests {
    @Test func aWellFormedFileIsAccepted() throws {
        let data = rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]},"__metadata__":{"scale":"3"}}"#, dataBytes: 16)
        let file = try SafeTensorsFile(data: data)
        #expect(file.tensors["a"]?.values == [0, 0] && file.tensors["b"]?.shape == [1, 1])
        #expect(file.metadata == ["scale": "3"])
        // Zero-sized tensors take no bytes and may sit anywhere in the order.
        let empty = rawFile(#"{"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4)
        #expect(try SafeTensorsFile(data: empty).tensors["e"]?.values == [])
    }

    @Test func hugeShapesAndOffsetsThrowInsteadOfTrapping() {
        let cases: [(shape: String, offsets: String)] = [
            ("[4294967296,4294967296]", "[0,4]"),                     // product overflows Int
            ("[9223372036854775807,2]", "[0,4]"),
            ("[9223372036854775807,9223372036854775807,0]", "[0,0]"), // overflows before the 0
            ("[2305843009213693952]", "[0,4]"),                       // count fits, count × 4 does not
            ("[1]", "[9223372036854775807,-9223372036854775807]"),    // end − begin overflows
            ("[1]", "[-9223372036854775808,4]"),
            ("[1]", "[0,9223372036854775807]"),
            ("[1]", "[9223372036854775803,9223372036854775807]"),
            ("[1]", "[0,18446744073709551616]"),                       // does not fit in 64 bits
            ("[18446744073709551616]", "[0,4]"),
            ("[1.5]", "[0,4]"),
            ("[1]", "[0,4,8]"),
            ("[-1]", "[0,4]"),
            ("[1]", "[4,0]"),
        ]
        for c in cases {
            let data = rawFile(#"{"w":{"dtype":"F32","shape":\#(c.shape),"data_offsets":\#(c.offsets)}}"#, dataBytes: 4)
            let reason = rejection(data)
            #expect(reason?.hasPrefix("m.safetensors: not a valid safetensors file") == true, "shape \(c.shape), offsets \(c.offsets): \(reason ?? "accepted")")
        }
    }

    @Test func tensorsMustTileTheDataExactly() {
        func reason(_ a: String, _ b: String, data: Int) -> String? {
            rejection(rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":\#(a)},"b":{"dtype":"F32","shape":[1],"data_offsets":\#(b)}}"#, dataBytes: data))
        }
        #expect(reason("[0,4]", "[4,8]", data: 8) == nil)
        #expect(reason("[4,8]", "[0,4]", data: 8) == nil) // the order of the keys does not matter
        #expect(reason("[0,4]", "[8,12]", data: 12)?.contains("gap") == true)
        #expect(reason("[4,8]", "[8,12]", data: 12)?.contains("gap") == true) // data must start at 0
        #expect(reason("[0,4]", "[2,6]", data: 8)?.contains("overlaps") == true)
        #expect(reason("[0,4]", "[0,4]", data: 4)?.contains("overlaps") == true)
        #expect(reason("[0,4]", "[4,8]", data: 12)?.contains("trailing") == true)
        #expect(reason("[0,4]", "[4,8]", data: 6)?.contains("past the end") == true)
    }

    @Test func headerLengthMustBeSaneAndInsideTheFile() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let n = UInt64(header.utf8.count)
        #expect(rejection(rawFile(header, dataBytes: 4)) == nil)
        for length: UInt64 in [0, 1, n - 1, n + 1, n + 4, n + 5, 1 << 31, 1 << 32, 1 << 53, UInt64(Int.max), 1 << 63, .max, 100_000_001] {
            #expect(rejection(rawFile(header, dataBytes: 4, headerLength: length)) != nil, "header length \(length) accepted")
        }
        #expect(rejection(Data([1, 0, 0])) != nil)
    }

    @Test func headerMustBeAUTF8JSONObjectOfTensorsAndStringMetadata() {
        let bad = [
            "", "{", "[]", "null", "\"x\"", "{\"w\":1}", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"scale":3}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":[]}"#,
            #"{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,null]}}"#,
            String(repeating: "[", count: 100_000),
            String(repeating: "{\"a\":", count: 100_000),
            String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
            String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000),
        ]
        for header in bad {
            #expect(rejection(rawFile(header, dataBytes: 4)) != nil, "header \(header.prefix(60)) accepted")
        }
        var invalidUTF8 = rawFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"??"}}"#, dataBytes: 4)
        let at = invalidUTF8.firstRange(of: Data("??".utf8))!.lowerBound
        invalidUTF8[at] = 0xFF
        #expect(rejection(invalidUTF8)?.contains("UTF-8") == true)
        // A known dtype SRLab does not decode is named as such.
        let int16 = rawFile(#"{"w":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4)
        #expect(rejection(int16)?.contains("F32, F64 and I32 only") == true)
    }

    @Test func valuesBeyondFloat32AreRefusedWhereFloatsAreUsed() throws {
        let file = SafeTensorsFile(tensors: ["w": Tensor(dtype: .f64, shape: [2], values: [1, 1e300])])
        let back = try SafeTensorsFile(data: file.serialized())
        #expect(try back.tensor("w").values == [1, 1e300])
        #expect(throws: SafeTensorsError.self) { try back.floats("w") }
    }

    @Test func onlyRegularFilesOfSaneSizeAreRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: dir.path) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: dir.appendingPathComponent("none").path) }
        if FileManager.default.fileExists(atPath: "/dev/zero") { // endless: must not be read
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: "/dev/zero") }
        }
        // A sparse file just over the limit: refused from its size, without reading it.
        let big = dir.appendingPathComponent("big.safetensors").path
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: UInt64(SafeTensorsFile.maximumFileSize) + 1)
        try handle.close()
        do {
            _ = try SafeTensorsFile(contentsOf: big)
            Issue.record("an oversized file was read")
        } catch {
            #expect("\(error)".hasPrefix(big) && "\(error)".contains("MB"))
        }
    }
}
