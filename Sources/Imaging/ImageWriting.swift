import AtomicIO
import CSTBImage
import Foundation

/// The formats srlab writes, named by the output file's extension.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, bmp

    /// The format `path`'s extension names (case-insensitive). Callers check this before any
    /// work, so a wrong extension is refused at once instead of after the run.
    public init(outputPath path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        case "bmp": self = .bmp
        default: throw ImageError.unknownOutputFormat(path: path)
        }
    }

    /// JPEG has no alpha channel; PNG and BMP (32-bit) keep it.
    public var keepsAlpha: Bool { self != .jpeg }
}

/// Encoder settings. The defaults favour speed: srlab's outputs are large and written once.
public struct ImageWriteOptions: Sendable, Equatable {
    /// zlib level for PNG, 0 (stored) … 9 (smallest).
    public var pngLevel: Int
    /// JPEG quality, 1 … 100.
    public var jpegQuality: Int

    public static let pngLevels = 0...9
    public static let jpegQualities = 1...100
    /// Level 1 (with PNGEncoder's Up filter) wrote a 96-megapixel upscaled photo in 2.5 s of CPU
    /// against stb_image_write's 16.7 s, and 17% smaller; libpng's own defaults (level 6, every
    /// filter tried per row) took 8× as long for a file 20% smaller.
    public static let defaultPNGLevel = 1
    public static let defaultJPEGQuality = 95

    public init(pngLevel: Int = defaultPNGLevel, jpegQuality: Int = defaultJPEGQuality) {
        self.pngLevel = pngLevel
        self.jpegQuality = jpegQuality
    }
}

extension ImageIO {
    /// Writes `image` atomically in the format `path`'s extension names (PNG, JPEG or BMP).
    /// JPEG drops alpha (it has none); a gray JPEG or BMP is stored as RGB with equal channels,
    /// as stb_image_write writes them.
    public static func write(_ image: Image8, to path: String, options: ImageWriteOptions = .init()) throws {
        let format = try ImageFormat(outputPath: path)
        guard format == .png else {
            try writeAtomically(try encode(image, as: format, options: options, path: path), to: path)
            return
        }
        // PNG goes straight into the temporary file, so the encoded file is never held in memory
        // beside the image (115 MB for a 12000×8000 photo).
        guard ImageWriteOptions.pngLevels.contains(options.pngLevel) else {
            throw ImageError.unwritable(path: path, reason: "PNG level \(options.pngLevel) is outside \(ImageWriteOptions.pngLevels)")
        }
        let rowBytes = image.width * image.channels
        do {
            try AtomicFile.write(to: path) { file in
                try image.bytes.withUnsafeBufferPointer { pixels in
                    try PNGEncoder.encode(width: image.width, height: image.height, channels: image.channels, level: options.pngLevel,
                                          row: { pixels.baseAddress! + $0 * rowBytes },
                                          write: { fwrite($0.baseAddress, 1, $0.count, file) == $0.count })
                }
            }
        } catch let e as AtomicWriteError {
            throw ImageError.unwritable(path: path, reason: e.reason)
        } catch let e as PNGEncoderError {
            throw ImageError.unwritable(path: path, reason: "PNG encoder: \(e.message)")
        }
    }

    /// Writes a PNG atomically, whatever the extension (for callers that name their own files).
    public static func writePNG(_ image: Image8, to path: String, level: Int = ImageWriteOptions.defaultPNGLevel) throws {
        try writeAtomically(try encode(image, as: .png, options: ImageWriteOptions(pngLevel: level), path: path), to: path)
    }

    private static func writeAtomically(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: path) } catch let e as AtomicWriteError {
            throw ImageError.unwritable(path: path, reason: e.reason)
        }
    }

    /// Encodes a PNG in memory; nil only if the encoder fails.
    public static func pngData(_ image: Image8, level: Int = ImageWriteOptions.defaultPNGLevel) -> Data? {
        try? encode(image, as: .png, options: ImageWriteOptions(pngLevel: level))
    }

    /// The file's bytes in `format`. `path` only names the file in errors.
    public static func encode(_ image: Image8, as format: ImageFormat, options: ImageWriteOptions = .init(),
                              path: String = "<memory>") throws -> Data {
        switch format {
        case .png:
            guard ImageWriteOptions.pngLevels.contains(options.pngLevel) else {
                throw ImageError.unwritable(path: path, reason: "PNG level \(options.pngLevel) is outside \(ImageWriteOptions.pngLevels)")
            }
            do { return try PNGEncoder.encode(image, level: options.pngLevel) } catch let e as PNGEncoderError {
                throw ImageError.unwritable(path: path, reason: "PNG encoder: \(e.message)")
            }
        case .jpeg:
            guard ImageWriteOptions.jpegQualities.contains(options.jpegQuality) else {
                throw ImageError.unwritable(path: path, reason: "JPEG quality \(options.jpegQuality) is outside \(ImageWriteOptions.jpegQualities)")
            }
            // The JPEG header has 16-bit sizes; stb would write a corrupt file past them.
            guard image.width <= 65535, image.height <= 65535 else {
                throw ImageError.unwritable(path: path, reason: "JPEG holds at most 65535 pixels per side, the image is \(image.width)x\(image.height)")
            }
            return try stbEncode(image, path: path, what: "JPEG") { context, pixels in
                stbi_write_jpg_to_func(appendToSTBSink, context, Int32(image.width), Int32(image.height), Int32(image.channels),
                                       pixels, Int32(options.jpegQuality))
            }
        case .bmp:
            // stb writes 32-bit BMP (with alpha) only from 4 channels: gray+alpha goes as RGBA.
            // stb computes the file size in a C int: keep it (and BMP's 32-bit size field) in range.
            let rowBytes = image.channels == 1 || image.channels == 3 ? (3 * image.width + 3) / 4 * 4 : 4 * image.width
            guard 122 + rowBytes * image.height <= Int(Int32.max) else {
                throw ImageError.unwritable(path: path, reason: "a \(image.width)x\(image.height) image is too large for BMP (over 2 GB)")
            }
            let source = image.channels == 2 ? image.expandingGrayToRGB() : image
            return try stbEncode(source, path: path, what: "BMP") { context, pixels in
                stbi_write_bmp_to_func(appendToSTBSink, context, Int32(source.width), Int32(source.height), Int32(source.channels), pixels)
            }
        }
    }

    /// Runs one of stb_image_write's `*_to_func` encoders into memory.
    private static func stbEncode(_ image: Image8, path: String, what: String,
                                  _ body: (UnsafeMutableRawPointer, UnsafeRawPointer) -> Int32) throws -> Data {
        let sink = STBSink()
        let ok = image.bytes.withUnsafeBytes { pixels in
            body(Unmanaged.passUnretained(sink).toOpaque(), pixels.baseAddress!)
        }
        withExtendedLifetime(sink) {}
        guard ok != 0 else { throw ImageError.unwritable(path: path, reason: "\(what) encoder failed") }
        return sink.data
    }
}

private final class STBSink { var data = Data() }

/// stb_image_write's output callback: appends to the `STBSink` passed as its context.
private func appendToSTBSink(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafeMutableRawPointer?, _ size: Int32) {
    let sink = Unmanaged<STBSink>.fromOpaque(context!).takeUnretainedValue()
    sink.data.append(bytes!.assumingMemoryBound(to: UInt8.self), count: Int(size))
}

extension Image8 {
    /// Gray (and alpha) repeated into R, G and B, alpha kept.
    func expandingGrayToRGB() -> Image8 {
        precondition(colourChannels == 1)
        let out = channels + 2
        var expanded = [UInt8](repeating: 0, count: width * height * out)
        for i in 0..<(width * height) {
            let g = bytes[i * channels]
            expanded[i * out] = g; expanded[i * out + 1] = g; expanded[i * out + 2] = g
            if hasAlpha { expanded[i * out + 3] = bytes[i * channels + 1] }
        }
        return Image8(width: width, height: height, channels: out, bytes: expanded)
    }
}
