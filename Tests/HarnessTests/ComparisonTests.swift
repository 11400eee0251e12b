import ConvNet
import Foundation
import Imaging
import Testing
@testable import Harness

/// A tiny experiment end to end: synthetic images written as PNG, bicubic and a tiny random SRCNN,
/// results written and read back; sharded runs merged equal the unsharded run.
@Suite struct ComparisonTests: TinyExperiment {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmp-\(UUID())")

    @Test func endToEndWritesEveryFile() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try makeData()
        let cells = Cell.enumerate(spec()).map { var c = $0; c.model = nil; return c }
        #expect(cells.count == 4)
        let result = try run(cells, root: root)
        let out = folder.appendingPathComponent("results/tiny").path
        try ResultsWriter.write(result, to: out)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        #expect(files.isSuperset(of: ["summary.md", "metrics.csv", "metrics.json", "fig_psnr_vs_seconds_Tiny_x2.svg",
                                      "fig_psnr_vs_seconds_Tiny_x3.svg", "fig_crops_b.svg"]))
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        #expect(summary.contains("Protocol:"))
        let bicubicRow = summary.split(separator: "\n").first { $0.hasPrefix("| Bicubic") }!
        #expect(bicubicRow.contains("(99.00 / 0.5000)"))
        #expect(summary.firstRange(of: "| Bicubic")!.lowerBound < summary.firstRange(of: "| Tiny CNN")!.lowerBound)
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 4 * 3)
        // The CSV's numbers are the run's numbers.
        let first = result.cells[0].report.images[0]
        #expect(csv[1].contains(String(format: "%.4f", first.psnr)))
        let json = try JSONDecoder().decode(ComparisonRun.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        #expect(json.cells.count == 4 && json.environment.blas_kernel == result.environment.blas_kernel)
        // Rewriting replaces the folder whole and leaves no staging folder behind.
        try ResultsWriter.write(result, to: out)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("results").path)
        #expect(siblings == ["tiny"])
    }

    @Test func shardsMergeToTheUnshardedRun() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try makeData()
        let cells = Cell.enumerate(spec()).map { var c = $0; c.model = nil; return c }
        let whole = try run(cells, root: root)
        let parts = try (1...3).map { try run(Comparison.shard(cells, index: $0, count: 3), root: root, shard: ShardLabel(index: $0, count: 3)) }
        #expect(parts.map(\.cells.count).reduce(0, +) == cells.count)
        let merged = try Comparison.merge(parts)
        #expect(merged.cells.map(\.cell) == whole.cells.map(\.cell))
        for (a, b) in zip(merged.cells, whole.cells) {
            #expect(a.report.images.map(\.psnr) == b.report.images.map(\.psnr))
            #expect(a.report.images.map(\.ssim) == b.report.images.map(\.ssim))
        }
        #expect(Summary.markdown(merged).split(separator: "\n").filter { $0.hasPrefix("| Bicubic") }.first?.prefix(40)
                == Summary.markdown(whole).split(separator: "\n").filter { $0.hasPrefix("| Bicubic") }.first?.prefix(40))
        #expect(throws: HarnessError.self) { try Comparison.merge([parts[0], parts[0]]) }
    }

    @Test func badSpecsFailBeforeAnyWork() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(_ text: String) -> String {
            let p = folder.appendingPathComponent("\(UUID()).json").path
            FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
            return p
        }
        let known = cliVocabulary
        #expect(throws: HarnessError.self) { try ExperimentSpec.load(write("{ not json"), vocabulary: known) }
        #expect(throws: HarnessError.self) {
            try ExperimentSpec.load(write(#"{"name":"x","methods":[{"label":"A","method":"magic"}],"datasets":["Set5"],"scales":[3]}"#), vocabulary: known)
        }
        #expect(throws: HarnessError.self) {
            try ExperimentSpec.load(write(#"{"name":"x","methods":[{"label":"A","method":"bicubic"}],"datasets":["Set5"],"scales":[1]}"#), vocabulary: known)
        }
        #expect(throws: HarnessError.self) { try ExperimentSpec.load(folder.path + "/missing.json", vocabulary: known) }
        // A missing model file or dataset stops the run before any cell is evaluated.
        let root = try makeData()
        var s = spec()
        s.methods[1].models = ["2": folder.path + "/no-such-model.safetensors"]
        final class Counter: @unchecked Sendable { var count = 0 }
        let built = Counter()
        #expect(throws: HarnessError.self) {
            try Comparison.run(s, cells: Cell.enumerate(s), dataRoot: root, makeResolver: { cell in built.count += 1; return BicubicResolver(scale: cell.scale) })
        }
        s = spec(); s.datasets = ["Nope"]; s.methods = [s.methods[0]]
        #expect(throws: ImageSetError.self) {
            try Comparison.run(s, cells: Cell.enumerate(s), dataRoot: root, makeResolver: { cell in built.count += 1; return BicubicResolver(scale: cell.scale) })
        }
        #expect(built.count == 0)
    }

    @Test func expandsEnvironmentWithDefaults() {
        #expect(ExperimentSpec.expand("${A}/x", environment: ["A": "/r"]) == "/r/x")
        #expect(ExperimentSpec.expand("${B:-../ref}/x", environment: [:]) == "../ref/x")
        #expect(ExperimentSpec.expand("${B:-../ref}/x", environment: ["B": "/set"]) == "/set/x")
    }
}
