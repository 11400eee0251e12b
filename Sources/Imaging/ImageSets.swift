import Foundation

/// A folder of images, or a data root, that cannot give what was asked of it.
public enum ImageSetError: Error, CustomStringConvertible, Equatable {
    case notAFolder(path: String)
    case unreadableFolder(path: String)
    case noImages(folder: String)
    case unknownDataset(name: String, root: String, known: [String])

    public var description: String {
        switch self {
        case .notAFolder(let path): return "\(path): not a folder"
        case .unreadableFolder(let path): return "\(path): cannot list the folder"
        case .noImages(let folder): return "\(folder): no images in this folder (\(ImageFolder.extensionList) files)"
        case .unknownDataset(let name, let root, let known):
            let list = known.isEmpty ? "the data root has no image sets; see README (fetch-data)" : "known: \(known.joined(separator: ", "))"
            return "\(root)/\(name): unknown dataset '\(name)' (\(list))"
        }
    }
}

/// Where image sets live: `--data`, else `$SRLAB_DATA`, else `./data`. Every command that reads
/// image sets by name (eval, compare, equivalence, training, notebooks, fetch-data) asks this.
public struct DataRoot: Sendable, Equatable {
    /// The environment variable naming the data root.
    public static let environmentVariable = "SRLAB_DATA"
    /// The data root when neither the option nor the variable is given, relative to the current folder.
    public static let defaultPath = "data"

    public let path: String

    public init(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = option ?? environment[Self.environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultPath
    }

    /// `<root>/<name>`, whether or not it exists (for defaults such as the T91 training folder).
    public func folder(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Whether `<root>/<name>` is a folder.
    public func has(_ name: String) -> Bool { ImageFolder.isFolder(folder(name)) }

    /// The image files of `<root>/<name>`, sorted by name (`ImageFolder.list`).
    public func dataset(_ name: String) throws -> [URL] {
        guard has(name) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { !$0.hasPrefix(".") && (try? ImageFolder.list(folder($0))) != nil }
                .sorted()
            throw ImageSetError.unknownDataset(name: name, root: path, known: known)
        }
        return try ImageFolder.list(folder(name))
    }
}

/// An image read from a set, under the name results give it (`ImageFolder.names`).
public struct LoadedImage: Sendable {
    public let name: String
    public let path: String
    public let image: Image8

    public init(name: String, path: String, image: Image8) {
        self.name = name
        self.path = path
        self.image = image
    }
}

/// The one way SRLab lists a folder of images: the BMP, PNG and JPEG files directly in it (by
/// extension, any case), hidden files and subfolders skipped, sorted by file name.
public enum ImageFolder {
    static var extensionList: String { ImageIO.extensions.sorted().joined(separator: ", ") }

    /// The images of `folder`; throws when it is not a folder or holds none.
    public static func list(_ folder: String) throws -> [URL] {
        try paths(folder).map { URL(fileURLWithPath: $0) }
    }

    /// `list` as paths joined to `folder` as given (a relative folder gives relative paths).
    public static func paths(_ folder: String) throws -> [String] {
        guard isFolder(folder) else { throw ImageSetError.notAFolder(path: folder) }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw ImageSetError.unreadableFolder(path: folder)
        }
        let paths = entries.filter { name in
            !name.hasPrefix(".") && ImageIO.extensions.contains((name as NSString).pathExtension.lowercased())
        }.sorted().map { (folder as NSString).appendingPathComponent($0) }.filter { !isFolder($0) }
        guard !paths.isEmpty else { throw ImageSetError.noImages(folder: folder) }
        return paths
    }

    /// Reads every image, named as results name them; the first unreadable file is the error.
    public static func load(_ urls: [URL]) throws -> [LoadedImage] {
        try zip(urls, names(urls)).map { url, name in
            LoadedImage(name: name, path: url.path, image: try ImageIO.read(url.path))
        }
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

    public static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
