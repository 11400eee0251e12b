import ConvNet
import Foundation
import Imaging
import LinearAlgebra
import Methods
import SparseCoding
import Training

/// `srlab bench`'s speed table: SRLab's own figures (sgemm, sparse-coding solvers, SRCNN inference
/// and training, whole methods on Set5) and, given a Python with the peers installed, the peers'
/// figures measured in the same run, paired with SRLab's as ratios. Release builds only; medians.
public enum SpeedTable {
    public struct Row: Codable, Sendable {
        public var group: String, name: String, value: Double, unit: String
        public var peer: String?, peerValue: Double?, ratio: Double?
    }

    public struct Report: Codable, Sendable {
        public var rows: [Row]
        public var environment: RunEnvironment
        public var command: String
    }

    public struct Settings: Sendable {
        public var dataRoot: String?
        public var peersPython: String?
        public var peersFolder: String
        public var patches: Int
        public init(dataRoot: String?, peersPython: String?, peersFolder: String, patches: Int) {
            self.dataRoot = dataRoot; self.peersPython = peersPython; self.peersFolder = peersFolder; self.patches = patches
        }
    }

    /// Runs every measurement, telling `note` each figure as it comes.
    public static func measure(_ settings: Settings, command: String, note: (String) -> Void) throws -> Report {
        let data = settings.dataRoot, patches = settings.patches
        var rows: [Row] = []
        func add(_ group: String, _ name: String, _ value: Double, _ unit: String) {
            rows.append(Row(group: group, name: name, value: value, unit: unit, peer: nil, peerValue: nil, ratio: nil))
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
        if let py = settings.peersPython {
            note("running peers with \(py) (this takes several minutes)")
            let peerSets: [(String, [String], (String) -> [PeerBenchmarks.Figure])] = [
                ("bench_sparse.py", [String(patches), "encode"], PeerBenchmarks.parseSparse),
                ("bench_srcnn_infer.py", ["2", "15"], PeerBenchmarks.parseInference),
                ("bench_srcnn_train.py", ["2", "20"], PeerBenchmarks.parseTraining),
            ]
            for (script, args, parse) in peerSets {
                guard let text = PeerBenchmarks.run(python: py, peersFolder: settings.peersFolder, script: script, arguments: args) else {
                    note("peer \(script) failed; skipped"); continue
                }
                for f in parse(text) { rows.append(Row(group: "peer", name: f.name, value: f.value, unit: f.unit, peer: nil, peerValue: nil, ratio: nil)); note("peer: \(f.name) \(f.value) \(f.unit)") }
            }
            pairPeers(&rows)
        }
        return Report(rows: rows, environment: .current(), command: command)
    }

    /// Matches each SRLab figure with its peer and states the ratio (SRLab faster when > 1).
    public static func pairPeers(_ rows: inout [Row]) {
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

    public static func markdown(_ r: Report) -> String {
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

    static func fmt(_ v: Double) -> String {
        abs(v) >= 100 ? String(format: "%.0f", v) : abs(v) >= 1 ? String(format: "%.2f", v) : String(format: "%.3g", v)
    }
}
