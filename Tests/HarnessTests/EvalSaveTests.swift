import Foundation
import Imaging
import Testing
@testable import Harness

/// `eval --save` writes the scored Y as `<stem>.png`: read back, it must give the PSNR `eval`
/// reported. (It was written divided by 255, so every file held only 0 and 1.)
@Suite struct EvalSaveTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evalsave-\(UUID())")

    /// Runs bicubic with the `eval --save` saver, then recomputes every PSNR from the saved files.
    /// The saved Y is the scored 8-bit plane, losslessly, so the PSNR is recomputed exactly.
    func checkSavedY(_ images: [LoadedImage], scale: Int) throws {
        let out = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let report = try Evaluation.run(BicubicResolver(scale: scale), images: images, dataset: "t",
                                        save: Evaluation.saver(folder: out.path))
        for (loaded, result) in zip(images, report.images) {
            let prepared = try PreparedImage(image: loaded.image, name: loaded.name, scale: scale, path: loaded.path)
            let saved = try ImageIO.read(out.appendingPathComponent(loaded.name + ".png").path)
            #expect(saved.channels == 1)
            let y = saved.channel(0)
            #expect(y.values.max()! > 100, "\(loaded.name): the saved Y is dark")
            #expect(Metrics.psnr(y, prepared.groundTruth, shave: scale) == result.psnr, "\(loaded.name)")
            #expect(Metrics.ssim(y, prepared.groundTruth, shave: scale) == result.ssim, "\(loaded.name)")
            let colour = try ImageIO.read(out.appendingPathComponent(loaded.name + "_rgb.png").path)
            if loaded.image.colourChannels == 1 { #expect(colour == saved) } // a gray input's colour result is its Y
            else { #expect(colour.channels == 3 && colour.bytes.max()! > 100) }
        }
    }

    @Test func savedYGivesTheReportedPSNR() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        var gray: [UInt8] = [], rgb: [UInt8] = []
        for y in 0..<30 { for x in 0..<36 {
            let v = 128 + 90 * sin(Double(x) / 3) * cos(Double(y) / 4)
            gray.append(UInt8(v))
            rgb += [UInt8(v), UInt8(255 - v), UInt8(v / 2)]
        } }
        let images = [
            LoadedImage(name: "gray", path: "gray.png", image: Image8(width: 36, height: 30, channels: 1, bytes: gray)),
            LoadedImage(name: "colour", path: "colour.png", image: Image8(width: 36, height: 30, channels: 3, bytes: rgb)),
        ]
        try checkSavedY(images, scale: 3)
    }

    @Test(.enabled(if: dataRoot != nil, "image sets not found: set SRLAB_DATA"))
    func savedYOfSet14BridgeGivesTheReportedPSNR() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let bridge = try Evaluation.load([URL(fileURLWithPath: dataRoot! + "/Set14/bridge.bmp")])
        #expect(bridge[0].image.channels == 1)
        try checkSavedY(bridge, scale: 3)
    }
}
