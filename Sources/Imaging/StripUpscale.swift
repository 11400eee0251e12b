/// Upscaling a user's image in horizontal strips, so that memory stays near the size of the 8-bit
/// output however large the photo: a 3000×2000 photo at ×4 is a 288 MB RGB output, while whole
/// planes in Double would need 768 MB each (Y, Cb, Cr, the bicubic input, the method's output).
///
/// Each strip of `coreRows` low-resolution rows is read with `halo` more rows above and below,
/// converted to YCbCr, super-resolved, and only its core's `scale · coreRows` output rows are kept.
/// The result equals the whole-image computation when the halo covers everything an output row
/// depends on: MATLAB's bicubic reads 2 low-resolution rows on each side (its mirrored edge is
/// replaced by real rows everywhere but at the image's own border), and the method reads
/// `contextRadius` more high-resolution rows (SRCNN: Σ(k−1)/2 of its layers). Methods whose
/// output depends on the whole image (ScSR's back-projection) have no radius and run in one strip.
public enum StripUpscale {
    /// Low-resolution rows of context each strip reads beyond its core, for a method that reads
    /// `contextRadius` high-resolution rows around each output row.
    public static func halo(contextRadius: Int, scale: Int) -> Int {
        (contextRadius + scale - 1) / scale + 3
    }

    /// Core rows per strip: about `pixelBudget` output pixels per strip, at least 8 input rows.
    public static func coreRows(width: Int, scale: Int, pixelBudget: Int = 2_000_000) -> Int {
        max(8, pixelBudget / max(1, width * scale * scale))
    }

    /// The user's image made `method.scale` times larger: Y by the method, chroma and alpha by
    /// bicubic, through `ycbcr2rgb` (a gray image stays gray). `progress` hears the output rows
    /// done after each strip, or the method's own units when the image is one strip.
    public static func upscale(_ image: Image8, with method: SuperResolver,
                               coreRows requested: Int? = nil,
                               progress: ProgressHook? = nil) throws -> Image8 {
        let scale = method.scale
        let width = image.width * scale, height = image.height * scale
        let channels = image.channels
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let core: Int, halo: Int
        if let radius = method.contextRadius {
            core = requested ?? coreRows(width: image.width, scale: scale)
            halo = Self.halo(contextRadius: radius, scale: scale)
        } else {
            core = image.height
            halo = 0
        }
        let strips = (image.height + core - 1) / core
        for strip in 0..<strips {
            let a = strip * core, b = min(image.height, a + core)
            let top = max(0, a - halo), bottom = min(image.height, b + halo)
            let rows = image.rows(top..<bottom)
            let upscaled = try upscaleWhole(rows, with: method, progress: strips == 1 ? progress : nil)
            // Keep the core: output rows scale·a ..< scale·b, found scale·(a − top) rows into the strip.
            let rowBytes = width * channels
            let first = scale * (a - top) * rowBytes, count = scale * (b - a) * rowBytes
            out.replaceSubrange((scale * a * rowBytes)..<(scale * a * rowBytes + count),
                                with: upscaled.bytes[first..<(first + count)])
            if strips > 1 { progress?(scale * b, height) }
        }
        return Image8(width: width, height: height, channels: channels, bytes: out)
    }

    /// One strip (or a whole image): Y by the method, the other channels by bicubic.
    static func upscaleWhole(_ image: Image8, with method: SuperResolver,
                             progress: ProgressHook? = nil) throws -> Image8 {
        let (y, cb, cr) = Color.ycbcr(image) // luma and chroma ignore alpha
        let outY = try method.checkedUpscale(lowRes: y.map { $0 / 255 }, progress: progress)
        let up = { (p: Plane) in Resize.bicubic(p.map { $0 / 255 }, width: outY.width, height: outY.height) }
        let base = image.colourChannels == 1 ? Image8.gray(unitScale: outY) : Color.rgb(y: outY, cb: up(cb), cr: up(cr))
        guard let alpha = image.alpha else { return base }
        return base.addingAlpha(Quantize.to8Bit(up(alpha)))
    }
}

extension Image8 {
    /// Rows `range` of the image, as an image of its own.
    func rows(_ range: Range<Int>) -> Image8 {
        let rowBytes = width * channels
        return Image8(width: width, height: range.count, channels: channels,
                      bytes: Array(bytes[(range.lowerBound * rowBytes)..<(range.upperBound * rowBytes)]))
    }
}
