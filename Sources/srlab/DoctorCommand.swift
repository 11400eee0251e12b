import ArgumentParser
import Foundation
import Harness
import LinearAlgebra

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the CPU, the OpenBLAS kernel in use, threads and a measured sgemm GFLOP/s.")

    @Option(help: "Also write the report as JSON to this file.") var json: String?

    struct Report: Codable {
        var cpu: String
        var blas_kernel: String
        var fallback_kernel: Bool
        var recommended_kernel: String?
        var openblas_coretype: String?
        var threads: Int
        var sgemm_gflops: Double
        var sgemm_size: Int
        var openblas_config: String
    }

    func run() throws {
        try reportingErrors {
            if let json { try OutputPath.prepareFile(json, option: "--json") }
            let size = 2048
            let report = Report(cpu: BLASRuntime.cpuModel, blas_kernel: BLASRuntime.kernel,
                                fallback_kernel: BLASRuntime.isFallback(kernel: BLASRuntime.kernel),
                                recommended_kernel: BLASRuntime.recommendedKernel(),
                                openblas_coretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                                threads: BLASRuntime.threads,
                                sgemm_gflops: BLASRuntime.measureSgemm(size: size), sgemm_size: size,
                                openblas_config: BLASRuntime.config)
            print("CPU            \(report.cpu)")
            print("BLAS kernel    \(report.blas_kernel)\(report.fallback_kernel ? "  (generic fallback: this CPU can run \(report.recommended_kernel ?? "?"))" : "")")
            print("OPENBLAS_CORETYPE \(report.openblas_coretype ?? "(unset)")")
            print("threads        \(report.threads)")
            print(String(format: "sgemm %d³     %.1f GFLOP/s (median of 5)", size, report.sgemm_gflops))
            if let json { try Evaluation.writeJSON(report, to: json) }
        }
    }
}
