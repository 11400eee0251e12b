import Foundation
import Imaging
import Testing

/// `srlab upscale` as a user runs it: the binary built beside this test bundle, on small images.
@Suite struct UpscaleCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let srlab: URL = {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                         ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("srlab")
    }()
    let folder = scratchFolder("upscale-cli")

    struct Run {
        var status: Int32
        var stdout: String, stderr: String
    }

    func process(_ arguments: [String], models: String?) -> Process {
        let p = Process()
        p.executableURL = Self.srlab
        p.arguments = ["upscale"] + arguments
        p.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["SRLAB_MODELS"] = models
        p.environment = environment
        return p
    }

    func run(_ arguments: [String], models: String? = nil) throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: Self.srlab.path), "\(Self.srlab.path) not built")
        let p = process(arguments, models: models)
        let out = folder.appendingPathComponent(".stdout-\(UUID())"), err = folder.appendingPathComponent(".stderr-\(UUID())")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        p.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        return Run(status: p.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                   stderr: try String(contentsOf: err, encoding: .utf8))
    }

    @discardableResult
    func image(_ name: String, width: Int = 16, height: Int = 16) throws -> String {
        let bytes = (0..<(width * height * 3)).map { i -> UInt8 in
            let x = (i / 3) % width, y = (i / 3) / width
            return UInt8(128 + 100 * sin(Double(x) / 3 + Double(i % 3)) * cos(Double(y) / 4))
        }
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ImageIO.writePNG(Image8(width: width, height: height, channels: 3, bytes: bytes), to: url.path)
        return name
    }

    func contents(_ sub: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(sub).path)) ?? [])
    }

    /// Without --method the best shipped model for the scale is used (found in the repository
    /// the binary was built in), and the output line names it.
    @Test func theBestShippedModelIsTheDefault() throws {
        try image("a.png")
        let r = try run(["a.png", "--scale", "2", "-o", "a-x2.png"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("a.png → a-x2.png: 16x16 → 32x32, fsrcnn ("), "\(r.stdout)")
        #expect(r.stdout.contains(Self.repository.appendingPathComponent("results/models/fsrcnn_x2.safetensors").path + ") ×2, "))
        #expect(try ImageIO.read(folder.appendingPathComponent("a-x2.png").path).width == 32)
    }

    @Test func withoutAShippedModelForTheScaleBicubicIsUsedAndSaid() throws {
        try image("a.png", width: 20, height: 20)
        let r = try run(["a.png", "--scale", "5", "-o", "a-x5.png"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("no shipped model for ×5"), "\(r.stderr)")
        #expect(r.stdout.contains(": 20x20 → 100x100, bicubic ×5, "), "\(r.stdout)")
    }

    /// --method alone takes that method's best model, from $SRLAB_MODELS first.
    @Test func aMethodWithoutModelTakesTheShippedOne() throws {
        try image("a.png", width: 24, height: 24)
        let models = folder.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("results/models/srcnn_x3_9-1-5.safetensors"),
                                         to: models.appendingPathComponent("srcnn_x3_9-1-5.safetensors"))
        let r = try run(["a.png", "--scale", "3", "--method", "srcnn", "-o", "out.png"], models: models.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("srcnn 9-1-5 (\(models.path)/srcnn_x3_9-1-5.safetensors) ×3"), "\(r.stdout)")
        let missing = try run(["a.png", "--scale", "3", "-o", "out.png"], models: folder.appendingPathComponent("nowhere").path)
        #expect(missing.status != 0 && missing.stderr.contains("SRLAB_MODELS=") && missing.stderr.contains("no such folder"))
    }

    @Test func aTooSmallImageNamesTheScaleAskedFor() throws {
        try image("tiny.png", width: 3, height: 3)
        let r = try run(["tiny.png", "--scale", "3", "--method", "bicubic", "-o", "out.png"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("tiny.png: 3x3 is too small for scale 3 (needs at least 12 pixels per side)"), "\(r.stderr)")
        #expect(!contents("").contains("out.png"))
    }

    /// Files and a folder into an output folder: a line per image, a broken image reported and
    /// skipped, the others written, exit status 1.
    @Test func aBatchGoesOnPastAFailureAndSaysWhichFailed() throws {
        try image("a.png")
        try image("set/c.png")
        try image("set/d.png", width: 20, height: 18)
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("set/broken.png"))
        let r = try run(["a.png", "set", "--scale", "2", "--method", "bicubic", "-o", "out"])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(r.stdout)")
        #expect(lines.first?.hasPrefix("a.png → out/a.png: 16x16 → 32x32, bicubic ×2, ") == true)
        #expect(lines.contains { $0.hasPrefix("set/d.png → out/d.png: 20x18 → 40x36, bicubic ×2, ") })
        #expect(r.stderr.contains("set/broken.png: not a readable image"), "\(r.stderr)")
        #expect(r.stderr.contains("1 of 4 images failed: set/broken.png"), "\(r.stderr)")
        #expect(contents("out") == ["a.png", "c.png", "d.png"])
    }

    @Test func aBatchIsCheckedBeforeAnyWork() throws {
        try image("x.png")
        try image("sub/x.png")
        let clash = try run(["x.png", "sub/x.png", "--scale", "2", "--method", "bicubic", "-o", "out/"])
        #expect(clash.status != 0 && clash.stderr.contains("would all be written to out/x.png"), "\(clash.stderr)")
        #expect(!contents("").contains("out"))
        FileManager.default.createFile(atPath: folder.appendingPathComponent("file").path, contents: Data())
        let onFile = try run(["x.png", "sub/x.png", "--scale", "2", "--method", "bicubic", "-o", "file"])
        #expect(onFile.status != 0 && onFile.stderr.contains("file: is a file, not a folder"), "\(onFile.stderr)")
        let onInput = try run(["x.png", "--scale", "2", "--method", "bicubic", "-o", "./x.png"])
        #expect(onInput.status != 0 && onInput.stderr.contains("is the input x.png"), "\(onInput.stderr)")
        #expect(try ImageIO.read(folder.appendingPathComponent("x.png").path).width == 16)
    }

    /// SIGTERM during a long image of a batch: the process dies of it, the finished image is kept,
    /// and no temporary or partial output is left. Progress, asked for with --progress, shows
    /// when the long image is under way.
    @Test func aTerminatedBatchLeavesNoTemporaries() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.srlab.path), "\(Self.srlab.path) not built")
        try image("a.png")
        try image("b.png", width: 300, height: 300)
        let model = Self.repository.appendingPathComponent("results/models/sc_x2.safetensors").path
        let p = process(["a.png", "b.png", "--scale", "2", "--method", "sc", "--model", model, "-o", "out", "--progress"], models: nil)
        let stderr = Pipe()
        p.standardError = stderr
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var seen = ""
        while !(seen.contains("[2/2] b.png: ") && seen.contains("%")) {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break } // srlab ended without showing progress
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(seen.contains("[2/2] b.png: "), "stderr: \(seen)")
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM)
        #expect(contents("out") == ["a.png"])
    }
}
