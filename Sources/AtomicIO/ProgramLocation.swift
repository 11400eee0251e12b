import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the running program is: what `fetch-data` (its manifest), `upscale` (shipped models) and
/// `notebook` (the build whose `srlab` the cells call) look beside.
public enum ProgramLocation {
    /// The running binary with symlinks resolved (Linux's /proc/self/exe), nil where unavailable.
    public static var executable: String? {
        if let real = realpath("/proc/self/exe", nil) {
            defer { free(real) }
            return String(cString: real)
        }
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }

    /// The folder holding the running binary.
    public static var folder: String? { executable.map { ($0 as NSString).deletingLastPathComponent } }

    /// The nearest folder at or above `folder` that holds a Package.swift (a build's repository).
    public static func enclosingPackage(of folder: String) -> String? {
        var url = URL(fileURLWithPath: folder).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return nil }
            url = parent
        }
    }
}
