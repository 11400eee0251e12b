import Foundation

/// What `srlab doctor` reports: the CPU, the OpenBLAS kernel in use (and whether it is a generic
/// fallback this CPU could replace), threads, and a measured sgemm rate. Field names are the
/// JSON's.
public struct BLASReport: Codable, Sendable {
    public var cpu: String
    public var blas_kernel: String
    public var fallback_kernel: Bool
    public var recommended_kernel: String?
    public var openblas_coretype: String?
    /// OpenBLAS's idle-thread spin (2^n cycles) as this process started (srlab sets it: `BLASRuntime.idleThreadTimeout`).
    public var openblas_thread_timeout: String?
    public var threads: Int
    public var sgemm_gflops: Double
    public var sgemm_size: Int
    public var openblas_config: String

    /// Measures this machine (`BLASRuntime.measureSgemm` on `sgemmSize`³, median of 5).
    public static func measure(sgemmSize size: Int = 2048) -> BLASReport {
        BLASReport(cpu: BLASRuntime.cpuModel, blas_kernel: BLASRuntime.kernel,
                   fallback_kernel: BLASRuntime.isFallback(kernel: BLASRuntime.kernel),
                   recommended_kernel: BLASRuntime.recommendedKernel(),
                   openblas_coretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                   openblas_thread_timeout: ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"],
                   threads: BLASRuntime.threads,
                   sgemm_gflops: BLASRuntime.measureSgemm(size: size), sgemm_size: size,
                   openblas_config: BLASRuntime.config)
    }

    /// The report as the lines `srlab doctor` prints.
    public var lines: [String] {
        ["CPU            \(cpu)",
         "BLAS kernel    \(blas_kernel)\(fallback_kernel ? "  (generic fallback: this CPU can run \(recommended_kernel ?? "?"))" : "")",
         "OPENBLAS_CORETYPE \(openblas_coretype ?? "(unset)")",
         "OPENBLAS_THREAD_TIMEOUT \(openblas_thread_timeout ?? "(unset)")",
         "threads        \(threads)",
         String(format: "sgemm %d³     %.1f GFLOP/s (median of 5)", sgemm_size, sgemm_gflops)]
    }
}
