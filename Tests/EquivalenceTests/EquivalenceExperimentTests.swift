import Foundation
import Imaging
import Testing
import _TestSupport
@testable import Equivalence

/// `srlab equivalence`'s experiment as a library: the per-image comparison and the report.
@Suite struct EquivalenceExperimentTests {
    static func images() -> [LoadedImage] {
        (0..<2).map { i in
            let plane = syntheticImage(width: 36, height: 30, seed: UInt64(i + 1))
            return LoadedImage(name: "img\(i)", path: "img\(i).png", image: Image8.gray(eightBit: plane))
        }
    }

    @Test func theReportAgreesWithTheCheckImageByImage() throws {
        let dictionary = randomDictionary(atoms: 6, seed: 4)
        var lines: [String] = []
        let report = try EquivalenceExperiment(iterations: 4).run(dictionary: dictionary, images: Self.images(), model: "d.safetensors",
                                                                  dataset: "synthetic", command: "srlab equivalence") { lines.append($0) }
        #expect(report.scale == 3 && report.images.map(\.name) == ["img0", "img1"])
        #expect(lines.count == 1 + 2 && lines[1].hasPrefix("[1/2] img0"))
        for (row, image) in zip(report.images, Self.images()) {
            let prepared = try PreparedImage(image: image.image, name: image.name, scale: 3, path: image.path)
            let check = EquivalenceCheck.run(dictionary: dictionary, lowRes: prepared.lowRes, scale: 3, iterations: 4,
                                             groundTruth: prepared.groundTruth)
            #expect(row.max_abs_diff == check.maxAbsDiff && row.psnr_network == check.psnrNetwork)
            #expect(row.psnr_exact == nil)
        }
        #expect(report.max_abs_diff == report.images.map(\.max_abs_diff).max())
        #expect(report.max_abs_diff < 1e-9) // the equivalence, in double
        #expect(report.summary.count == 2 && report.summary[0].hasPrefix("synthetic x3, K = 4 ISTA iterations"))
    }

    @Test func cropsAndTheExactLassoAreReported() throws {
        let report = try EquivalenceExperiment(iterations: 2, exact: .homotopy, crop: 24)
            .run(dictionary: randomDictionary(atoms: 6, seed: 4), images: Self.images(), model: "d", dataset: "s", command: "c")
        #expect(report.images.allSatisfy { $0.width == 24 && $0.height == 24 })
        #expect(report.images.allSatisfy { $0.psnr_exact != nil && $0.max_abs_diff_vs_exact != nil })
        #expect(report.mean_psnr_exact != nil && report.summary.count == 3 && report.summary[0].contains("(24×24 centre crops)"))
    }
}
