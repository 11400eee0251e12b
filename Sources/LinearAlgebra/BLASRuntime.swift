import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Which OpenBLAS kernel this process runs on, and how to get onto the right one.
///
/// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH and picks its kernel from CPUID when the
/// library loads. On CPUs newer than it knows (Sapphire Rapids here) it falls back to the generic
/// "Prescott" kernel, ten times slower, although the SkylakeX kernel runs correctly there. The
/// choice is read from `OPENBLAS_CORETYPE` only at load time, so fixing it means re-executing.
public enum BLASRuntime {
    /// The kernel OpenBLAS chose, e.g. "Prescott" or "SkylakeX".
    public static var kernel: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    public static var threads: Int { BLASThreads.count }

    public static var config: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }

    /// Kernels OpenBLAS uses when it does not recognise the CPU, or for pre-AVX CPUs.
    static let genericKernels: Set<String> = ["prescott", "core2", "katmai", "coppermine",
                                              "northwood", "banias", "atom", "penryn", "dunnington",
                                              "nehalem", "generic"]

    /// CPU feature flags from /proc/cpuinfo (empty where it is unreadable).
    public static let cpuFlags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()

    public static let cpuModel: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }()

    /// The best OpenBLAS 0.3.21 kernel this CPU can run, or nil if nothing beats the default.
    public static func recommendedKernel(flags: Set<String> = cpuFlags) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) {
            return "SkylakeX"
        }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// True when `kernel` is a generic fallback although the CPU could run a faster one.
    public static func isFallback(kernel: String, flags: Set<String> = cpuFlags) -> Bool {
        genericKernels.contains(kernel.lowercased()) && recommendedKernel(flags: flags) != nil
    }

    /// Call first thing in `main`. If OpenBLAS loaded a fallback kernel and the user has not set
    /// `OPENBLAS_CORETYPE`, re-executes this program once with the recommended kernel. A value the
    /// user set is never overridden; `SRLAB_BLAS_REEXEC` guards against a loop.
    public static func ensureFastKernel(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["SRLAB_BLAS_REEXEC"] == nil,
              isFallback(kernel: kernel), let better = recommendedKernel() else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv("SRLAB_BLAS_REEXEC", "1", 1)
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // Only reached when exec failed: carry on, slower, and say so.
        unsetenv("OPENBLAS_CORETYPE")
        FileHandle.standardError.write(Data(
            "srlab: warning: OpenBLAS runs its generic \(kernel) kernel; re-exec with OPENBLAS_CORETYPE=\(better) failed\n".utf8))
    }

    /// Measured single-precision GEMM throughput: median GFLOP/s of `repeats` n×n×n products.
    public static func measureSgemm(size n: Int = 2048, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: n * n)
        let b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var rates: [Double] = []
        for run in 0...repeats { // run 0 warms caches and threads up
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        Float.gemm(false, false, n, n, n, 1, pa.baseAddress!, n, pb.baseAddress!, n,
                                   0, pc.baseAddress!, n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { rates.append(2 * Double(n) * Double(n) * Double(n) / seconds / 1e9) }
        }
        precondition(abs(c[0] - Float(n) * 0.125) < 1e-3 * Float(n), "sgemm returned a wrong result")
        rates.sort()
        return rates[rates.count / 2]
    }
}
