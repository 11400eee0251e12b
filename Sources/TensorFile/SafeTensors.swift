import Foundation
@_exported import AtomicIO

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, an optional `__metadata__` map of strings,
/// then the raw little-endian data. Models and dictionaries of the lab live in it so PyTorch and
/// NumPy users can open them too.
public struct Tensor: Sendable, Equatable {
    public enum DType: String, Sendable {
        /// I32 holds integer settings (sizes, a scale, atom indices), as the A+ release's data
        /// files store them. Its values are read only through `integers(_:)`: the float
        /// accessors refuse it, so a weight stored as I32 is never taken for a number.
        case f32 = "F32", f64 = "F64", i32 = "I32"
        /// Bytes per element in a file.
        public var width: Int { self == .f64 ? 8 : 4 }
        public var isFloatingPoint: Bool { self != .i32 }
    }
    public var dtype: DType
    public var shape: [Int]
    /// The values, widened to Double whatever the stored dtype (F32 and I32 → Double are exact).
    public var values: [Double]

    public init(dtype: DType = .f32, shape: [Int], values: [Double]) {
        precondition(Tensor.elementCount(shape) == values.count,
                     "tensor of shape \(shape) needs \(Tensor.elementCount(shape).map(String.init) ?? "too many") values, got \(values.count)")
        precondition(dtype.isFloatingPoint || values.allSatisfy { Int32(exactly: $0) != nil },
                     "an I32 tensor holds whole numbers within Int32's range")
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    public init(shape: [Int], floats: [Float]) {
        self.init(dtype: .f32, shape: shape, values: floats.map(Double.init))
    }

    public var floats: [Float] { values.map { Float($0) } }
}

public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    case notFinite(path: String, name: String)
    case beyondFloat32(path: String, name: String)
    case wrongDType(path: String, name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .corrupt(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
        case .missingTensor(let path, let name): return "\(path): has no tensor '\(name)'"
        case .wrongShape(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        case .notFinite(let path, let name): return "\(path): tensor '\(name)' contains NaN or infinity"
        case .beyondFloat32(let path, let name): return "\(path): tensor '\(name)' has values beyond float32's range"
        case .wrongDType(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' is \(found), expected \(expected)"
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

    /// Files larger than this are refused before they are read: SRLab's models are at most a few
    /// MB, and the whole file is held in memory (F32 values twice, widened to Double).
    public static let maximumFileSize = 1 << 30

    /// Reads and validates a file (see `SafeTensorsLayout` for the rules). Only regular files are
    /// read, so a FIFO or a device cannot stall or exhaust memory.
    public init(contentsOf path: String) throws {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw SafeTensorsError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            throw SafeTensorsError.unreadable(path: path, reason: type == .typeDirectory ? "it is a directory" : "not a regular file")
        }
        if let size = (attributes[.size] as? NSNumber)?.uint64Value, size > UInt64(Self.maximumFileSize) {
            throw SafeTensorsError.corrupt(path: path, reason: "\(size) bytes, more than the \(Self.maximumFileSize >> 20) MB SRLab reads as a model")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError.unreadable(path: path, reason: "permission denied")
        }
        try self.init(data: data, path: path)
    }

    /// Parses a file's bytes; `path` names it in errors. Only F32, F64 and I32 tensors are decoded.
    public init(data: Data, path: String = "<memory>") throws {
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let layout = try SafeTensorsLayout.parse(bytes, path: path)
            metadata = layout.metadata
            for entry in layout.entries {
                guard let dtype = Tensor.DType(rawValue: entry.dtype) else {
                    throw SafeTensorsError.corrupt(path: path, reason: "tensor '\(entry.name)' has dtype \(entry.dtype); SRLab reads F32, F64 and I32 only")
                }
                let base = layout.dataStart + entry.begin
                let count = (entry.end - entry.begin) / dtype.width
                let values: [Double] = switch dtype {
                case .f32: (0..<count).map { Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 4 * $0, as: UInt32.self)))) }
                case .f64: (0..<count).map { Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 8 * $0, as: UInt64.self))) }
                case .i32: (0..<count).map { Double(Int32(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 4 * $0, as: UInt32.self)))) }
                }
                tensors[entry.name] = Tensor(dtype: dtype, shape: entry.shape, values: values)
            }
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The named floating-point tensor, checked for shape (nil entries in `shape` match any size)
    /// and finiteness. An I32 tensor is refused (read it with `integers(_:shape:path:)`).
    public func tensor(_ name: String, shape expected: [Int?]? = nil, path: String = "<memory>") throws -> Tensor {
        let t = try anyTensor(name, shape: expected, path: path)
        guard t.dtype.isFloatingPoint else {
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: "F32 or F64", found: t.dtype.rawValue)
        }
        guard t.values.allSatisfy({ $0.isFinite }) else { throw SafeTensorsError.notFinite(path: path, name: name) }
        return t
    }

    /// The named I32 tensor's values, checked for shape; a floating-point tensor is refused.
    public func integers(_ name: String, shape expected: [Int?]? = nil, path: String = "<memory>") throws -> [Int] {
        let t = try anyTensor(name, shape: expected, path: path)
        guard t.dtype == .i32 else {
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: "I32", found: t.dtype.rawValue)
        }
        return t.values.map { Int($0) }
    }

    private func anyTensor(_ name: String, shape expected: [Int?]?, path: String) throws -> Tensor {
        guard let t = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        if let expected {
            let matches = expected.count == t.shape.count
                && zip(expected, t.shape).allSatisfy { $0.0 == nil || $0.0 == $0.1 }
            if !matches {
                throw SafeTensorsError.wrongShape(path: path, name: name,
                                                  expected: expected.map { $0 ?? -1 }, found: t.shape)
            }
        }
        return t
    }

    /// The named tensor's values as Float, checked like `tensor(_:shape:path:)` and also for
    /// values finite in Double but beyond Float's range (an F64 1e300 would become infinity).
    public func floats(_ name: String, shape expected: [Int?]? = nil, path: String = "<memory>") throws -> [Float] {
        let floats = try tensor(name, shape: expected, path: path).floats
        guard floats.allSatisfy({ $0.isFinite }) else { throw SafeTensorsError.beyondFloat32(path: path, name: name) }
        return floats
    }

    /// The file's bytes; tensors are laid out in name order so equal content gives equal bytes.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.values.count * t.dtype.width
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
            case .i32:
                var bits = t.values.map { value -> Int32 in
                    guard let whole = Int32(exactly: value) else { preconditionFailure("I32 tensor '\(name)' holds \(value)") }
                    return whole.littleEndian
                }
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

