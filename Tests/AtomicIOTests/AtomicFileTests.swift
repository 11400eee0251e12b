import Foundation
import Testing
@testable import AtomicIO

@Suite struct AtomicFileTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func names() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) }
    func touch(_ name: String) { FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data("x".utf8)) }

    /// The PID of a process that has exited and been reaped.
    static func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test func temporaryNameCarriesTheProgramAndPID() {
        #expect(AtomicFile.temporaryPath(for: "/a/b/out.png", pid: 42) == "/a/b/.out.png.srlab-42.tmp")
    }

    /// A write clears what killed writers of the same file left, and nothing else: not a live
    /// process's temporary, not another file's, not names of another form.
    @Test func staleTemporariesOfTheSameFileAreRemoved() throws {
        let dead = try Self.deadPID()
        try #require(kill(dead, 0) != 0 && errno == ESRCH, "PID \(dead) was reused already")
        let stale = ".out.png.srlab-\(dead).tmp"
        let kept = [".out.png.srlab-1.tmp",           // PID 1 is alive
                    ".other.png.srlab-\(dead).tmp",   // another file's
                    ".out.png.\(dead).tmp",           // not srlab's form
                    ".out.png.srlab-1x.tmp", "out.png.srlab-\(dead).tmp", ".out.png.srlab-.tmp"]
        for name in [stale] + kept { touch(name) }
        try AtomicFile.write("new", to: folder.appendingPathComponent("out.png").path)
        #expect(try names() == Set(kept + ["out.png"]))
        #expect(try String(contentsOf: folder.appendingPathComponent("out.png"), encoding: .utf8) == "new")
    }

    /// A leftover under this process's own temporary name (an earlier process had this PID) is
    /// written over, not written through: a symlink there is replaced, its target untouched.
    @Test func aLeftoverUnderTheOwnNameIsReplacedNotFollowed() throws {
        let target = folder.appendingPathComponent("victim.txt")
        try "keep me".write(to: target, atomically: false, encoding: .utf8)
        let out = folder.appendingPathComponent("out.txt").path
        try FileManager.default.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: out, pid: getpid()), withDestinationPath: target.path)
        try AtomicFile.write("new", to: out)
        #expect(try String(contentsOf: target, encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "new")
        #expect(try names() == ["victim.txt", "out.txt"])
    }

    struct Refused: Error {}

    @Test func aFailedWriteLeavesNothing() throws {
        let out = folder.appendingPathComponent("out.bin").path
        #expect(throws: Refused.self) {
            try AtomicFile.write(to: out) { file in
                fputs("half", file)
                throw Refused()
            }
        }
        #expect(try names().isEmpty)
        #expect(!TemporaryFiles.live.contains(AtomicFile.temporaryPath(for: out, pid: getpid())))
    }

    @Test func temporariesAreTrackedOnlyWhileTheyExist() throws {
        let out = folder.appendingPathComponent("out.bin").path
        let temp = AtomicFile.temporaryPath(for: out, pid: getpid())
        try AtomicFile.write(to: out) { _ in
            #expect(TemporaryFiles.live.contains(temp))
            // A second write of the same file from this process is refused, not interleaved.
            #expect(throws: AtomicWriteError.self) { try AtomicFile.write("other", to: out) }
        }
        #expect(!TemporaryFiles.live.contains(temp))
        #expect(try names() == ["out.bin"])
    }
}

/// A process interrupted while its temporary exists removes it and dies of the signal.
@Suite struct InterruptTests {
    /// A binary built beside this test bundle.
    static func builtProduct(_ name: String) -> URL {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                         ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent(name)
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func anInterruptedWriteLeavesNoTemporary(signal: Int32) throws {
        let probe = Self.builtProduct("atomic-write-probe")
        try #require(FileManager.default.isExecutableFile(atPath: probe.path), "\(probe.path) not built (swift build --build-tests)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("interrupt-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let out = folder.appendingPathComponent("big.png").path
        let process = Process()
        process.executableURL = probe
        process.arguments = [out]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        // The probe prints the temporary's path once bytes are in it, then waits to be signalled.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let temp = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(temp == AtomicFile.temporaryPath(for: out, pid: process.processIdentifier))
        #expect(FileManager.default.fileExists(atPath: temp))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                "ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
