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
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        // fopen/fwrite rather than Data.write so the reason is the plain errno text.
        guard let file = fopen(temp.path, "wb") else {
            throw AtomicWriteError(path: path, reason: String(cString: strerror(errno)))
        }
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, data.count, file) }
        let writeErrno = errno
        if fclose(file) != 0 || written != data.count {
            unlink(temp.path)
            throw AtomicWriteError(path: path, reason: String(cString: strerror(written != data.count ? writeErrno : errno)))
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            throw AtomicWriteError(path: path, reason: reason)
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
