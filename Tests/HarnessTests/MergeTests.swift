import Foundation
import Testing
@testable import Harness

/// `srlab merge` in the README's layout (results/<name>/shards/*.json): it keeps its inputs, and it
/// refuses until all N shards are there unless told --partial, which the table then says.
@Suite struct MergeTests: TinyExperiment {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID())")

    /// Shard runs of the tiny spec, written as `compare --shard I/3` writes them.
    func writeShards(_ indices: [Int], into out: ResultsFolder) throws -> [(path: String, run: ComparisonRun)] {
        let root = try makeData()
        return try indices.map { i in
            let label = ShardLabel(index: i, count: 3)
            let part = try run(Comparison.shard(allCells(), index: i, count: 3), root: root, shard: label)
            return (try ResultsWriter.writeShard(part, label: label, to: out), part)
        }
    }

    func read(_ path: String) throws -> ComparisonRun {
        try JSONDecoder().decode(ComparisonRun.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    // Issue 12, item 2: merge deleted results/<name>/shards/, its own input.
    @Test func mergeKeepsItsInputsAndTheUsersFiles() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try ResultsFolder(folder.path + "/results/tiny")
        let shards = try writeShards([1, 2, 3], into: out)
        let mine = try userFile("my-notes.txt", in: out.path)
        let bytes = try shards.map { try Data(contentsOf: URL(fileURLWithPath: $0.path)) }
        let merged = try Comparison.merge(try shards.map { try read($0.path) }, paths: shards.map(\.path))
        #expect(merged.partial == nil && merged.cells.count == allCells().count)
        try ResultsWriter.write(merged, to: try ResultsFolder(out.path))
        // Merging again, as a scheduler's retry would, finds the same inputs.
        try ResultsWriter.write(merged, to: try ResultsFolder(out.path))
        #expect(try shards.map { try Data(contentsOf: URL(fileURLWithPath: $0.path)) } == bytes)
        #expect(isIntact(mine))
        #expect(FileManager.default.fileExists(atPath: out.path + "/summary.md"))
        #expect(try !String(contentsOfFile: out.path + "/summary.md", encoding: .utf8).contains("Partial"))
    }

    // Issue 12, item 2: with a shard missing, merge wrote a complete-looking table.
    @Test func aMissingShardIsNamedAndPartialIsMarked() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try ResultsFolder(folder.path + "/results/tiny")
        let shards = try writeShards([1, 3], into: out)
        let parts = try shards.map { try read($0.path) }
        do {
            _ = try Comparison.merge(parts, paths: shards.map(\.path))
            Issue.record("a merge with shard 2 of 3 missing was accepted")
        } catch {
            #expect("\(error)".contains("shard-2-of-3.json") && "\(error)".contains("--partial"), "\(error)")
        }
        let partial = try Comparison.merge(parts, paths: shards.map(\.path), allowPartial: true)
        #expect(partial.partial == MissingShards(count: 3, missing: [2]))
        try ResultsWriter.write(partial, to: try ResultsFolder(out.path))
        let summary = try String(contentsOfFile: out.path + "/summary.md", encoding: .utf8)
        #expect(summary.contains("**Partial results:** shard 2 of 3 was not merged"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + "/metrics.json"))) as? [String: Any]
        let recorded = json?["partial"] as? [String: Any]
        #expect(recorded?["missing"] as? [Int] == [2] && recorded?["count"] as? Int == 3)
        #expect(try shards.allSatisfy { try read($0.path).shard != nil })
    }

    @Test func mergeRefusesPartsThatAreNotOneSetOfShards() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try ResultsFolder(folder.path + "/results/tiny")
        let shards = try writeShards([1, 2, 3], into: out)
        let parts = try shards.map { try read($0.path) }
        func message(_ runs: [ComparisonRun]) -> String {
            do { _ = try Comparison.merge(runs); return "accepted" } catch { return "\(error)" }
        }
        #expect(message([parts[0], parts[0], parts[1], parts[2]]).contains("given twice"))
        var whole = parts[0]; whole.shard = nil
        #expect(message([whole, parts[1], parts[2]]).contains("not a shard"))
        var otherCount = parts[1]; otherCount.shard = "shard-2-of-4"
        #expect(message([parts[0], otherCount, parts[2]]).contains("one of 3"))
        var edited = parts[2]; edited.spec.scales = [2]
        #expect(message([parts[0], parts[1], edited]).contains("different version"))
    }
}
