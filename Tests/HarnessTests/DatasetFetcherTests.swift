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
        for _ in 0..<50 where DatasetFetcher.download(URL(string: base + "/")!) == nil { usleep(100_000) }
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
}
