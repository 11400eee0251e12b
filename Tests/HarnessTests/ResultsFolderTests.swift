import Foundation
import Testing
@testable import Harness

/// srlab writes only into folders it made and never removes a file it did not write: results
/// folders named like the user's folders, the shard files merge reads, the user's notes.
@Suite struct ResultsFolderTests: TinyExperiment {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rf-\(UUID())")

    func tinyResult() throws -> ComparisonRun { try run(allCells(), root: try makeData()) }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    // Issue 12, item 1: a spec named `models` replaced results/models/*.safetensors; `--output
    // mypics` deleted a photo in that folder.
    @Test func aFolderSrlabDidNotWriteIsRefusedAndKept() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try tinyResult()
        let models = folder.path + "/results/models"
        let model = try userFile("srcnn_x3.safetensors", in: models)
        let message = refusal { try ResultsWriter.write(result, to: models) }
        #expect(message?.contains(models) == true && message?.contains(ResultsFolder.markerName) == true, "\(message ?? "no error")")
        #expect(isIntact(model))
        #expect(try FileManager.default.contentsOfDirectory(atPath: models) == ["srcnn_x3.safetensors"])

        let photo = try userFile("photo.jpg", in: folder.path + "/mypics")
        #expect(refusal { try ResultsWriter.write(result, to: folder.path + "/mypics/") } != nil)
        #expect(isIntact(photo))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/mypics") == ["photo.jpg"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["data", "mypics", "results"])
    }

    @Test func aMarkedFolderIsRewrittenKeepingWhatSrlabDidNotWrite() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try tinyResult()
        let out = folder.path + "/results/tiny"
        try ResultsWriter.write(result, to: out)
        #expect((try ResultsFolder(out)).ownedFiles().contains("summary.md"))
        let notes = try userFile("notes.txt", in: out)
        let shard = try userFile("shard-1-of-2.json", in: out + "/shards")
        // An earlier run's figure, listed in the marker, goes when this run does not write it.
        try Data("old".utf8).write(to: URL(fileURLWithPath: out + "/fig_old.svg"))
        try ResultsFolder(out).claim(["fig_old.svg"])
        try ResultsWriter.write(result, to: out)
        #expect(isIntact(notes) && isIntact(shard))
        #expect(!FileManager.default.fileExists(atPath: out + "/fig_old.svg"))
        #expect(!(try ResultsFolder(out)).ownedFiles().contains("fig_old.svg"))
        #expect(FileManager.default.fileExists(atPath: out + "/summary.md"))
        // An empty folder is accepted and marked.
        let empty = folder.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        try ResultsWriter.write(result, to: empty)
        #expect(FileManager.default.fileExists(atPath: empty + "/" + ResultsFolder.markerName))
    }

    // Issue 12, item 3: `.`, `./`, `""` trapped or failed after the whole run; `dir/` failed.
    @Test func outputPathsAreCheckedBeforeAnyWork() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let cwd = FileManager.default.currentDirectoryPath
        for (path, words) in [("", "empty"), (".", "current folder"), ("./", "current folder"), (cwd, "current folder"),
                              (cwd + "/..", "contains the current folder"), ("..", "contains the current folder"), ("/", "root")] {
            let message = refusal { _ = try ResultsFolder(path) }
            #expect(message?.contains(words) == true, "\(path): \(message ?? "accepted")")
        }
        let file = try userFile("a-file", in: folder.path)
        #expect(refusal { _ = try ResultsFolder(file) }?.contains("is a file") == true)
        #expect(refusal { _ = try ResultsFolder(file + "/sub") }?.contains("is a file") == true)
        #expect(isIntact(file))
        // Nothing is created by the check; "dir/" means "dir".
        let fresh = try ResultsFolder(folder.path + "/new/")
        #expect(fresh.path == folder.path + "/new")
        #expect(!FileManager.default.fileExists(atPath: fresh.path))
        try ResultsWriter.write(try tinyResult(), to: fresh)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/new/summary.md"))
    }

    @Test func anUnwritableParentIsRefused() throws {
        // /proc takes no new folders, whoever runs the tests (root ignores permission bits).
        let message = refusal { _ = try ResultsFolder("/proc/srlab-results-test") }
        #expect(message?.contains("cannot write in /proc") == true, "\(message ?? "accepted")")
    }

    // No staging folder is left behind on failure, and a dead run's staging is cleared.
    @Test func failuresLeaveNoTemporaries() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try tinyResult()
        let out = folder.path + "/results/tiny"
        try ResultsWriter.write(result, to: out)
        let before = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        // A value JSON cannot hold fails before any file is touched.
        result.cells[0].report.mean.ssim = .nan
        let message = refusal { try ResultsWriter.write(result, to: out) }
        #expect(message?.contains("metrics.json") == true, "\(message ?? "no error")")
        #expect(try String(contentsOfFile: out + "/summary.md", encoding: .utf8) == before)
        // A folder in the way of a file srlab writes is refused, not replaced.
        result.cells[0].report.mean.ssim = 0.5
        try FileManager.default.removeItem(atPath: out + "/metrics.csv")
        _ = try userFile("mine.txt", in: out + "/metrics.csv")
        #expect(refusal { try ResultsWriter.write(result, to: out) } != nil)
        #expect(isIntact(out + "/metrics.csv/mine.txt"))
        try FileManager.default.removeItem(atPath: out + "/metrics.csv")
        // A failed first write into a new folder leaves no folder at all.
        result.cells[0].report.mean.ssim = .infinity
        #expect(refusal { try ResultsWriter.write(result, to: folder.path + "/results/other") } != nil)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/results/other"))
        // Staging of a process that no longer exists is cleared by the next write.
        var dead: Int32 = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let stale = out + "/" + ResultsFolder.stagingPrefix + String(dead)
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        result.cells[0].report.mean.ssim = 0.5
        try ResultsWriter.write(result, to: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".srlab-staging") }.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/results") == ["tiny"])
    }
}
