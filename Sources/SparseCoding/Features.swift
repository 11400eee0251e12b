import Imaging

/// The release's low-resolution features (`extr_lIm_fea.m`): four gradient maps of the
/// mid-resolution (bicubic-upscaled) image, each MATLAB `conv2(image, h, 'same')` — a true
/// convolution, so the kernel is flipped, with zero padding — for
/// h = [-1 0 1], its transpose, [1 0 -2 0 1] and its transpose, in that order.
///
/// With the flip, feature 0 at x is image(x−1) − image(x+1) along a row and feature 2 is
/// image(x−2) − 2·image(x) + image(x+2).
public enum Features {
    /// The 1-D kernels as written in MATLAB (before conv2 flips them).
    public static let firstOrder: [Double] = [-1, 0, 1]
    public static let secondOrder: [Double] = [1, 0, -2, 0, 1]
    public static let count = 4

    /// The four feature planes of `image`.
    public static func extract(_ image: Plane) -> [Plane] {
        [convolve(image, firstOrder, horizontal: true),
         convolve(image, firstOrder, horizontal: false),
         convolve(image, secondOrder, horizontal: true),
         convolve(image, secondOrder, horizontal: false)]
    }

    /// MATLAB `conv2(image, h, 'same')` for a 1-D kernel of odd length along rows or columns:
    /// out(x) = Σ_k h(k)·image(x + c − k) with c the kernel centre, zero outside the image.
    public static func convolve(_ image: Plane, _ kernel: [Double], horizontal: Bool) -> Plane {
        let w = image.width, h = image.height, centre = kernel.count / 2
        var out = Plane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                var sum = 0.0
                for (k, weight) in kernel.enumerated() where weight != 0 {
                    let offset = centre - k
                    let sx = horizontal ? x + offset : x, sy = horizontal ? y : y + offset
                    if sx >= 0 && sx < w && sy >= 0 && sy < h { sum += weight * image.values[sy * w + sx] }
                }
                out.values[y * w + x] = sum
            }
        }
        return out
    }
}
