import Foundation
import Imaging

/// What a network takes for each training sub-image (`NetworkDescription.input`).
public enum TrainingInput: Sendable, Equatable {
    /// SRCNN's: the bicubic-upscaled Y, `size`×`size` sub-images at stride `stride`, the HR
    /// sub-image's size (`srcnnSubImages`: SRCNN's 33×33 at stride 14).
    case bicubicUpscaled(size: Int, stride: Int)
    /// The LR-space networks' (FSRCNN, ESPCN): the LR Y itself, `size`×`size` at LR stride
    /// `stride`, whose HR sub-image is `scale·size` on a side.
    case lowResolution(size: Int, stride: Int)

    /// SRCNN's sub-images: 33×33 at stride 14 on the bicubic-upscaled Y.
    public static let srcnnSubImages = TrainingInput.bicubicUpscaled(size: SubImageSet.defaultPatchSize,
                                                                     stride: SubImageSet.defaultStride)
}

/// Training sub-images: HR sub-images cut from the training images' Y, and beside each the
/// network's input for it (`TrainingInput`). Both protocols start alike: Y of `rgb2ycbcr` (8-bit)
/// / 255 → modcrop to a multiple of the scale → LR = `imresize(Y, 1/s, 'bicubic')`.
///
/// - SRCNN's, as its authors' released `generate_train.m` makes them: the input is the LR
///   upscaled back, `imresize(LR, [h w], 'bicubic')`; 33×33 sub-images at stride 14, rows outer,
///   from the bicubic image and the same place in the original. (The script keeps only the centre
///   21×21 of the original; this keeps all 33×33 so any architecture and any flip/rotation can
///   take its centre later: `copy`.) With T91 at ×3 this gives 21,884 sub-images, the count of
///   the released script.
/// - The LR-space networks' (FSRCNN, arXiv 1608.00367, §4.1: LR sub-images with the HR
///   sub-images cropped from the ground truth): LR sub-images of side f at LR stride k, rows
///   outer; the HR sub-image of LR sub-image (X, Y) is the s·f × s·f block at (s·X, s·Y) of the
///   modcropped original: MATLAB's imresize puts LR pixel i's centre at HR i·s + (s − 1)/2, the
///   centre of HR pixels s·i … s·i + s − 1, so the blocks line up with the LR pixels exactly (and
///   stay lined up under the 8 flips/rotations, which map block i to block f − 1 − i).
public struct SubImageSet: Sendable {
    public static let defaultPatchSize = 33
    public static let defaultStride = 14

    /// Side of the HR sub-images (the labels are their centres).
    public let patchSize: Int
    /// Side of the network's input sub-images: `patchSize` (bicubic) or the LR side.
    public let inputSize: Int
    public let scale: Int
    /// Stride between sub-images, in the pixels of the network's input.
    public let stride: Int
    public let input: TrainingInput
    /// Network input sub-images, `count × inputSize²`, row-major.
    public private(set) var inputs: [Float] = []
    /// Original (HR) sub-images, `count × patchSize²`.
    public private(set) var originals: [Float] = []
    public private(set) var count = 0
    /// Which image and where (in the modcropped original) each sub-image came from.
    public private(set) var sources: [(image: Int, x: Int, y: Int)] = []

    /// Knowledge distillation's labels: each original becomes (1 − w)·original + w·teacher, with
    /// `teacherOutputs` the teacher's output for each input (`count × patchSize²`). Training on
    /// these minimises (1 − w)‖y − ground truth‖² + w‖y − teacher‖² up to a constant, the
    /// distillation loss as one squared error. Outputs are taken once, on the sub-images as cut;
    /// a flipped or rotated use takes the same flip of the teacher's output (for a teacher trained
    /// with that augmentation, close to its output on the flipped input, not equal to it).
    public mutating func blendOriginals(with teacherOutputs: [Float], weight: Float) {
        precondition(teacherOutputs.count == originals.count, "\(teacherOutputs.count) teacher outputs for \(originals.count) label values")
        for i in originals.indices { originals[i] = (1 - weight) * originals[i] + weight * teacherOutputs[i] }
    }

    /// SRCNN's sub-images from Y planes already on [0, 1] (8-bit values / 255).
    public init(lumaPlanes: [Plane], scale: Int, patchSize: Int = defaultPatchSize, stride: Int = defaultStride) {
        self.init(lumaPlanes: lumaPlanes, scale: scale, input: .bicubicUpscaled(size: patchSize, stride: stride),
                  patchSize: patchSize, stride: stride)
    }

    /// LR sub-images of side `size` at LR stride `stride` and their HR sub-images, from Y planes on [0, 1].
    public init(lumaPlanes: [Plane], scale: Int, lowResolutionSize size: Int, stride: Int) {
        self.init(lumaPlanes: lumaPlanes, scale: scale, input: .lowResolution(size: size, stride: stride),
                  patchSize: scale * size, stride: stride)
    }

    private init(lumaPlanes: [Plane], scale: Int, input: TrainingInput, patchSize: Int, stride: Int) {
        precondition(scale >= 1 && patchSize >= 1 && stride >= 1, "sub-images need a scale, a size and a stride of at least 1")
        self.patchSize = patchSize
        self.scale = scale
        self.stride = stride
        self.input = input
        let lowResolution: Bool
        if case .lowResolution(let size, _) = input { inputSize = size; lowResolution = true } else { inputSize = patchSize; lowResolution = false }
        // Input pixels per HR pixel along a side: 1/s for LR inputs.
        let step = lowResolution ? scale : 1
        for (index, full) in lumaPlanes.enumerated() {
            let label = full.cropped(x: 0, y: 0, width: full.width - full.width % scale,
                                     height: full.height - full.height % scale)
            guard label.width >= patchSize, label.height >= patchSize else { continue }
            let low = Resize.bicubic(label, scale: 1 / Double(scale))
            let source = lowResolution ? low : Resize.bicubic(low, width: label.width, height: label.height)
            let n = inputSize
            for y in Swift.stride(from: 0, through: source.height - n, by: stride) {
                for x in Swift.stride(from: 0, through: source.width - n, by: stride) {
                    for r in 0..<n {
                        let base = (y + r) * source.width + x
                        for c in 0..<n { inputs.append(Float(source.values[base + c])) }
                    }
                    let hx = x * step, hy = y * step
                    for r in 0..<patchSize {
                        let base = (hy + r) * label.width + hx
                        for c in 0..<patchSize { originals.append(Float(label.values[base + c])) }
                    }
                    sources.append((index, hx, hy))
                    count += 1
                }
            }
        }
    }

    /// Reads every image file (sorted by name) and cuts its sub-images; with `downscales`, each
    /// image's bicubic-downscaled copies (MATLAB `imresize(Y, f)`) follow it as further planes.
    public init(imageFiles: [String], scale: Int, downscales: [Double] = [], patchSize: Int = defaultPatchSize,
                stride: Int = defaultStride) throws {
        self.init(lumaPlanes: try Self.lumaPlanes(imageFiles, downscales: downscales), scale: scale,
                  patchSize: patchSize, stride: stride)
    }

    /// The same for any `input`: sub-images of the bicubic-upscaled image (SRCNN's 33×33 at stride
    /// 14, or another side), or LR sub-images.
    public init(imageFiles: [String], scale: Int, downscales: [Double] = [], input: TrainingInput) throws {
        let planes = try Self.lumaPlanes(imageFiles, downscales: downscales)
        switch input {
        case let .bicubicUpscaled(size, stride): self.init(lumaPlanes: planes, scale: scale, patchSize: size, stride: stride)
        case let .lowResolution(size, stride): self.init(lumaPlanes: planes, scale: scale, lowResolutionSize: size, stride: stride)
        }
    }

    static func lumaPlanes(_ imageFiles: [String], downscales: [Double]) throws -> [Plane] {
        try imageFiles.flatMap { path in
            let luma = Color.luma(try ImageIO.read(path)).map { $0 / 255 }
            return [luma] + downscales.map { Resize.bicubic(luma, scale: $0) }
        }
    }

    /// The training set `options` name (its folder, scale and downscaled copies), as `input` takes it.
    public init(options: TrainingOptions, input: TrainingInput = .srcnnSubImages) throws {
        try self.init(imageFiles: try Self.imageFiles(in: options.trainingFolder), scale: options.scale,
                      downscales: options.downscales, input: input)
    }

    /// How the sub-images were cut, for model metadata.
    public var geometry: String {
        switch input {
        case .bicubicUpscaled:
            return "sub-images \(patchSize)x\(patchSize) stride \(stride), Y, bicubic x\(scale) down-up"
        case .lowResolution:
            return "LR sub-images \(inputSize)x\(inputSize) stride \(stride) with their HR \(patchSize)x\(patchSize), Y, bicubic x\(scale) down"
        }
    }

    /// The images of `folder` (`ImageFolder.list`: hidden files and subfolders skipped, sorted by name).
    public static func imageFiles(in folder: String) throws -> [String] {
        try ImageFolder.paths(folder)
    }

    /// Copies sub-image `index` into `input` (inputSize²) and its label — the centre
    /// `labelSize`² of the original — into `label`, both under dihedral transform `transform`
    /// (0 = identity; 1…7 = rotations by 90° and mirror images), which the label's centring and
    /// the LR/HR alignment commute with.
    public func copy(_ index: Int, transform: Int = 0, labelSize: Int,
                     input: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<Float>) {
        let p = patchSize, offset = (p - labelSize) / 2
        let base = index * p * p, n = inputSize, inputBase = index * n * n
        inputs.withUnsafeBufferPointer { src in
            originals.withUnsafeBufferPointer { hr in
                for r in 0..<n {
                    for c in 0..<n {
                        let (sr, sc) = Self.sourceCoordinates(r, c, size: n, transform: transform)
                        input[r * n + c] = src[inputBase + sr * n + sc]
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
