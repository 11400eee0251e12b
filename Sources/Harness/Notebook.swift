import AtomicIO
import Foundation

/// Markdown notebooks whose numbers come from commands written in them. A command block is a
/// fenced `sh` block preceded by `<!-- srlab:run -->` (or `<!-- srlab:run quick -->` for commands
/// cheap enough for CI); the fenced `text` block after `<!-- srlab:output -->` holds what the
/// command printed. `run` executes the commands and rewrites the outputs; `check` re-runs the quick
/// ones and reports every output that no longer matches.
public struct Notebook {
    public struct Cell: Sendable {
        public var command: String
        public var quick: Bool
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
            let quick = marker.contains("quick")
            guard i + 1 < lines.count, lines[i + 1].hasPrefix("```") else {
                throw HarnessError.invalidSpec(path: path, reason: "line \(i + 1): srlab:run must be followed by a fenced command block")
            }
            var j = i + 2
            var command: [String] = []
            while j < lines.count, !lines[j].hasPrefix("```") { command.append(lines[j]); j += 1 }
            guard j < lines.count else { throw HarnessError.invalidSpec(path: path, reason: "line \(i + 2): unclosed command block") }
            var cell = Cell(command: command.joined(separator: "\n"), quick: quick, outputLines: nil, output: "", commandLine: i + 1)
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
    /// is the build being checked. Returns stdout with trailing blank lines trimmed.
    public static func execute(_ command: String, in directory: String, binDirectory: String) throws -> String {
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

    /// The quick cells whose fresh output differs from the notebook's, as messages.
    public func check(in directory: String, binDirectory: String, progress: (String) -> Void) throws -> [String] {
        var failures: [String] = []
        for cell in cells where cell.quick {
            progress("\(path):\(cell.commandLine): \(cell.command)")
            let fresh: String
            do { fresh = try Self.execute(cell.command, in: directory, binDirectory: binDirectory) } catch {
                failures.append("\(path):\(cell.commandLine): \(error)"); continue
            }
            if cell.outputLines == nil {
                failures.append("\(path):\(cell.commandLine): no recorded output (run `srlab notebook run`)")
            } else if fresh != cell.output.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) {
                let a = fresh.components(separatedBy: "\n"), b = cell.output.components(separatedBy: "\n")
                let first = Array(zip(a, b)).firstIndex { $0.0 != $0.1 } ?? min(a.count, b.count)
                failures.append("\(path):\(cell.commandLine): output differs at its line \(first + 1): now '\(first < a.count ? a[first] : "<end>")', notebook '\(first < b.count ? b[first] : "<end>")'")
            }
        }
        return failures
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
