/// The evaluation protocol of the SR literature, as the SRCNN and ScSR MATLAB code run it:
/// Y of `rgb2ycbcr` (8-bit) → modcrop to a multiple of s → LR = `imresize(Y/255, 1/s, 'bicubic')`,
/// kept in double → method → `uint8(out·255)` → PSNR / SSIM on Y with s pixels shaved.
public struct PreparedImage: Sendable {
    public let name: String
    public let scale: Int
    /// Ground-truth Y, modcropped, 8-bit values.
    public let groundTruth: Plane
    /// The method's input: Y/255 shrunk by 1/s, not rounded.
    public let lowRes: Plane
    /// Chroma made the same way, for the colour result (nil for a gray file).
    public let lowResChroma: (cb: Plane, cr: Plane)?

    public init(image: Image8, name: String, scale: Int, path: String) throws {
        let side = ImageIO.minimumSide(scale: scale)
        guard image.width >= side, image.height >= side else {
            throw ImageError.tooSmall(path: path, width: image.width, height: image.height, scale: scale)
        }
        let cropped = image.modcropped(scale)
        let (y, cb, cr) = Color.ycbcr(cropped)
        let shrink = { (p: Plane) in Resize.bicubic(p.map { $0 / 255 }, scale: 1 / Double(scale)) }
        self.name = name
        self.scale = scale
        self.groundTruth = y
        self.lowRes = shrink(y)
        self.lowResChroma = cropped.colourChannels == 3 ? (shrink(cb), shrink(cr)) : nil
    }
}

public struct Score: Sendable, Codable, Equatable {
    public var psnr: Double
    public var ssim: Double
}

public enum SRProtocol {
    /// The scale factors SRLab evaluates, trains and upscales at. Above 8 the LR of a small test
    /// image keeps too few pixels for the bicubic kernel and the shave; 1 is no super-resolution.
    public static let scales: ClosedRange<Int> = 2...8

    /// `scales` in words, for messages: "a whole number from 2 to 8".
    public static var scalesInWords: String { "a whole number from \(scales.lowerBound) to \(scales.upperBound)" }

    /// Rounds the method's output to 8 bits and scores it against the ground truth.
    public static func score(_ output: Plane, against image: PreparedImage) -> (score: Score, output8: Plane) {
        precondition(output.width == image.groundTruth.width && output.height == image.groundTruth.height,
                     "method returned \(output.width)x\(output.height), expected \(image.groundTruth.width)x\(image.groundTruth.height)")
        let out8 = Quantize.to8Bit(output)
        return (Score(psnr: Metrics.psnr(out8, image.groundTruth, shave: image.scale),
                      ssim: Metrics.ssim(out8, image.groundTruth, shave: image.scale)), out8)
    }

    /// The colour result: super-resolved Y with chroma upscaled by the same bicubic, through
    /// `ycbcr2rgb`. A gray input gives a gray output.
    public static func colour(_ output: Plane, for image: PreparedImage) -> Image8 {
        guard let chroma = image.lowResChroma else { return Image8.gray(unitScale: output) }
        let up = { (p: Plane) in Resize.bicubic(p, width: output.width, height: output.height) }
        return Color.rgb(y: output, cb: up(chroma.cb), cr: up(chroma.cr))
    }

    /// A user's own LR image made `method.scale` times larger: Y by the method (checked finite), chroma and alpha by
    /// bicubic, in strips so that memory stays near the output's size (`StripUpscale`).
    public static func upscale(_ image: Image8, with method: SuperResolver,
                               progress: ProgressHook? = nil) throws -> Image8 {
        try StripUpscale.upscale(image, with: method, progress: progress)
    }
}
