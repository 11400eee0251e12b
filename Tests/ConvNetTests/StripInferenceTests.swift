import Foundation
import Imaging
import Testing
@testable import ConvNet

/// SRCNN run in strips (`StripUpscale`, what `srlab upscale` does on large photos) gives the
/// whole image's pixels: the strips overlap by the network's context radius.
@Suite struct StripInferenceTests {
    @Test(arguments: [SRCNNArchitecture.srcnn915, .srcnn955])
    func srcnnStripsEqualTheWholeImage(architecture: SRCNNArchitecture) throws {
        var bytes: [UInt8] = []
        for y in 0..<70 { for x in 0..<41 { for c in 0..<3 {
            let wave: Double = sin(Double(x * (c + 2)) / 3.1) * cos(Double(y * (c + 1)) / 2.2)
            bytes.append(Quantize.uint8(120 + 100 * wave))
        } } }
        let image = Image8(width: 41, height: 70, channels: 3, bytes: bytes)
        let network = SRCNN(architecture: architecture, heInitialisationSeed: 7).resolver(scale: 3)
        let whole = try StripUpscale.upscale(image, with: network, coreRows: 70)
        let strips = try StripUpscale.upscale(image, with: network, coreRows: 9)
        let differing = zip(whole.bytes, strips.bytes).filter { $0 != $1 }.count
        let largest = zip(whole.bytes, strips.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 0
        // Float32 sums over tiles placed differently may round a level apart, never more.
        #expect(largest <= 1, "largest difference \(largest) levels")
        #expect(differing * 1000 <= whole.bytes.count, "\(differing) of \(whole.bytes.count) bytes differ")
    }
}
