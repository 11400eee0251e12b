import Foundation
import Imaging
import Testing
@testable import Training

/// LR sub-images for the LR-space networks: cut from `Resize.bicubic`'s LR, each beside the HR
/// block its pixels are the centres of.
@Suite struct LowResolutionSubImageTests {
    /// A linear ramp, modcropped away by one row and column, so the cut must modcrop first.
    static func ramp(width: Int, height: Int) -> Plane {
        Plane(width: width, height: height, values: (0..<(width * height)).map { i in
            0.2 + 0.004 * Double(i % width) + 0.003 * Double(i / width)
        })
    }

    @Test(arguments: [2, 3, 4])
    func subImagesAreCropsOfTheLowResolutionImageAndTheOriginal(scale: Int) {
        let plane = Self.ramp(width: 20 * scale + 1, height: 18 * scale + 1)
        let set = SubImageSet(lumaPlanes: [plane], scale: scale, lowResolutionSize: 6, stride: 4)
        let hr = plane.cropped(x: 0, y: 0, width: 20 * scale, height: 18 * scale)
        let lr = Resize.bicubic(hr, scale: 1 / Double(scale))
        // LR 20×18: columns 0, 4, 8, 12 and rows 0, 4, 8, 12 fit 6×6.
        #expect(set.count == 16 && set.inputSize == 6 && set.patchSize == 6 * scale)
        #expect(set.sources.map(\.x).prefix(4) == [0, 4 * scale, 8 * scale, 12 * scale])
        for k in [0, 5, 15] {
            let (_, x, y) = set.sources[k]
            #expect(x % scale == 0 && y % scale == 0)
            for r in 0..<6 { for c in 0..<6 {
                #expect(set.inputs[k * 36 + r * 6 + c] == Float(lr[x / scale + c, y / scale + r]))
            } }
            let p = 6 * scale
            for r in 0..<p { for c in 0..<p {
                #expect(set.originals[k * p * p + r * p + c] == Float(hr[x + c, y + r]))
            } }
        }
    }

    /// The geometry itself: on a ramp, MATLAB's bicubic reproduces the plane at the LR pixel's
    /// centre, which is the mean of its s×s HR block — under every flip and rotation too.
    @Test(arguments: [2, 3, 4])
    func eachLowResolutionPixelIsTheCentreOfItsBlock(scale: Int) {
        let plane = Self.ramp(width: 24 * scale, height: 24 * scale)
        let set = SubImageSet(lumaPlanes: [plane], scale: scale, lowResolutionSize: 8, stride: 8)
        let p = 8 * scale
        var input = [Float](repeating: 0, count: 64), label = [Float](repeating: 0, count: p * p)
        // Sub-image 4 is the middle one (LR 8...15), away from the image's mirrored border.
        #expect(set.sources[4].x == 8 * scale && set.sources[4].y == 8 * scale)
        for transform in 0..<8 {
            set.copy(4, transform: transform, labelSize: p, input: &input, label: &label)
            var worst = 0.0
            for r in 0..<8 { for c in 0..<8 {
                var mean = 0.0
                for dy in 0..<scale { for dx in 0..<scale { mean += Double(label[(r * scale + dy) * p + c * scale + dx]) } }
                worst = max(worst, abs(Double(input[r * 8 + c]) - mean / Double(scale * scale)))
            } }
            #expect(worst < 1e-6, "x\(scale), transform \(transform): \(worst)")
        }
    }

    @Test func theLabelIsTheCentreOfTheHighResolutionSubImage() {
        let plane = Self.ramp(width: 36, height: 36)
        let set = SubImageSet(lumaPlanes: [plane], scale: 3, lowResolutionSize: 11, stride: 5)
        var input = [Float](repeating: 0, count: 121), label = [Float](repeating: 0, count: 27 * 27)
        set.copy(0, labelSize: 27, input: &input, label: &label)
        #expect(label[0] == Float(plane[3, 3]) && label[27 * 27 - 1] == Float(plane[29, 29]))
        #expect(set.geometry == "LR sub-images 11x11 stride 5 with their HR 33x33, Y, bicubic x3 down")
        #expect(SubImageSet(lumaPlanes: [plane], scale: 3).geometry == "sub-images 33x33 stride 14, Y, bicubic x3 down-up")
    }
}
