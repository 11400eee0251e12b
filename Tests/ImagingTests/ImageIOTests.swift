import CSTBImage
import Foundation
import Testing
@testable import Imaging

/// Writes small BMPs byte by byte (the header layouts are the test's subject) and PNG/JPEG files
/// through stb_image_write, then decodes them.
@Suite struct ImageIOTests {
    static func bmp(width: Int, height: Int, bitCount: Int, dibSize: Int = 40,
                    palette: [(UInt8, UInt8, UInt8)] = [], pixel: (Int, Int) -> [UInt8]) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        let rowBytes = ((width * bitCount + 31) / 32) * 4
        let offset = 14 + dibSize + 4 * palette.count
        var b: [UInt8] = Array("BM".utf8) + le32(offset + rowBytes * height) + le32(0) + le32(offset)
        var dib = le32(dibSize) + le32(width) + le32(height) + le16(1) + le16(bitCount) + le32(0)
            + le32(rowBytes * height) + le32(2835) + le32(2835) + le32(palette.count) + le32(0)
        if dibSize > 40 { // BITMAPV4HEADER: masks, colour space, endpoints, gamma
            dib += le32(0x00FF0000) + le32(0x0000FF00) + le32(0x000000FF) + le32(0xFF000000) + Array("BGRs".utf8.reversed())
            dib += [UInt8](repeating: 0, count: dibSize - dib.count)
        }
        b += dib
        for (r, g, bl) in palette { b += [bl, g, r, 0] }
        for y in (0..<height).reversed() { // bottom-up
            var row: [UInt8] = []
            for x in 0..<width { row += pixel(x, y) }
            row += [UInt8](repeating: 0, count: rowBytes - row.count)
            b += row
        }
        return b
    }

    @Test func rgbBMPInBGROrder() throws {
        let file = Self.bmp(width: 3, height: 2, bitCount: 24) { x, y in [UInt8(x), UInt8(10 * y), 200] } // B, G, R
        let img = try ImageIO.decode(Data(file))
        #expect(img.width == 3 && img.height == 2 && img.channels == 3)
        #expect(Array(img.bytes[0..<3]) == [200, 0, 0])            // (0,0): R 200, G 0, B 0
        #expect(Array(img.bytes[15..<18]) == [200, 10, 2])         // (2,1)
    }

    @Test func v4HeaderBMPTakesTheOffsetFromTheFileHeader() throws {
        let file = Self.bmp(width: 5, height: 3, bitCount: 24, dibSize: 108) { x, y in [UInt8(x * 40), UInt8(y * 50), 7] }
        #expect(file[10] == 122) // as Set5/butterfly_GT.bmp
        let img = try ImageIO.decode(Data(file))
        #expect(img.channels == 3 && img.width == 5)
        #expect(Array(img.bytes[(3 * (2 * 5 + 4))..<(3 * (2 * 5 + 4) + 3)]) == [7, 100, 160])
    }

    @Test func grayPaletteBMPIsOneChannel() throws {
        let palette = (0..<256).map { (UInt8($0), UInt8($0), UInt8($0)) }
        let file = Self.bmp(width: 4, height: 3, bitCount: 8, palette: palette) { x, y in [UInt8(x + 4 * y)] }
        let img = try ImageIO.decode(Data(file))
        #expect(img.channels == 1)
        #expect(img.bytes == (0..<12).map(UInt8.init))
    }

    @Test func colourPaletteBMPIsRGB() throws {
        let palette: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 0, 255)]
        let file = Self.bmp(width: 2, height: 1, bitCount: 8, palette: palette) { x, _ in [UInt8(x)] }
        let img = try ImageIO.decode(Data(file))
        #expect(img.channels == 3 && img.bytes == [255, 0, 0, 0, 0, 255])
    }

    @Test func truncatedBMPIsRejected() {
        let file = Self.bmp(width: 8, height: 8, bitCount: 24) { _, _ in [1, 2, 3] }
        #expect(throws: ImageError.self) { try ImageIO.decode(Data(file.dropLast(40)), path: "t.bmp") }
        do { _ = try ImageIO.decode(Data(file.dropLast(40)), path: "t.bmp"); Issue.record("no error") } catch {
            #expect("\(error)".contains("t.bmp") && "\(error)".contains("truncated"))
        }
    }

    @Test func garbageIsRejected() {
        #expect(throws: ImageError.self) { try ImageIO.decode(Data([1, 2, 3, 4, 5]), path: "x.png") }
        #expect(throws: ImageError.self) { try ImageIO.read("/nonexistent/dir/missing.png") }
    }

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("srlab-\(UUID())-\(name)").path
    }

    @Test func pngRoundTripGrayAndRGB() throws {
        let gray = Image8(width: 5, height: 4, channels: 1, bytes: (0..<20).map { UInt8($0 * 12) })
        let rgb = Image8(width: 2, height: 2, channels: 3, bytes: (0..<12).map { UInt8($0 * 20) })
        let grayAlpha = Image8(width: 3, height: 2, channels: 2, bytes: (0..<12).map { UInt8($0 * 21) })
        for img in [gray, rgb, grayAlpha] {
            let path = temp("a.png")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ImageIO.writePNG(img, to: path)
            #expect(try ImageIO.read(path) == img)
        }
    }

    @Test func jpegDecodesColour() throws {
        let path = temp("a.jpg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = [UInt8](repeating: 120, count: 16 * 16 * 3)
        let ok = bytes.withUnsafeBufferPointer { stbi_write_jpg(path, 16, 16, 3, $0.baseAddress, 95) }
        #expect(ok != 0)
        let img = try ImageIO.read(path)
        #expect(img.channels == 3 && img.width == 16)
        #expect(img.bytes.allSatisfy { abs(Int($0) - 120) <= 2 }) // lossy, but flat stays flat
    }

    /// stb_image_write only writes colour JPEGs, so this 8×8 grayscale JPEG (top row 200, the rest
    /// 120, quality 95) was made once with Pillow and is kept as bytes.
    static let grayJPEG = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/ALH/AAu/40/9Fe8Uf+D+5/8Ai6//2Q=="

    @Test func jpegDecodesGray() throws {
        let img = try ImageIO.decode(Data(base64Encoded: Self.grayJPEG)!)
        #expect(img.channels == 1 && img.width == 8 && img.height == 8)
        #expect(img.bytes[0..<8].allSatisfy { abs(Int($0) - 200) <= 6 })
        #expect(img.bytes[32..<64].allSatisfy { abs(Int($0) - 120) <= 6 })
    }

    /// A real, valid PNG of 12000×12000 zeros, a few hundred KB (the issue's file was 445 KB and
    /// asked for ~15 GB): its header must stop it before stb allocates the pixels.
    @Test func hugeDimensionsAreRefusedFromTheHeader() throws {
        let side = 12_000
        let zeros = [UInt8](repeating: 0, count: side)
        var data = Data()
        try zeros.withUnsafeBufferPointer { row in
            try PNGEncoder.encode(width: side, height: side, channels: 1, level: 9, row: { _ in row.baseAddress },
                                  write: { data.append(contentsOf: $0); return true })
        }
        #expect(data.count < 1_000_000)
        let refusal = ImageError.tooLarge(path: "huge.png", width: side, height: side, limit: ImageIO.defaultMaxPixels)
        // Not #expect(throws:), which would print all 144 million pixels if one came back.
        do {
            let image = try ImageIO.decode(data, path: "huge.png")
            Issue.record("decoded a \(image.width)x\(image.height) image past the limit")
        } catch let error as ImageError {
            #expect(error == refusal)
        }
        #expect("\(refusal)".contains("huge.png: 12000x12000 is 144000000 pixels, more than the limit of 100000000"))
    }

    @Test func pixelLimitIsInclusiveAndReadPassesItOn() throws {
        let path = temp("limit.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let image = Image8(width: 100, height: 80, channels: 3, bytes: [UInt8](repeating: 77, count: 24_000))
        try ImageIO.writePNG(image, to: path)
        #expect(try ImageIO.read(path, maxPixels: 8000) == image)
        #expect(throws: ImageError.tooLarge(path: path, width: 100, height: 80, limit: 7999)) {
            try ImageIO.read(path, maxPixels: 7999)
        }
    }

    @Test func alphaIsDecoded() throws {
        let rgba = Image8(width: 3, height: 2, channels: 4, bytes: (0..<24).map { UInt8($0 * 10) })
        let decoded = try ImageIO.decode(try ImageIO.encode(rgba, as: .png))
        #expect(decoded == rgba)
        #expect(try #require(decoded.alpha).values == [30, 70, 110, 150, 190, 230])
    }

    @Test func truncatedPNGIsRejected() throws {
        let path = temp("t.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ImageIO.writePNG(Image8(width: 32, height: 32, channels: 3, bytes: (0..<3072).map { UInt8($0 % 251) }), to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: ImageError.self) { try ImageIO.decode(data.prefix(data.count / 2), path: path) }
    }
}
