import Foundation
import Imaging

/// Training sub-images under SRCNN's protocol (the one every network here trains on), made as
/// SRCNN's authors' released `generate_train.m` makes them:
/// Y of `rgb2ycbcr` (8-bit) / 255 → modcrop to a multiple of the scale → the input is
/// `imresize(imresize(Y, 1/s, 'bicubic'), [h w], 'bicubic')` → 33×33 sub-images at stride 14,
/// rows outer, from the bicubic image and the same place in the original. (The script keeps only
/// the centre 21×21 of the original; this keeps all 33×33 so any architecture and any
/// flip/rotation can take its centre later: `copy`.)
///
/// With T91 at ×3 this gives 21,884 sub-images, the count of the released script.
public struct SubImageSet: Sendable {
    public static let defaultPatchSize = 33
    public static let defaultStride = 14

    public let patchSize: Int
    public let scale: Int
    /// Bicubic (network input) sub-images, `count × patchSize²`, row-major.
    public private(set) var inputs: [Float] = []
    /// Original sub-images at the same places, `count × patchSize²`.
    public private(set) var originals: [Float] = []
    public private(set) var count = 0
    /// Which image and where each sub-image came from (for reproducibility reports).
    public private(set) var sources: [(image: Int, x: Int, y: Int)] = []

    /// Cuts sub-images from Y planes already on [0, 1] (8-bit values / 255).
    public init(lumaPlanes: [Plane], scale: Int, patchSize: Int = defaultPatchSize, stride: Int = defaultStride) {
        self.patchSize = patchSize
        self.scale = scale
        for (index, full) in lumaPlanes.enumerated() {
            let label = full.cropped(x: 0, y: 0, width: full.width - full.width % scale,
                                     height: full.height - full.height % scale)
            guard label.width >= patchSize, label.height >= patchSize else { continue }
            let low = Resize.bicubic(label, scale: 1 / Double(scale))
            let input = Resize.bicubic(low, width: label.width, height: label.height)
            for y in Swift.stride(from: 0, through: label.height - patchSize, by: stride) {
                for x in Swift.stride(from: 0, through: label.width - patchSize, by: stride) {
                    for r in 0..<patchSize {
                        let base = (y + r) * label.width + x
                        for c in 0..<patchSize {
                            inputs.append(Float(input.values[base + c]))
                            originals.append(Float(label.values[base + c]))
                        }
                    }
                    sources.append((index, x, y))
                    count += 1
                }
            }
        }
    }

    /// Reads every image file (sorted by name) and cuts its sub-images; with `downscales`, each
    /// image's bicubic-downscaled copies (MATLAB `imresize(Y, f)`) follow it as further planes.
    public init(imageFiles: [String], scale: Int, downscales: [Double] = [], patchSize: Int = defaultPatchSize,
                stride: Int = defaultStride) throws {
        let planes = try imageFiles.flatMap { path in
            let luma = Color.luma(try ImageIO.read(path)).map { $0 / 255 }
            return [luma] + downscales.map { Resize.bicubic(luma, scale: $0) }
        }
        self.init(lumaPlanes: planes, scale: scale, patchSize: patchSize, stride: stride)
    }

    /// The training set `options` name: its folder, scale and downscaled copies.
    public init(options: TrainingOptions) throws {
        try self.init(imageFiles: try Self.imageFiles(in: options.trainingFolder), scale: options.scale,
                      downscales: options.downscales)
    }

    /// The images of `folder` (`ImageFolder.list`: hidden files and subfolders skipped, sorted by name).
    public static func imageFiles(in folder: String) throws -> [String] {
        try ImageFolder.paths(folder)
    }

    /// Copies sub-image `index` into `input` (patchSize²) and its label — the centre
    /// `labelSize`² of the original — into `label`, both under dihedral transform `transform`
    /// (0 = identity; 1…7 = rotations by 90° and mirror images), which the label's centring commutes with.
    public func copy(_ index: Int, transform: Int = 0, labelSize: Int,
                     input: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<Float>) {
        let p = patchSize, offset = (p - labelSize) / 2
        let base = index * p * p
        inputs.withUnsafeBufferPointer { src in
            originals.withUnsafeBufferPointer { hr in
                for r in 0..<p {
                    for c in 0..<p {
                        let (sr, sc) = Self.sourceCoordinates(r, c, size: p, transform: transform)
                        input[r * p + c] = src[base + sr * p + sc]
                    }
                }
                for r in 0..<labelSize {
                    for c in 0..<labelSize {
                        let (sr, sc) = Self.sourceCoordinates(r + offset, c + offset, size: p, transform: transform)
                        label[r * labelSize + c] = hr[base + sr * p + sc]
                    }
                }
            }
        }
    }

    /// Where pixel (r, c) of the transformed patch comes from in the stored one.
    @inline(__always) static func sourceCoordinates(_ r: Int, _ c: Int, size n: Int, transform: Int) -> (Int, Int) {
        let m = n - 1
        switch transform & 7 {
        case 0: return (r, c)
        case 1: return (c, m - r)        // rotate 90°
        case 2: return (m - r, m - c)    // 180°
        case 3: return (m - c, r)        // 270°
        case 4: return (r, m - c)        // mirror
        case 5: return (c, r)            // transpose
        case 6: return (m - r, c)        // flip vertically
        default: return (m - c, m - r)   // anti-transpose
        }
    }
}
