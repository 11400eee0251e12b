import AtomicIO
import CSTBImage
import Foundation

public enum ImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case undecodable(path: String, reason: String)
    case tooSmall(path: String, width: Int, height: Int, scale: Int)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .undecodable(let path, let reason): return "\(path): not a readable image: \(reason)"
        case .tooSmall(let path, let w, let h, let s):
            return "\(path): \(w)x\(h) is too small for scale \(s) (needs at least \(ImageIO.minimumSide(scale: s)) pixels per side)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// Decoding and encoding through stb_image / stb_image_write (Debian's libstb): BMP, PNG, JPEG
/// and the other formats stb reads; PNG out.
public enum ImageIO {
    public static let extensions: Set<String> = ["bmp", "png", "jpg", "jpeg"]

    /// The smallest side the protocol accepts at `scale`: the LR image must keep a few pixels
    /// for the bicubic kernel and for the `scale`-pixel shave to leave something to score.
    public static func minimumSide(scale: Int) -> Int { 4 * scale }

    public static func read(_ path: String) throws -> Image8 {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw ImageError.unreadable(path: path, reason: !exists ? "no such file" : isDir.boolValue ? "is a folder" : "permission denied")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> Image8 {
        let bytes = [UInt8](data)
        let bmp = try BMPHeader(bytes, path: path)
        var w: Int32 = 0, h: Int32 = 0, n: Int32 = 0
        let pixels = bytes.withUnsafeBufferPointer {
            stbi_load_from_memory($0.baseAddress, Int32($0.count), &w, &h, &n, 0)
        }
        guard let pixels else {
            let reason = stbi_failure_reason().map { String(cString: $0) } ?? "unknown format"
            throw ImageError.undecodable(path: path, reason: reason)
        }
        defer { stbi_image_free(pixels) }
        let count = Int(w) * Int(h)
        let stored = Int(n)
        // stb expands a palette to RGB; MATLAB reads an 8-bit gray-palette BMP as one channel.
        let gray = stored <= 2 || (bmp?.hasGrayPalette ?? false)
        let channels = gray ? 1 : 3
        var out = [UInt8](repeating: 0, count: count * channels)
        for i in 0..<count {
            for c in 0..<channels { out[i * channels + c] = pixels[i * stored + c] }
        }
        return Image8(width: Int(w), height: Int(h), channels: channels, bytes: out)
    }

    /// Encodes a PNG (1 or 3 channels) in memory.
    public static func pngData(_ image: Image8) -> Data? {
        final class Sink { var data = Data() }
        let sink = Sink()
        let ok = image.bytes.withUnsafeBufferPointer { px in
            stbi_write_png_to_func({ context, bytes, size in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                sink.data.append(bytes!.assumingMemoryBound(to: UInt8.self), count: Int(size))
            }, Unmanaged.passUnretained(sink).toOpaque(), Int32(image.width), Int32(image.height),
               Int32(image.channels), px.baseAddress, Int32(image.width * image.channels))
        }
        return ok != 0 ? sink.data : nil
    }

    /// Writes a PNG (1 or 3 channels) atomically.
    public static func writePNG(_ image: Image8, to path: String) throws {
        guard let data = pngData(image) else { throw ImageError.unwritable(path: path, reason: "PNG encoder failed") }
        do { try AtomicFile.write(data, to: path) } catch let e as AtomicWriteError {
            throw ImageError.unwritable(path: path, reason: e.reason)
        }
    }
}

/// The few BMP header fields stb does not report: the bit depth and palette (a gray palette
/// makes a 1-channel image) and the pixel-data extent (stb reads a truncated BMP as if its
/// missing rows were black, so truncation is caught here).
struct BMPHeader {
    let hasGrayPalette: Bool

    /// nil when the data is not a BMP at all.
    init?(_ b: [UInt8], path: String) throws {
        guard b.count >= 2, b[0] == 0x42, b[1] == 0x4D else { return nil }
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        guard b.count >= 54 else { throw ImageError.undecodable(path: path, reason: "BMP header is truncated") }
        let dataOffset = u32(10), dibSize = u32(14)
        let width = Int(Int32(truncatingIfNeeded: u32(18)))
        let height = abs(Int(Int32(truncatingIfNeeded: u32(22))))
        let bitCount = u16(28), compression = u32(30)
        guard width > 0, height > 0 else {
            throw ImageError.undecodable(path: path, reason: "BMP size \(width)x\(height) is invalid")
        }
        if compression == 0 { // BI_RGB: rows padded to 4 bytes
            let rowBytes = ((width * bitCount + 31) / 32) * 4
            if dataOffset + rowBytes * height > b.count {
                throw ImageError.undecodable(path: path, reason: "BMP is truncated: pixel data needs \(dataOffset + rowBytes * height) bytes, file has \(b.count)")
            }
        }
        var gray = false
        if bitCount <= 8 {
            let used = u32(46)
            let entries = used > 0 ? used : 1 << bitCount
            let start = 14 + dibSize
            if start + 4 * entries <= b.count {
                gray = (0..<entries).allSatisfy { i in
                    let p = start + 4 * i
                    return b[p] == b[p + 1] && b[p + 1] == b[p + 2]
                }
            }
        }
        hasGrayPalette = gray
    }
}
