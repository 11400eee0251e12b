/// A model file that is not the model asked for: of another kind, for another scale, with the
/// tensors of another network, or with nothing to tell what it is. The method registry's loader
/// (`ModelFile` in Methods) reports these, and so do the methods' own loaders where a method reads
/// its files without the registry (a trainer fine-tuning from a model), so the same problem reads
/// the same everywhere. A file that is the right model but broken inside (a tensor's shape or
/// values) is reported by the method's parser, which knows its layout.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    /// No `kind` key, and tensors of no model SRLab knows.
    case unrecognised(path: String, tensors: [String], known: [String])
    /// A `kind` that is not a model SRLab reads (a training checkpoint, another program's file).
    case unknownKind(path: String, kind: String, known: [String])
    /// A model of another kind than the method reads; `byTensors` when the file has no `kind` and
    /// was recognised by its tensors.
    case wrongKind(path: String, kind: String, expected: String, byTensors: Bool)
    /// Tensors that are not those of the file's kind.
    case wrongTensors(path: String, kind: String, missing: [String], unexpected: [String])
    /// No scale stated: a model works only at the factor it was trained for.
    case missingScale(path: String, kind: String)
    /// A stated scale that is not a whole number ≥ 1.
    case badScale(path: String, key: String, value: String)
    case wrongScale(path: String, kind: String, trained: Int, requested: Int)
    /// A method that reads a model file was given none; `example` is one it could read.
    case modelRequired(method: String, example: String)
    /// A method that reads no model file was given one.
    case modelNotTaken(method: String, path: String)

    public var description: String {
        switch self {
        case .unrecognised(let path, let tensors, let known):
            return "\(path): not a model SRLab knows: its metadata has no 'kind' and its tensors (\(tensors.joined(separator: ", "))) are those of no known model (\(known.joined(separator: ", ")))"
        case .unknownKind(let path, let kind, let known):
            let hint = kind.hasSuffix("-training-checkpoint")
                ? "a training checkpoint, which resumes training; evaluate the best.safetensors or last.safetensors beside it"
                : "known kinds: \(known.joined(separator: ", "))"
            return "\(path): its kind '\(kind)' is not a model SRLab reads (\(hint))"
        case .wrongKind(let path, let kind, let expected, let byTensors):
            return "\(path): is a model of kind '\(kind)'\(byTensors ? " (recognised by its tensors)" : ""), not '\(expected)'"
        case .wrongTensors(let path, let kind, let missing, let unexpected):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensor(s) \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected tensor(s) \(unexpected.joined(separator: ", "))") }
            return "\(path): not a usable \(kind) model: \(parts.joined(separator: "; "))"
        case .missingScale(let path, let kind):
            return "\(path): its metadata states no 'scale', so the factor this \(kind) model was trained for is unknown and it is not run at any (a model works only at its own factor); add \"scale\": \"N\" to the file's __metadata__ if you know it"
        case .badScale(let path, let key, let value):
            return "\(path): its metadata '\(key)' is '\(value)', not a whole number ≥ 1"
        case .wrongScale(let path, let kind, let trained, let requested):
            return "\(path): this \(kind) model was trained for scale \(trained), not \(requested); pass a model trained for x\(requested)"
        case .modelRequired(let method, let example):
            return "method '\(method)' needs --model FILE (e.g. \(example))"
        case .modelNotTaken(let method, let path):
            return "\(path): method '\(method)' takes no model file; drop --model"
        }
    }
}

extension SafeTensorsFile {
    /// The metadata key every model file SRLab writes carries: what the file holds ("srcnn",
    /// "sc-dictionary", "scn", …; the registry in Methods lists them). Files from elsewhere (the
    /// authors' filters) and older files lack it and are recognised by their tensors.
    public static let kindKey = "kind"

    /// The file's `kind`, if it states one.
    public var kind: String? { metadata[Self.kindKey] }

    /// The scale the file states under the first of `keys` it has (nil when none), which must
    /// be a whole number ≥ 1.
    public func statedScale(keys: [String] = ["scale"], path: String) throws -> Int? {
        guard let key = keys.first(where: { metadata[$0] != nil }), let text = metadata[key] else { return nil }
        guard let scale = Int(text), scale >= 1 else { throw ModelFileError.badScale(path: path, key: key, value: text) }
        return scale
    }

    /// Throws unless the file states `scale` (under the first of `keys` it has).
    public func requireScale(_ scale: Int, keys: [String] = ["scale"], kind: String, path: String) throws {
        guard let stated = try statedScale(keys: keys, path: path) else {
            throw ModelFileError.missingScale(path: path, kind: kind)
        }
        guard stated == scale else {
            throw ModelFileError.wrongScale(path: path, kind: kind, trained: stated, requested: scale)
        }
    }
}
