import Foundation

/// A run's config file (`srlab train … --config FILE`): one flat JSON object whose keys are the
/// settings of the run, named as in the checkpoints (`batchSize`, `learningRateMilestones`, …).
/// Options given on the command line override it; keys it lacks keep the command's defaults.
/// Unknown keys are refused, naming the file, so a misspelt setting cannot silently keep its default.
struct ConfigFile {
    let path: String
    let data: Data

    /// Reads `path` and checks its keys against `keys`.
    init(_ path: String, keys: Set<String>) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigFileError(path: path, reason: "cannot read the file")
        }
        self.data = data
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigFileError(path: path, reason: "not a JSON object")
        }
        let unknown = Set(object.keys).subtracting(keys).sorted()
        guard unknown.isEmpty else {
            throw ConfigFileError(path: path, reason: "unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (known: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    /// The folder the file is in: a run folder, which the run writes to unless told otherwise.
    var folder: String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// The file decoded as `T`, whose decoder takes the values of missing keys from
    /// `userInfo[defaultsKey]` when given.
    func decode<T: Decodable>(_ type: T.Type, defaults: T? = nil, defaultsKey: CodingUserInfoKey? = nil) throws -> T {
        let decoder = JSONDecoder()
        if let defaults, let defaultsKey { decoder.userInfo[defaultsKey] = defaults }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ConfigFileError(path: path, reason: Self.explain(error))
        } catch {
            throw ConfigFileError(path: path, reason: "\(error)")
        }
    }

    static func explain(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' needs a \(type) value"
        case .keyNotFound(let key, _):
            return "'\(key.stringValue)' is missing"
        case .dataCorrupted(let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (key.isEmpty ? "" : "'\(key)': ") + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

struct ConfigFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
