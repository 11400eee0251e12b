import ArgumentParser
import Foundation
import Harness
import Imaging

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run an experiment spec (methods × datasets × scales) and write results/<experiment>/.")

    @Argument(help: "The experiment file, e.g. experiments/paper-table.json.") var experiment: String
    @Option(help: "Data root (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Results folder (default: results/<experiment name>); a new or empty folder, or one srlab wrote.") var output: String?
    @Option(help: "Run only shard I of N (\"I/N\"); writes <output>/shards/shard-I-of-N.json for `srlab merge`.") var shard: String?

    func run() throws {
        try reportingErrors {
            let spec = try ExperimentSpec.load(experiment)
            var cells = Cell.enumerate(spec)
            let shardLabel = try shard.map { try ShardLabel(argument: $0, spec: experiment) }
            if let shardLabel { cells = Comparison.shard(cells, index: shardLabel.index, count: shardLabel.count) }
            // Checked before any work: a folder srlab may not write must fail at once.
            let folder = try ResultsFolder(output ?? "results/\(spec.name)")
            note("\(spec.name): \(cells.count) cells")
            let result = try Comparison.run(spec, cells: cells, dataRoot: DataRoot(option: data),
                                            shard: shardLabel?.text, specPath: experiment, progress: note)
            if let shardLabel {
                let file = try ResultsWriter.writeShard(result, label: shardLabel, to: folder)
                print("\(file): \(result.cells.count) cells")
            } else {
                try ResultsWriter.write(result, to: folder)
                print(try String(contentsOfFile: folder.path + "/summary.md", encoding: .utf8))
            }
        }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shard files of one experiment into results/<experiment>/ as one run would; the shard files are kept.")

    @Argument(help: "Shard JSON files written by `srlab compare --shard`, all N of them.") var shards: [String]
    @Option(help: "Results folder (default: results/<experiment name>); a new or empty folder, or one srlab wrote.") var output: String?
    @Flag(help: "Merge even when some of the N shards are missing; the table says which.") var partial = false

    func run() throws {
        try reportingErrors {
            let parts = try Comparison.readShards(shards)
            let merged = try Comparison.merge(parts, paths: shards, allowPartial: partial)
            try merged.spec.validate(path: shards[0])
            let folder = try ResultsFolder(output ?? "results/\(merged.spec.name)")
            try ResultsWriter.write(merged, to: folder)
            let missing = merged.partial.map { " (partial: shards \($0.missing.map(String.init).joined(separator: ", ")) of \($0.count) missing)" } ?? ""
            print("\(folder.path): \(merged.cells.count) cells from \(parts.count) shards\(missing)")
        }
    }
}
