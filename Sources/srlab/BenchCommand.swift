import ArgumentParser
import ConvNet
import Foundation
import Harness
import Methods
import Imaging
import LinearAlgebra
import SparseCoding
import Training
import AtomicIO

/// `srlab bench`: the speed table (the default), and SRCNN's development measurements.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Speed: the table of every method beside its peers (default), or one SRCNN measurement (bench srcnn).",
        subcommands: [BenchTableCommand.self, BenchSRCNNCommand.self], defaultSubcommand: BenchTableCommand.self)
}

/// The speed table: SRLab's own figures and, with `--peers-python`, the peers' measured in the
/// same invocation, with ratios. Release builds only; medians throughout.
struct BenchTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Speed table: methods per image, sparse-coding patches/s, SRCNN inference and training, sgemm; peers side by side.")

    @Option(help: "Data root for the per-method timings on Set5 (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "A Python with torch and scikit-learn to run ../shared/peers in the same invocation.") var peersPython: String?
    @Option(help: "Folder of the peers' scripts.") var peers = "../shared/peers"
    @Option(help: "Output folder.") var output = "results/bench"
    @Option(help: "Patches for the solver benchmark.") var patches = 20_000

    struct Row: Codable { var group: String; var name: String; var value: Double; var unit: String; var peer: String?; var peerValue: Double?; var ratio: Double? }
    struct Report: Codable { var rows: [Row]; var environment: RunEnvironment; var command: String }

    func run() throws {
        try reportingErrors {
            try ensureWritableFolder(try OutputPath.checkFolder(output, option: "--output"))
            var rows: [Row] = []
            func add(_ group: String, _ name: String, _ value: Double, _ unit: String) {
                rows.append(Row(group: group, name: name, value: value, unit: unit))
                note(String(format: "%@: %@ %.1f %@", group, name, value, unit))
            }
            add("BLAS", "sgemm 2048³", BLASRuntime.measureSgemm(), "GFLOP/s")

            // Sparse coding solvers on the peers' problem shape.
            let problem = SparseCodingBenchmark.syntheticProblem(atoms: 1024, dimension: 100, count: patches, seed: 0)
            let fast = SparseCodingBenchmark.run(LassoHomotopy(), on: problem)
            add("sparse coding", "SRLab \(fast.solver), 1024 atoms", fast.patchesPerSecond, "patches/s")
            let small = SparseCodingBenchmark.syntheticProblem(atoms: 1024, dimension: 100, count: min(patches, 2_000), seed: 0)
            let exact = SparseCodingBenchmark.run(FeatureSign(), on: small, repeats: 1)
            let fastSmall = SparseCodingBenchmark.run(LassoHomotopy(), on: small, repeats: 1)
            add("sparse coding", "SRLab \(exact.solver), 1024 atoms", exact.patchesPerSecond, "patches/s")
            add("sparse coding", "objective gap \(fastSmall.solver) vs \(exact.solver) (relative)",
                (fastSmall.objective - exact.objective) / exact.objective, "")

            // SRCNN inference and training.
            for (arch, label) in [(SRCNNArchitecture.srcnn915, "9-1-5"), (.srcnn955, "9-5-5")] {
                add("SRCNN inference", "SRLab SRCNN \(label) 256x256", SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: 256), "ms/image")
                add("SRCNN inference", "SRLab SRCNN \(label) 512x512", SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: 512, repeats: 7), "ms/image")
                add("SRCNN training", "SRLab SRCNN \(label) train bs=128 sgd-momentum", SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 15, optimizer: SGDMomentum()), "samples/s")
                add("SRCNN training", "SRLab SRCNN \(label) train bs=128 adam", SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 15, optimizer: Adam()), "samples/s")
            }

            // Whole methods on Set5, when the data and models are there.
            if let urls = try? DataRoot(option: data).dataset("Set5"), let images = try? Evaluation.load(urls) {
                let pixels = images.map { Double($0.image.width * $0.image.height) }.reduce(0, +) / Double(images.count)
                for s in [2, 3, 4] {
                    var methods: [(String, SuperResolver)] = [("bicubic", BicubicResolver(scale: s))]
                    if let sc = try? MethodName.sc.resolver(model: "results/models/sc_x\(s).safetensors", scale: s) { methods.append(("sc", sc)) }
                    if let cnn = try? MethodName.srcnn.resolver(model: "results/models/srcnn_x\(s)_9-1-5.safetensors", scale: s) { methods.append(("srcnn 9-1-5", cnn)) }
                    for (name, m) in methods {
                        let report = try Evaluation.run(m, images: images, dataset: "Set5")
                        add("methods (Set5, per image)", "\(name) x\(s)", report.mean.seconds, "s/image")
                        add("methods (Set5, per image)", "\(name) x\(s) throughput", pixels / report.mean.seconds / 1e6, "MP/s")
                    }
                }
            }

            // Peers in the same invocation.
            if let py = peersPython {
                note("running peers with \(py) (this takes several minutes)")
                let peerSets: [(String, [String], (String) -> [PeerBenchmarks.Figure])] = [
                    ("bench_sparse.py", [String(patches), "encode"], PeerBenchmarks.parseSparse),
                    ("bench_srcnn_infer.py", ["2", "15"], PeerBenchmarks.parseInference),
                    ("bench_srcnn_train.py", ["2", "20"], PeerBenchmarks.parseTraining),
                ]
                for (script, args, parse) in peerSets {
                    guard let text = PeerBenchmarks.run(python: py, peersFolder: peers, script: script, arguments: args) else {
                        note("peer \(script) failed; skipped"); continue
                    }
                    for f in parse(text) { rows.append(Row(group: "peer", name: f.name, value: f.value, unit: f.unit)); note("peer: \(f.name) \(f.value) \(f.unit)") }
                }
                pairPeers(&rows)
            }
            let report = Report(rows: rows, environment: .current(), command: CommandLine.arguments.joined(separator: " "))
            try Evaluation.writeJSON(report, to: output + "/bench.json")
            let md = markdown(report)
            try AtomicFile.write(md, to: output + "/bench.md")
            print(md)
        }
    }

    /// Matches each SRLab figure with its peer and states the ratio (SRLab faster when > 1).
    func pairPeers(_ rows: inout [Row]) {
        let peersByName = Dictionary(rows.filter { $0.group == "peer" }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let pairs: [(String, String)] = [
            ("SRLab lasso-homotopy, 1024 atoms", "scikit-learn sparse_encode lasso_lars alpha=0.1, 1024 atoms"),
            ("SRLab feature-sign, 1024 atoms", "scikit-learn sparse_encode lasso_lars alpha=0.1, 1024 atoms"),
            ("SRLab SRCNN 9-1-5 256x256", "PyTorch SRCNN 9-1-5 256x256 channels_last"),
            ("SRLab SRCNN 9-5-5 256x256", "PyTorch SRCNN 9-5-5 256x256 channels_last"),
            ("SRLab SRCNN 9-1-5 512x512", "PyTorch SRCNN 9-1-5 512x512 channels_last"),
            ("SRLab SRCNN 9-5-5 512x512", "PyTorch SRCNN 9-5-5 512x512 channels_last"),
            ("SRLab SRCNN 9-1-5 train bs=128 sgd-momentum", "PyTorch SRCNN 9-1-5 train bs=128 sgd-momentum"),
            ("SRLab SRCNN 9-1-5 train bs=128 adam", "PyTorch SRCNN 9-1-5 train bs=128 adam"),
            ("SRLab SRCNN 9-5-5 train bs=128 sgd-momentum", "PyTorch SRCNN 9-5-5 train bs=128 sgd-momentum"),
            ("SRLab SRCNN 9-5-5 train bs=128 adam", "PyTorch SRCNN 9-5-5 train bs=128 adam"),
        ]
        for (mine, theirs) in pairs {
            guard let i = rows.firstIndex(where: { $0.name == mine }), let p = peersByName[theirs] else { continue }
            rows[i].peer = theirs
            rows[i].peerValue = p.value
            // For times lower is better; for rates higher is better.
            rows[i].ratio = rows[i].unit.hasPrefix("ms") ? p.value / rows[i].value : rows[i].value / p.value
        }
    }

    func markdown(_ r: Report) -> String {
        var s = "# Speed (release build, medians)\n\n"
        s += "Command: `\(r.command)` at commit `\(r.environment.commit)`; \(r.environment.cpu), OpenBLAS kernel \(r.environment.blas_kernel), \(r.environment.threads) threads, \(r.environment.date).\n"
        s += "Ratio > 1 means SRLab is faster than the peer measured in the same run.\n\n"
        s += "| group | measurement | value | unit | peer | peer value | ratio |\n|---|---|---|---|---|---|---|\n"
        for row in r.rows where row.group != "peer" {
            s += "| \(row.group) | \(row.name) | \(fmt(row.value)) | \(row.unit) | \(row.peer ?? "") | \(row.peerValue.map(fmt) ?? "") | \(row.ratio.map { String(format: "%.2f×", $0) } ?? "") |\n"
        }
        let peerRows = r.rows.filter { $0.group == "peer" }
        if !peerRows.isEmpty {
            s += "\n## Peers, as measured in this run\n\n| peer | value | unit |\n|---|---|---|\n"
            for row in peerRows { s += "| \(row.name) | \(fmt(row.value)) | \(row.unit) |\n" }
        }
        return s
    }

    func fmt(_ v: Double) -> String {
        abs(v) >= 100 ? String(format: "%.0f", v) : abs(v) >= 1 ? String(format: "%.2f", v) : String(format: "%.3g", v)
    }
}
