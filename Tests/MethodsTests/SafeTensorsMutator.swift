import Foundation
import SeededRandom

/// Seeded mutants of a real safetensors file, made in memory. The header is re-rendered from an
/// editable model of it, so any literal can go where a number belongs (2^64, -1, 1.5, null).
struct SafeTensorsMutator {
    struct Entry {
        var name: String
        var dtype: String
        var shape: [String]
        var offsets: [String]
        var omitted: Set<String> = []
        var extra: [(key: String, json: String)] = []
        var begin: Int { Int(offsets[0])! }
        var end: Int { Int(offsets[1])! }
    }

    /// What the mutation guarantees, for the test's assertions.
    struct Mutant {
        var kind: String
        var bytes: Data
        /// The bytes break a rule of the format: parsing must throw.
        var breaksFormat = false
        /// The file's own loader must refuse it (a NaN weight, a renamed tensor, a removed or
        /// changed scale), though it may still be valid safetensors.
        var unusableModel = false
    }

    let original: Data
    /// The scale the file's own loader is asked for (its stated scale).
    let scale: Int
    let entries: [Entry]          // in data order
    let metadata: [(key: String, value: String)]
    let headerLength: Int
    var dataStart: Int { 8 + headerLength }

    static let boundaryIntegers = ["0", "1", "-1", "2", "2147483647", "2147483648", "4294967295", "4294967296",
                                   "9007199254740992", "9007199254740993", "9223372036854775807",
                                   "-9223372036854775808", "9223372036854775808", "18446744073709551615",
                                   "18446744073709551616", "1e308", "1.5", "-0", "1e2", "\"7\"", "null", "true", "[]"]
    static let overflowingShapes = [["4294967296", "4294967296"], ["9223372036854775807", "2"],
                                    ["3037000500", "3037000500"], ["2147483648", "2147483648", "4"],
                                    ["0", "9223372036854775807", "9223372036854775807"],
                                    ["9223372036854775807", "9223372036854775807", "0"], ["2305843009213693952"]]
    static let headerLengths: [UInt64] = [0, 1, 7, 8, 1 << 31, 1 << 32, 1 << 53, UInt64(Int.max), 1 << 63, .max, 100_000_001]
    static let garbageHeaders = ["", "{", "}", "[]", "null", "{}", "{\"a\":1}", "\"x\"", "{\"__metadata__\":{\"scale\":3}}",
                                 String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000),
                                 String(repeating: "{\"a\":", count: 50_000), "{\"w\":{\"dtype\":\"F32\"}}", "\u{FEFF}{}"]
    static let dtypes = ["F16", "BF16", "I32", "F64", "F32", "f32", "", "F8_E4M3", "BOOL", "U64", "F32\u{0}", "F128"]
    static let scaleTexts = ["0", "-1", "1", "2", "3", "4", "9223372036854775807", "99999999999999999999", "nan", "3.0", " 3", "x", ""]

    init(_ data: Data, scale: Int) {
        original = data
        self.scale = scale
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        headerLength = n
        let header = try! JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        metadata = ((header["__metadata__"] as? [String: String]) ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        entries = header.compactMap { name, value -> Entry? in
            guard name != "__metadata__", let v = value as? [String: Any] else { return nil }
            return Entry(name: name, dtype: v["dtype"] as! String, shape: (v["shape"] as! [Int]).map(String.init),
                         offsets: (v["data_offsets"] as! [Int]).map(String.init))
        }.sorted { $0.begin < $1.begin }
    }

    static func quote(_ s: String) -> String { String(decoding: try! JSONEncoder().encode(s), as: UTF8.self) }

    static func header(_ entries: [Entry], metadata: String?) -> String {
        var parts: [String] = metadata.map { ["\"__metadata__\":" + $0] } ?? []
        for e in entries {
            var fields = [("dtype", quote(e.dtype)), ("shape", "[" + e.shape.joined(separator: ",") + "]"),
                          ("data_offsets", "[" + e.offsets.joined(separator: ",") + "]")].filter { !e.omitted.contains($0.0) }
            fields += e.extra.map { ($0.key, $0.json) }
            parts.append(quote(e.name) + ":{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func metadataJSON(_ pairs: [(key: String, value: String)]) -> String {
        "{" + pairs.map { quote($0.key) + ":" + quote($0.value) }.joined(separator: ",") + "}"
    }

    /// A file of `header` and the original data buffer; `length` overrides the length field.
    func file(header: String, length: UInt64? = nil) -> Data {
        let json = Data(header.utf8)
        var out = Data()
        var n = (length ?? UInt64(json.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(original.subdata(in: dataStart..<original.count))
        return out
    }

    func file(_ entries: [Entry], metadata pairs: [(key: String, value: String)]? = nil) -> Data {
        let m = pairs ?? metadata
        return file(header: Self.header(entries, metadata: m.isEmpty ? nil : Self.metadataJSON(m)))
    }

    /// The original content with the header re-rendered: must load as the original model.
    var rerendered: Data { file(entries) }

    static let kinds = ["header integer", "overflowing shape", "reshape", "offsets", "header length", "truncation",
                        "appended bytes", "header bit flips", "garbage header", "dtype", "metadata", "data value",
                        "duplicate key", "renamed tensor", "missing or extra field"]

    /// The `index`-th mutant: kinds in turn, details from `rng`.
    func mutant(_ index: Int, rng: inout Xoshiro256) -> Mutant {
        let kind = Self.kinds[index % Self.kinds.count]
        func pick<T>(_ list: [T]) -> T { list[rng.nextIndex(list.count)] }
        var es = entries
        let t = rng.nextIndex(es.count)
        switch kind {
        case "header integer":
            let slots = es[t].shape.indices.map { (true, $0) } + [(false, 0), (false, 1)]
            let (inShape, i) = pick(slots)
            let old = inShape ? es[t].shape[i] : es[t].offsets[i]
            let o = Int(old)!
            let literal = pick(Self.boundaryIntegers + ["\(o + 1)", "\(o - 1)", "\(o * 2)", "\(o / 2)"])
            if inShape { es[t].shape[i] = literal } else { es[t].offsets[i] = literal }
            return Mutant(kind: kind, bytes: file(es), breaksFormat: Int(literal).map { $0 != o } ?? false)
        case "overflowing shape":
            es[t].shape = pick(Self.overflowingShapes)
            return Mutant(kind: kind, bytes: file(es), breaksFormat: true)
        case "reshape": // same element count, other dimensions: still valid safetensors
            let count = es[t].shape.reduce(1) { $0 * Int($1)! }
            es[t].shape = pick([["\(count)"], ["1", "\(count)"], es[t].shape.reversed(), es[t].shape + ["1"], ["\(count)", "1", "1", "1"]])
            return Mutant(kind: kind, bytes: file(es))
        case "offsets":
            let w = pick([1, 4, 8])
            switch rng.nextIndex(7) {
            case 0 where es.count > 1:
                var u = rng.nextIndex(es.count - 1); if u >= t { u += 1 }
                let sameLength = es[t].end - es[t].begin == es[u].end - es[u].begin
                (es[t].offsets, es[u].offsets) = (es[u].offsets, es[t].offsets)
                return Mutant(kind: "swapped offsets", bytes: file(es), breaksFormat: !sameLength)
            case 1 where t > 0:
                es[t].offsets = ["\(es[t].begin - w)", "\(es[t].end - w)"]
                return Mutant(kind: "overlapping offsets", bytes: file(es), breaksFormat: true)
            case 2:
                es[t].offsets = ["\(es[t].begin + w)", "\(es[t].end + w)"]
                return Mutant(kind: "gapped offsets", bytes: file(es), breaksFormat: true)
            case 3:
                es[t].offsets = ["\(es[t].end)", "\(es[t].begin)"]
                return Mutant(kind: "reversed offsets", bytes: file(es), breaksFormat: es[t].begin != es[t].end)
            case 4:
                for k in es.indices { es[k].offsets = ["\(es[k].begin + w)", "\(es[k].end + w)"] }
                return Mutant(kind: "shifted offsets", bytes: file(es), breaksFormat: true)
            case 5:
                es[t].offsets.append(es[t].offsets[1])
                return Mutant(kind: "three offsets", bytes: file(es), breaksFormat: true)
            default:
                es[t].offsets = []
                return Mutant(kind: "no offsets", bytes: file(es), breaksFormat: true)
            }
        case "header length":
            let n = UInt64(headerLength), size = UInt64(original.count)
            let length = pick(Self.headerLengths + [n - 1, n + 1, size - 8, size - 7, size])
            var bytes = original
            for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
            return Mutant(kind: kind, bytes: bytes, breaksFormat: length != n)
        case "truncation":
            let cut = pick([0, 4, 7, 8, 8 + headerLength / 2, dataStart - 1, dataStart, dataStart + 1, original.count - 1,
                            dataStart + rng.nextIndex(original.count - dataStart)])
            return Mutant(kind: kind, bytes: original.prefix(cut), breaksFormat: true)
        case "appended bytes":
            let extra = (0..<(1 + rng.nextIndex(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            return Mutant(kind: kind, bytes: original + extra, breaksFormat: true)
        case "header bit flips":
            var bytes = original
            for _ in 0..<(1 + rng.nextIndex(4)) { bytes[8 + rng.nextIndex(headerLength)] ^= 1 << UInt8(rng.nextIndex(8)) }
            return Mutant(kind: kind, bytes: bytes)
        case "garbage header":
            let random = String(decoding: (0..<(1 + rng.nextIndex(headerLength))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, as: UTF8.self)
            var bytes = file(header: pick(Self.garbageHeaders + [random]))
            if rng.nextIndex(4) == 0 { bytes[8 + rng.nextIndex(max(1, bytes.count - 8 - (original.count - dataStart)))] = 0xFF } // invalid UTF-8
            return Mutant(kind: kind, bytes: bytes, breaksFormat: true)
        case "dtype":
            let old = es[t].dtype
            es[t].dtype = pick(Self.dtypes)
            // I32 has F32's width, so F32 → I32 keeps the layout valid; the loaders, which read
            // weights as floats, must refuse it instead. I32 → F32 is valid too (an integer
            // setting such as zeyde's `window` then reads as F32): a loader that reads it refuses
            // it, one that ignores it may load the file, which must then be valid.
            let reinterpreted = old == "F32" && es[t].dtype == "I32"
            let widened = old == "I32" && es[t].dtype == "F32"
            return Mutant(kind: kind, bytes: file(es), breaksFormat: es[t].dtype != old && !reinterpreted && !widened,
                          unusableModel: reinterpreted)
        case "metadata":
            return metadataMutant(es, rng: &rng)
        case "data value":
            let e = es[t]
            let width = e.dtype == "F64" ? 8 : 4
            let count = (e.end - e.begin) / width
            let at = dataStart + e.begin + width * rng.nextIndex(count)
            let value = pick([Double.nan, .infinity, -.infinity, Double(Float.greatestFiniteMagnitude), 1e300, 1e-310, -0.0, 1e20])
            var bytes = original
            let pattern: [UInt8] = width == 8 ? withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
                                              : withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { Array($0) }
            bytes.replaceSubrange(at..<(at + width), with: pattern)
            return Mutant(kind: kind, bytes: bytes, unusableModel: !(width == 8 ? value : Double(Float(value))).isFinite)
        case "duplicate key":
            var copy = es[t]
            copy.offsets = ["\(entries.last!.end)", "\(entries.last!.end + es[t].end - es[t].begin)"]
            return Mutant(kind: kind, bytes: file(es + [copy]))
        case "renamed tensor":
            es[t].name = pick([es[t].name + "x", es[t].name.uppercased() == es[t].name ? es[t].name.lowercased() : es[t].name.uppercased(), "", es[t].name + "\u{0}"])
            return Mutant(kind: kind, bytes: file(es), unusableModel: true)
        default: // missing or extra field
            if rng.nextIndex(3) == 0 {
                es[t].extra.append((pick(["note", "dtype2", "offsets"]), pick(["1", "\"x\"", "[]", "null"])))
                return Mutant(kind: "extra field", bytes: file(es))
            }
            es[t].omitted.insert(pick(["dtype", "shape", "data_offsets"]))
            return Mutant(kind: "missing field", bytes: file(es), breaksFormat: true)
        }
    }

    private func metadataMutant(_ es: [Entry], rng: inout Xoshiro256) -> Mutant {
        func pick<T>(_ list: [T]) -> T { list[rng.nextIndex(list.count)] }
        var m = metadata
        // The scale a loader reads from these pairs (dictionaries also accept `upscale`).
        func unusable(_ pairs: [(key: String, value: String)]) -> Bool {
            let text = pairs.first { $0.key == "scale" }?.value ?? pairs.first { $0.key == "upscale" }?.value
            return text.flatMap { Int($0) } != scale
        }
        func setting(_ key: String, _ value: String?) {
            m.removeAll { $0.key == key }
            if let value { m.append((key, value)) }
        }
        switch rng.nextIndex(6) {
        case 0:
            setting("scale", nil)
            return Mutant(kind: "metadata: no scale", bytes: file(es, metadata: m), unusableModel: unusable(m))
        case 1:
            let text = pick(Self.scaleTexts)
            setting("scale", text)
            return Mutant(kind: "metadata: scale \(text)", bytes: file(es, metadata: m), unusableModel: unusable(m))
        case 2: // a value that is not a string breaks the format
            let strings: String = String(Self.metadataJSON(m).dropLast())
            let value: String = pick(["3", "null", "[1]", "{}", "true"])
            let raw = strings + (m.isEmpty ? "" : ",") + "\"scale2\":" + value + "}"
            return Mutant(kind: "metadata: non-string value", bytes: file(header: Self.header(es, metadata: raw)), breaksFormat: true)
        case 3:
            return Mutant(kind: "metadata: none", bytes: file(es, metadata: []), unusableModel: true)
        case 4:
            let key = pick(["arch", "kind", "atoms", "iterations", "lipschitz", "lambda", "patch_size", "upscale", "format"])
            setting(key, pick(["", "9-1-5", "1-1-1", "scn", "0", "-1", "inf", "nan", "1e400", "4294967296", "3037000500"]))
            return Mutant(kind: "metadata: \(key)", bytes: file(es, metadata: m))
        default:
            let raw = pick(["[]", "\"x\"", "1", "null"])
            return Mutant(kind: "metadata: not an object", bytes: file(header: Self.header(es, metadata: raw)),
                          breaksFormat: raw != "null", unusableModel: true)
        }
    }
}
