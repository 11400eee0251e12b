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
        subcommands: [BenchTableCommand.self, BenchSRCNNCommand.self, BenchMacsCommand.self, BenchLRSpaceCommand.self, BenchConvCommand.self], defaultSubcommand: BenchTableCommand.self)
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
    @Option(help: ArgumentHelp("Comma-separated parts of the table to measure (default all): \(SpeedTable.Section.allCases.map(\.rawValue).joined(separator: ", ")). A partial table is written as bench-<parts>.md/.json beside the full one, never over it.",
                               valueName: "parts"))
    var sections: String?
    @Option(help: "avx2: AVX-512 off on both sides (run srlab with OPENBLAS_CORETYPE=Haswell; the peers get oneDNN's and ATen's AVX2 caps), so that an AVX-512 machine stands in for an AVX2-only one.")
    var instructionSet: SpeedTable.InstructionSetLimit?
    @Option(help: "Rounds of SRLab's measurements then the peers': each figure is the median over them, each ratio's range is shown (default 1).")
    var rounds = 1

    func validate() throws {
        _ = try sections.map(Self.parseSections)
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds: give 1 to 20 rounds, not \(rounds)") }
    }

    func run() throws {
        try reportingErrors {
            let chosen = try sections.map(Self.parseSections) ?? SpeedTable.Section.allCases
            try instructionSet?.checkRunnable()   // before the output folder is made
            try ensureWritableFolder(try OutputPath.checkFolder(output, option: "--output"))
            let settings = SpeedTable.Settings(dataRoot: data, peersPython: peersPython, peersFolder: peers, patches: patches,
                                               sections: Set(chosen), instructionSetLimit: instructionSet, rounds: rounds)
            // SRLab's own AVX-512 kernel obeys the limit too (ConvKernels reads it at each call);
            // set here, in the command's process, before anything runs on another thread.
            if instructionSet == .avx2 { setenv("SRLAB_MAX_ISA", "avx2", 1) }
            let report = try SpeedTable.measure(settings, command: CommandLine.arguments.joined(separator: " "), note: note)
            let stem = (chosen.count == SpeedTable.Section.allCases.count ? "bench" : "bench-" + chosen.map(\.rawValue).joined(separator: "+"))
                + (instructionSet.map { "-" + $0.rawValue } ?? "")
            try Evaluation.writeJSON(report, to: output + "/\(stem).json")
            let md = SpeedTable.markdown(report)
            try AtomicFile.write(md, to: output + "/\(stem).md")
            print(md)
        }
    }

    /// The sections in the table's order, each once; an unknown name is an error listing the known ones.
    static func parseSections(_ text: String) throws -> [SpeedTable.Section] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var chosen = Set<SpeedTable.Section>()
        for name in names {
            guard let section = SpeedTable.Section(rawValue: name) else {
                throw ValidationError("--sections: unknown part '\(name)'; the parts are \(SpeedTable.Section.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            chosen.insert(section)
        }
        guard !chosen.isEmpty else { throw ValidationError("--sections: name at least one part") }
        return SpeedTable.Section.allCases.filter(chosen.contains)
    }
}
extension SpeedTable.InstructionSetLimit: ExpressibleByArgument {}
