/// MATLAB's `rgb2ycbcr` / `ycbcr2rgb` (ITU-R BT.601, studio range): Y in [16, 235], Cb and Cr
/// in [16, 240] on the 8-bit scale.
public enum Color {
    /// Rows of MATLAB's matrix T; offsets are (16, 128, 128).
    static let t: [[Double]] = [[65.481, 128.553, 24.966],
                                [-37.797, -74.203, 112.0],
                                [112.0, -93.786, -18.214]]
    static let offset: [Double] = [16, 128, 128]

    /// Y, Cb, Cr of an 8-bit RGB image, each rounded to 8 bits as MATLAB does for uint8 input,
    /// returned as planes of 8-bit values. A gray image has no chroma: Y is the stored gray
    /// and Cb = Cr = 128 (the SRCNN demo uses gray files as they are). Alpha is ignored.
    public static func ycbcr(_ image: Image8) -> (y: Plane, cb: Plane, cr: Plane) {
        let n = image.width * image.height, stride = image.channels
        var planes = [[Double]](repeating: [Double](repeating: 0, count: n), count: 3)
        if image.colourChannels == 1 {
            for i in 0..<n { planes[0][i] = Double(image.bytes[stride * i]) }
            planes[1] = [Double](repeating: 128, count: n)
            planes[2] = planes[1]
        } else {
            for i in 0..<n {
                let r = Double(image.bytes[stride * i]), g = Double(image.bytes[stride * i + 1]), b = Double(image.bytes[stride * i + 2])
                for k in 0..<3 {
                    let v = offset[k] + (t[k][0] * r + t[k][1] * g + t[k][2] * b) / 255
                    planes[k][i] = Double(Quantize.uint8(v))
                }
            }
        }
        let mk = { Plane(width: image.width, height: image.height, values: $0) }
        return (mk(planes[0]), mk(planes[1]), mk(planes[2]))
    }

    /// Y only: what every SR table is scored on.
    public static func luma(_ image: Image8) -> Plane { ycbcr(image).y }

    /// MATLAB `ycbcr2rgb` on double planes in [0, 1], then `uint8(·*255)`.
    public static func rgb(y: Plane, cb: Plane, cr: Plane) -> Image8 {
        precondition(y.width == cb.width && y.height == cb.height && y.width == cr.width && y.height == cr.height)
        let inv = inverse(t)
        let n = y.width * y.height
        var out = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let d = [y.values[i] * 255 - offset[0], cb.values[i] * 255 - offset[1], cr.values[i] * 255 - offset[2]]
            for k in 0..<3 {
                let v = (inv[k][0] * d[0] + inv[k][1] * d[1] + inv[k][2] * d[2]) // in [0, 1]
                out[3 * i + k] = Quantize.uint8(v * 255)
            }
        }
        return Image8(width: y.width, height: y.height, channels: 3, bytes: out)
    }

    /// Inverse of a 3×3 matrix by cofactors (exact enough: T is well conditioned).
    static func inverse(_ m: [[Double]]) -> [[Double]] {
        let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1]
        let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2]
        let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0]
        let det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02
        return [[c00 / det, (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det, (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det],
                [c01 / det, (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det, (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det],
                [c02 / det, (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det, (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det]]
    }
}
