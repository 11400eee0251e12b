import Foundation
import Imaging
import Testing
@testable import Harness

@Suite struct NotebookCheckAllTests {
    /// The cells see the data root as $SRLAB_DATA (made absolute, since they run in a scratch
    /// copy); without Set5 under it nothing runs and the error names the root.
    @Test func cellsSeeTheDataRootAndNeedSet5() throws {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("nbcheck-\(UUID())")
        defer { try? fm.removeItem(at: base) }
        let project = base.appendingPathComponent("project"), data = base.appendingPathComponent("data")
        try fm.createDirectory(at: project.appendingPathComponent("nb"), withIntermediateDirectories: true)
        try fm.createDirectory(at: data.appendingPathComponent("Set5"), withIntermediateDirectories: true)
        let text = """
        <!-- srlab:run quick -->
        ```sh
        ls "$SRLAB_DATA"
        ```

        <!-- srlab:output -->
        ```text
        Set5
        ```
        """
        try text.write(to: project.appendingPathComponent("nb/a.md"), atomically: true, encoding: .utf8)
        let result = try Notebook.checkAll(project.appendingPathComponent("nb").path, dataRoot: DataRoot(option: data.path),
                                           in: project.path, binDirectory: "/usr/bin") { _ in }
        #expect(result.checked == 1 && result.failures.isEmpty, "\(result.failures)")
        let empty = base.appendingPathComponent("empty").path
        #expect(throws: HarnessError.self) {
            try Notebook.checkAll(project.path + "/nb", dataRoot: DataRoot(option: empty), in: project.path, binDirectory: "/usr/bin") { _ in }
        }
        #expect(ProcessInfo.processInfo.environment["SRLAB_DATA"] != data.path) // the test's own process is untouched
    }

    @Test func shardArgumentsAreIOfN() throws {
        #expect(try ShardLabel(argument: "2/3", spec: "s.json") == ShardLabel(index: 2, count: 3))
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3", "/2"] {
            #expect(throws: HarnessError.self, "\(bad)") { try ShardLabel(argument: bad, spec: "s.json") }
        }
    }

    @Test func aFileThatIsNoShardIsNamed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notashard-\(UUID()).json").path
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try Comparison.readShards([path]); Issue.record("read") } catch {
            #expect("\(error)".hasPrefix(path) && "\(error)".contains("not a shard file"))
        }
        #expect(throws: HarnessError.self) { try Comparison.readShards([path + ".missing"]) }
    }
}
