import Imaging

/// Nearest-neighbour upscaling, the crudest baseline: output pixel (x, y) copies low-resolution
/// pixel (⌊x/s⌋, ⌊y/s⌋), so every LR pixel becomes an s×s block.
///
/// Note: this equals MATLAB's `imresize(LR, s, 'nearest')` at whole-number scales (its sample
/// point for output pixel u, 1-based, is u/s + (1 − 1/s)/2, which rounds to ⌈u/s⌉ with no ties),
/// so the baseline is the field's. No model, no arithmetic: the output values are the input's.
public struct NearestNeighbour: SuperResolver {
    public let scale: Int

    public init(scale: Int) {
        precondition(scale >= 1, "nearest-neighbour upscaling needs a scale of at least 1")
        self.scale = scale
    }

    public var name: String { "nearest" }
    /// Each output pixel reads one input pixel, its own.
    public var contextRadius: Int? { 0 }

    public func upscale(lowRes: Plane) -> Plane {
        let s = scale, w = lowRes.width * s, h = lowRes.height * s
        var values = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            let source = (y / s) * lowRes.width
            for x in 0..<w { values[y * w + x] = lowRes.values[source + x / s] }
        }
        return Plane(width: w, height: h, values: values)
    }
}
