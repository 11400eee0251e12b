import Foundation

/// What every results file records about the machine and code that produced it: the BLAS
/// runtime (kernel, threads, CPU) and the commit. Here, beside `BLASRuntime`, so that every
/// library that writes results (Harness, Equivalence, the training stack) can record it.
public struct RunEnvironment: Codable, Sendable {
    public var blas_kernel: String
    public var threads: Int
    public var commit: String
    public var cpu: String
    public var date: String
    public var openblas_coretype: String?

    public static func current() -> RunEnvironment {
        RunEnvironment(blas_kernel: BLASRuntime.kernel, threads: BLASRuntime.threads,
                       commit: gitCommit(), cpu: BLASRuntime.cpuModel,
                       date: ISO8601DateFormatter().string(from: Date()),
                       openblas_coretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
    }

    /// The commit of the working tree the command runs in, with "-dirty" when it has changes.
    static func gitCommit() -> String {
        func git(_ args: [String]) -> String? {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["git"] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let head = git(["rev-parse", "--short=12", "HEAD"]) else { return "unknown" }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
        return dirty ? head + "-dirty" : head
    }
}
