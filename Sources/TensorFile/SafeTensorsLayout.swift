import Foundation

/// Reading a safetensors file's bytes under the format's rules (those of the reference Rust
/// implementation): every number in the header is checked with overflow-safe arithmetic, so a
/// hostile or damaged file gets a `SafeTensorsError` naming it, never a trap.
///
/// - bytes 0..<8: the header length N, little-endian u64, 0 < N ≤ `maximumHeaderLength` and
///   inside the file;
/// - bytes 8..<8+N: a UTF-8 JSON object; each key but `__metadata__` is a tensor
///   `{"dtype", "shape", "data_offsets": [begin, end]}`; `__metadata__` (optional, may be null)
///   maps strings to strings;
/// - dtype one of the format's names; shape entries whole numbers ≥ 0; the element count (product
///   of the shape) × the dtype's width = end − begin, with begin ≤ end;
/// - sorted by offset, the tensors tile the data buffer (the rest of the file) exactly: the first
///   begins at 0, each begins where the previous ends (no gap, no overlap), the last ends at the
///   end of the file.
enum SafeTensorsLayout {
    /// The reference implementation's limit; SRLab's headers are a few KB.
    static let maximumHeaderLength: UInt64 = 100_000_000

    /// Bytes per element of every dtype the format defines. SRLab decodes F32, F64 and I32; the others
    /// are still checked for layout so the error is about the dtype, not a bogus byte range.
    static let dtypeWidths: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The header's tensors (byte ranges relative to the data buffer) and metadata, checked
    /// against the rules above; `dataStart` is where the data buffer begins in the file.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws
        -> (entries: [Entry], metadata: [String: String], dataStart: Int) {
        func corrupt(_ reason: String) -> SafeTensorsError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw corrupt("shorter than the 8-byte header length (\(bytes.count) bytes)") }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        let available = UInt64(bytes.count - 8)
        guard headerLength > 0 else { throw corrupt("header length is 0") }
        guard headerLength <= maximumHeaderLength else {
            throw corrupt("header length \(headerLength) exceeds the format's limit of \(maximumHeaderLength) bytes")
        }
        guard headerLength <= available else {
            throw corrupt("header length \(headerLength) runs past the end of the file (\(available) bytes after the length field)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard String(bytes: headerBytes, encoding: .utf8) != nil else { throw corrupt("header is not valid UTF-8") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch let error as DecodingError {
            // The decoder reports a number it cannot make an Int of (1.5, 2^64) as invalid JSON.
            if case .dataCorrupted(let c) = error, c.codingPath.isEmpty,
               (try? JSONSerialization.jsonObject(with: Data(headerBytes))) != nil {
                throw corrupt("header has a shape or data_offsets entry that is not a whole number within 64 bits")
            }
            throw corrupt("header is not a safetensors JSON object: \(describe(error))")
        } catch {
            throw corrupt("header is not a safetensors JSON object: \(error)")
        }
        let dataLength = bytes.count - dataStart
        var entries: [Entry] = []
        for (name, raw) in header.tensors {
            func bad(_ reason: String) -> SafeTensorsError { corrupt("tensor '\(name)': \(reason)") }
            guard let width = dtypeWidths[raw.dtype] else { throw bad("unknown dtype '\(raw.dtype)'") }
            if let negative = raw.shape.first(where: { $0 < 0 }) { throw bad("shape \(raw.shape) has the negative size \(negative)") }
            guard let count = Tensor.elementCount(raw.shape) else {
                throw bad("shape \(raw.shape) has more elements than a 64-bit count holds")
            }
            let (byteLength, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow else { throw bad("shape \(raw.shape) of \(raw.dtype) needs more bytes than a 64-bit count holds") }
            guard raw.offsets.count == 2 else { throw bad("data_offsets \(raw.offsets) is not a pair [begin, end]") }
            let begin = raw.offsets[0], end = raw.offsets[1]
            guard begin >= 0, begin <= end else { throw bad("data_offsets [\(begin), \(end)] is not 0 ≤ begin ≤ end") }
            guard end <= dataLength else {
                throw bad("data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes; truncated file?)")
            }
            guard end - begin == byteLength else {
                throw bad("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(raw.shape) of \(raw.dtype) needs \(byteLength)")
            }
            entries.append(Entry(name: name, dtype: raw.dtype, shape: raw.shape, begin: begin, end: end))
        }
        // Sorted by offset, each tensor must start where the previous one ended.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var previous: String?
        for e in entries {
            if e.begin < expected {
                throw corrupt("tensor '\(e.name)' (bytes \(e.begin)..<\(e.end)) overlaps tensor '\(previous ?? "?")' (ends at \(expected))")
            }
            if e.begin > expected {
                throw corrupt("tensor '\(e.name)' begins at byte \(e.begin) of the data, leaving a gap after byte \(expected)")
            }
            expected = e.end
            previous = e.name
        }
        guard expected == dataLength else {
            throw corrupt("the tensors end at byte \(expected) of the data but the file has \(dataLength) data bytes (trailing bytes)")
        }
        return (entries, header.metadata, dataStart)
    }

    /// A decoding error as "where: what", e.g. `conv1.weight.shape[2]: Number 1.5 is not representable in Swift.`
    static func describe(_ error: DecodingError) -> String {
        func location(_ path: [CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let place = location(c.codingPath)
            return (place.isEmpty ? "" : place + ": ") + c.debugDescription
        case .keyNotFound(let key, let c):
            let place = location(c.codingPath)
            return (place.isEmpty ? "" : place + ": ") + "missing '\(key.stringValue)'"
        @unknown default:
            return "\(error)"
        }
    }

    /// The JSON header: tensor entries by name, plus the optional string map `__metadata__`.
    private struct Header: Decodable {
        struct RawEntry: Decodable {
            var dtype: String
            var shape: [Int]
            var offsets: [Int]
            enum CodingKeys: String, CodingKey { case dtype, shape, offsets = "data_offsets" }
        }
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var tensors: [(String, RawEntry)] = []
        var metadata: [String: String] = [:]

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == "__metadata__" {
                    if try container.decodeNil(forKey: key) { continue } // null: no metadata, as the reference reads it
                    metadata = try container.decode([String: String].self, forKey: key)
                } else {
                    tensors.append((key.stringValue, try container.decode(RawEntry.self, forKey: key)))
                }
            }
        }
    }
}

extension Tensor {
    /// The number of elements of `shape` (1 for a scalar), or nil if a size is negative or the
    /// product overflows `Int` (multiplied in order, as the format's reference does).
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }
}
