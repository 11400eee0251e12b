import Foundation
@_exported import AtomicIO

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, an optional `__metadata__` map of strings,
/// then the raw little-endian data. Models and dictionaries of the lab live in it so PyTorch and
/// NumPy users can open them too.
public struct Tensor: Sendable, Equatable {
    public enum DType: String, Sendable { case f32 = "F32", f64 = "F64" }
    public var dtype: DType
    public var shape: [Int]
    /// The values, widened to Double whatever the stored dtype (F32 → Double is exact).
    public var values: [Double]

    public init(dtype: DType = .f32, shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count,
                     "tensor of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    public init(shape: [Int], floats: [Float]) {
        self.init(dtype: .f32, shape: shape, values: floats.map(Double.init))
    }

    public var floats: [Float] { values.map { Float($0) } }
}

public enum SafeTensorsError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    case notFinite(path: String, name: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .corrupt(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
        case .missingTensor(let path, let name): return "\(path): has no tensor '\(name)'"
        case .wrongShape(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case .notFinite(let path, let name): return "\(path): tensor '\(name)' contains NaN or infinity"
        }
    }
}

public struct SafeTensorsFile: Sendable {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates a file: header size and JSON, dtypes, byte ranges inside the data.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or a directory"
                                                                     : "no such file"
            throw SafeTensorsError.unreadable(path: path, reason: reason)
        }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String = "<memory>") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw SafeTensorsError.corrupt(path: path, reason: "shorter than 8 bytes") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, headerLength <= bytes.count - 8, headerLength < 100_000_000 else {
            throw SafeTensorsError.corrupt(path: path, reason: "header length \(headerLength) does not fit the file")
        }
        let headerBytes = Data(bytes[8..<(8 + headerLength)])
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw SafeTensorsError.corrupt(path: path, reason: "header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafeTensorsError.corrupt(path: path, reason: "__metadata__ is not an object")
                }
                for (k, v) in map { metadata[k] = (v as? String) ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SafeTensorsError.corrupt(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = Tensor.DType(rawValue: dtypeName) else {
                throw SafeTensorsError.corrupt(path: path, reason: "tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            let width = dtype == .f32 ? 4 : 8
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] <= dataLength,
                  offsets[1] - offsets[0] == count * width else {
                throw SafeTensorsError.corrupt(path: path, reason: "tensor '\(name)' byte range \(offsets) does not match shape \(shape) or the file size")
            }
            var values = [Double](repeating: 0, count: count)
            let base = dataStart + offsets[0]
            bytes.withUnsafeBufferPointer { raw in
                for i in 0..<count {
                    var bits: UInt64 = 0
                    for b in 0..<width { bits |= UInt64(raw[base + i * width + b]) << (8 * UInt64(b)) }
                    values[i] = dtype == .f32 ? Double(Float(bitPattern: UInt32(bits))) : Double(bitPattern: bits)
                }
            }
            tensors[name] = Tensor(dtype: dtype, shape: shape, values: values)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The named tensor, checked for shape (nil entries in `shape` match any size) and finiteness.
    public func tensor(_ name: String, shape expected: [Int?]? = nil, path: String = "<memory>") throws -> Tensor {
        guard let t = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        if let expected {
            let matches = expected.count == t.shape.count
                && zip(expected, t.shape).allSatisfy { $0.0 == nil || $0.0 == $0.1 }
            if !matches {
                throw SafeTensorsError.wrongShape(path: path, name: name,
                                                  expected: expected.map { $0 ?? -1 }, found: t.shape)
            }
        }
        guard t.values.allSatisfy({ $0.isFinite }) else { throw SafeTensorsError.notFinite(path: path, name: name) }
        return t
    }

    /// The file's bytes; tensors are laid out in name order so equal content gives equal bytes.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.values.count * (t.dtype == .f32 ? 4 : 8)
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) } // keeps the data 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            let t = tensors[name]!
            switch t.dtype {
            case .f32:
                var bits = t.values.map { Float($0).bitPattern.littleEndian }
                bits.withUnsafeMutableBytes { out.append(contentsOf: $0) }
            case .f64:
                var bits = t.values.map { $0.bitPattern.littleEndian }
                bits.withUnsafeMutableBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes atomically: a temporary file beside the target, then a rename.
    public func write(to path: String) throws {
        do { try AtomicFile.write(serialized(), to: path) } catch let error as AtomicWriteError {
            throw SafeTensorsError.unreadable(path: path, reason: error.description)
        }
    }
}

