import CSTBImage
import Foundation

public enum ImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case undecodable(path: String, reason: String)
    case tooSmall(path: String, width: Int, height: Int, scale: Int)
    case unwritable(path: String, reason: String)
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    case unknownOutputFormat(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .undecodable(let path, let reason): return "\(path): not a readable image: \(reason)"
        case .tooSmall(let path, let w, let h, let s):
            return "\(path): \(w)x\(h) is too small for scale \(s) (needs at least \(ImageIO.minimumSide(scale: s)) pixels per side)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        case .tooLarge(let path, let w, let h, let limit):
            return "\(path): \(w)x\(h) is \(w * h) pixels, more than the limit of \(limit) pixels (refused before decoding; the limit can be raised)"
        case .unknownOutputFormat(let path):
            let ext = (path as NSString).pathExtension
            return "\(path): cannot write \(ext.isEmpty ? "a file without an extension" : "a .\(ext) file"): the output must end in .png, .jpg, .jpeg or .bmp"
        }
    }
}

/// Decoding through stb_image (Debian's libstb): BMP, PNG, JPEG and the other formats stb reads.
/// Encoding is in ImageWriting.swift.
public enum ImageIO {
    public static let extensions: Set<String> = ["bmp", "png", "jpg", "jpeg"]

    /// The most pixels an input may have unless the caller raises it: decoding allocates about
    /// 30 bytes per pixel on the way to the planes, so a small file claiming a huge size is
    /// refused from its header instead of exhausting memory.
    public static let defaultMaxPixels = 100_000_000

    /// The smallest side the protocol accepts at `scale`: the LR image must keep a few pixels
    /// for the bicubic kernel and for the `scale`-pixel shave to leave something to score.
    public static func minimumSide(scale: Int) -> Int { 4 * scale }

    public static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> Image8 {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw ImageError.unreadable(path: path, reason: !exists ? "no such file" : isDir.boolValue ? "is a folder" : "permission denied")
        }
        return try decode(data, path: path, maxPixels: maxPixels)
    }

    /// Decodes to 8 bits per channel (16-bit files are reduced by stb), keeping alpha.
    public static func decode(_ data: Data, path: String = "<memory>", maxPixels: Int = defaultMaxPixels) throws -> Image8 {
        let bytes = [UInt8](data)
        let bmp = try BMPHeader(bytes, path: path)
        var w: Int32 = 0, h: Int32 = 0, n: Int32 = 0
        // The header alone gives the size: check it before stb allocates the pixels.
        let known = bytes.withUnsafeBufferPointer { stbi_info_from_memory($0.baseAddress, Int32($0.count), &w, &h, &n) }
        if known != 0, Int(w) * Int(h) > maxPixels {
            throw ImageError.tooLarge(path: path, width: Int(w), height: Int(h), limit: maxPixels)
        }
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
        if stored == 3, bmp?.hasGrayPalette ?? false {
            return Image8(width: Int(w), height: Int(h), channels: 1, bytes: (0..<count).map { pixels[3 * $0] })
        }
        return Image8(width: Int(w), height: Int(h), channels: stored,
                      bytes: Array(UnsafeBufferPointer(start: pixels, count: count * stored)))
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
