import Foundation
import Testing
@testable import Imaging

/// Writing by extension (PNG, JPEG, BMP), the libpng encoder's lossless round trip, and the
/// refusal of an extension srlab cannot write.
@Suite struct ImageWritingTests {
    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("srlab-\(UUID())-\(name)").path
    }

    /// A textured image (a hash of the position), so the encoders see something like noise.
    static func textured(width: Int, height: Int, channels: Int) -> Image8 {
        var state: UInt32 = 2_654_435_761
        let bytes = (0..<(width * height * channels)).map { i -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: (i % (width * channels)) + Int(state >> 29)) // a ramp plus a little noise
        }
        return Image8(width: width, height: height, channels: channels, bytes: bytes)
    }

    @Test func formatComesFromTheExtension() throws {
        #expect(try ImageFormat(outputPath: "a/b.png") == .png)
        #expect(try ImageFormat(outputPath: "B.PNG") == .png)
        #expect(try ImageFormat(outputPath: "x.jpg") == .jpeg)
        #expect(try ImageFormat(outputPath: "x.JPEG") == .jpeg)
        #expect(try ImageFormat(outputPath: "x.bmp") == .bmp)
        for path in ["out.gif", "out.tiff", "out", "dir/", "out.png.txt"] {
            #expect(throws: ImageError.unknownOutputFormat(path: path)) { try ImageFormat(outputPath: path) }
        }
        #expect("\(ImageError.unknownOutputFormat(path: "out.gif"))".contains("out.gif: cannot write a .gif file"))
    }

    @Test func unknownExtensionWritesNothing() {
        let path = temp("out.gif")
        #expect(throws: ImageError.unknownOutputFormat(path: path)) {
            try ImageIO.write(Self.textured(width: 4, height: 4, channels: 3), to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test(arguments: [1, 2, 3, 4])
    func pngRoundTripIsExactAtEveryLevel(channels: Int) throws {
        let image = Self.textured(width: 37, height: 23, channels: channels)
        for level in [0, 1, ImageWriteOptions.defaultPNGLevel, 9] {
            let data = try ImageIO.encode(image, as: .png, options: ImageWriteOptions(pngLevel: level))
            #expect(Array(data.prefix(8)) == [137, 80, 78, 71, 13, 10, 26, 10])
            #expect(try ImageIO.decode(data) == image, "level \(level), \(channels) channels")
        }
    }

    @Test func pngLevelChangesTheSizeNotThePixels() throws {
        let image = Self.textured(width: 64, height: 64, channels: 3)
        let stored = try ImageIO.encode(image, as: .png, options: ImageWriteOptions(pngLevel: 0))
        let best = try ImageIO.encode(image, as: .png, options: ImageWriteOptions(pngLevel: 9))
        #expect(best.count < stored.count)
        #expect(stored.count > image.bytes.count) // level 0 stores the filtered rows uncompressed
        #expect(throws: ImageError.self) { try ImageIO.encode(image, as: .png, options: ImageWriteOptions(pngLevel: 10)) }
    }

    @Test func pngEncoderReportsAnAbandonedStream() {
        #expect(throws: PNGEncoderError.self) {
            try PNGEncoder.encode(width: 4, height: 4, channels: 1, level: 1, row: { _ in nil }, write: { _ in true })
        }
        let row = [UInt8](repeating: 9, count: 4)
        row.withUnsafeBufferPointer { pixels in
            #expect(throws: PNGEncoderError.self) {
                try PNGEncoder.encode(width: 4, height: 4, channels: 1, level: 1, row: { _ in pixels.baseAddress }, write: { _ in false })
            }
        }
    }

    @Test func jpegPathGetsAJPEGAtTheGivenQuality() throws {
        let image = Self.textured(width: 48, height: 40, channels: 3)
        let path = temp("out.jpg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ImageIO.write(image, to: path, options: ImageWriteOptions(jpegQuality: 95))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(data.prefix(3)) == [0xFF, 0xD8, 0xFF]) // JPEG SOI, not PNG bytes
        let back = try ImageIO.decode(data)
        #expect(back.width == 48 && back.height == 40 && back.channels == 3)
        let meanError = zip(back.bytes, image.bytes).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(image.bytes.count)
        #expect(meanError < 4)
        let rough = try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegQuality: 10))
        #expect(rough.count < data.count)
        #expect(throws: ImageError.self) { try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegQuality: 0)) }
    }

    @Test func jpegWiderThanItsHeaderCanSayIsRefused() {
        let wide = Image8(width: 65536, height: 1, channels: 3, bytes: [UInt8](repeating: 50, count: 3 * 65536))
        #expect(throws: ImageError.unwritable(path: "wide.jpg", reason: "JPEG holds at most 65535 pixels per side, the image is 65536x1")) {
            try ImageIO.encode(wide, as: .jpeg, path: "wide.jpg")
        }
    }

    @Test func bmpPathGetsAnExactBMP() throws {
        let rgb = Self.textured(width: 13, height: 7, channels: 3) // odd width: rows are padded
        let path = temp("out.BMP")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ImageIO.write(rgb, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(data.prefix(2)) == Array("BM".utf8))
        #expect(try ImageIO.decode(data) == rgb)
    }

    @Test func bmpKeepsAlpha() throws {
        let rgba = Self.textured(width: 6, height: 5, channels: 4)
        #expect(try ImageIO.decode(try ImageIO.encode(rgba, as: .bmp)) == rgba)
        // stb writes alpha only in 32-bit BMPs, so gray+alpha is stored as RGBA with R = G = B.
        let grayAlpha = Self.textured(width: 6, height: 5, channels: 2)
        let back = try ImageIO.decode(try ImageIO.encode(grayAlpha, as: .bmp))
        #expect(back.channels == 4)
        for i in 0..<30 {
            let g = grayAlpha.bytes[2 * i], a = grayAlpha.bytes[2 * i + 1]
            #expect(Array(back.bytes[(4 * i)..<(4 * i + 4)]) == [g, g, g, a])
        }
    }
}
