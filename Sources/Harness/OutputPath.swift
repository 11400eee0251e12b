import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks on where a command will write, made before any work: a bad path must fail at once,
/// not after the whole evaluation, and must never be a place whose contents srlab would replace.
/// The checks only look; nothing is created until the results are written.
public enum OutputPath {
    /// Why `name` cannot be a plain file or folder name — one that stays inside its folder and
    /// is not hidden — or nil when it can.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name == "." || name == ".." { return "is '\(name)'" }
        if name.contains("/") { return "contains '/'" }
        if name.hasPrefix(".") { return "starts with '.'" }
        if name.contains(where: { $0.isNewline || $0 == "\0" }) { return "contains a line break" }
        return nil
    }

    /// A folder to write into. Returns the path without trailing slashes ("dir/" means "dir").
    /// Refuses an empty path, the current folder or any folder above it (`.`, `./`, `..`, `/`),
    /// a path that is a file or lies under one, and a place that cannot be written.
    public static func checkFolder(_ path: String, option: String) throws -> String {
        let display = "\(option) \(path.isEmpty ? "\"\"" : path)"
        guard !path.isEmpty else { throw HarnessError.refusedOutput(path: display, reason: "the path is empty; give a folder") }
        var cleaned = path
        while cleaned.count > 1 && cleaned.hasSuffix("/") { cleaned.removeLast() }
        let resolved = resolve(absolute(cleaned))
        let cwd = resolve(FileManager.default.currentDirectoryPath)
        if resolved == "/" {
            throw HarnessError.refusedOutput(path: display, reason: "is the root folder; give a folder of its own, e.g. results/NAME")
        }
        if resolved == cwd {
            throw HarnessError.refusedOutput(path: display, reason: "is the current folder; give a folder of its own, e.g. results/NAME")
        }
        if cwd.hasPrefix(resolved + "/") {
            throw HarnessError.refusedOutput(path: display, reason: "contains the current folder; give a folder of its own, e.g. results/NAME")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir) {
            guard isDir.boolValue else { throw HarnessError.refusedOutput(path: display, reason: "is a file, not a folder") }
            try requireWritable(resolved, display: display)
        } else {
            try requireCreatable(resolved, display: display)
        }
        return cleaned
    }

    /// A file to write (`--json FILE`). Refuses an empty path, a path ending in "/" or naming an
    /// existing folder, and a file whose folder cannot be created or written.
    public static func checkFile(_ path: String, option: String) throws -> String {
        let display = "\(option) \(path.isEmpty ? "\"\"" : path)"
        guard !path.isEmpty else { throw HarnessError.refusedOutput(path: display, reason: "the path is empty; give a file name") }
        guard !path.hasSuffix("/") else {
            throw HarnessError.refusedOutput(path: display, reason: "names a folder; give a file name, e.g. \(path)results.json")
        }
        let resolved = resolve(absolute(path))
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir) {
            guard !isDir.boolValue else {
                throw HarnessError.refusedOutput(path: display, reason: "is a folder; give a file name, e.g. \(path)/results.json")
            }
            guard access(resolved, W_OK) == 0 else {
                throw HarnessError.refusedOutput(path: display, reason: "cannot be written: \(String(cString: strerror(errno)))")
            }
        }
        try requireCreatable(resolved, display: display)
        return path
    }

    /// `checkFile`, then the folders above the file are made, so that the write after the work
    /// cannot fail for want of them.
    @discardableResult
    public static func prepareFile(_ path: String, option: String) throws -> String {
        let checked = try checkFile(path, option: option)
        let parent = (checked as NSString).deletingLastPathComponent
        try ensureWritableFolder(parent.isEmpty ? "." : parent)
        return checked
    }

    /// The nearest existing folder above `resolved` must be a folder srlab may write into, so the
    /// missing ones can be made later.
    static func requireCreatable(_ resolved: String, display: String) throws {
        var ancestor = (resolved as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        while !FileManager.default.fileExists(atPath: ancestor, isDirectory: &isDir) {
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        guard isDir.boolValue else {
            throw HarnessError.refusedOutput(path: display, reason: "\(ancestor) is a file, so no folder can be made inside it")
        }
        try requireWritable(ancestor, display: display)
    }

    static let writeCheckPrefix = ".srlab-write-check-"

    /// Tries it: permission bits say nothing for root, nor about a read-only mount or a full quota.
    /// The probe's name is unique per call: two checks of one folder at once in one process (two
    /// outputs, or tests in parallel) each named it by the pid alone, and the second failed with
    /// "File exists" (a CI run saw it in MergeTests).
    static func requireWritable(_ folder: String, display: String) throws {
        let probe = folder + "/" + writeCheckPrefix + String(getpid()) + "-" + UUID().uuidString
        guard mkdir(probe, 0o700) == 0 else {
            throw HarnessError.refusedOutput(path: display, reason: "cannot write in \(folder): \(String(cString: strerror(errno)))")
        }
        rmdir(probe)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The real path: symbolic links of the existing part resolved, `.` and `..` of the rest
    /// applied, so `results/..` is recognised as the current folder.
    static func resolve(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path else { return path }
        let base = resolve(parent)
        switch (path as NSString).lastPathComponent {
        case ".", "": return base
        case "..": return (base as NSString).deletingLastPathComponent
        case let last: return base == "/" ? "/" + last : base + "/" + last
        }
    }
}

/// Checks, before any work, that results can be written into `folder` (creating it if needed).
public func ensureWritableFolder(_ folder: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
        throw HarnessError.unwritableFolder(path: folder, reason: "cannot create the folder")
    }
    guard access(folder, W_OK) == 0 else {
        throw HarnessError.unwritableFolder(path: folder, reason: String(cString: strerror(errno)))
    }
}
