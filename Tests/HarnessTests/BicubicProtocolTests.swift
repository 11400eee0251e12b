import Foundation
import Testing
import Harness
import Imaging

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let dataRoot = TestData.datasetRoot(packageRoot: packageRoot)

/// The published bicubic baseline (SRCNN, TPAMI 2016, Tables 2 and 9; the same values appear in
/// A+ and ScSR comparisons): mean PSNR / SSIM per set and scale, and Set5's per-image PSNR.
/// These are the paper's printed numbers, the targets this code is checked against.
@Suite(.enabled(if: dataRoot != nil, "image sets not found: set SRLAB_DATA"))
struct BicubicProtocolTests {
    static let publishedMeans: [(set: String, scale: Int, psnr: Double, ssim: Double)] = [
        ("Set5", 2, 33.66, 0.9299), ("Set5", 3, 30.39, 0.8682), ("Set5", 4, 28.42, 0.8104),
        ("Set14", 2, 30.23, 0.8687), ("Set14", 3, 27.54, 0.7736), ("Set14", 4, 26.00, 0.7019),
    ]
    static let publishedSet5: [Int: [Double]] = [ // baby, bird, butterfly, head, woman
        2: [37.07, 36.81, 27.43, 34.86, 32.14],
        3: [33.91, 32.58, 24.04, 32.88, 28.56],
        4: [31.78, 30.18, 22.10, 31.59, 26.46],
    ]

    func evaluate(_ set: String, _ scale: Int) throws -> EvaluationReport {
        let images = try Evaluation.load(try DataRoot(option: dataRoot).dataset(set))
        return try Evaluation.run(BicubicResolver(scale: scale), images: images, dataset: set)
    }

    @Test(arguments: 0..<6)
    func meansMatchEveryPrintedDigit(_ index: Int) throws {
        let p = Self.publishedMeans[index]
        let report = try evaluate(p.set, p.scale)
        #expect(String(format: "%.2f", report.mean.psnr) == String(format: "%.2f", p.psnr), "\(p.set) x\(p.scale)")
        #expect(String(format: "%.4f", report.mean.ssim) == String(format: "%.4f", p.ssim), "\(p.set) x\(p.scale)")
    }

    @Test(arguments: [2, 3, 4])
    func set5PerImageWithinPrintedPrecision(_ scale: Int) throws {
        let report = try evaluate("Set5", scale)
        #expect(report.images.map(\.name) == ["baby_GT", "bird_GT", "butterfly_GT", "head_GT", "woman_GT"])
        for (r, published) in zip(report.images, Self.publishedSet5[scale]!) {
            #expect(abs(r.psnr - published) <= 0.01, "\(r.name) x\(scale): \(r.psnr) vs \(published)")
        }
    }

    @Test func butterflyWithTheV4HeaderDecodes() throws {
        let img = try ImageIO.read(dataRoot! + "/Set5/butterfly_GT.bmp")
        #expect(img.width == 256 && img.height == 256 && img.channels == 3)
    }

    @Test func bridgeIsOneChannelAndManIsConverted() throws {
        let bridge = try ImageIO.read(dataRoot! + "/Set14/bridge.bmp")
        #expect(bridge.channels == 1)
        let man = try ImageIO.read(dataRoot! + "/Set14/man.bmp")
        #expect(man.channels == 3)
        let y = Color.luma(man)
        #expect(y.values.allSatisfy { $0 >= 16 && $0 <= 235 })
    }
}
