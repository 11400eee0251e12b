import AtomicIO
import Foundation

/// Fetches the image sets named in a manifest (`set, file, width, height, channels, sha256,
/// source_repo, source_path`) and checks each file's SHA-256 before it is put in place, so a
/// data root is either right or reported wrong. The images are never part of the repository.
public struct DatasetFetcher {
    public struct Entry: Sendable {
        public let file: String
        public let sha256: String
        public let repo: String
        public let sourcePath: String
    }

    /// `{repo}` and `{commit}` are filled in per entry; a test points this at a local server.
    public static let defaultBaseURL = "https://raw.githubusercontent.com/{repo}/{commit}"
    /// The commit of each source repository the manifest's files were checked against.
    public static let commits = ["tegg89/SRCNN-Tensorflow": "78be1a24697935fc39a3a8cf59a6632264afade7"]

    public let entries: [Entry]
    public let manifestPath: String

    public init(manifest path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HarnessError.invalidSpec(path: path, reason: "cannot read the manifest")
        }
        var rows = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = rows.first, let fileCol = header.firstIndex(of: "file"), let shaCol = header.firstIndex(of: "sha256"),
              let repoCol = header.firstIndex(of: "source_repo"), let srcCol = header.firstIndex(of: "source_path") else {
            throw HarnessError.invalidSpec(path: path, reason: "manifest header lacks file, sha256, source_repo or source_path")
        }
        rows.removeFirst()
        entries = try rows.enumerated().map { i, r in
            guard r.count == header.count, r[shaCol].count == 64 else {
                throw HarnessError.invalidSpec(path: path, reason: "line \(i + 2) is malformed")
            }
            return Entry(file: r[fileCol], sha256: r[shaCol].lowercased(), repo: r[repoCol], sourcePath: r[srcCol])
        }
        manifestPath = path
    }

    public func url(for entry: Entry, base: String) -> URL? {
        let root = base.replacingOccurrences(of: "{repo}", with: entry.repo)
            .replacingOccurrences(of: "{commit}", with: Self.commits[entry.repo] ?? "HEAD")
        return URL(string: root + "/" + entry.sourcePath)
    }

    /// Downloads every missing or wrong file into `root`; returns how many were fetched.
    @discardableResult
    public func fetch(into root: String, base: String = defaultBaseURL,
                      progress: (String) -> Void = { _ in }) throws -> Int {
        var fetched = 0
        for entry in entries {
            let dest = (root as NSString).appendingPathComponent(entry.file)
            if let existing = FileManager.default.contents(atPath: dest), Self.sha256(existing) == entry.sha256 {
                continue
            }
            guard let url = url(for: entry, base: base) else {
                throw HarnessError.invalidSpec(path: manifestPath, reason: "no URL for \(entry.file)")
            }
            guard let data = Self.download(url) else {
                throw HarnessError.unwritableFolder(path: dest, reason: "download from \(url.absoluteString) failed")
            }
            let digest = Self.sha256(data)
            guard digest == entry.sha256 else {
                throw HarnessError.invalidSpec(path: dest, reason: "downloaded file has sha256 \(digest), manifest says \(entry.sha256); not saved")
            }
            try FileManager.default.createDirectory(atPath: (dest as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try AtomicFile.write(data, to: dest)
            fetched += 1
            progress(entry.file)
        }
        return fetched
    }

    /// Downloads with curl (Foundation's networking on Linux can stall inside test runners).
    public static func download(_ url: URL) -> Data? {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-dl-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        guard run(["curl", "--fail", "--silent", "--show-error", "--location", "--max-time", "120",
                   "--output", temp.path, url.absoluteString]) != nil else { return nil }
        return FileManager.default.contents(atPath: temp.path)
    }

    /// Runs a tool, returning its standard output, or nil when it fails. Output goes through a
    /// file, not a pipe: a pipe's write end inherited by a concurrently started child (a test's
    /// HTTP server) would keep the reader waiting for an end of file forever.
    static func run(_ arguments: [String]) -> Data? {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-run-\(getpid())-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { try? out.close(); return nil }
        p.waitUntilExit()
        try? out.close()
        return p.terminationStatus == 0 ? FileManager.default.contents(atPath: outPath) : nil
    }

    /// SHA-256 through coreutils' `sha256sum`, present on every Debian system. The bytes go
    /// through a temporary file: a pipe's write end can leak into other children and never close.
    static func sha256(_ data: Data) -> String {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-sha-\(getpid())-\(UUID().uuidString)")
        guard (try? data.write(to: temp)) != nil else { return "" }
        defer { try? FileManager.default.removeItem(at: temp) }
        guard let out = run(["sha256sum", "-b", temp.path]) else { return "" }
        return String(decoding: out, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
