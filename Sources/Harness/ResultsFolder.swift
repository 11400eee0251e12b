import AtomicIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder srlab writes results into. srlab marks the folders it makes with a file,
/// `.srlab-results`, listing the files it wrote there; it writes only into a folder that is new,
/// empty or marked, and replaces or removes only the files the marker lists. Anything else in
/// the folder (the shard files `merge` reads, a user's notes) is never touched.
public struct ResultsFolder: Sendable {
    public static let markerName = ".srlab-results"
    static let markerHeader = "# Written by srlab. srlab replaces or removes only the files listed below; anything else here is left alone."
    /// Staging folders are named with the writer's process id, so a later run can tell a dead
    /// run's leftovers from a live run's work.
    static let stagingPrefix = ".srlab-staging-"

    public let path: String

    /// Checks, without changing anything, that srlab may write here (see `OutputPath.checkFolder`)
    /// and that an existing folder is empty or marked as srlab's.
    public init(_ path: String, option: String = "--output") throws {
        self.path = try OutputPath.checkFolder(path, option: option)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: self.path, isDirectory: &isDir), isDir.boolValue else { return }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: self.path) } catch {
            throw HarnessError.refusedOutput(path: "\(option) \(self.path)", reason: "cannot list the folder")
        }
        // Another srlab's work in progress (a shard of the same grid starting beside this one)
        // does not make the folder someone else's.
        let others = entries.filter { !Self.isWorkInProgress($0) }
        guard others.isEmpty || others.contains(Self.markerName) else {
            throw HarnessError.refusedOutput(path: "\(option) \(self.path)", reason: """
                the folder holds files srlab did not write (it has no \(Self.markerName) file, which srlab puts \
                in the folders it makes), so srlab will not write over them; give a new or empty folder
                """)
        }
    }

    /// The files srlab wrote here, as the marker lists them; only plain names in this folder.
    public func ownedFiles() -> Set<String> {
        guard let text = try? String(contentsOfFile: path + "/" + Self.markerName, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && Self.isPlainName($0) })
    }

    /// Creates the folder if needed and records `names` as srlab's before they are written, so a
    /// run that stops half-way still leaves every file it wrote listed.
    public func claim(_ names: [String]) throws {
        try create()
        try writeMarker(ownedFiles().union(names))
    }

    /// Writes `files` and removes srlab's earlier files that are not among them. The files are
    /// written into a staging folder first and then renamed into place, so a failed write leaves
    /// the previous results as they were.
    public func replaceFiles(_ files: [(name: String, data: Data)]) throws {
        let names = files.map(\.name)
        for name in names where !Self.isPlainName(name) || names.filter({ $0 == name }).count > 1 {
            throw HarnessError.refusedOutput(path: path + "/" + name, reason: "not a plain file name, or given twice")
        }
        let fm = FileManager.default
        for name in names {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: path + "/" + name, isDirectory: &isDir), isDir.boolValue {
                throw HarnessError.refusedOutput(path: path + "/" + name, reason: "is a folder where srlab writes a file; srlab will not replace it")
            }
        }
        let existed = fm.fileExists(atPath: path)
        let previous = ownedFiles()
        let staging = path + "/" + Self.stagingPrefix + String(getpid())
        do {
            try claim(names)
            removeStaleStaging()
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
            for file in files { try AtomicFile.write(file.data, to: staging + "/" + file.name) }
            for name in names where rename(staging + "/" + name, path + "/" + name) != 0 {
                throw HarnessError.unwritableFolder(path: path + "/" + name, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? fm.removeItem(atPath: staging)
            // A folder this call made holds nothing but what it wrote.
            if !existed { try? fm.removeItem(atPath: path) }
            throw error
        }
        try? fm.removeItem(atPath: staging)
        for name in previous.subtracting(names) {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: path + "/" + name, isDirectory: &isDir), !isDir.boolValue {
                try? fm.removeItem(atPath: path + "/" + name)
            }
        }
        try writeMarker(Set(names))
    }

    func create() throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw HarnessError.unwritableFolder(path: path, reason: "cannot create the folder")
        }
    }

    func writeMarker(_ names: Set<String>) throws {
        try AtomicFile.write(([Self.markerHeader] + names.sorted()).joined(separator: "\n") + "\n", to: path + "/" + Self.markerName)
    }

    /// Staging folders of runs that died (their process is gone).
    func removeStaleStaging() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where entry.hasPrefix(Self.stagingPrefix) {
            guard let pid = Int32(entry.dropFirst(Self.stagingPrefix.count)), pid != getpid(),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: path + "/" + entry)
        }
    }

    /// srlab's temporaries: staging folders, write checks, the marker while it is written.
    static func isWorkInProgress(_ entry: String) -> Bool {
        entry.hasPrefix(stagingPrefix) || entry.hasPrefix(OutputPath.writeCheckPrefix)
            || (entry.hasPrefix("." + markerName + ".") && entry.hasSuffix(".tmp"))
    }

    /// A name srlab may list and replace here (see `OutputPath.nameProblem`; srlab's own
    /// bookkeeping files are hidden, the marker lists one name a line).
    static func isPlainName(_ name: String) -> Bool { OutputPath.nameProblem(name) == nil }
}
