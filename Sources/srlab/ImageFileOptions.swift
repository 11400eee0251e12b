import ArgumentParser
import Imaging

/// Options for reading a user's image and writing the result, shared by commands that do both.
struct ImageFileOptions: ParsableArguments {
    @Option(help: "JPEG quality for a .jpg/.jpeg output, 1 to 100.")
    var quality = ImageWriteOptions.defaultJPEGQuality
    @Option(help: "PNG compression level, 0 (fastest, largest) to 9 (slowest, smallest).")
    var pngLevel = ImageWriteOptions.defaultPNGLevel
    @Option(help: "Refuse an input image with more pixels than this (checked from its header, before decoding).")
    var maxPixels = ImageIO.defaultMaxPixels

    func validate() throws {
        guard ImageWriteOptions.jpegQualities.contains(quality) else {
            throw ValidationError("--quality must be from 1 to 100, got \(quality)")
        }
        guard ImageWriteOptions.pngLevels.contains(pngLevel) else {
            throw ValidationError("--png-level must be from 0 to 9, got \(pngLevel)")
        }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
    }

    var writeOptions: ImageWriteOptions { ImageWriteOptions(pngLevel: pngLevel, jpegQuality: quality) }
}
