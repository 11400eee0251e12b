/// An 8-bit image as decoded from a file: 1 channel (gray) or 3 (RGB), interleaved, row-major.
public struct Image8: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var bytes: [UInt8]

    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        precondition(channels == 1 || channels == 3, "Image8 holds gray or RGB")
        precondition(bytes.count == width * height * channels, "Image8 byte count mismatch")
        self.width = width
        self.height = height
        self.channels = channels
        self.bytes = bytes
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

    public static func gray(_ plane: Plane) -> Image8 {
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
