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
        /// The row's arithmetic rate over the machine's measured FMA peak (rows with a rate only).
        public var fmaShare: Double? = nil
        /// FLOPs per item of a rate row (a training sample), so that the peer's rate is read
        /// against the peak with the same count.
        public var flopsPerItem: Double? = nil
        /// The peer's rate over the FMA peak, from `flopsPerItem`.
        public var peerFmaShare: Double? = nil
        /// With several rounds: the lowest and highest of the rounds' own ratios.
        public var ratioRange: [Double]? = nil
    }

    public struct Report: Codable, Sendable {
        public var rows: [Row]
        public var environment: RunEnvironment
        public var command: String
        /// The vector instructions both sides were limited to (nil: each used what the CPU has).
        public var instructionSetLimit: InstructionSetLimit? = nil
        /// How many times every measurement and its peer ran, one after the other (values are
        /// the medians over the rounds).
        public var rounds: Int? = nil
        /// The instruction set of SRLab's direct first-layer kernel in this run (`directConvolutionKernel`).
        public var directConvolutionKernel: String? = nil
        /// Every C kernel's instruction set in this run (`ConvNet.nativeKernelSummary`).
        public var nativeKernels: String? = nil
    }

    /// A run with AVX-512 turned off on both sides, so that a machine with AVX-512 stands in for
    /// one without (issue 15 asks for AVX2-only figures): OpenBLAS on its Haswell kernel for
    /// SRLab (its own loops are built for the x86-64 baseline either way), and for PyTorch
    /// oneDNN and ATen capped at AVX2 by their documented variables; the FMA peak is the ymm one.
    public enum InstructionSetLimit: String, Codable, Sendable, CaseIterable {
        case avx2

        /// OpenBLAS kernels that use nothing wider than AVX2 (Debian's 0.3.21 names).
        static let avx2Kernels: Set<String> = ["Haswell", "Zen"]

        /// Throws unless this process runs within the limit (OpenBLAS on an AVX2 kernel).
        public func checkRunnable() throws {
            guard Self.avx2Kernels.contains(BLASRuntime.kernel) else { throw InstructionSetLimitError(kernel: BLASRuntime.kernel) }
        }

        /// The variables the peers run with.
        var peerEnvironment: [String: String] { ["ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"] }

        var summary: String {
            "AVX-512 off on both sides (SRLab: OpenBLAS kernel \(BLASRuntime.kernel), its AVX-512 first-layer kernel off by SRLAB_MAX_ISA=avx2; PyTorch: "
                + peerEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                + "; FMA peak of ymm FMAs)"
        }
    }

    public struct InstructionSetLimitError: Error, CustomStringConvertible {
        public let kernel: String
        public var description: String {
            "--instruction-set avx2: OpenBLAS runs its \(kernel) kernel, which may use AVX-512; run srlab with OPENBLAS_CORETYPE=Haswell"
        }
    }

    /// Parts of the table, so that one question (say A+ against SRCNN) can be measured alone, with
    /// only the peers that answer it.
    public enum Section: String, CaseIterable, Sendable, Codable {
        case blas, sparse, srcnn, set5, set14, lrSpace = "lr-space", kerasVariants = "keras-variants"
    }

    public struct Settings: Sendable {
        public var dataRoot: String?
        public var peersPython: String?
        public var peersFolder: String
        public var patches: Int
        public var sections: Set<Section>
        public var instructionSetLimit: InstructionSetLimit?
        /// Rounds of (SRLab's measurements, then the peers'): a drift of the host's speed over a
        /// run then shifts both sides of a ratio alike, and the table gives each ratio's range.
        public var rounds: Int
        public init(dataRoot: String?, peersPython: String?, peersFolder: String, patches: Int,
                    sections: Set<Section> = Set(Section.allCases), instructionSetLimit: InstructionSetLimit? = nil,
                    rounds: Int = 1) {
            self.dataRoot = dataRoot; self.peersPython = peersPython; self.peersFolder = peersFolder; self.patches = patches
            self.sections = sections; self.instructionSetLimit = instructionSetLimit; self.rounds = rounds
        }
    }

    /// Runs every measurement (`settings.rounds` times, each round SRLab's then the peers'),
    /// telling `note` each figure as it comes.
    public static func measure(_ settings: Settings, command: String, note: (String) -> Void) throws -> Report {
        let rounds = max(1, settings.rounds)
        try settings.instructionSetLimit?.checkRunnable()
        var perRound: [[Row]] = []
        for round in 1...rounds {
            if rounds > 1 { note("round \(round) of \(rounds)") }
            var rows = try measureOnce(settings, note: note)
            pairPeers(&rows)
            perRound.append(rows)
        }
        var rows = rounds == 1 ? perRound[0] : medians(of: perRound)
        if rounds > 1 { pairPeers(&rows); takeMedianRatios(&rows, rounds: perRound) }
        return Report(rows: rows, environment: .current(), command: command, instructionSetLimit: settings.instructionSetLimit,
                      rounds: rounds > 1 ? rounds : nil, directConvolutionKernel: ConvNet.directConvolutionKernel,
                      nativeKernels: ConvNet.nativeKernelSummary)
    }

    /// Each row's median value (and FMA share) over the rounds, in the first round's order, with
    /// the range of the rounds' own ratios; a row missing from some rounds (a failed peer) takes
    /// the median of those that have it.
    static func medians(of rounds: [[Row]]) -> [Row] {
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        var order: [String] = [], seen = Set<String>()
        for round in rounds { for row in round where seen.insert(row.group + "\u{1}" + row.name).inserted { order.append(row.group + "\u{1}" + row.name) } }
        return order.map { key in
            let same = rounds.compactMap { $0.first { $0.group + "\u{1}" + $0.name == key } }
            var row = same[0]
            row.value = median(same.map(\.value))
            let shares = same.compactMap(\.fmaShare)
            row.fmaShare = shares.isEmpty ? nil : median(shares)
            row.peer = nil; row.peerValue = nil; row.ratio = nil; row.peerFmaShare = nil
            let ratios = same.compactMap(\.ratio)
            row.ratioRange = ratios.count > 1 ? [ratios.min()!, ratios.max()!] : nil
            return row
        }
    }

    /// A ratio over several rounds is the median of the rounds' own ratios, each SRLab's figure
    /// over the peer's minutes later (a drift of the host's speed across the run cancels in each),
    /// not the ratio of the medians beside it.
    static func takeMedianRatios(_ rows: inout [Row], rounds: [[Row]]) {
        for i in rows.indices where rows[i].ratio != nil {
            let ratios = rounds.compactMap { round in round.first { $0.group == rows[i].group && $0.name == rows[i].name }?.ratio }.sorted()
            guard !ratios.isEmpty else { continue }
            let n = ratios.count
            rows[i].ratio = n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2
        }
    }

    /// One round: every chosen section, then its peers.
    static func measureOnce(_ settings: Settings, note: (String) -> Void) throws -> [Row] {
        let data = settings.dataRoot, patches = settings.patches
        var rows: [Row] = []
        func add(_ group: String, _ name: String, _ value: Double, _ unit: String) {
            rows.append(Row(group: group, name: name, value: value, unit: unit, peer: nil, peerValue: nil, ratio: nil))
            note(String(format: "%@: %@ %.1f %@", group, name, value, unit))
        }
        let sections = settings.sections
        let limit = settings.instructionSetLimit
        // The ceiling every GFLOP/s below is read against (issue 15: "what fraction of the FMA peak").
        let peak = sections.isDisjoint(with: [.blas, .srcnn, .lrSpace, .kerasVariants]) ? nil
            : FMAPeak.measure(peersFolder: settings.peersFolder, widest: limit == .avx2 ? .ymm : .any)
        if let peak { add("BLAS", "FMA peak (peers' fma_peak.c, 2 threads, best of 5)", peak, "GFLOP/s") }
        func share(_ gflops: Double) -> Double? { peak.map { gflops / $0 } }
        if sections.contains(.blas) {
            add("BLAS", "sgemm 2048³", BLASRuntime.measureSgemm(), "GFLOP/s")
            rows[rows.count - 1].fmaShare = share(rows[rows.count - 1].value)
        }

        // Sparse coding solvers on the peers' problem shape.
        if sections.contains(.sparse) {
            let problem = SparseCodingBenchmark.syntheticProblem(atoms: 1024, dimension: 100, count: patches, seed: 0)
            let fast = SparseCodingBenchmark.run(LassoHomotopy(), on: problem)
            add("sparse coding", "SRLab \(fast.solver), 1024 atoms", fast.patchesPerSecond, "patches/s")
            let small = SparseCodingBenchmark.syntheticProblem(atoms: 1024, dimension: 100, count: min(patches, 2_000), seed: 0)
            let exact = SparseCodingBenchmark.run(FeatureSign(), on: small, repeats: 1)
            let fastSmall = SparseCodingBenchmark.run(LassoHomotopy(), on: small, repeats: 1)
            add("sparse coding", "SRLab \(exact.solver), 1024 atoms", exact.patchesPerSecond, "patches/s")
            add("sparse coding", "objective gap \(fastSmall.solver) vs \(exact.solver) (relative)",
                (fastSmall.objective - exact.objective) / exact.objective, "")
        }

        // SRCNN inference and training.
        for (arch, label) in [(SRCNNArchitecture.srcnn915, "9-1-5"), (.srcnn955, "9-5-5")] where sections.contains(.srcnn) {
            for (size, repeats) in [(256, 15), (512, 7)] {
                let ms = SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: size, repeats: repeats)
                add("SRCNN inference", "SRLab SRCNN \(label) \(size)x\(size)", ms, "ms/image")
                rows[rows.count - 1].fmaShare = share(2 * arch.multiplyAddsPerOutputPixel * Double(size * size) / (ms / 1000) / 1e9)
            }
            // Where the 256² image's time goes, layer by layer (names stable from round to round).
            for (i, layer) in SRCNNBenchmark.inferenceLayers(architecture: arch, size: 256).enumerated() {
                add("SRCNN layers (256x256 image)", "SRCNN \(label) #\(i) \(layer.layer)", layer.milliseconds, "ms")
                rows[rows.count - 1].fmaShare = share(2 * layer.macs / (layer.milliseconds / 1000) / 1e9)
            }
            let flops = arch.trainingFLOPs(inputSize: SubImageSet.defaultPatchSize)
            for (name, optimizer) in [("sgd-momentum", SGDMomentum() as any Optimizer), ("adam", Adam())] {
                add("SRCNN training", "SRLab SRCNN \(label) train bs=128 \(name)", SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 15, optimizer: optimizer), "samples/s")
                rows[rows.count - 1].flopsPerItem = flops
                rows[rows.count - 1].fmaShare = share(rows[rows.count - 1].value * flops / 1e9)
            }
        }

        // Whole methods on Set5, when the data and models are there.
        if sections.contains(.set5), let urls = try? DataRoot(option: data).dataset("Set5"), let images = try? Evaluation.load(urls) {
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

        if sections.contains(.set14) { for row in try methodsOnSet14(dataRoot: data) { add(row.group, row.name, row.value, row.unit) } }
        var measured: [Row] = []
        if sections.contains(.kerasVariants) { measured += try kerasVariantTraining() }
        if sections.contains(.lrSpace) { measured += try lrSpaceNetworks(fmaShare: share) }
        for row in measured {
            add(row.group, row.name, row.value, row.unit)
            rows[rows.count - 1].flopsPerItem = row.flopsPerItem
            rows[rows.count - 1].fmaShare = row.flopsPerItem.map { share(row.value * $0 / 1e9) } ?? row.fmaShare
        }

        // Peers in the same invocation.
        if let py = settings.peersPython {
            note("running peers with \(py) (this takes several minutes)")
            let peerSets: [(Section, String, [String], (String) -> [PeerBenchmarks.Figure])] = [
                (.sparse, "bench_sparse.py", [String(patches), "encode"], PeerBenchmarks.parseSparse),
                (.srcnn, "bench_srcnn_infer.py", ["2", "15"], PeerBenchmarks.parseInference),
                (.srcnn, "bench_srcnn_train.py", ["2", "20"], PeerBenchmarks.parseTraining),
                (.lrSpace, "bench_fast_sr.py", ["2", "15"], PeerBenchmarks.parseFastSR),
                (.kerasVariants, "bench_keras_variants.py", ["2", "10"], PeerBenchmarks.parseKerasVariants),
            ]
            for (section, script, args, parse) in peerSets where sections.contains(section) {
                // The Keras variants' peer is the lab's own script (experiments/peers), on the shared timing helpers.
                // It finds the shared helpers through SRLAB_PEERS: the peers folder of this run (by
                // default it looks beside the checkout, which a worktree elsewhere does not have).
                let folder = section == .kerasVariants ? "experiments/peers" : settings.peersFolder
                var environment = limit?.peerEnvironment ?? [:]
                environment["SRLAB_PEERS"] = URL(fileURLWithPath: settings.peersFolder).standardizedFileURL.path
                guard let text = PeerBenchmarks.run(python: py, peersFolder: folder, script: script, arguments: args,
                                                         environment: environment) else {
                    note("peer \(script) failed; skipped"); continue
                }
                for f in parse(text) { rows.append(Row(group: "peer", name: f.name, value: f.value, unit: f.unit, peer: nil, peerValue: nil, ratio: nil)); note("peer: \(f.name) \(f.value) \(f.unit)") }
            }
        }
        return rows
    }

    /// Every method of the paper table on Set14 ×3, per image (the median of three passes over
    /// the set), and A+'s time over SRCNN 9-1-5's from the same run: the issue's bound is A+ no
    /// slower. Own models from results/models; the authors' dictionary from the reference root
    /// where no own one exists. Methods whose files are absent are left out.
    static func methodsOnSet14(dataRoot: String?, passes: Int = 3) throws -> [Row] {
        guard let urls = try? DataRoot(option: dataRoot).dataset("Set14"), let images = try? Evaluation.load(urls) else { return [] }
        let s = 3, group = "methods (Set14 x3, per image)"
        let reference = TestData.referenceRoot(packageRoot: FileManager.default.currentDirectoryPath).map { $0 + "/aplus" }
        let dictionary = ["results/models/zeyde_x\(s).safetensors", reference.map { $0 + "/zeyde_conf_x\(s).safetensors" }]
            .compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
        var methods: [(String, MethodName, String?)] = [("bicubic", .bicubic, nil),
                                                        ("srcnn 9-1-5", .srcnn, "results/models/srcnn_x3_9-1-5.safetensors"),
                                                        ("srcnn 9-5-5", .srcnn, "results/models/srcnn_x3_9-5-5.safetensors")]
        if let dictionary {
            methods += [("Zeyde", MethodName.zeyde), ("GR", .gr), ("ANR", .anr), ("NE+LLE", .neLLE)].map { ($0.0, $0.1, dictionary) }
        }
        methods.append(("A+", .aplus, "results/models/aplus_x\(s).safetensors"))
        var rows: [Row] = [], seconds: [String: Double] = [:]
        for (name, method, model) in methods {
            guard let resolver = try? method.resolver(model: model, scale: s) else { continue }
            let runs = try (0..<passes).map { _ in try Evaluation.run(resolver, images: images, dataset: "Set14").mean.seconds }.sorted()
            let label = "\(name) x\(s)" + (model.map { " (\(URL(fileURLWithPath: $0).lastPathComponent))" } ?? "")
            seconds[name] = runs[passes / 2]
            rows.append(Row(group: group, name: label, value: runs[passes / 2], unit: "s/image", peer: nil, peerValue: nil, ratio: nil))
        }
        if let aplus = seconds["A+"], let srcnn = seconds["srcnn 9-1-5"] {
            rows.append(Row(group: group, name: "A+ time / SRCNN 9-1-5 time (≤ 1: A+ no slower)", value: aplus / srcnn, unit: "",
                            peer: nil, peerValue: nil, ratio: nil))
        }
        return rows
    }

    /// FSRCNN, FSRCNN-s and ESPCN at ×3 as the peers' `bench_fast_sr.py` times them: one frame
    /// 426×240 → 720p and 640×360 → 1080p (frames/s, and per layer for the 1080p frame: ms and
    /// GFLOP/s, with `fmaShare` of the rate), and Adam training steps on 128 LR sub-images of 11×11.
    static func lrSpaceNetworks(fmaShare: (Double) -> Double? = { _ in nil }) throws -> [Row] {
        var rows: [Row] = []
        func add(_ group: String, _ name: String, _ value: Double, _ unit: String) {
            rows.append(Row(group: group, name: name, value: value, unit: unit, peer: nil, peerValue: nil, ratio: nil))
        }
        for spec in [NetworkSpec.fsrcnn(scale: 3), .fsrcnnSmall(scale: 3), .espcn(scale: 3)] {
            for (w, h) in [(426, 240), (640, 360)] {
                let r = try LRSpaceBenchmark.inference(spec, width: w, height: h)
                add("LR-space networks", "SRLab \(spec.name) \(w)x\(h)->\(w * 3)x\(h * 3)", r.framesPerSecond, "frames/s")
                add("LR-space networks", "SRLab \(spec.name) \(w)x\(h)->\(w * 3)x\(h * 3) arithmetic", r.gflops, "GFLOP/s")
                rows[rows.count - 1].fmaShare = fmaShare(r.gflops)
                guard w == 640 else { continue }
                for (i, layer) in r.layers.enumerated() {
                    // The name stays the same from run to run (rounds merge rows by name); the
                    // layer's rate shows as its share of the FMA peak.
                    let gflops = 2 * layer.macs / (layer.milliseconds / 1000) / 1e9
                    add("LR-space layers (640x360 frame)", "\(spec.name) #\(i) \(layer.layer)", layer.milliseconds, "ms")
                    if layer.macs > 0 { rows[rows.count - 1].fmaShare = fmaShare(gflops) }
                }
            }
            add("LR-space networks", "SRLab \(spec.name) train bs=128 LR 11x11 adam",
                try LRSpaceBenchmark.trainingSamplesPerSecond(spec), "samples/s")
            rows[rows.count - 1].flopsPerItem = try LRSpaceBenchmark.trainingFLOPs(spec, side: 11)
        }
        return rows
    }

    /// The Keras project's variants (issue 16): Adam training steps on batches of 64 sub-images
    /// with 32×32 outputs (inputs 32×32 on the bicubic image, 16×16 LR for ResNet SR ×2), as
    /// `experiments/peers/bench_keras_variants.py` times them in PyTorch (ResNet SR with its batch
    /// norms, as the Keras model and the peer have them). Networks the training step cannot run
    /// are left out.
    static func kerasVariantTraining() throws -> [Row] {
        let variants: [(String, NetworkSpec, Int)] = [("Expanded SRCNN", .expandedSRCNN(scale: 2), 32),
                                                       ("Denoising AE SRCNN", .denoisingSRCNN(scale: 2), 32),
                                                       ("Deep denoising SR", .deepDenoisingSR(scale: 2), 32),
                                                       ("ResNet SR x2", .resNetSR(scale: 2, batchNorm: true), 16)]
        return variants.compactMap { name, spec, side in
            guard let rate = try? LRSpaceBenchmark.trainingSamplesPerSecond(spec, batch: 64, lrSide: side, steps: 8) else { return nil }
            return Row(group: "Keras variants", name: "SRLab Keras-variant \(name) train bs=64 HR 32x32 adam", value: rate,
                       unit: "samples/s", peer: nil, peerValue: nil, ratio: nil,
                       flopsPerItem: try? LRSpaceBenchmark.trainingFLOPs(spec, side: side))
        }
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
        // The LR-space networks: PyTorch's faster layout for inference, its Adam step for training.
        var lrPairs: [(String, String)] = []
        for row in rows where (row.group == "LR-space networks" || row.group == "Keras variants") && row.unit != "GFLOP/s" {
            let key = row.name.dropFirst("SRLab ".count)
            let candidates = [" contiguous", " channels_last", ""].compactMap { peersByName["PyTorch \(key)\($0)"] }
            if let best = candidates.max(by: { $0.value < $1.value }) { lrPairs.append((row.name, best.name)) }
        }
        for (mine, theirs) in pairs + lrPairs {
            guard let i = rows.firstIndex(where: { $0.name == mine }), let p = peersByName[theirs] else { continue }
            rows[i].peer = theirs
            rows[i].peerValue = p.value
            // For times lower is better; for rates higher is better.
            rows[i].ratio = rows[i].unit.hasPrefix("ms") ? p.value / rows[i].value : rows[i].value / p.value
            // Same FLOP count per sample, so the shares scale with the rates.
            if rows[i].flopsPerItem != nil, let mine = rows[i].fmaShare { rows[i].peerFmaShare = mine * p.value / rows[i].value }
        }
    }

    public static func markdown(_ r: Report) -> String {
        var s = "# Speed (release build, medians)\n\n"
        s += "Command: `\(r.command)` at commit `\(r.environment.commit)`; \(r.environment.cpu), OpenBLAS kernel \(r.environment.blas_kernel), \(r.environment.threads) threads, \(r.environment.date).\n"
        if let limit = r.instructionSetLimit { s += "Instruction sets: \(limit.summary).\n" }
        if let kernels = r.nativeKernels {
            s += "SRLab's C kernels ran as: \(kernels).\n"
        } else if let kernel = r.directConvolutionKernel {
            s += "SRLab's direct single-channel convolution (first layers) ran its \(kernel) variant.\n"
        }
        s += "Ratio > 1 means SRLab is faster than the peer measured in the same run.\n"
        if let rounds = r.rounds {
            s += "Each figure is the median of \(rounds) rounds, each round SRLab's measurements then the peers'; the ratio is the median of the rounds' own ratios (each SRLab's figure over the peer's minutes later, so it need not equal the two medians' ratio), with their lowest and highest in brackets.\n"
        }
        s += "\n"
        s += "| group | measurement | value | unit | peer | peer value | ratio | of FMA peak |\n|---|---|---|---|---|---|---|---|\n"
        for row in r.rows where row.group != "peer" {
            var share = row.fmaShare.map { String(format: "%.0f%%", 100 * $0) } ?? ""
            if let theirs = row.peerFmaShare { share += String(format: " (peer %.0f%%)", 100 * theirs) }
            s += "| \(row.group) | \(row.name) | \(fmt(row.value)) | \(row.unit) | \(row.peer ?? "") | \(row.peerValue.map(fmt) ?? "") | \(row.ratio.map { String(format: "%.2f×", $0) } ?? "")\(row.ratioRange.map { String(format: " (%.2f–%.2f)", $0[0], $0[1]) } ?? "") | \(share) |\n"
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
