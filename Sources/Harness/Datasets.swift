import Foundation
import Imaging

public enum HarnessError: Error, CustomStringConvertible {
    case unknownDataset(name: String, root: String, known: [String])
    case emptyFolder(path: String)
    case notAFolder(path: String)
    case badScale(String)
    case unavailableMethod(String)
    case unwritableFolder(path: String, reason: String)
    case invalidSpec(path: String, reason: String)
    /// An output path srlab will not write to (empty, the current folder, a file, a folder it did not make).
    case refusedOutput(path: String, reason: String)
    case downloadFailed(url: String, reason: String)

    public var description: String {
        switch self {
        case .unknownDataset(let name, let root, let known):
            let list = known.isEmpty ? "the data root has no image sets; see README (fetch-data)" : "known: \(known.joined(separator: ", "))"
            return "\(root)/\(name): unknown dataset '\(name)' (\(list))"
        case .emptyFolder(let path): return "\(path): no BMP, PNG or JPEG images in this folder"
        case .notAFolder(let path): return "\(path): not a folder"
        case .badScale(let s): return "scale \(s): must be a whole number from 2 to 8"
        case .unavailableMethod(let m): return m
        case .unwritableFolder(let path, let reason): return "\(path): cannot write here: \(reason)"
        case .invalidSpec(let path, let reason): return "\(path): \(reason)"
        case .refusedOutput(let path, let reason): return "\(path): \(reason)"
        case .downloadFailed(let url, let reason): return "\(url): download failed: \(reason)"
        }
    }
}

/// Where image sets live: `--data`, else `SRLAB_DATA`, else `./data`.
public struct DataRoot: Sendable {
    public let path: String

    public init(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = option ?? environment["SRLAB_DATA"] ?? "data"
    }

    /// The image files of `<root>/<name>`, sorted by name.
    public func dataset(_ name: String) throws -> [URL] {
        let folder = (path as NSString).appendingPathComponent(name)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { !$0.hasPrefix(".") && (try? ImageFolder.list($0.isEmpty ? path : (path as NSString).appendingPathComponent($0))) != nil }
                .sorted()
            throw HarnessError.unknownDataset(name: name, root: path, known: known)
        }
        return try ImageFolder.list(folder)
    }
}

/// The images a command works on: a named set under the data root, or any folder of images.
public struct ImageSource {
    public let urls: [URL]
    /// The set's name for tables: the dataset name, or the folder's last component.
    public let name: String

    public init(dataset: String?, dataRoot: String?, images: String?) throws {
        if let dataset {
            urls = try DataRoot(option: dataRoot).dataset(dataset)
            name = dataset
        } else if let images {
            urls = try ImageFolder.list(images)
            name = URL(fileURLWithPath: images).lastPathComponent
        } else {
            throw HarnessError.invalidSpec(path: ".", reason: "give --dataset NAME or --images DIR")
        }
    }
}

public enum ImageFolder {
    /// BMP, PNG and JPEG files directly in `folder`, sorted by file name.
    public static func list(_ folder: String) throws -> [URL] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw HarnessError.notAFolder(path: folder)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { ImageIO.extensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
            .sorted()
        guard !names.isEmpty else { throw HarnessError.emptyFolder(path: folder) }
        return names.map { URL(fileURLWithPath: folder).appendingPathComponent($0) }
    }

    /// A file's stem: `baby_GT.bmp` → `baby_GT`.
    public static func stem(_ url: URL) -> String { url.deletingPathExtension().lastPathComponent }

    /// The names results use, one per file and all different: the stem (`baby_GT`), or the whole
    /// file name (`x.png`, `x.jpg`) where stems clash, so tables and saved files never mix two
    /// images up. File names in one folder are unique, so switching clashing names to them ends.
    public static func names(_ urls: [URL]) -> [String] {
        var names = urls.map(stem)
        while true {
            let counts = Dictionary(names.map { ($0, 1) }, uniquingKeysWith: +)
            let clashing = names.indices.filter { counts[names[$0]]! > 1 && names[$0] != urls[$0].lastPathComponent }
            if clashing.isEmpty { return names }
            for i in clashing { names[i] = urls[i].lastPathComponent }
        }
    }
}
