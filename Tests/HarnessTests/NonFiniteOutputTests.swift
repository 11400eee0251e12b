import Foundation
import Testing
@testable import Harness
import Imaging

/// A method whose output is not finite stops the evaluation with an error naming its model and
/// the image, before anything is scored or saved.
@Suite struct NonFiniteOutputTests {
    /// Bicubic with one NaN pixel, standing in for a model whose arithmetic overflows.
    struct OverflowingResolver: SuperResolver {
        var name: String { "overflowing" }
        var modelPath: String? { "models/overflow.safetensors" }
        var scale: Int { 2 }
        func upscale(lowRes: Plane) -> Plane {
            var out = BicubicResolver(scale: scale).upscale(lowRes: lowRes)
            out.values[out.values.count / 2] = .nan
            return out
        }
    }

    @Test func evaluationRefusesNonFiniteOutput() throws {
        let plane = Plane(width: 24, height: 24, values: (0..<576).map { Double(($0 * 37) % 256) })
        let images = [LoadedImage(name: "ramp", path: "ramp.png", image: Image8.gray(eightBit: plane))]
        var saved = 0
        do {
            _ = try Evaluation.run(OverflowingResolver(), images: images, dataset: "test",
                                   save: { _, _, _ in saved += 1 })
            Issue.record("non-finite output was scored")
        } catch let error as SuperResolverError {
            #expect(error.description.hasPrefix("models/overflow.safetensors (overflowing)"))
            #expect(error.description.contains("ramp") && error.description.contains("1 of 576"))
        }
        #expect(saved == 0)
        // The same images through plain bicubic pass the check.
        #expect(try Evaluation.run(BicubicResolver(scale: 2), images: images, dataset: "test").images.count == 1)
    }
}
