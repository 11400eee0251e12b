// The CNNs that work on the LR image and upscale only at the end, as `NetworkSpec`s.
//
// FSRCNN: C. Dong, C. C. Loy, X. Tang, "Accelerating the Super-Resolution Convolutional Neural
// Network", ECCV 2016 (arXiv 1608.00367). FSRCNN(d, s, m): conv 5×5×d, PReLU → 1×1×s (shrink),
// PReLU → m × (3×3×s, PReLU) → 1×1×d (expand), PReLU → deconvolution 9×9, stride = scale, one map.
// FSRCNN(56,12,4) is the paper's model, FSRCNN-s(32,5,1) its small real-time one.
//
// ESPCN: W. Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
// Sub-Pixel Convolutional Neural Network", CVPR 2016 (arXiv 1609.05158). Conv 5×5×64, tanh →
// 3×3×32, tanh → 3×3×scale² → pixel shuffle (the paper's periodic shuffling).
//
// Both run on the LR Y channel on [0, 1] (the lab's protocol: Y of BT.601 studio range / 255,
// LR by MATLAB bicubic) and output the HR Y, exactly `scale` times the input's size.
//
// Note — where these specs depart from the papers or choose what the papers leave open:
// - 'Same' convolutions pad by edge replication, as the FSRCNN authors' MATLAB test code
//   (imfilter 'replicate') and the lab's SRCNN do; PyTorch ports pad with zeros
//   (`padding: .zero` gives theirs).
// - The deconvolution's padding is ⌊(9 − s)/2⌋ (TransposedConv2D.swift): the kernel centre on the
//   LR pixel centre, output exactly s·H. PyTorch ports take padding 4, output_padding s − 1.
// - Training keeps the 'same' convolutions (as the FSRCNN paper did, with zero padding) on LR
//   sub-images larger than the paper's; the loss leaves out the deconvolution's edge margin
//   (SequentialTrainable.swift's header).
// - Model files name the network by `modelKind` ("fsrcnn", "fsrcnn-s", "espcn"); other specs
//   (e.g. FSRCNN(8,4,1)) write kind "sequential", which the registry does not run.
// - Initialisation (`NetworkSpec.initialParameters`): He for PReLU, N(0, 0.001²) for the
//   deconvolution as in the FSRCNN paper, PReLU slopes 0.25.

extension NetworkSpec {
    /// FSRCNN(d, s, m) at `scale` (see the file header).
    public static func fsrcnn(d: Int = 56, s: Int = 12, m: Int = 4, scale: Int,
                              padding: PaddingMode = .replicate) -> NetworkSpec {
        var layers: [LayerSpec] = [.conv(kernel: 5, inChannels: 1, outChannels: d, padding: 2), .prelu(channels: d),
                                   .conv(kernel: 1, inChannels: d, outChannels: s, padding: 0), .prelu(channels: s)]
        for _ in 0..<m {
            layers += [.conv(kernel: 3, inChannels: s, outChannels: s, padding: 1), .prelu(channels: s)]
        }
        layers += [.conv(kernel: 1, inChannels: s, outChannels: d, padding: 0), .prelu(channels: d),
                   .deconv(kernel: 9, inChannels: d, outChannels: 1, stride: scale,
                           padding: fsrcnnDeconvolutionPadding(kernel: 9, stride: scale))]
        let published = (d, s, m) == (56, 12, 4)
        return NetworkSpec(name: "FSRCNN(\(d),\(s),\(m)) x\(scale)", layers: layers, padding: padding,
                           modelKind: published ? fsrcnnModelKind : nil)
    }

    /// FSRCNN-s: FSRCNN(32, 5, 1), the paper's real-time model.
    public static func fsrcnnSmall(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        var spec = fsrcnn(d: 32, s: 5, m: 1, scale: scale, padding: padding)
        spec.name = "FSRCNN-s(32,5,1) x\(scale)"
        spec.modelKind = fsrcnnSmallModelKind
        return spec
    }

    /// ESPCN at `scale` (see the file header).
    public static func espcn(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        NetworkSpec(name: "ESPCN x\(scale)", layers: [
            .conv(kernel: 5, inChannels: 1, outChannels: 64, padding: 2), .tanh,
            .conv(kernel: 3, inChannels: 64, outChannels: 32, padding: 1), .tanh,
            .conv(kernel: 3, inChannels: 32, outChannels: scale * scale, padding: 1),
            .pixelShuffle(factor: scale),
        ], padding: padding, modelKind: espcnModelKind)
    }

    /// The model-file kinds of the three published networks and the Keras variants
    /// (KerasVariants.swift): the registry's method names.
    public static let fsrcnnModelKind = "fsrcnn", fsrcnnSmallModelKind = "fsrcnn-s", espcnModelKind = "espcn"
    public static let publishedKinds = [fsrcnnModelKind, fsrcnnSmallModelKind, espcnModelKind] + kerasVariantKinds

    /// The published network of model-file kind `kind` at `scale`; nil for another kind.
    public static func published(kind: String, scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec? {
        switch kind {
        case fsrcnnModelKind: return .fsrcnn(scale: scale, padding: padding)
        case fsrcnnSmallModelKind: return .fsrcnnSmall(scale: scale, padding: padding)
        case espcnModelKind: return .espcn(scale: scale, padding: padding)
        default: return kerasVariant(kind: kind, scale: scale, padding: padding)
        }
    }
}
