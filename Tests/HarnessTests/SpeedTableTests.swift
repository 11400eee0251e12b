import ConvNet
import Foundation
import LinearAlgebra
import Testing
@testable import Harness

/// The speed table's readers of the peers' output and its FMA-peak column.
@Suite struct SpeedTableTests {
    /// fma_peak prints one line per vector width; the ceiling is the best of them, and output
    /// without a figure gives none (the column is then left empty, not zero).
    @Test func fmaPeakIsTheBestWidth() {
        let text = """
        avx512 (zmm) fp32 FMA, 2 thread(s): best of 5 = 232.1 GFLOP/s (sink 19.2043)
        avx2 (ymm) fp32 FMA, 2 thread(s): best of 5 = 230.5 GFLOP/s (sink 2.40053)
        """
        #expect(FMAPeak.parse(text) == 232.1)
        #expect(FMAPeak.parse("avx512 (zmm): not supported by this CPU\navx2 (ymm) fp32 FMA, 2 thread(s): best of 5 = 198.0 GFLOP/s (sink 1)") == 198.0)
        #expect(FMAPeak.parse("no figures here") == nil)
        // An AVX2-only run reads its peak from the ymm line alone.
        #expect(FMAPeak.parse(text, widest: .ymm) == 230.5)
    }

    /// Several rounds: each figure is its median over the rounds, the ratio the median of the
    /// rounds' own ratios (not the medians' ratio), and their range is kept and shown.
    @Test func roundsGiveMediansAndTheRatiosRange() {
        func round(_ mine: Double, _ theirs: Double) -> [SpeedTable.Row] {
            var rows = [SpeedTable.Row(group: "SRCNN inference", name: "SRLab SRCNN 9-1-5 256x256", value: mine, unit: "ms/image",
                                       peer: nil, peerValue: nil, ratio: nil),
                        SpeedTable.Row(group: "peer", name: "PyTorch SRCNN 9-1-5 256x256 channels_last", value: theirs, unit: "ms/image",
                                       peer: nil, peerValue: nil, ratio: nil)]
            SpeedTable.pairPeers(&rows)
            return rows
        }
        let rounds = [round(10, 20), round(8, 20), round(9, 27)]   // ratios 2, 2.5, 3
        var rows = SpeedTable.medians(of: rounds)
        SpeedTable.pairPeers(&rows)
        #expect(rows.count == 2)
        #expect(rows[0].value == 9 && rows[1].value == 20)
        #expect(abs(rows[0].ratio! - 20.0 / 9) < 1e-12)   // the medians' ratio, before
        SpeedTable.takeMedianRatios(&rows, rounds: rounds)
        #expect(rows[0].ratio == 2.5)
        #expect(rows[0].ratioRange == [2, 3])
        let md = SpeedTable.markdown(SpeedTable.Report(rows: rows, environment: .current(), command: "test", rounds: 3))
        #expect(md.contains("| 2.50× (2.00–3.00) |"))
        #expect(md.contains("median of 3 rounds"))
    }

    /// `--instruction-set avx2`: refused unless OpenBLAS runs an AVX2 kernel (the message names
    /// the kernel and the fix), the peers get the AVX2 caps, and the table says so.
    @Test func avx2LimitIsCheckedAndRecorded() throws {
        let settings = SpeedTable.Settings(dataRoot: nil, peersPython: nil, peersFolder: "/nonexistent", patches: 1,
                                           sections: [], instructionSetLimit: .avx2)
        let limit = SpeedTable.InstructionSetLimit.avx2
        #expect(limit.peerEnvironment["ONEDNN_MAX_CPU_ISA"] == "AVX2")
        #expect(limit.peerEnvironment["ATEN_CPU_CAPABILITY"] == "avx2")
        if SpeedTable.InstructionSetLimit.avx2Kernels.contains(BLASRuntime.kernel) {
            let report = try SpeedTable.measure(settings, command: "test") { _ in }
            #expect(report.instructionSetLimit == .avx2)
            #expect(SpeedTable.markdown(report).contains("Instruction sets: AVX-512 off on both sides"))
        } else {
            #expect(throws: SpeedTable.InstructionSetLimitError.self) { try SpeedTable.measure(settings, command: "test") { _ in } }
            let message = SpeedTable.InstructionSetLimitError(kernel: BLASRuntime.kernel).description
            #expect(message.contains(BLASRuntime.kernel) && message.contains("OPENBLAS_CORETYPE=Haswell"))
        }
    }

    /// The Keras variants' peer: one training rate and one inference time per network, named as
    /// the SRLab rows they pair with.
    @Test func kerasVariantPeerLinesAreRead() {
        let text = """
        torch 2.15.0+cu132, threads=2, cpu capability=AVX512
        Keras-variant Expanded SRCNN train bs=64 HR 32x32 adam: median  213.50 ms/step       300 samples/s  (fastest 312, slowest 278 samples/s; 5 steps; others used 1%)
        Keras-variant Expanded SRCNN infer HR 256x256: median   75.37 ms/image  (5 runs; others used 0%)
        """
        let figures = PeerBenchmarks.parseKerasVariants(text)
        #expect(figures.count == 2)
        #expect(figures.first?.name == "PyTorch Keras-variant Expanded SRCNN train bs=64 HR 32x32 adam")
        #expect(figures.first?.value == 300 && figures.first?.unit == "samples/s")
        #expect(figures.last?.value == 75.37 && figures.last?.unit == "ms/image")
        var rows = [SpeedTable.Row(group: "Keras variants", name: "SRLab Keras-variant Expanded SRCNN train bs=64 HR 32x32 adam",
                                   value: 600, unit: "samples/s", peer: nil, peerValue: nil, ratio: nil)]
        rows += figures.map { SpeedTable.Row(group: "peer", name: $0.name, value: $0.value, unit: $0.unit, peer: nil, peerValue: nil, ratio: nil) }
        SpeedTable.pairPeers(&rows)
        #expect(rows[0].ratio == 2)
    }

    /// A training rate read against the peak: the peer's share comes from the same FLOP count,
    /// so it scales with its rate, and the markdown shows both.
    @Test func trainingRowsCarryThePeersShareOfThePeak() {
        var rows = [SpeedTable.Row(group: "Keras variants", name: "SRLab Keras-variant Expanded SRCNN train bs=64 HR 32x32 adam",
                                   value: 400, unit: "samples/s", peer: nil, peerValue: nil, ratio: nil, fmaShare: 0.6, flopsPerItem: 1e8),
                    SpeedTable.Row(group: "peer", name: "PyTorch Keras-variant Expanded SRCNN train bs=64 HR 32x32 adam",
                                   value: 300, unit: "samples/s", peer: nil, peerValue: nil, ratio: nil)]
        SpeedTable.pairPeers(&rows)
        #expect(abs(rows[0].peerFmaShare! - 0.45) < 1e-12)
        let report = SpeedTable.Report(rows: rows, environment: .current(), command: "test")
        #expect(SpeedTable.markdown(report).contains("| 60% (peer 45%) |"))
    }

    /// The markdown shows the share as a percentage on the rows that have one, blank elsewhere.
    @Test func markdownShowsTheShareOfThePeak() {
        var rate = SpeedTable.Row(group: "BLAS", name: "sgemm", value: 205, unit: "GFLOP/s", peer: nil, peerValue: nil, ratio: nil)
        rate.fmaShare = 205.0 / 234.0
        let time = SpeedTable.Row(group: "methods", name: "A+ x3", value: 0.0234, unit: "s/image", peer: nil, peerValue: nil, ratio: nil)
        let md = SpeedTable.markdown(SpeedTable.Report(rows: [rate, time], environment: .current(), command: "test"))
        #expect(md.contains("| BLAS | sgemm | 205 | GFLOP/s |  |  |  | 88% |"))
        #expect(md.contains("| methods | A+ x3 | 0.0234 | s/image |  |  |  |  |"))
    }

    /// The header names the C kernels that ran (chosen at run time, so a table must say which).
    @Test func headerNamesTheCKernelsThatRan() {
        let report = SpeedTable.Report(rows: [], environment: .current(), command: "test",
                                       directConvolutionKernel: "avx512", nativeKernels: ConvNet.nativeKernelSummary)
        let md = SpeedTable.markdown(report)
        #expect(md.contains("SRLab's C kernels ran as: \(ConvNet.nativeKernelSummary).\n"))
        #expect(ConvNet.nativeKernelSummary.hasPrefix("direct single-channel convolution \(ConvNet.directConvolutionKernel), "))
        let flags = BLASRuntime.cpuFlags, capped = ProcessInfo.processInfo.environment["SRLAB_MAX_ISA"] == "avx2"
        let products = flags.contains("avx512f") && !capped ? "avx512" : flags.contains("avx2") ? "avx2" : "none (OpenBLAS)"
        #expect(ConvNet.nativeKernelSummary.hasSuffix(", small products \(products)"))
        let older = SpeedTable.Report(rows: [], environment: .current(), command: "test", directConvolutionKernel: "none")
        #expect(SpeedTable.markdown(older).contains("ran its none variant"))
    }
}
