import ArgumentParser
import Harness
import LinearAlgebra

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the CPU, the OpenBLAS kernel in use, threads and a measured sgemm GFLOP/s.")

    @Option(help: "Also write the report as JSON to this file.") var json: String?

    func run() throws {
        try reportingErrors {
            if let json { try OutputPath.prepareFile(json, option: "--json") }
            let report = BLASReport.measure()
            report.lines.forEach { print($0) }
            if let json { try Evaluation.writeJSON(report, to: json) }
        }
    }
}
