import Foundation
import Testing
import Imaging
@testable import ConvNet

/// The authors' filters under the SRCNN test protocol must give the published Set5 ×3 numbers
/// (oracle values from the reference's SRCNN_SAFETENSORS.md, a MATLAB-protocol Python run).
@Suite struct SRCNNReproductionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String, dataset: String, meanPSNR: Double, meanSSIM: Double
        var testDescription: String { "\(file) on \(dataset)" }
    }
    static let cases = [
        Case(file: "srcnn_x3_9-1-5.safetensors", dataset: "Set5", meanPSNR: 32.3897, meanSSIM: 0.9033),
        Case(file: "srcnn_x3_9-5-5.safetensors", dataset: "Set5", meanPSNR: 32.7488, meanSSIM: 0.9090),
    ]

    @Test(.enabled(if: dataRoot != nil && referenceRoot != nil, "needs SRLAB_DATA and SRLAB_REFERENCE (or ../shared)"),
          arguments: cases)
    func authorsFiltersReproducePublishedPSNR(_ c: Case) throws {
        let model = try SRCNN(contentsOf: referenceRoot!.appendingPathComponent(c.file).path, scale: 3).resolver(scale: 3)
        let folder = dataRoot!.appendingPathComponent(c.dataset)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bmp") }.sorted()
        #expect(files.count == 5)
        var psnrs: [Double] = [], ssims: [Double] = []
        for name in files {
            let path = folder.appendingPathComponent(name).path
            let image = try PreparedImage(image: try ImageIO.read(path), name: name, scale: 3, path: path)
            let (score, _) = SRProtocol.score(model.upscale(lowRes: image.lowRes), against: image)
            print("\(c.file) \(name): PSNR \(String(format: "%.4f", score.psnr)) SSIM \(String(format: "%.4f", score.ssim))")
            psnrs.append(score.psnr)
            ssims.append(score.ssim)
        }
        let meanPSNR = psnrs.reduce(0, +) / Double(psnrs.count)
        let meanSSIM = ssims.reduce(0, +) / Double(ssims.count)
        print("\(c.file) mean: PSNR \(String(format: "%.4f", meanPSNR)) SSIM \(String(format: "%.4f", meanSSIM))")
        #expect(abs(meanPSNR - c.meanPSNR) < 0.01)
        #expect(abs(meanSSIM - c.meanSSIM) < 0.0005)
    }
}
