/// An 8-bit image as decoded from a file, interleaved, row-major: 1 channel (gray), 2 (gray and
/// alpha), 3 (RGB) or 4 (RGBA). Alpha, when present, is the last channel.
public struct Image8: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var bytes: [UInt8]

    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        precondition((1...4).contains(channels), "Image8 holds gray, gray+alpha, RGB or RGBA")
        precondition(bytes.count == width * height * channels, "Image8 byte count mismatch")
        self.width = width
        self.height = height
        self.channels = channels
        self.bytes = bytes
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// Channels that carry colour: 1 (gray) or 3 (RGB), alpha not counted.
    public var colourChannels: Int { hasAlpha ? channels - 1 : channels }

    /// The alpha channel as a plane of 8-bit values, nil when the image has none.
    public var alpha: Plane? { hasAlpha ? channel(channels - 1) : nil }

    /// This image with `alpha` (8-bit values, the same size) appended as its last channel.
    public func addingAlpha(_ alpha: Plane) -> Image8 {
        precondition(!hasAlpha && alpha.width == width && alpha.height == height, "alpha must match a colour image")
        var out = [UInt8](repeating: 0, count: width * height * (channels + 1))
        for i in 0..<(width * height) {
            for c in 0..<channels { out[i * (channels + 1) + c] = bytes[i * channels + c] }
            out[i * (channels + 1) + channels] = Quantize.uint8(alpha.values[i])
        }
        return Image8(width: width, height: height, channels: channels + 1, bytes: out)
    }

    /// Channel `c` as a plane of 8-bit values (0…255, not divided by 255).
    public func channel(_ c: Int) -> Plane {
        precondition(c < channels)
        var plane = Plane(width: width, height: height)
        for i in 0..<(width * height) { plane.values[i] = Double(bytes[i * channels + c]) }
        return plane
    }

    /// Crops to the largest size that is a multiple of `scale` in both directions, keeping the
    /// top-left corner (MATLAB `modcrop`).
    public func modcropped(_ scale: Int) -> Image8 {
        let w = width - width % scale, h = height - height % scale
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for y in 0..<h {
            let src = y * width * channels, dst = y * w * channels
            out.replaceSubrange(dst..<(dst + w * channels), with: bytes[src..<(src + w * channels)])
        }
        return Image8(width: w, height: h, channels: channels, bytes: out)
    }

    /// A gray image from a plane on the [0, 1] scale (a method's output): `uint8(v·255)`, as
    /// `Color.rgb` does for colour. The scale is in the name because a plane does not carry it.
    /// The centre `side`×`side` of the image (the whole image along a shorter side).
    public func centreCropped(side: Int) -> Image8 {
        let w = min(side, width), h = min(side, height)
        let x0 = (width - w) / 2, y0 = (height - h) / 2, c = channels
        var out = [UInt8](repeating: 0, count: w * h * c)
        for y in 0..<h {
            let src = ((y0 + y) * width + x0) * c
            out.replaceSubrange((y * w * c)..<((y + 1) * w * c), with: bytes[src..<(src + w * c)])
        }
        return Image8(width: w, height: h, channels: c, bytes: out)
    }

    public static func gray(unitScale plane: Plane) -> Image8 {
        Image8(width: plane.width, height: plane.height, channels: 1, bytes: plane.values.map { Quantize.uint8($0 * 255) })
    }

    /// A gray image from a plane of 8-bit values (0…255), such as a scored Y, rounded and saturated.
    public static func gray(eightBit plane: Plane) -> Image8 {
        Image8(width: plane.width, height: plane.height, channels: 1, bytes: plane.values.map(Quantize.uint8))
    }
}

extension Plane {
    /// MATLAB `modcrop` for one plane.
    public func modcropped(_ scale: Int) -> Plane {
        cropped(x: 0, y: 0, width: width - width % scale, height: height - height % scale)
    }
}

/// MATLAB's conversion of a double to uint8: round half away from zero, then saturate.
public enum Quantize {
    @inlinable public static func uint8(_ value: Double) -> UInt8 {
        guard value.isFinite else { return value > 0 ? 255 : 0 } // NaN → 0 as MATLAB does
        let r = value.rounded(.toNearestOrAwayFromZero)
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }

    /// `uint8(plane * 255)` returned as a plane of 8-bit values (0…255).
    public static func to8Bit(_ plane: Plane) -> Plane {
        plane.map { Double(uint8($0 * 255)) }
    }
}
