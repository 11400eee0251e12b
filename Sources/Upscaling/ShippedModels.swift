import AtomicIO
import Foundation
import Methods

/// A model file SRLab ships (`results/models`), found without `--model`.
public struct ShippedModel: Equatable, Sendable {
    public var method: MethodName
    /// How it is named in output lines, e.g. "srcnn 9-5-5".
    public var label: String
    public var path: String
}

public enum ModelSearchError: Error, CustomStringConvertible, Equatable {
    case notAFolder(variable: String, path: String)

    public var description: String {
        switch self {
        case .notAFolder(let variable, let path): return "\(variable)=\(path): no such folder"
        }
    }
}

/// Where the shipped models are and which one is best for a scale.
public struct ShippedModels: Sendable {
    /// Folders searched, in order; the first that holds a model for the scale (of the method, when
    /// one is asked for) gives its best one.
    public let folders: [String]

    public init(folders: [String]) {
        var seen: Set<String> = []
        self.folders = folders.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    /// The best model for `scale` (and `method`, when given), or nil when no folder has one; the
    /// ranking is the registry's (`MethodName.shippedRanking`).
    public func best(scale: Int, method: MethodName? = nil) -> ShippedModel? {
        let candidates = MethodName.shippedRanking.filter { method == nil || $0.method == method }
        for folder in folders {
            for c in candidates {
                let path = URL(fileURLWithPath: folder).appendingPathComponent(c.file(scale: scale)).path
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                    return ShippedModel(method: c.method, label: c.label, path: path)
                }
            }
        }
        return nil
    }

    /// The search path: `$SRLAB_MODELS`; a `models` folder beside the binary; `results/models` in
    /// the current folder; `results/models` in the repository the binary was built in (the first
    /// folder above it with a Package.swift). A set `SRLAB_MODELS` that is not a folder is an
    /// error rather than silently passed over.
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     executable: String? = ProgramLocation.executable,
                                     currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> [String] {
        var folders: [String] = []
        if let variable = environment["SRLAB_MODELS"], !variable.isEmpty {
            guard isFolder(variable) else { throw ModelSearchError.notAFolder(variable: "SRLAB_MODELS", path: variable) }
            folders.append(variable)
        }
        let binFolder = executable.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
        if let binFolder { folders.append(binFolder.appendingPathComponent("models").path) }
        folders.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("results/models").path)
        if let binFolder, let repository = ProgramLocation.enclosingPackage(of: binFolder.path) {
            folders.append(URL(fileURLWithPath: repository).appendingPathComponent("results/models").path)
        }
        return folders
    }

    /// The models found on the default search path.
    public static func located() throws -> ShippedModels {
        ShippedModels(folders: try searchFolders())
    }

    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
