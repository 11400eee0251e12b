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

    /// Where the manifest sits in the repository.
    public static let manifestInRepository = "experiments/datasets/MANIFEST.tsv"

    /// The manifest to use: `explicit` when given; else the repository's, found in the current
    /// folder or any folder above it, then beside the binary (`.build/…/release/srlab` lies in
    /// the repository), so `fetch-data` works from anywhere in the tree and from the built binary.
    public static func locateManifest(explicit: String?, currentFolder: String = FileManager.default.currentDirectoryPath,
                                      executable: String? = ProgramLocation.executable) throws -> String {
        if let explicit { return explicit }
        var searched: [String] = []
        for start in [currentFolder, executable.map { ($0 as NSString).deletingLastPathComponent }].compactMap({ $0 }) {
            var folder = OutputPath.resolve(OutputPath.absolute(start))
            while true {
                let candidate = folder == "/" ? "/" + manifestInRepository : folder + "/" + manifestInRepository
                if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
                if folder == "/" { break }
                folder = (folder as NSString).deletingLastPathComponent
            }
            searched.append(start)
        }
        throw HarnessError.invalidSpec(path: manifestInRepository, reason: """
            not found in \(searched.joined(separator: " or ")) or any folder above; give --manifest FILE
            """)
    }

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
            let data = try Self.download(url)
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
    /// A failure reports curl's exit code and its message (connection refused, HTTP 404, …).
    public static func download(_ url: URL) throws -> Data {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-dl-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let result = run(["curl", "--fail", "--silent", "--show-error", "--location", "--max-time", "120",
                          "--output", temp.path, url.absoluteString])
        guard result.status == 0, let data = FileManager.default.contents(atPath: temp.path) else {
            throw HarnessError.downloadFailed(url: url.absoluteString, reason: result.failure(tool: "curl"))
        }
        return data
    }

    /// What a tool run gave: exit status (nil when it could not start), standard output and error.
    struct ToolResult {
        var status: Int32?
        var output: Data
        var error: String

        func failure(tool: String) -> String {
            guard let status else { return "\(tool) could not be started: \(error)" }
            if status == 127 { return "\(tool) not found (install it, e.g. apt-get install \(tool))" }
            let message = error.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(tool) exit \(status)" + (message.isEmpty ? "" : ": " + message)
        }
    }

    /// Runs a tool. Output goes through files, not pipes: a pipe's write end inherited by a
    /// concurrently started child (a test's HTTP server) would keep the reader waiting for an end
    /// of file forever.
    static func run(_ arguments: [String]) -> ToolResult {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-run-\(getpid())-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer { for p in [outPath, errPath] { try? FileManager.default.removeItem(atPath: p) } }
        guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return ToolResult(status: nil, output: Data(), error: "cannot create a temporary file in \(FileManager.default.temporaryDirectory.path)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            try? out.close(); try? err.close()
            return ToolResult(status: nil, output: Data(), error: "\(error)")
        }
        p.waitUntilExit()
        try? out.close(); try? err.close()
        return ToolResult(status: p.terminationStatus, output: FileManager.default.contents(atPath: outPath) ?? Data(),
                          error: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }

    /// SHA-256 through coreutils' `sha256sum`, present on every Debian system. The bytes go
    /// through a temporary file: a pipe's write end can leak into other children and never close.
    static func sha256(_ data: Data) -> String {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-sha-\(getpid())-\(UUID().uuidString)")
        guard (try? data.write(to: temp)) != nil else { return "" }
        defer { try? FileManager.default.removeItem(at: temp) }
        let result = run(["sha256sum", "-b", temp.path])
        guard result.status == 0 else { return "" }
        return String(decoding: result.output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
