import Foundation
import Imaging

public enum HarnessError: Error, CustomStringConvertible {
    case unavailableMethod(String)
    case unwritableFolder(path: String, reason: String)
    case invalidSpec(path: String, reason: String)
    /// An output path srlab will not write to (empty, the current folder, a file, a folder it did not make).
    case refusedOutput(path: String, reason: String)
    case downloadFailed(url: String, reason: String)

    public var description: String {
        switch self {
        case .unavailableMethod(let m): return m
        case .unwritableFolder(let path, let reason): return "\(path): cannot write here: \(reason)"
        case .invalidSpec(let path, let reason): return "\(path): \(reason)"
        case .refusedOutput(let path, let reason): return "\(path): \(reason)"
        case .downloadFailed(let url, let reason): return "\(url): download failed: \(reason)"
        }
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
