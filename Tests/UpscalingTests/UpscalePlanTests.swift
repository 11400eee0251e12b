import Foundation
import Imaging
import Testing
@testable import Upscaling

@Suite struct UpscalePlanTests {
    let folder = scratchFolder("plan")
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @Test func outputsAreNamedByStemAsPNG() {
        #expect(UpscalePlan.outputName(forInput: "/x/photo.jpg") == "photo.png")
        #expect(UpscalePlan.outputName(forInput: "a.b.bmp") == "a.b.png")
        #expect(UpscalePlan.outputName(forInput: "noext") == "noext.png")
    }

    @Test func batchModeIsChosenByInputsAndOutput() {
        touch(folder.appendingPathComponent("in"), ["a.png"])
        #expect(!UpscalePlan.isBatch(inputs: [path("in/a.png")], output: path("out.png")))
        #expect(UpscalePlan.isBatch(inputs: [path("in/a.png"), path("in/b.png")], output: path("out")))
        #expect(UpscalePlan.isBatch(inputs: [path("in")], output: path("out")))
        #expect(UpscalePlan.isBatch(inputs: [path("in/a.png")], output: folder.path + "/out/"))
        #expect(UpscalePlan.isBatch(inputs: [path("in/a.png")], output: path("in")))
    }

    /// A folder gives its images, sorted; hidden files, other extensions and subfolders are skipped.
    @Test func foldersExpandToTheirImages() throws {
        let images = folder.appendingPathComponent("images")
        touch(images, ["b.PNG", "a.jpg", ".hidden.png", "notes.txt", "c.bmp"])
        try FileManager.default.createDirectory(at: images.appendingPathComponent("sub.png"), withIntermediateDirectories: true)
        let expanded = try UpscalePlan.expand([path("single.png"), images.path])
        #expect(expanded == [path("single.png")] + ["a.jpg", "b.PNG", "c.bmp"].map { images.appendingPathComponent($0).path })
        touch(folder.appendingPathComponent("empty"), ["readme.txt"])
        #expect(throws: ImageSetError.noImages(folder: path("empty"))) { try UpscalePlan.expand([path("empty")]) }
    }

    @Test func aBatchWritesStemsIntoTheFolder() throws {
        touch(folder, ["a.png", "b.jpg"])
        let jobs = try UpscalePlan.batch(inputs: [path("a.png"), path("b.jpg")], into: path("out"), overwrite: false)
        #expect(jobs == [UpscaleJob(input: path("a.png"), output: path("out/a.png")),
                         UpscaleJob(input: path("b.jpg"), output: path("out/b.png"))])
    }

    @Test func twoInputsWithOneStemAreRefused() {
        touch(folder, ["x.png"])
        touch(folder.appendingPathComponent("sub"), ["x.jpg"])
        #expect(throws: UpscalePlanError.sameOutput(inputs: [path("x.png"), path("sub/x.jpg")], output: path("out/x.png"))) {
            try UpscalePlan.batch(inputs: [path("x.png"), path("sub/x.jpg")], into: path("out"), overwrite: true)
        }
    }

    @Test func anOutputFolderThatIsAFileIsRefused() {
        touch(folder, ["a.png", "b.png", "out"])
        #expect(throws: UpscalePlanError.outputFolderIsFile(path("out"))) {
            try UpscalePlan.batch(inputs: [path("a.png"), path("b.png")], into: path("out"), overwrite: true)
        }
    }

    /// Never over an input: not in a batch into the inputs' own folder (even spelt another way),
    /// not for a single file.
    @Test func anInputIsNeverAnOutput() throws {
        touch(folder, ["a.png", "b.jpg"])
        touch(folder.appendingPathComponent("sub"), [])
        #expect(throws: UpscalePlanError.wouldOverwriteInput(input: path("a.png"), output: path("sub/../a.png"))) {
            try UpscalePlan.batch(inputs: [path("a.png"), path("b.jpg")], into: path("sub/.."), overwrite: true)
        }
        #expect(throws: UpscalePlanError.wouldOverwriteInput(input: path("a.png"), output: folder.path + "/./a.png")) {
            try UpscalePlan.single(input: path("a.png"), output: folder.path + "/./a.png")
        }
        try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: folder.path)
        #expect(throws: UpscalePlanError.self) { try UpscalePlan.single(input: path("a.png"), output: path("link/a.png")) }
        #expect(try UpscalePlan.single(input: path("a.png"), output: path("a-x3.png")).output == path("a-x3.png"))
    }

    @Test func existingOutputsAreKeptUnlessOverwriteIsGiven() throws {
        touch(folder, ["a.png", "b.png"])
        touch(folder.appendingPathComponent("out"), ["a.png"])
        #expect(throws: UpscalePlanError.outputsExist([path("out/a.png")])) {
            try UpscalePlan.batch(inputs: [path("a.png"), path("b.png")], into: path("out"), overwrite: false)
        }
        #expect(try UpscalePlan.batch(inputs: [path("a.png"), path("b.png")], into: path("out"), overwrite: true).count == 2)
    }
}

/// A resolver that reports progress in three steps and upscales by pixel replication.
struct SteppedResolver: SuperResolver {
    let scale: Int
    var name: String { "stepped" }
    func upscale(lowRes: Plane) -> Plane { upscale(lowRes: lowRes, progress: nil) }
    func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane {
        let counter = WorkCounter(total: 3, hook: progress)
        var out = Plane(width: lowRes.width * scale, height: lowRes.height * scale)
        for y in 0..<out.height { for x in 0..<out.width { out[x, y] = lowRes[x / scale, y / scale] } }
        for _ in 0..<3 { counter?.add(1) }
        return out
    }
}

@Suite struct UpscaleFileTests {
    let folder = scratchFolder("upscale")

    func writeImage(_ name: String, width: Int, height: Int) throws -> String {
        let bytes = (0..<(width * height * 3)).map { UInt8(($0 * 37) % 256) }
        let path = folder.appendingPathComponent(name).path
        try ImageIO.writePNG(Image8(width: width, height: height, channels: 3, bytes: bytes), to: path)
        return path
    }

    /// The message names the scale asked for and the protocol's minimum for it.
    @Test func aTooSmallImageIsRefusedAtItsScale() throws {
        let input = try writeImage("tiny.png", width: 3, height: 3)
        let output = folder.appendingPathComponent("out.png").path
        #expect(throws: ImageError.tooSmall(path: input, width: 3, height: 3, scale: 3)) {
            try Upscaling.upscaleFile(input: input, output: output, resolver: BicubicResolver(scale: 3))
        }
        #expect("\(ImageError.tooSmall(path: input, width: 3, height: 3, scale: 3))".hasSuffix(
            "3x3 is too small for scale 3 (needs at least 12 pixels per side)"))
        #expect(!FileManager.default.fileExists(atPath: output))
        // The smallest accepted image at ×3.
        let edge = try writeImage("edge.png", width: 12, height: 12)
        #expect(try Upscaling.upscaleFile(input: edge, output: output, resolver: BicubicResolver(scale: 3)).width == 36)
    }

    @Test func theResultIsWrittenAndTheResolversProgressPassedOn() throws {
        let input = try writeImage("a.png", width: 10, height: 8)
        let output = folder.appendingPathComponent("a-x2.png").path
        let seen = Recorder()
        let outcome = try Upscaling.upscaleFile(input: input, output: output, resolver: SteppedResolver(scale: 2),
                                                progress: { done, total in seen.written.append("\(done)/\(total)") })
        #expect(seen.written == ["1/3", "2/3", "3/3"])
        #expect(outcome.inputWidth == 10 && outcome.inputHeight == 8 && outcome.width == 20 && outcome.height == 16)
        let back = try ImageIO.read(output)
        #expect(back.width == 20 && back.height == 16 && back.channels == 3)
    }
}
