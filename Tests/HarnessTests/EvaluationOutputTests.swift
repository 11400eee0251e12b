import Foundation
import Imaging
import Testing
@testable import Harness

/// What `eval` writes: finite numbers for flat images, one name per image, output paths checked
/// before the work.
@Suite struct EvaluationOutputTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evalout-\(UUID())")

    func writeImage(_ name: String, width: Int = 40, height: Int = 36, pixel: (Int, Int) -> UInt8) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var bytes: [UInt8] = []
        for y in 0..<height { for x in 0..<width { bytes += Array(repeating: pixel(x, y), count: 3) } }
        // PNG bytes whatever the extension: the decoder goes by content, and only the name matters here.
        try ImageIO.pngData(Image8(width: width, height: height, channels: 3, bytes: bytes))!.write(to: folder.appendingPathComponent(name))
    }

    // Issue 12, item 5: a flat image scored +∞ dB and `--json` failed after all the work.
    @Test func flatImagesGiveTheDocumentedFiniteValue() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("grey.png") { _, _ in 128 }
        try writeImage("dark.png") { _, _ in 20 }
        let source = try ImageSource(dataset: nil, dataRoot: nil, images: folder.path)
        let report = try Evaluation.run(BicubicResolver(scale: 2), images: try Evaluation.load(source.urls), dataset: source.name)
        #expect(report.images.map(\.psnr) == [Evaluation.psnrCap, Evaluation.psnrCap])
        #expect(report.mean.psnr == Evaluation.psnrCap)
        let table = Evaluation.table(report)
        #expect(table.contains("100.0000") && table.hasSuffix("\n" + Evaluation.psnrCapNote))
        #expect(table.split(separator: "\n").dropLast().allSatisfy { !$0.contains("inf") })
        let json = folder.appendingPathComponent("flat.json").path
        try Evaluation.writeJSON(report, to: json)
        let back = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(back.images.map(\.psnr) == [100, 100])
    }

    @Test func aRealImageIsNotCapped() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("wave.png") { x, y in UInt8(128 + 60 * sin(Double(x) / 3) * cos(Double(y) / 4)) }
        let report = try Evaluation.run(BicubicResolver(scale: 2), images: try Evaluation.load(try ImageFolder.list(folder.path)), dataset: "w")
        #expect(report.images[0].psnr < 60 && !Evaluation.table(report).contains(Evaluation.psnrCapNote))
    }

    // Issue 12, item 6: x.png and x.jpg both came out as "x".
    @Test func imagesWithTheSameStemGetDifferentNames() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("x.png") { x, _ in UInt8(x * 4) }
        try writeImage("x.jpg") { _, y in UInt8(y * 4) }
        try writeImage("y.png") { x, y in UInt8(x + y) }
        let loaded = try Evaluation.load(try ImageFolder.list(folder.path))
        #expect(loaded.map(\.name) == ["x.jpg", "x.png", "y"])
        let report = try Evaluation.run(BicubicResolver(scale: 2), images: loaded, dataset: "xs")
        #expect(Set(report.images.map(\.name)).count == 3)
        let saved = try Evaluation.savedFileNames(loaded.map(\.name), folder: "out")
        #expect(Set(saved).count == saved.count && saved.contains("x.jpg.png") && saved.contains("x.png_rgb.png"))
        // A stem that equals another file's whole name is disambiguated too.
        let urls = ["x.png", "x.jpg", "x.png.bmp"].map { URL(fileURLWithPath: "/d/" + $0) }
        #expect(ImageFolder.names(urls) == ["x.png", "x.jpg", "x.png.bmp"])
        #expect(ImageFolder.names([URL(fileURLWithPath: "/d/baby_GT.bmp")]) == ["baby_GT"])
        // Names whose saved files would overwrite one another are refused before any work.
        #expect(throws: HarnessError.self) { try Evaluation.savedFileNames(["a", "a_rgb"], folder: "out") }
    }

    // Issue 12, item 4: `eval --json DIR` was refused only after the whole evaluation.
    @Test func outputFilesAreCheckedWithoutWriting() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func message(_ path: String) -> String {
            do { _ = try OutputPath.checkFile(path, option: "--json"); return "accepted" } catch { return "\(error)" }
        }
        #expect(message(folder.path).contains("is a folder"))
        #expect(message(folder.path + "/").contains("names a folder"))
        #expect(message("").contains("empty"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
        #expect(message(folder.path + "/file/r.json").contains("is a file"))
        #expect(message("/proc/srlab-test/r.json").contains("cannot write"))
        #expect(message(folder.path + "/new/sub/r.json") == "accepted")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/new"))
        // `--save` into a folder holding the user's pictures is refused.
        try Data("photo".utf8).write(to: folder.appendingPathComponent("photo.png"))
        #expect(throws: HarnessError.self) { _ = try ResultsFolder(folder.path, option: "--save") }
    }
}
