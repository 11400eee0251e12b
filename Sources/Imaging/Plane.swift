/// One channel of an image in Double, row-major: pixel (x, y) is `values[y * width + x]`.
///
/// The SR protocol computes in double precision as MATLAB does; intensities are on the [0, 1]
/// scale (8-bit value / 255) unless a function says otherwise.
public struct Plane: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [Double]

    public init(width: Int, height: Int, repeating value: Double = 0) {
        precondition(width >= 0 && height >= 0, "negative plane size")
        self.width = width
        self.height = height
        self.values = [Double](repeating: value, count: width * height)
    }

    public init(width: Int, height: Int, values: [Double]) {
        precondition(values.count == width * height,
                     "Plane \(width)x\(height) needs \(width * height) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    @inlinable public subscript(x: Int, y: Int) -> Double {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// The `width`×`height` region whose top-left pixel is (`x`, `y`).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Plane {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height, "crop outside the plane")
        var out = Plane(width: w, height: h)
        for row in 0..<h {
            let src = (y + row) * width + x
            out.values.replaceSubrange((row * w)..<((row + 1) * w), with: values[src..<(src + w)])
        }
        return out
    }

    /// Removes `border` pixels from every side (the SR literature's "shave").
    public func shaved(_ border: Int) -> Plane {
        cropped(x: border, y: border, width: width - 2 * border, height: height - 2 * border)
    }

    public func map(_ transform: (Double) -> Double) -> Plane {
        Plane(width: width, height: height, values: values.map(transform))
    }
}
