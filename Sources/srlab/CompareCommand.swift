import ArgumentParser
import Foundation
import Harness

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run an experiment spec (methods × datasets × scales) and write results/<experiment>/.")

    @Argument(help: "The experiment file, e.g. experiments/paper-table.json.") var experiment: String
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Results folder (default: results/<experiment name>).") var output: String?
    @Option(help: "Run only shard I of N (\"I/N\"); writes <output>/shards/shard-I-of-N.json for `srlab merge`.") var shard: String?

    func run() throws {
        try reportingErrors {
            let spec = try ExperimentSpec.load(experiment, knownMethods: Set(MethodName.allCases.map(\.rawValue)))
            var cells = Cell.enumerate(spec)
            var shardLabel: String?
            if let shard {
                let parts = shard.split(separator: "/").compactMap { Int($0) }
                guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
                    throw HarnessError.invalidSpec(path: experiment, reason: "--shard must be I/N with 1 ≤ I ≤ N, got '\(shard)'")
                }
                cells = Comparison.shard(cells, index: parts[0], count: parts[1])
                shardLabel = "shard-\(parts[0])-of-\(parts[1])"
            }
            let folder = output ?? "results/\(spec.name)"
            try ensureWritableFolder((folder as NSString).deletingLastPathComponent.isEmpty ? "." : (folder as NSString).deletingLastPathComponent)
            note("\(spec.name): \(cells.count) cells")
            let result = try Comparison.run(spec, cells: cells, dataRoot: DataRoot(option: data),
                                            makeResolver: comparisonResolver, shard: shardLabel, progress: note)
            if let shardLabel {
                try ensureWritableFolder(folder + "/shards")
                try Evaluation.writeJSON(result, to: folder + "/shards/\(shardLabel).json")
                print("\(folder)/shards/\(shardLabel).json: \(result.cells.count) cells")
            } else {
                try ResultsWriter.write(result, to: folder)
                print(try String(contentsOfFile: folder + "/summary.md", encoding: .utf8))
            }
        }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shard files of one experiment into results/<experiment>/ as one run would.")

    @Argument(help: "Shard JSON files written by `srlab compare --shard`.") var shards: [String]
    @Option(help: "Results folder (default: results/<experiment name>).") var output: String?

    func run() throws {
        try reportingErrors {
            let parts = try shards.map { path -> ComparisonRun in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw HarnessError.invalidSpec(path: path, reason: "cannot read the shard file")
                }
                do { return try JSONDecoder().decode(ComparisonRun.self, from: data) } catch {
                    throw HarnessError.invalidSpec(path: path, reason: "not a shard file written by srlab compare")
                }
            }
            let merged = try Comparison.merge(parts)
            let folder = output ?? "results/\(merged.spec.name)"
            try ResultsWriter.write(merged, to: folder)
            print("\(folder): \(merged.cells.count) cells from \(parts.count) shards")
        }
    }
}
