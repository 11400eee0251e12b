import Foundation
import Imaging
import TensorFile
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

    /// `--sections`: an unknown part is a usage error naming it and the known ones; a partial
    /// table is written under its own name, never over the full `bench.md`.
    @Test func benchSectionsAreCheckedAndWrittenApart() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let unknown = try run(["bench", "--sections", "set14,nope", "--output", path("bench")])
        #expect(unknown.outcome == .usageError && unknown.stderr.contains("unknown part 'nope'")
                && unknown.stderr.contains("lr-space"), "\(unknown)")
        #expect(!FileManager.default.fileExists(atPath: path("bench")))
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        // No images under the data root: the Set14 part has nothing to time, quickly.
        let partial = try run(["bench", "--sections", "set14", "--data", path("empty"), "--output", path("bench")])
        #expect(partial.outcome == .success, "\(partial)")
        #expect(FileManager.default.fileExists(atPath: path("bench/bench-set14.md")))
        #expect(!FileManager.default.fileExists(atPath: path("bench/bench.md")))
    }
}

extension HostileInputTests {
    /// A run folder with a config: the run writes beside it, the config's settings apply, options
    /// on the command line override them, and misspelt keys are refused naming the file.
    @Test func trainSRCNNReadsARunsConfig() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        for k in 0..<2 { try ImageIO.writePNG(photo(width: 47, height: 47, channels: 3, seed: Double(k)), to: path("images/\(k).png")) }
        try fm.createDirectory(atPath: path("runs/tiny"), withIntermediateDirectories: true)
        try #"{"architecture": "3-1-3:4-2", "batchSize": 2, "epochs": 1, "seed": 5, "heInitialisation": true, "trainingFolder": "images"}"#
            .write(toFile: path("runs/tiny/config.json"), atomically: true, encoding: .utf8)
        let fresh = try run(["train", "srcnn", "--config", "runs/tiny/config.json", "--seed", "9", "--threads", "1"])
        #expect(fresh.outcome == .success, "\(fresh)")
        let checkpoint = try SafeTensorsFile(contentsOf: path("runs/tiny/checkpoint.safetensors"))
        let options = try #require(try JSONSerialization.jsonObject(with: Data((checkpoint.metadata["options"] ?? "").utf8)) as? [String: Any])
        #expect(options["seed"] as? Int == 9 && options["batchSize"] as? Int == 2 && options["architecture"] as? String == "3-1-3:4-2")
        #expect(options["heInitialisation"] as? Bool == true && options["outputFolder"] as? String == "runs/tiny")

        // Resumed from a copy elsewhere: it goes on beside the copy.
        try fm.createDirectory(atPath: path("moved"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: path("runs/tiny/checkpoint.safetensors"), toPath: path("moved/checkpoint.safetensors"))
        let resumed = try run(["train", "srcnn", "--resume", "moved/checkpoint.safetensors", "--epochs", "2"])
        #expect(resumed.outcome == .success, "\(resumed)")
        #expect(try SafeTensorsFile(contentsOf: path("moved/checkpoint.safetensors")).metadata["epoch"] == "2")
        #expect(try SafeTensorsFile(contentsOf: path("runs/tiny/checkpoint.safetensors")).metadata["epoch"] == "1")

        try #"{"batchsize": 2}"#.write(toFile: path("typo.json"), atomically: true, encoding: .utf8)
        let typo = try run(["train", "srcnn", "--config", "typo.json"])
        #expect(typo.outcome == .cleanError && typo.stderr.contains("typo.json: unknown key 'batchsize'"), "\(typo)")
        let both = try run(["train", "scn", "--config", "typo.json", "--resume", "moved/checkpoint.safetensors"])
        #expect(both.outcome == .usageError, "\(both)")
        try #"{"scale": 3, "atom": 64}"#.write(toFile: path("sc.json"), atomically: true, encoding: .utf8)
        let sc = try run(["train", "sc", "--config", "sc.json"])
        #expect(sc.outcome == .cleanError && sc.stderr.contains("sc.json: unknown key 'atom'"), "\(sc)")
        #expect(leftovers().isEmpty, "\(leftovers())")
    }
}
