import Foundation
import Testing
@testable import Imaging

/// `SRProtocol.upscale` is what `srlab upscale` runs between reading and writing the file: gray
/// inputs must come out as the bicubic result on 0…255 (they came out as 0 and 1), and alpha must
/// survive, upscaled by bicubic.
@Suite struct GrayAndAlphaUpscaleTests {
    /// A smooth ramp plus a bright square: values spread over 0…255.
    static func grayPlane(width: Int, height: Int) -> Plane {
        var p = Plane(width: width, height: height)
        for y in 0..<height { for x in 0..<width {
            let inSquare = (width / 3..<2 * width / 3).contains(x) && (height / 3..<2 * height / 3).contains(y)
            p[x, y] = inSquare ? 250 : Double(10 + (200 * (x + y)) / (width + height))
        } }
        return p
    }

    /// The bicubic result computed on the plane directly, as 8-bit values.
    static func bicubic8(_ plane8: Plane, scale: Int) -> Plane {
        Quantize.to8Bit(Resize.bicubic(plane8.map { $0 / 255 }, scale: Double(scale)))
    }

    static func maxDifference(_ a: Plane, _ b: Plane) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        return zip(a.values, b.values).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test(arguments: [2, 3, 4])
    func grayImageGivesTheBicubicResult(scale: Int) throws {
        let plane = Self.grayPlane(width: 17, height: 12)
        let image = Image8.gray(eightBit: plane)
        let out = try SRProtocol.upscale(image, with: BicubicResolver(scale: scale))
        let expected = Self.bicubic8(plane, scale: scale)
        #expect(out.channels == 1 && out.width == 17 * scale && out.height == 12 * scale)
        #expect(Self.maxDifference(out.channel(0), expected) <= 1)
        #expect(out.bytes.max()! >= 240 && out.bytes.min()! <= 20) // not 0/1
        // And through the file: what `upscale` writes reads back as the same gray.
        #expect(try ImageIO.decode(try ImageIO.encode(out, as: .png)) == out)
    }

    /// An 8×6 16-bit gray PNG made once (Python zlib/struct): value 8000·x + 1000·y + 7; stb keeps
    /// the high byte.
    static let gray16PNG = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGEAAAAACL/lxkAAAAcUlEQVR42gFmAJn/AAAHH0c+h13HfQecR7uH2scAA+8jL0JvYa+A76Avv2/erwAH1ycXRldll4TXpBfDV+KXAAu/Kv9KP2l/iL+n/8c/5n8AD6cu504nbWeMp6vnyyfqZwATjzLPUg9xT5CPr8/PD+5PzzguUUr3rewAAAAASUVORK5CYII="

    @Test func sixteenBitGrayPNGUpscalesOn0To255() throws {
        let image = try ImageIO.decode(Data(base64Encoded: Self.gray16PNG)!, path: "gray16.png")
        #expect(image.channels == 1 && image.width == 8 && image.height == 6)
        let highBytes: [UInt8] = (0..<48).map { (i: Int) -> UInt8 in
            let value: Int = 8000 * (i % 8) + 1000 * (i / 8) + 7
            return UInt8(value >> 8)
        }
        #expect(image.bytes == highBytes)
        let out = try SRProtocol.upscale(image, with: BicubicResolver(scale: 2))
        #expect(Self.maxDifference(out.channel(0), Self.bicubic8(image.channel(0), scale: 2)) <= 1)
        #expect(out.bytes.max()! > 200)
    }

    @Test func grayAlphaKeepsAlphaUpscaledByBicubic() throws {
        let gray = Self.grayPlane(width: 12, height: 10)
        var alpha = Plane(width: 12, height: 10, repeating: 255)
        for x in 0..<12 { alpha[x, 9] = 0; alpha[x, 8] = 128 } // transparent bottom rows
        let input = Image8.gray(eightBit: gray).addingAlpha(alpha)
        #expect(input.channels == 2 && input.hasAlpha)
        let decoded = try ImageIO.decode(try ImageIO.encode(input, as: .png))
        #expect(decoded == input) // gray+alpha is decoded with its alpha, not dropped
        let out = try SRProtocol.upscale(decoded, with: BicubicResolver(scale: 3))
        #expect(out.channels == 2 && out.width == 36 && out.height == 30)
        #expect(Self.maxDifference(out.channel(0), Self.bicubic8(gray, scale: 3)) <= 1)
        let outAlpha = try #require(out.alpha)
        #expect(outAlpha == Self.bicubic8(alpha, scale: 3))
        #expect(outAlpha.values.min() == 0 && outAlpha.values.max() == 255)
        #expect(try ImageIO.decode(try ImageIO.encode(out, as: .png)) == out) // written back as gray+alpha
    }

    @Test func rgbaKeepsAlphaAndTheColourOfTheRGBResult() throws {
        let w = 10, h = 9
        var rgba: [UInt8] = [], rgb: [UInt8] = []
        var alpha = Plane(width: w, height: h)
        for y in 0..<h { for x in 0..<w {
            let px = [UInt8(20 * x), UInt8(25 * y), UInt8(200 - 10 * x)], a = UInt8(x < 5 ? 255 : 40)
            rgb += px; rgba += px + [a]; alpha[x, y] = Double(a)
        } }
        let input = try ImageIO.decode(try ImageIO.encode(Image8(width: w, height: h, channels: 4, bytes: rgba), as: .png))
        #expect(input.channels == 4)
        let out = try SRProtocol.upscale(input, with: BicubicResolver(scale: 2))
        let colourOnly = try SRProtocol.upscale(Image8(width: w, height: h, channels: 3, bytes: rgb), with: BicubicResolver(scale: 2))
        try #require(out.channels == 4 && out.width == 2 * w && out.height == 2 * h)
        for i in 0..<(4 * w * h) {
            #expect(Array(out.bytes[(4 * i)..<(4 * i + 3)]) == Array(colourOnly.bytes[(3 * i)..<(3 * i + 3)]))
        }
        #expect(try #require(out.alpha) == Self.bicubic8(alpha, scale: 2))
        #expect(try ImageIO.decode(try ImageIO.encode(out, as: .png)) == out) // written back as RGBA
    }

    @Test func alphaDoesNotChangeLuma() {
        let rgb = Image8(width: 2, height: 1, channels: 3, bytes: [255, 0, 0, 10, 200, 30])
        let rgba = Image8(width: 2, height: 1, channels: 4, bytes: [255, 0, 0, 7, 10, 200, 30, 99])
        #expect(Color.ycbcr(rgb).y == Color.ycbcr(rgba).y && Color.ycbcr(rgb).cb == Color.ycbcr(rgba).cb)
        let ga = Image8(width: 2, height: 1, channels: 2, bytes: [40, 0, 200, 255])
        #expect(Color.luma(ga).values == [40, 200])
    }
}
