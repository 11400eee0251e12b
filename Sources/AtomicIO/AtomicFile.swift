import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct AtomicWriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Whole-file writes that never leave a partial file: write a temporary sibling, then rename.
///
/// The temporary is `.NAME.srlab-PID.tmp`. While it exists it is registered with
/// `TemporaryFiles`, which removes it if the process is interrupted (SIGINT, SIGTERM, SIGHUP); one
/// left by a process that was killed outright (SIGKILL, power loss) is removed by the next write of
/// NAME once no process PID is alive.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { file in
            let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, data.count, file) }
            if written != data.count { throw AtomicWriteError(path: path, reason: String(cString: strerror(errno))) }
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Streams the file's contents into the temporary through `body` (a stdio stream opened for
    /// writing), then renames the temporary over `path`. An error thrown by `body` removes the
    /// temporary and is rethrown as is.
    public static func write(to path: String, using body: (UnsafeMutablePointer<FILE>) throws -> Void) throws {
        let target = URL(fileURLWithPath: path)
        let temp = temporaryPath(for: target.path, pid: getpid())
        removeStaleTemporaries(of: target.path)
        let fd = TemporaryFiles.create(temp)
        guard fd >= 0, let file = fdopen(fd, "wb") else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd); discard(temp) }
            throw AtomicWriteError(path: path, reason: reason)
        }
        do {
            try body(file)
        } catch {
            fclose(file)
            discard(temp)
            throw error
        }
        if fflush(file) != 0 || ferror(file) != 0 {
            let reason = String(cString: strerror(errno))
            fclose(file)
            discard(temp)
            throw AtomicWriteError(path: path, reason: reason)
        }
        if fclose(file) != 0 {
            let reason = String(cString: strerror(errno))
            discard(temp)
            throw AtomicWriteError(path: path, reason: reason)
        }
        if rename(temp, target.path) != 0 {
            let reason = String(cString: strerror(errno))
            discard(temp)
            throw AtomicWriteError(path: path, reason: reason)
        }
        TemporaryFiles.forget(temp)
    }

    private static func discard(_ temp: String) {
        unlink(temp)
        TemporaryFiles.forget(temp)
    }

    /// The temporary sibling process `pid` writes `path` through.
    public static func temporaryPath(for path: String, pid: Int32) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).srlab-\(pid).tmp").path
    }

    /// Removes the temporaries of `path` left by processes that no longer exist (a killed run), and
    /// returns their paths. Only names of the exact form `.NAME.srlab-PID.tmp` for this NAME are
    /// touched, and only when `kill(PID, 0)` says there is no such process; the current process's
    /// own name and those of live processes (which may be writing right now) are left alone.
    @discardableResult
    public static func removeStaleTemporaries(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).srlab-", suffix = ".tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count {
            let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
            guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let pid = Int32(digits), pid > 0,
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let stale = folder.appendingPathComponent(name).path
            if unlink(stale) == 0 { removed.append(stale) }
        }
        return removed
    }
}
