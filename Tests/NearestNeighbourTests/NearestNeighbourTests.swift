import Imaging
import SeededRandom
import Testing
@testable import NearestNeighbour

@Suite struct NearestNeighbourTests {
    /// Each output pixel (x, y) is exactly the LR pixel (⌊x/s⌋, ⌊y/s⌋).
    @Test(arguments: SRProtocol.scales)
    func eachOutputPixelIsItsLowResolutionPixel(scale: Int) {
        var rng = Xoshiro256(seed: UInt64(scale))
        let low = Plane(width: 11, height: 7, values: (0..<77).map { _ in rng.nextUniform() })
        let out = NearestNeighbour(scale: scale).upscale(lowRes: low)
        #expect(out.width == 11 * scale && out.height == 7 * scale)
        var mismatches = 0
        for y in 0..<out.height { for x in 0..<out.width where out[x, y] != low[x / scale, y / scale] { mismatches += 1 } }
        #expect(mismatches == 0)
    }

    /// On a user's image (strips, chroma by bicubic) the luma blocks stay blocks.
    @Test func stripsGiveTheWholeImage() throws {
        var rng = Xoshiro256(seed: 9)
        let image = Image8(width: 13, height: 40, channels: 1, bytes: (0..<(13 * 40)).map { _ in UInt8(rng.nextUniform() * 255) })
        let method = NearestNeighbour(scale: 3)
        let whole = try StripUpscale.upscale(image, with: method, coreRows: 40)
        let strips = try StripUpscale.upscale(image, with: method, coreRows: 8)
        #expect(whole.bytes == strips.bytes)
        for y in 0..<whole.height { for x in 0..<whole.width {
            #expect(whole.bytes[y * whole.width + x] == image.bytes[(y / 3) * 13 + x / 3])
        } }
    }
}
