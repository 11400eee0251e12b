import Foundation
import Imaging

/// What one upscaled image became.
public struct UpscaleOutcome: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    public var width: Int, height: Int
    public var seconds: Double
}

public enum Upscaling {
    /// The smallest input side `upscale` accepts at `scale`: the protocol's minimum, so an image
    /// that can be upscaled can also be evaluated at that scale.
    public static func minimumSide(scale: Int) -> Int { ImageIO.minimumSide(scale: scale) }

    /// Reads `input`, upscales it by `scale` with `resolver` (Y by the method, chroma by bicubic)
    /// and writes the result to `output` atomically. Errors name the file.
    public static func upscaleFile(input: String, output: String, scale: Int, resolver: SuperResolver,
                                   progress: ProgressHook? = nil,
                                   clock: () -> Double = { ProgressReporter.monotonicSeconds() }) throws -> UpscaleOutcome {
        let started = clock()
        let image = try ImageIO.read(input)
        let side = minimumSide(scale: scale)
        guard image.width >= side, image.height >= side else {
            throw ImageError.tooSmall(path: input, width: image.width, height: image.height, scale: scale)
        }
        let result = SRProtocol.upscale(image, scale: scale, with: resolver, progress: progress)
        try write(result, to: output)
        return UpscaleOutcome(inputWidth: image.width, inputHeight: image.height,
                              width: result.width, height: result.height, seconds: clock() - started)
    }

    /// Writes an upscaled image in the format its output name asks for (PNG for now).
    static func write(_ image: Image8, to path: String) throws {
        try ImageIO.writePNG(image, to: path)
    }
}
