import AtomicIO
import Imaging
import Foundation

/// Markdown notebooks whose numbers come from commands written in them. A command block is a
/// fenced `sh` block preceded by `<!-- srlab:run -->` (or `<!-- srlab:run quick -->` for commands
/// cheap enough for CI); the fenced `text` block after `<!-- srlab:output -->` holds what the
/// command printed. `run` executes the commands and rewrites the outputs; `check` re-runs the quick
/// ones and reports every output that no longer matches, within the tolerance the cell declares
/// (`<!-- srlab:run quick tolerance=last-digit -->`, see `NotebookTolerance`).
public struct Notebook {
    public struct Cell: Sendable {
        public var command: String
        public var quick: Bool
        public var tolerance: NotebookTolerance
        /// Line range of the output block's body in `lines` (nil when the notebook has none yet).
        public var outputLines: Range<Int>?
        public var output: String
        public var commandLine: Int
    }

    public let path: String
    public var lines: [String]
    public var cells: [Cell]

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HarnessError.invalidSpec(path: path, reason: "cannot read the notebook")
        }
        self.path = path
        lines = text.components(separatedBy: "\n")
        cells = []
        var i = 0
        while i < lines.count {
            let marker = lines[i].trimmingCharacters(in: .whitespaces)
            guard marker.hasPrefix("<!-- srlab:run") else { i += 1; continue }
            let quick = marker.split(separator: " ").contains("quick")
            guard i + 1 < lines.count, lines[i + 1].hasPrefix("```") else {
                throw HarnessError.invalidSpec(path: path, reason: "line \(i + 1): srlab:run must be followed by a fenced command block")
            }
            var j = i + 2
            var command: [String] = []
            while j < lines.count, !lines[j].hasPrefix("```") { command.append(lines[j]); j += 1 }
            guard j < lines.count else { throw HarnessError.invalidSpec(path: path, reason: "line \(i + 2): unclosed command block") }
            let tolerance = try NotebookTolerance.parse(marker: marker) ?? .exact
            var cell = Cell(command: command.joined(separator: "\n"), quick: quick, tolerance: tolerance,
                            outputLines: nil, output: "", commandLine: i + 1)
            var k = j + 1
            while k < lines.count, lines[k].trimmingCharacters(in: .whitespaces).isEmpty { k += 1 }
            if k < lines.count, lines[k].trimmingCharacters(in: .whitespaces) == "<!-- srlab:output -->",
               k + 1 < lines.count, lines[k + 1].hasPrefix("```") {
                var m = k + 2
                while m < lines.count, !lines[m].hasPrefix("```") { m += 1 }
                guard m < lines.count else { throw HarnessError.invalidSpec(path: path, reason: "line \(k + 2): unclosed output block") }
                cell.outputLines = (k + 2)..<m
                cell.output = lines[(k + 2)..<m].joined(separator: "\n")
                j = m
            }
            cells.append(cell)
            i = j + 1
        }
    }

    /// Runs a command with `/bin/sh` in `directory`, with `binDirectory` first on PATH so `srlab`
    /// is the build being checked, and `environment` set over the process's own. Returns stdout
    /// with trailing blank lines trimmed.
    public static func execute(_ command: String, in directory: String, binDirectory: String,
                               environment: [String: String] = [:]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-nb-\(getpid())-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
            throw HarnessError.unwritableFolder(path: out, reason: "cannot create a temporary file")
        }
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-ec", command]
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = binDirectory + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env.merge(environment) { _, set in set }
        p.environment = env
        p.standardOutput = handle
        try p.run()
        p.waitUntilExit()
        try? handle.close()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            throw HarnessError.invalidSpec(path: command, reason: "command failed with status \(p.terminationStatus)")
        }
        return text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }

    /// Re-runs the cells (all, or only the quick ones) and rewrites their output blocks.
    public mutating func run(all: Bool, in directory: String, binDirectory: String, progress: (String) -> Void) throws {
        // From the last cell up, so earlier line ranges stay valid while later ones change.
        for index in cells.indices.reversed() where all || cells[index].quick {
            let cell = cells[index]
            progress("\(path):\(cell.commandLine): \(cell.command)")
            let output = try Self.execute(cell.command, in: directory, binDirectory: binDirectory)
            let block = output.components(separatedBy: "\n")
            if let range = cell.outputLines {
                lines.replaceSubrange(range, with: block)
            } else {
                var end = cell.commandLine + 1
                while !lines[end].hasPrefix("```") { end += 1 }
                lines.insert(contentsOf: ["", "<!-- srlab:output -->", "```text"] + block + ["```"], at: end + 1)
            }
        }
        try AtomicFile.write(lines.joined(separator: "\n"), to: path)
    }

    /// The quick cells whose fresh output differs from the notebook's, as messages. The commands
    /// run in a scratch copy of `directory` (see `CheckWorkspace`), so a check rewrites nothing:
    /// a cell that draws a figure into the notebooks' folder draws it into the copy.
    public func check(in directory: String, binDirectory: String, environment: [String: String] = [:],
                      progress: (String) -> Void) throws -> [String] {
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory)).standardizedFileURL.path
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path + "/"
        let folder = absolute.hasPrefix(base) ? String(absolute.dropFirst(base.count).split(separator: "/").first ?? "") : ""
        let workspace = try CheckWorkspace(mirroring: directory, copying: folder)
        defer { workspace.remove() }
        var failures: [String] = []
        for cell in cells where cell.quick {
            progress("\(path):\(cell.commandLine): \(cell.command)")
            let fresh: String
            do { fresh = try Self.execute(cell.command, in: workspace.path, binDirectory: binDirectory, environment: environment) } catch {
                failures.append("\(path):\(cell.commandLine): \(error)"); continue
            }
            if cell.outputLines == nil {
                failures.append("\(path):\(cell.commandLine): no recorded output (run `srlab notebook run`)")
            } else if let mismatch = cell.tolerance.mismatch(
                recorded: cell.output.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression), fresh: fresh) {
                failures.append("\(path):\(cell.commandLine): \(mismatch)")
            }
        }
        return failures
    }

    /// Checks the quick cells of every notebook at `path` (a file or a folder) with the image sets
    /// of `dataRoot`, which the cells see as `$SRLAB_DATA`. Every quick cell reads the sets, so
    /// without them nothing is run and the error says so once. Returns the number of quick cells
    /// and the failures.
    public static func checkAll(_ path: String, dataRoot: DataRoot, in directory: String, binDirectory: String,
                                progress: (String) -> Void) throws -> (checked: Int, failures: [String]) {
        guard dataRoot.has("Set5") else {
            throw HarnessError.invalidSpec(path: dataRoot.path, reason: "no image sets here (Set5/ is missing), so no notebook cell can be checked; give --data or \(DataRoot.environmentVariable), or run `srlab fetch-data`")
        }
        let environment = [DataRoot.environmentVariable: URL(fileURLWithPath: dataRoot.path).standardizedFileURL.path]
        var checked = 0, failures: [String] = []
        for file in try files(path) {
            let notebook = try Notebook(path: file)
            checked += notebook.cells.filter(\.quick).count
            failures += try notebook.check(in: directory, binDirectory: binDirectory, environment: environment, progress: progress)
        }
        return (checked, failures)
    }

    /// The notebooks of a folder (or one file), sorted.
    public static func files(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw HarnessError.invalidSpec(path: path, reason: "no such notebook or folder")
        }
        guard isDir.boolValue else { return [path] }
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".md") }.sorted()
            .map { (path as NSString).appendingPathComponent($0) }
    }
}

/// A scratch copy of the folder a check runs in: the notebooks' own folder is copied (figures that
/// cells draw land in the copy), every other entry is a symbolic link to the real one, and the
/// folder's siblings are linked beside it so that `../shared/…` still resolves. Quick cells must
/// therefore write only inside the notebooks' folder or to absolute temporary paths.
struct CheckWorkspace {
    let root: String
    let path: String

    init(mirroring directory: String, copying notebooksFolder: String) throws {
        let fm = FileManager.default
        let source = URL(fileURLWithPath: directory).standardizedFileURL
        root = fm.temporaryDirectory.appendingPathComponent("srlab-notebook-check-\(getpid())-\(UUID().uuidString)").path
        path = (root as NSString).appendingPathComponent(source.lastPathComponent)
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            let parent = source.deletingLastPathComponent()
            for sibling in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where sibling != source.lastPathComponent {
                try fm.createSymbolicLink(atPath: (root as NSString).appendingPathComponent(sibling),
                                          withDestinationPath: parent.appendingPathComponent(sibling).path)
            }
            for entry in try fm.contentsOfDirectory(atPath: source.path) {
                let real = source.appendingPathComponent(entry).path, mirror = (path as NSString).appendingPathComponent(entry)
                if entry == notebooksFolder { try fm.copyItem(atPath: real, toPath: mirror) }
                else { try fm.createSymbolicLink(atPath: mirror, withDestinationPath: real) }
            }
        } catch {
            try? fm.removeItem(atPath: root)
            throw HarnessError.unwritableFolder(path: root, reason: "cannot prepare the scratch copy for the check: \(error.localizedDescription)")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
