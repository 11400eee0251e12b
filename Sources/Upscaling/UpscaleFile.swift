import Foundation
import Imaging

/// What one upscaled image became.
public struct UpscaleOutcome: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    public var width: Int, height: Int
    /// The whole job, and the part of it spent encoding and writing the output file.
    public var seconds: Double
    public var writeSeconds: Double
    /// The input had alpha and the output format cannot keep it.
    public var droppedAlpha: Bool
}

public enum Upscaling {
    /// The smallest input side `upscale` accepts at `scale`: the protocol's minimum, so an image
    /// that can be upscaled can also be evaluated at that scale.
    public static func minimumSide(scale: Int) -> Int { ImageIO.minimumSide(scale: scale) }

    /// Reads `input`, upscales it by the resolver's scale (Y by the method, chroma by bicubic)
    /// and writes the result to `output` atomically. Errors name the file.
    public static func upscaleFile(input: String, output: String, resolver: SuperResolver,
                                   maxPixels: Int = ImageIO.defaultMaxPixels, options: ImageWriteOptions = .init(),
                                   progress: ProgressHook? = nil,
                                   clock: () -> Double = { ProgressReporter.monotonicSeconds() }) throws -> UpscaleOutcome {
        let started = clock()
        let format = try ImageFormat(outputPath: output)
        let image = try ImageIO.read(input, maxPixels: maxPixels)
        let scale = resolver.scale
        let side = minimumSide(scale: scale)
        guard image.width >= side, image.height >= side else {
            throw ImageError.tooSmall(path: input, width: image.width, height: image.height, scale: scale)
        }
        let result = try SRProtocol.upscale(image, with: resolver, progress: progress)
        let writing = clock()
        try ImageIO.write(result, to: output, options: options)
        let finished = clock()
        return UpscaleOutcome(inputWidth: image.width, inputHeight: image.height, width: result.width, height: result.height,
                              seconds: finished - started, writeSeconds: finished - writing,
                              droppedAlpha: image.hasAlpha && !format.keepsAlpha)
    }
}
