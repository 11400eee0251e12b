import Foundation
import Testing
@testable import Imaging

/// Strips with enough overlap give the whole image's result, so large photos can be upscaled in
/// little memory without changing a pixel.
@Suite struct StripUpscaleTests {
    func photo(width: Int, height: Int, channels: Int) -> Image8 {
        var bytes: [UInt8] = []
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            let wave: Double = sin(Double(x * (c + 1)) / 2.3) * cos(Double(y + 5 * c) / 1.7)
            bytes.append(Quantize.uint8(128 + 90 * wave))
        } } }
        return Image8(width: width, height: height, channels: channels, bytes: bytes)
    }

    final class Calls: @unchecked Sendable {
        var done: [Int] = [], totals: Set<Int> = []
        func append(_ d: Int, _ t: Int) { done.append(d); totals.insert(t) }
    }

    /// A method that reads `radius` output rows around each pixel: bicubic, then a vertical box blur.
    struct BlurredBicubic: SuperResolver {
        let radius: Int
        let scale: Int
        var name: String { "blurred bicubic" }
        var contextRadius: Int? { radius }
        func upscale(lowRes: Plane) -> Plane {
            let up = Resize.bicubic(lowRes, scale: Double(scale))
            var out = up
            for y in 0..<up.height { for x in 0..<up.width {
                var sum = 0.0
                for d in -radius...radius { sum += up[x, min(up.height - 1, max(0, y + d))] }
                out[x, y] = sum / Double(2 * radius + 1)
            } }
            return out
        }
    }

    @Test(arguments: [1, 3], [2, 3, 4])
    func stripsEqualTheWholeImage(channels: Int, scale: Int) throws {
        let image = photo(width: 23, height: 61, channels: channels)
        for method in [BicubicResolver(scale: scale) as SuperResolver, BlurredBicubic(radius: 7, scale: scale)] {
            let whole = try StripUpscale.upscaleWhole(image, with: method)
            let calls = Calls()
            let strips = try StripUpscale.upscale(image, with: method, coreRows: 8) { done, total in calls.append(done, total) }
            #expect(strips == whole, "\(method.name) ×\(scale), \(channels) channels")
            #expect(calls.done == (1...8).map { min(61, 8 * $0) * scale })
            #expect(calls.totals == Set([61 * scale]))
        }
    }

    /// Without enough overlap the strips would show: the test above can fail.
    @Test func tooLittleOverlapIsVisible() throws {
        let image = photo(width: 23, height: 61, channels: 1)
        struct Claims: SuperResolver {
            var name: String { "understated radius" }
            var contextRadius: Int? { 0 }
            var scale: Int { 2 }
            func upscale(lowRes: Plane) -> Plane { BlurredBicubic(radius: 12, scale: scale).upscale(lowRes: lowRes) }
        }
        let whole = try StripUpscale.upscaleWhole(image, with: Claims())
        #expect(try StripUpscale.upscale(image, with: Claims(), coreRows: 8) != whole)
    }

    /// A gray image comes out gray with its real levels, equal to bicubic on the plane.
    @Test func grayStaysGrayAtFullRange() throws {
        let image = photo(width: 20, height: 18, channels: 1)
        let out = try StripUpscale.upscale(image, with: BicubicResolver(scale: 3))
        let direct = Image8.gray(unitScale: Resize.bicubic(image.channel(0).map { $0 / 255 }, scale: 3))
        #expect(out.channels == 1)
        #expect(out == direct)
        #expect(out.bytes.max()! > 200 && out.bytes.min()! < 60)
    }
}
