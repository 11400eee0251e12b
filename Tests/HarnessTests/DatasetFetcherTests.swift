import AtomicIO
import Foundation
import Testing
@testable import Harness

/// Serves a folder over HTTP on loopback with Python's http.server and fetches from it.
@Suite struct DatasetFetcherTests {
    func withServer(_ folder: URL, _ body: (String) throws -> Void) throws {
        let port = 18_000 + Int(getpid() % 1000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", folder.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the child may inherit a blocked SIGTERM from the test runner.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        for _ in 0..<50 where (try? DatasetFetcher.download(URL(string: base + "/")!)) == nil { usleep(100_000) }
        try body(base)
    }

    @Test func fetchesChecksAndSkipsFilesAlreadyRight() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-\(UUID())")
        let served = tmp.appendingPathComponent("srv/Test/Set5")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let good = Data("pretend image".utf8), bad = Data("tampered".utf8)
        try good.write(to: served.appendingPathComponent("a.bmp"))
        try bad.write(to: served.appendingPathComponent("b.bmp"))
        let sha = DatasetFetcher.sha256(good)
        let header = "set\tfile\twidth\theight\tchannels\tsha256\tsource_repo\tsource_path\n"
        let manifest = tmp.appendingPathComponent("m.tsv")
        try (header + "Set5\tSet5/a.bmp\t1\t1\t3\t\(sha)\tx/y\tTest/Set5/a.bmp\n").write(to: manifest, atomically: true, encoding: .utf8)
        let root = tmp.appendingPathComponent("data").path
        try withServer(tmp.appendingPathComponent("srv")) { base in
            let fetcher = try DatasetFetcher(manifest: manifest.path)
            #expect(try fetcher.fetch(into: root, base: base) == 1)
            #expect(FileManager.default.contents(atPath: root + "/Set5/a.bmp") == good)
            #expect(try fetcher.fetch(into: root, base: base) == 0) // already right

            let wrong = tmp.appendingPathComponent("w.tsv")
            try (header + "Set5\tSet5/b.bmp\t1\t1\t3\t\(sha)\tx/y\tTest/Set5/b.bmp\n").write(to: wrong, atomically: true, encoding: .utf8)
            #expect(throws: HarnessError.self) { try DatasetFetcher(manifest: wrong.path).fetch(into: root, base: base) }
            #expect(!FileManager.default.fileExists(atPath: root + "/Set5/b.bmp"))
        }
    }

    @Test func sha256OfAKnownVector() {
        #expect(DatasetFetcher.sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func malformedManifestIsRejected() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).tsv")
        try "no header here\n".write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        #expect(throws: HarnessError.self) { try DatasetFetcher(manifest: path.path) }
    }

    @Test func committedManifestMatchesItsSHA256Column() throws {
        let fetcher = try DatasetFetcher(manifest: packageRoot + "/experiments/datasets/MANIFEST.tsv")
        #expect(fetcher.entries.count == 5 + 14 + 91)
        #expect(fetcher.url(for: fetcher.entries[0], base: DatasetFetcher.defaultBaseURL)?.absoluteString.contains("78be1a24") == true)
    }

    func manifestFor(_ file: String, sha: String, in tmp: URL) throws -> DatasetFetcher {
        let manifest = tmp.appendingPathComponent("m.tsv")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try ("set\tfile\twidth\theight\tchannels\tsha256\tsource_repo\tsource_path\n"
             + "Set5\tSet5/\(file)\t1\t1\t3\t\(sha)\tx/y\tTest/Set5/\(file)\n").write(to: manifest, atomically: true, encoding: .utf8)
        return try DatasetFetcher(manifest: manifest.path)
    }

    // Issue 12, item 8: a network failure was reported as "cannot write here" and curl's reason
    // was dropped. Port 9 on loopback (discard) has nothing listening: the connection is refused.
    @Test func aNetworkFailureReportsCurlsReason() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fetchfail-\(UUID())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let fetcher = try manifestFor("a.bmp", sha: String(repeating: "0", count: 64), in: tmp)
        let root = tmp.appendingPathComponent("data").path
        do {
            try fetcher.fetch(into: root, base: "http://127.0.0.1:9")
            Issue.record("a download from a closed port succeeded")
        } catch let error as HarnessError {
            guard case .downloadFailed(let url, let reason) = error else { Issue.record("wrong error: \(error)"); return }
            #expect(url == "http://127.0.0.1:9/Test/Set5/a.bmp")
            #expect(reason.hasPrefix("curl exit 7: ") && reason.contains("127.0.0.1"), "\(reason)")
            #expect(!"\(error)".contains("cannot write"))
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/Set5/a.bmp"))
        // A missing file behind a file:// URL: curl's own code and message.
        do {
            try fetcher.fetch(into: root, base: "file://" + tmp.path + "/nothing-here")
            Issue.record("a download of a missing file succeeded")
        } catch {
            #expect("\(error)".contains("download failed: curl exit 37"), "\(error)")
        }
    }

    // Issue 12, item 8: the default manifest path worked only from the repository root.
    @Test func theManifestIsFoundFromAnywhereInTheTreeOrBesideTheBinary() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let repo = tmp.appendingPathComponent("repo").path
        let manifest = repo + "/" + DatasetFetcher.manifestInRepository
        let deep = repo + "/results/models", elsewhere = tmp.appendingPathComponent("elsewhere").path
        let binary = repo + "/.build/x86_64-unknown-linux-gnu/release/srlab"
        for dir in [(manifest as NSString).deletingLastPathComponent, deep, elsewhere, (binary as NSString).deletingLastPathComponent] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try "set\tfile\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let real = OutputPath.resolve(manifest)
        #expect(try DatasetFetcher.locateManifest(explicit: nil, currentFolder: repo, executable: nil) == real)
        #expect(try DatasetFetcher.locateManifest(explicit: nil, currentFolder: deep, executable: nil) == real)
        #expect(try DatasetFetcher.locateManifest(explicit: nil, currentFolder: elsewhere, executable: binary) == real)
        #expect(try DatasetFetcher.locateManifest(explicit: "my.tsv", currentFolder: elsewhere, executable: binary) == "my.tsv")
        do {
            _ = try DatasetFetcher.locateManifest(explicit: nil, currentFolder: elsewhere, executable: elsewhere + "/srlab")
            Issue.record("a manifest was found where there is none")
        } catch {
            #expect("\(error)".contains("--manifest"), "\(error)")
        }
    }

    @Test func thisTestBinaryFindsTheRepositorysManifest() throws {
        // The test runner lies in this repository's .build, as srlab does.
        let found = try DatasetFetcher.locateManifest(explicit: nil, currentFolder: "/", executable: ProgramLocation.executable)
        #expect(found == OutputPath.resolve(packageRoot + "/" + DatasetFetcher.manifestInRepository))
    }
}
