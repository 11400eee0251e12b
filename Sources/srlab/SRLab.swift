import ArgumentParser
import Foundation
import Imaging
import LinearAlgebra

@main
struct SRLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srlab",
        abstract: "Single-image super-resolution lab: bicubic, sparse coding (ScSR) and SRCNN under the SR literature's protocol.",
        subcommands: [EvalCommand.self, UpscaleCommand.self, TrainCommand.self, CompareCommand.self, MergeCommand.self, BenchCommand.self, EquivalenceCommand.self, NotebookCommand.self, FigureCommand.self,
                      DoctorCommand.self, FetchDataCommand.self])

    /// OpenBLAS picks its kernel when it loads, so the fix for a fallback kernel (a re-exec with
    /// OPENBLAS_CORETYPE set) must run before anything else.
    static func main() {
        BLASRuntime.ensureFastKernel()
        main(nil)
    }
}

/// Runs a command body, turning any error into one line on stderr and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("srlab: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Scales the protocol supports (`SRProtocol.scales`).
struct ScaleOption: ExpressibleByArgument {
    let value: Int
    init?(argument: String) {
        guard let v = Int(argument), SRProtocol.scales.contains(v) else { return nil }
        value = v
    }
    static var defaultCompletionKind: CompletionKind { .list(["2", "3", "4"]) }
}
