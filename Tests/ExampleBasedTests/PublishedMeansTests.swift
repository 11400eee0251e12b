import Foundation
import Testing
import Imaging
@testable import ExampleBased

/// Every method from the authors' data on Set5 and Set14 lands on the reference's set mean
/// (`reference/aplus/README.md`, "Reference vs published") to 2e-3 dB, and on the published value
/// to the printed digit where the README marks it [V] (read in a stored source).
/// All 26 cells take about a minute in a debug build (the module is optimised in debug too).
@Suite(.enabled(if: aplusRoot != nil && dataRoot != nil, "needs SRLAB_REFERENCE with aplus/ and SRLAB_DATA"))
struct PublishedMeansTests {
    struct Cell: Sendable, CustomTestStringConvertible {
        var method: ExampleBasedMethod, set: String, scale: Int
        /// The reference's mean (4 decimals) and the published value (2 decimals).
        var reference: Double, published: Double
        /// Published value read in a stored source ([V]); the others were recalled ([R]).
        var verified: Bool
        var testDescription: String { "\(method.displayName) \(set) x\(scale)" }
    }

    static let cells: [Cell] = [
        Cell(method: .zeyde, set: "Set5", scale: 2, reference: 35.7798, published: 35.78, verified: false),
        Cell(method: .gr, set: "Set5", scale: 2, reference: 35.1323, published: 35.13, verified: false),
        Cell(method: .anr, set: "Set5", scale: 2, reference: 35.8333, published: 35.83, verified: false),
        Cell(method: .neLLE, set: "Set5", scale: 2, reference: 35.7708, published: 35.77, verified: false),
        Cell(method: .aplus, set: "Set5", scale: 2, reference: 36.5429, published: 36.54, verified: true),
        Cell(method: .zeyde, set: "Set5", scale: 3, reference: 31.9013, published: 31.90, verified: false),
        Cell(method: .gr, set: "Set5", scale: 3, reference: 31.4121, published: 31.41, verified: false),
        Cell(method: .anr, set: "Set5", scale: 3, reference: 31.9159, published: 31.92, verified: true),
        Cell(method: .neLLE, set: "Set5", scale: 3, reference: 31.8350, published: 31.84, verified: true),
        Cell(method: .zeyde, set: "Set5", scale: 4, reference: 29.6881, published: 29.69, verified: false),
        Cell(method: .gr, set: "Set5", scale: 4, reference: 29.3360, published: 29.34, verified: false),
        Cell(method: .anr, set: "Set5", scale: 4, reference: 29.6852, published: 29.69, verified: false),
        Cell(method: .neLLE, set: "Set5", scale: 4, reference: 29.6077, published: 29.61, verified: false),
        Cell(method: .zeyde, set: "Set14", scale: 2, reference: 31.8040, published: 31.81, verified: false),
        Cell(method: .gr, set: "Set14", scale: 2, reference: 31.3575, published: 31.36, verified: false),
        Cell(method: .anr, set: "Set14", scale: 2, reference: 31.7945, published: 31.80, verified: false),
        Cell(method: .neLLE, set: "Set14", scale: 2, reference: 31.7550, published: 31.76, verified: false),
        Cell(method: .aplus, set: "Set14", scale: 2, reference: 32.2752, published: 32.28, verified: true),
        Cell(method: .zeyde, set: "Set14", scale: 3, reference: 28.6658, published: 28.67, verified: false),
        Cell(method: .gr, set: "Set14", scale: 3, reference: 28.3102, published: 28.31, verified: false),
        Cell(method: .anr, set: "Set14", scale: 3, reference: 28.6463, published: 28.65, verified: false),
        Cell(method: .neLLE, set: "Set14", scale: 3, reference: 28.5949, published: 28.60, verified: false),
        Cell(method: .zeyde, set: "Set14", scale: 4, reference: 26.8818, published: 26.88, verified: false),
        Cell(method: .gr, set: "Set14", scale: 4, reference: 26.5991, published: 26.60, verified: false),
        Cell(method: .anr, set: "Set14", scale: 4, reference: 26.8516, published: 26.85, verified: false),
        Cell(method: .neLLE, set: "Set14", scale: 4, reference: 26.8037, published: 26.81, verified: false),
    ]
    @Test(arguments: cells)
    func meanMatchesTheReference(_ cell: Cell) throws {
        let sr = try ExampleBasedSR(method: cell.method, configuration: configurationURL(scale: cell.scale),
                                    regressors: cell.method == .aplus ? aplusRegressorsURL : nil, scale: cell.scale)
        var psnrs: [Double] = []
        var seconds = 0.0
        for image in try preparedImages(cell.set, scale: cell.scale) {
            let start = Date()
            let output = sr.upscale(lowRes: image.lowRes)
            seconds += Date().timeIntervalSince(start)
            let score = SRProtocol.score(output, against: image).score
            psnrs.append(score.psnr)
            print("\(cell.testDescription) \(image.name): \(String(format: "%.4f", score.psnr))")
        }
        let mean = psnrs.reduce(0, +) / Double(psnrs.count)
        print(String(format: "%@: mean %.6f, reference %.4f (%+.6f dB), published %.2f%@, %.3f s/image",
                     cell.testDescription, mean, cell.reference, mean - cell.reference, cell.published,
                     cell.verified ? " [V]" : " [R]", seconds / Double(psnrs.count)))
        #expect(abs(mean - cell.reference) <= 2e-3, "mean \(mean) vs reference \(cell.reference)")
        if cell.verified {
            #expect((mean * 100).rounded() / 100 == cell.published, "mean \(mean) does not round to the published \(cell.published)")
        }
    }
}
