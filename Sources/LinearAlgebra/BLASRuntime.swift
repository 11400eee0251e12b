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

    /// OpenBLAS's idle threads spin (yielding) for 2^n cycles after each job before they sleep;
    /// n = 28 by default, about a tenth of a second. srlab's inference runs its own threads with
    /// OpenBLAS at one thread (`BLASThreads.with(1)`), and OpenBLAS's idle worker, woken around
    /// those scopes, then spun on one of the two cores beside them: SRCNN 9-1-5 on a 256² image
    /// took 5.8–8.9 ms instead of 4.5 under the Haswell kernel (`srlab bench srcnn infer`, AMD
    /// EPYC, 2 cores), the same with n = 4. Its large multi-threaded GEMMs lose nothing measurable
    /// by waking from sleep.
    public static let idleThreadTimeout = "4"

    /// Call first thing in `main`. Re-executes this program once, with `OPENBLAS_THREAD_TIMEOUT`
    /// (`idleThreadTimeout`) if it is unset, and if OpenBLAS loaded a fallback kernel and
    /// `OPENBLAS_CORETYPE` is unset, with the recommended kernel: OpenBLAS reads both as it
    /// loads. A value the user set is never overridden; `SRLAB_BLAS_REEXEC` guards against a loop.
    public static func ensureFastKernel(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["SRLAB_BLAS_REEXEC"] == nil else { return }
        var settings: [(name: String, value: String)] = []
        if env["OPENBLAS_THREAD_TIMEOUT"] == nil { settings.append(("OPENBLAS_THREAD_TIMEOUT", idleThreadTimeout)) }
        let better = env["OPENBLAS_CORETYPE"] == nil && isFallback(kernel: kernel) ? recommendedKernel() : nil
        if let better { settings.append(("OPENBLAS_CORETYPE", better)) }
        guard !settings.isEmpty else { return }
        for setting in settings { setenv(setting.name, setting.value, 1) }
        setenv("SRLAB_BLAS_REEXEC", "1", 1)
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // Only reached when exec failed: carry on as loaded, and say so if that is the slow kernel.
        for setting in settings { unsetenv(setting.name) }
        unsetenv("SRLAB_BLAS_REEXEC")
        if let better {
            FileHandle.standardError.write(Data(
                "srlab: warning: OpenBLAS runs its generic \(kernel) kernel; re-exec with OPENBLAS_CORETYPE=\(better) failed\n".utf8))
        }
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
