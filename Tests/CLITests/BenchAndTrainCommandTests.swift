import Foundation
import Testing

/// `srlab bench srcnn` (the former srcnn-bench tool) and `srlab train` on bad input: clean errors
/// naming the problem, nothing written.
extension HostileInputTests {
    @Test func benchSRCNNRefusesBadArchitecturesAndModels() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let sc3 = Self.repositoryRoot.appendingPathComponent("results/models/sc_x3.safetensors").path
        let bad = try run(["bench", "srcnn", "memory", "9-5", "300"])
        #expect(bad.outcome == .usageError && bad.stderr.contains("'9-5' is not an architecture"), "\(bad)")
        let dictionary = try run(["bench", "srcnn", "trainloss", sc3, path("nowhere")])
        #expect(dictionary.outcome == .cleanError && dictionary.stderr.contains("sc_x3.safetensors: not a usable SRCNN model"), "\(dictionary)")
        let memory = try run(["bench", "srcnn", "memory", "9-1-5", "200"])
        #expect(memory.outcome == .success, "\(memory)")
    }
}
