import Foundation
import Imaging
import SeededRandom
import Testing

/// The built `srlab` run as a hostile user would: malformed and oversized images, corrupt and
/// mismatched model files, bad experiment specs, output paths that name folders or nothing, and a
/// signal mid-run. Every case must end as a clean error (status 1 or the argument parser's 64,
/// `srlab: error:` or `Error:` on stderr) or a success — never a trap — and must leave no
/// temporary or partial file behind. The counts are printed for the closing note.
@Suite(.serialized) struct HostileInputTests {
    enum Expect { case cleanError(mentioning: String?), success, either }

    struct Case {
        let name: String
        let arguments: [String]
        let expect: Expect
    }

    enum Outcome: Equatable { case success, cleanError, usageError, trap(Int32), timeout, otherStatus(Int32) }

    let work: URL
    let srlab: URL

    init() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        srlab = Self.findBinary()
    }

    /// srlab re-executes itself once with OpenBLAS's idle threads told to sleep at once
    /// (OPENBLAS_THREAD_TIMEOUT, `BLASRuntime.idleThreadTimeout`) unless the caller set it; doctor
    /// reports what the process ran with.
    @Test func doctorReportsTheIdleThreadTimeout() throws {
        let json = path("doctor.json")
        let ran = try run(["doctor", "--json", json])
        #expect(ran.outcome == .success, "\(ran.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let expected = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "4"
        #expect(report?["openblas_thread_timeout"] as? String == expected)
    }

    /// `srlab` beside the test bundle (`swift build --build-tests` builds both into one folder).
    static func findBinary() -> URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for folder in [beside.deletingLastPathComponent(), beside.deletingLastPathComponent().deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("srlab")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/srlab")
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: work.appendingPathComponent(name))
    }

    /// Runs srlab in `work` with a time limit; `signal` is sent after `signalAfter` seconds.
    func run(_ arguments: [String], timeout: Double = 300, signal: Int32? = nil, signalAfter: Double = 0)
        throws -> (outcome: Outcome, stderr: String) {
        let process = Process()
        process.executableURL = srlab
        process.arguments = arguments
        process.currentDirectoryURL = work
        var environment = ProcessInfo.processInfo.environment
        environment["SRLAB_DATA"] = path("data")
        process.environment = environment
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        let collected = UncheckedBox(Data())
        // Signalled at the pipe's end, so that every chunk read is in `collected` before it is
        // read. Blocking reads on a thread of their own, not `readabilityHandler`, which under a
        // loaded test run once stopped being called with data still in a pipe (StreamingCLITests).
        let ended = DispatchSemaphore(value: 0)
        try process.run()
        let reader = errPipe.fileHandleForReading
        Thread.detachNewThread {
            while case let chunk = reader.availableData, !chunk.isEmpty {
                collected.lock.lock(); collected.value.append(chunk); collected.lock.unlock()
            }
            ended.signal()
        }
        let pid = process.processIdentifier
        let finished = UncheckedBox(false)
        if let signal {
            DispatchQueue.global().asyncAfter(deadline: .now() + signalAfter) { kill(pid, signal) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            finished.lock.lock(); defer { finished.lock.unlock() }
            if !finished.value { finished.value = true; kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        finished.lock.lock(); let timedOut = finished.value; finished.value = true; finished.lock.unlock()
        _ = ended.wait(timeout: .now() + 30)
        collected.lock.lock(); let data = collected.value; collected.lock.unlock()
        let stderr = String(decoding: data, as: UTF8.self)
        if timedOut { return (.timeout, stderr) }
        if process.terminationReason == .uncaughtSignal { return (.trap(process.terminationStatus), stderr) }
        switch process.terminationStatus {
        case 0: return (.success, stderr)
        case 1 where stderr.contains("srlab: error:"): return (.cleanError, stderr)
        case 64 where stderr.contains("Error:"): return (.usageError, stderr)
        case let status: return (.otherStatus(status), stderr)
        }
    }

    /// Files srlab may leave only while it runs: atomic-write temporaries and staging folders.
    func leftovers() -> [String] {
        let all = FileManager.default.enumerator(atPath: work.path)?.compactMap { $0 as? String } ?? []
        return all.filter { name in
            let last = (name as NSString).lastPathComponent
            return last.hasSuffix(".tmp") || last.contains(".partial") || last.hasPrefix(".srlab-staging")
        }
    }

    // MARK: - The inputs

    func photo(width: Int, height: Int, channels: Int, seed: Double = 0) -> Image8 {
        var bytes = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            let wave: Double = sin(Double(x + 3 * c) / 3.7 + seed) * cos(Double(y) / 2.9)
            bytes[(y * width + x) * channels + c] = Quantize.uint8(128 + 100 * wave)
        } } }
        return Image8(width: width, height: height, channels: channels, bytes: bytes)
    }

    /// A PNG whose header claims `width`×`height` but whose data is a few bytes.
    func pngClaiming(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        func chunk(_ kind: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(kind.utf8) + body
            return be(UInt32(body.count)) + typed + be(crc32(typed))
        }
        let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    func mutants(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count).map { _ in
            var copy = bytes
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                // Mostly the first 64 bytes (the headers), where a flip changes sizes and kinds.
                let position = rng.next() % 3 == 0 ? Int(rng.next() % UInt64(copy.count)) : Int(rng.next() % UInt64(min(64, copy.count)))
                copy[position] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
            return copy
        }
    }

    func makeCases() throws -> [Case] {
        let fm = FileManager.default
        try ImageIO.writePNG(photo(width: 40, height: 30, channels: 3), to: path("good.png"))
        try ImageIO.writePNG(photo(width: 40, height: 30, channels: 1), to: path("gray.png"))
        try ImageIO.writePNG(photo(width: 3, height: 3, channels: 3), to: path("tiny.png"))
        try ImageIO.writePNG(photo(width: 1, height: 1, channels: 1), to: path("one.png"))
        let good = [UInt8](try Data(contentsOf: work.appendingPathComponent("good.png")))
        try write("empty.png", [])
        try write("text.png", Array("not an image\n".utf8))
        try write("truncated.png", Array(good.prefix(good.count / 2)))
        try write("claims12000.png", pngClaiming(width: 12000, height: 12000))
        try write("claimsHuge.png", pngClaiming(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF))
        try write("bmpHeader.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 60))
        try fm.createDirectory(atPath: path("folder.png"), withIntermediateDirectories: true)
        for (i, m) in mutants(of: good, count: 40, seed: 12).enumerated() { try write("mutant\(i).png", m) }

        let models = Self.repositoryRoot.appendingPathComponent("results/models")
        let srcnn3 = models.appendingPathComponent("srcnn_x3_9-1-5.safetensors").path
        let sc3 = models.appendingPathComponent("sc_x3.safetensors").path
        let modelBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: srcnn3)))
        try write("truncated.safetensors", Array(modelBytes.prefix(modelBytes.count - 100)))
        try write("huge-header.safetensors", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + Array("{}".utf8))
        for (i, m) in mutants(of: modelBytes, count: 20, seed: 34).enumerated() { try write("model\(i).safetensors", m) }

        // A tiny data root and specs for compare.
        try fm.createDirectory(atPath: path("data/Tiny"), withIntermediateDirectories: true)
        try ImageIO.writePNG(photo(width: 36, height: 36, channels: 3), to: path("data/Tiny/a.png"))
        try ImageIO.writePNG(photo(width: 36, height: 36, channels: 3, seed: 1), to: path("data/Tiny/b.png"))
        func spec(_ name: String, _ body: String) throws -> String {
            try body.write(toFile: path(name), atomically: true, encoding: .utf8); return path(name)
        }
        let bicubic = #"{"label": "Bicubic", "method": "bicubic"}"#
        let specs: [(String, String, String?)] = [
            ("spec-invalid.json", "{ not json", nil),
            ("spec-escape.json", #"{"name": "../../escape", "description": "", "datasets": ["Tiny"], "scales": [2], "methods": [\#(bicubic)]}"#, "name"),
            ("spec-dupscale.json", #"{"name": "dups", "description": "", "datasets": ["Tiny"], "scales": [2, 2], "methods": [\#(bicubic)]}"#, "2"),
            ("spec-dupset.json", #"{"name": "dups", "description": "", "datasets": ["Tiny", "Tiny"], "scales": [2], "methods": [\#(bicubic)]}"#, "Tiny"),
            ("spec-nomodel.json", #"{"name": "nomodel", "description": "", "datasets": ["Tiny"], "scales": [2], "methods": [{"label": "CNN", "method": "srcnn"}]}"#, "models"),
            ("spec-crops.json", #"{"name": "crops", "description": "", "datasets": ["Tiny"], "scales": [2], "methods": [\#(bicubic)], "crops": {"scale": 2, "dataset": "Tiny", "images": ["a"], "size": -5}}"#, "size"),
            ("spec-unknownset.json", #"{"name": "unknown", "description": "", "datasets": ["Nope"], "scales": [2], "methods": [\#(bicubic)]}"#, "Nope"),
        ]
        // A folder of the user's that a spec named like it must not replace.
        try fm.createDirectory(atPath: path("results/mine"), withIntermediateDirectories: true)
        try "keep me".write(toFile: path("results/mine/photo.jpg"), atomically: true, encoding: .utf8)
        let mine = try spec("spec-mine.json", #"{"name": "mine", "description": "", "datasets": ["Tiny"], "scales": [2], "methods": [\#(bicubic)]}"#)

        var cases: [Case] = []
        let up = { (input: String, extra: [String]) in ["upscale", input, "--scale", "3", "--method", "bicubic"] + extra }
        for (file, word) in [("empty.png", "empty.png"), ("text.png", "text.png"), ("truncated.png", "truncated.png"),
                             ("claims12000.png", "claims12000.png"), ("claimsHuge.png", "claimsHuge.png"),
                             ("bmpHeader.bmp", "bmpHeader.bmp"), ("folder.png", "folder.png"), ("missing.png", "missing.png"),
                             ("tiny.png", "tiny.png"), ("one.png", "one.png")] {
            cases.append(Case(name: "upscale \(file)", arguments: up(file, ["-o", "out-\(file).png"]), expect: .cleanError(mentioning: word)))
        }
        for i in 0..<40 {
            cases.append(Case(name: "upscale mutant \(i)", arguments: up("mutant\(i).png", ["-o", "out-mutant\(i).png"]), expect: .either))
        }
        for (output, word) in [("", "-o"), ("x.tiff", "x.tiff"), ("x", "x")] {
            cases.append(Case(name: "upscale -o '\(output)'", arguments: up("good.png", ["-o", output]), expect: .cleanError(mentioning: word)))
        }
        // An existing folder as -o is a batch into it, as `cp a b dir` copies into dir.
        cases.append(Case(name: "upscale -o an existing folder", arguments: up("good.png", ["-o", "folder.png"]), expect: .success))
        let model = { (file: String, scale: String) in
            ["upscale", "good.png", "--scale", scale, "--method", "srcnn", "--model", file, "-o", "out-model.png"]
        }
        cases.append(Case(name: "srcnn model truncated", arguments: model("truncated.safetensors", "3"), expect: .cleanError(mentioning: "truncated.safetensors")))
        cases.append(Case(name: "srcnn model with a huge header length", arguments: model("huge-header.safetensors", "3"), expect: .cleanError(mentioning: "huge-header.safetensors")))
        cases.append(Case(name: "srcnn model is a PNG", arguments: model("good.png", "3"), expect: .cleanError(mentioning: "good.png")))
        cases.append(Case(name: "srcnn model is a folder", arguments: model("folder.png", "3"), expect: .cleanError(mentioning: "folder.png")))
        cases.append(Case(name: "srcnn model is a dictionary", arguments: model(sc3, "3"), expect: .cleanError(mentioning: "sc_x3")))
        cases.append(Case(name: "srcnn x3 model at x2", arguments: model(srcnn3, "2"), expect: .cleanError(mentioning: "scale")))
        for i in 0..<20 {
            cases.append(Case(name: "srcnn model mutant \(i)", arguments: model("model\(i).safetensors", "3"), expect: .either))
        }
        for (file, body, word) in specs {
            cases.append(Case(name: "compare \(file)", arguments: ["compare", try spec(file, body)], expect: .cleanError(mentioning: word)))
        }
        cases.append(Case(name: "compare over a folder srlab did not write", arguments: ["compare", mine], expect: .cleanError(mentioning: "mine")))
        cases.append(Case(name: "compare --output .", arguments: ["compare", mine, "--output", "."], expect: .cleanError(mentioning: nil)))
        cases.append(Case(name: "compare --output ''", arguments: ["compare", mine, "--output", ""], expect: .cleanError(mentioning: nil)))
        cases.append(Case(name: "eval --json a folder", arguments: ["eval", "--method", "bicubic", "--images", "data/Tiny", "--scale", "2", "--json", "data"],
                          expect: .cleanError(mentioning: "data")))
        cases.append(Case(name: "eval --images a file", arguments: ["eval", "--method", "bicubic", "--images", "good.png", "--scale", "2"],
                          expect: .cleanError(mentioning: "good.png")))
        cases.append(Case(name: "eval on an unknown set", arguments: ["eval", "--method", "bicubic", "--dataset", "Nope", "--scale", "2"],
                          expect: .cleanError(mentioning: "Nope")))
        cases.append(Case(name: "merge with no shard", arguments: ["merge", "good.png"], expect: .cleanError(mentioning: "good.png")))
        cases.append(Case(name: "figure from a mutant model", arguments: ["figure", "filters", "--model", "model0.safetensors", "-o", "fig.png"], expect: .either))
        cases.append(Case(name: "scale 1", arguments: ["upscale", "good.png", "--scale", "1", "-o", "x.png"], expect: .cleanError(mentioning: nil)))
        cases.append(Case(name: "scale 99", arguments: ["upscale", "good.png", "--scale", "99", "-o", "x.png"], expect: .cleanError(mentioning: nil)))
        cases.append(Case(name: "upscale a good image", arguments: up("good.png", ["-o", "good-x3.png"]), expect: .success))
        cases.append(Case(name: "upscale a gray image", arguments: up("gray.png", ["-o", "gray-x3.png"]), expect: .success))
        return cases
    }

    @Test func noInputTrapsOrLeavesPartialOutput() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        #expect(FileManager.default.isExecutableFile(atPath: srlab.path), "build srlab first: \(srlab.path)")
        let cases = try makeCases()
        var counts: [String: Int] = [:]
        for c in cases {
            let (outcome, stderr) = try run(c.arguments)
            switch outcome {
            case .success: counts["succeeded", default: 0] += 1
            case .cleanError, .usageError: counts["clean errors", default: 0] += 1
            case .trap: counts["traps", default: 0] += 1
            case .timeout, .otherStatus: counts["other", default: 0] += 1
            }
            switch c.expect {
            case .success:
                #expect(outcome == .success, "\(c.name): \(outcome) \(stderr)")
            case .cleanError(let word):
                #expect(outcome == .cleanError || outcome == .usageError, "\(c.name): \(outcome) \(stderr)")
                if let word { #expect(stderr.contains(word), "\(c.name): the error should name '\(word)': \(stderr)") }
            case .either:
                #expect(outcome == .success || outcome == .cleanError, "\(c.name): \(outcome) \(stderr)")
            }
            #expect(leftovers().isEmpty, "\(c.name) left \(leftovers())")
        }
        #expect(try String(contentsOfFile: path("results/mine/photo.jpg"), encoding: .utf8) == "keep me")
        print("hostile inputs: \(cases.count) cases, \(counts["clean errors", default: 0]) clean errors, "
              + "\(counts["succeeded", default: 0]) succeeded, \(counts["traps", default: 0]) traps, \(counts["other", default: 0]) other")
        #expect(counts["traps", default: 0] == 0)
    }

    /// SIGTERM and SIGINT in the middle of a long upscale: a non-zero exit and no temporary file.
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalLeavesNoTemporaryFile(signal: Int32) throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try ImageIO.writePNG(photo(width: 900, height: 600, channels: 3), to: path("big.png"))
        let model = Self.repositoryRoot.appendingPathComponent("results/models/srcnn_x4_9-1-5.safetensors").path
        let (outcome, _) = try run(["upscale", "big.png", "--scale", "4", "--method", "srcnn", "--model", model, "-o", "big-x4.png"],
                                   signal: signal, signalAfter: 0.5)
        #expect(outcome != .success)
        #expect(!FileManager.default.fileExists(atPath: path("big-x4.png")))
        #expect(leftovers().isEmpty, "left \(leftovers())")
    }
}

/// A value shared with a pipe's reading handler.
final class UncheckedBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var value: T
    init(_ value: T) { self.value = value }
}
