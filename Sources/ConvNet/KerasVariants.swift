// The SRCNN variants of the public Keras project titu1994/Image-Super-Resolution (models.py at its
// last commit, dd5149b), rebuilt as `NetworkSpec`s on the Y channel (issue 16). All but ResNet SR
// run like SRCNN on the LR image bicubic-upscaled to the HR size (`bicubicUpscale`); ResNet SR
// runs on the LR image and upsamples inside. Every convolution is 'same'-size, one Y map in and
// one out.
//
// - Expanded SRCNN (`ExpantionSuperResolution`): conv 9×9×64, ReLU → three parallel branches
//   1×1, 3×3 and 5×5 ×32, each ReLU → their average (Keras's Average) → conv 5×5×1, ReLU (the
//   Keras model ends in activation='relu' too).
// - Denoising auto-encoder SRCNN (`DenoisingAutoEncoderSR`, n1 = 64): level1_1 = ReLU(conv 3×3
//   (x)), level2_1 = ReLU(conv 3×3 (level1_1)), level2 = level2_1 + ReLU(convT 3×3 (level2_1)),
//   level1 = level1_1 + ReLU(convT 3×3 (level2)), output = conv 5×5×1 (level1), linear. As data:
//   conv1, ReLU → residual([conv2, ReLU, residual([conv3, ReLU]), conv4, ReLU]) → conv5, which is
//   level1 = x1 + ReLU(conv4(x2 + ReLU(conv3(x2)))) with x1 = level1_1, x2 = level2_1: the Keras
//   graph layer for layer.
//
// Where these specs depart from the Keras models:
// - Y channel in and out (the lab's protocol), not RGB: the first layer has 1 input map, the last
//   one output map.
// - The Keras "transposed" 3×3 stride-1 'same' convolutions (Conv2DTranspose) of the denoising
//   model are ordinary 'same' convolutions here: a stride-1 transposed convolution is a
//   cross-correlation with the kernel flipped in both axes (and its in/out axes swapped), so the
//   two families of functions are the same and only the weights' layout differs (Keras weights
//   would load with the flip).
// - 'Same' convolutions pad by edge replication, as the lab's SRCNN, FSRCNN and ESPCN do; Keras
//   pads with zeros (`padding: .zero` gives theirs). This changes only the outermost pixels.
// - Training follows the lab's SRCNN protocol (T91 33×33 bicubic sub-images at stride 14, Y,
//   dihedral augmentation and downscaled copies as a run's config says), not the Keras project's
//   (each image squashed to 128×128). The loss leaves out the receptive radius at each side of
//   the sub-image (`SequentialTrainable`), so no padded value reaches it, as SRCNN's valid
//   convolutions do: Expanded SRCNN's labels are 17×17 (radius 8), the denoising model's 21×21
//   (radius 6).
// - Initialisation He-normal for the layers before a ReLU (√(2/fan-in)), √(1/fan-in) for the
//   linear last layer, zero biases (`NetworkSpec.initialParameters`); Keras used Glorot uniform.
//   Expanded SRCNN's output convolution (before its ReLU) starts with bias 0.5: from zero, the
//   first full training run's output died within the first epoch (loss stuck at the labels'
//   mean square, 0.25).
//
// - Deep denoising SR (`DeepDenoiseSR`, n1, n2, n3 = 64, 128, 256): c1 = two ReLU conv 3×3×64;
//   max-pool 2 → c2 = two ReLU conv 3×3×128; max-pool 2 → ReLU conv 3×3×256 → upsample 2 → two
//   ReLU conv 3×3×128, + c2 → upsample 2 → two ReLU conv 3×3×64, + c1 → conv 5×5×1, linear. As
//   data: two residual blocks, one inside the other, each pooling and upsampling once. Its sides
//   must be multiples of 4 (Keras's `type_requires_divisible_shape`): `SequentialModel` extends
//   the image by edge replication to the next multiple and crops the output back. It trains on
//   36×36 bicubic sub-images (`SequentialTrainable.defaultPatch`); its receptive radius (23
//   pixels) would leave no label, so its runs set a smaller loss margin, and padded values reach
//   the loss as they do for ResNet SR.
//
// - ResNet SR (`ResNetSR`), on the LR image: x0 = ReLU(conv 3×3×64); six residual blocks
//   conv 3×3×64 → BN → ReLU → conv 3×3×64 → BN, + input; + x0 (the global skip); upsample ×2
//   (nearest) → ReLU(conv 3×3×64) → conv 3×3×1, linear.
//   Batch normalisation (`batchNorm: true`, BatchNorm.swift) as Keras's: ε 1e-3, running
//   statistics moved by 0.01 of each batch's, batch statistics per training shard (32 sub-images);
//   a model file keeps its tensors and inference folds each into the convolution before it, so
//   a trained network runs as the same network without. Without it (the default, and the first
//   runs') the block is EDSR's (Lim et al. 2017 removed batch norm from SRResNet's blocks as
//   harmful to SR), without its residual scaling; both kinds of file are "resnet-sr" models.
//   Departures: the Keras model is ×2 only (one upscale block), here the one upsampling is by the
//   scale, so ×3 repeats each pixel 3×3; it trains on LR sub-images as FSRCNN does
//   (SequentialTrainable), with the 'same' convolutions' padding inside the loss.
//
// - Distilled ResNet SR (`DistilledResNetSR`, n = 32): ReLU conv 3×3×32, one residual block, +
//   the first layer's output, upsampling, ReLU conv 3×3×32, conv 3×3×1: the same network with 32
//   maps and one block, trained on labels that mix the ground truth and a trained ResNet SR
//   teacher's outputs (`TrainingOptions.teacherModel`, `teacherWeight`; how, in
//   SubImageSet.blendOriginals). Departure: the Keras project's distill_network.py ignores the
//   ground truth (its Keras loss is zero) and minimises 1e-3·Σ(teacher − student)² plus 2 × the
//   squared difference of the outputs' Gram matrices; here the issue's recipe, half teacher and
//   half ground truth under one squared error, so that a student can be compared with the same
//   network trained on the ground truth alone.
//
// Not built: the non-local and GAN variants.

extension NetworkSpec {
    /// Expanded SRCNN at `scale` on the bicubic-upscaled Y (see the file header).
    public static func expandedSRCNN(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        let branches: [[LayerSpec]] = [1, 3, 5].map { k in
            [.conv(kernel: k, inChannels: 64, outChannels: 32, padding: k / 2), .relu]
        }
        return NetworkSpec(name: "Expanded SRCNN x\(scale)", layers: [
            .conv(kernel: 9, inChannels: 1, outChannels: 64, padding: 4), .relu,
            .parallel(branches),
            .conv(kernel: 5, inChannels: 32, outChannels: 1, padding: 2), .relu,
        ], padding: padding, modelKind: expandedSRCNNModelKind, bicubicUpscale: scale)
    }

    /// The denoising auto-encoder SRCNN at `scale` on the bicubic-upscaled Y (see the file header).
    public static func denoisingSRCNN(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        func conv3x3(_ c: Int) -> LayerSpec { .conv(kernel: 3, inChannels: c, outChannels: 64, padding: 1) }
        return NetworkSpec(name: "Denoising AE SRCNN x\(scale)", layers: [
            conv3x3(1), .relu,
            .residual([
                conv3x3(64), .relu,
                .residual([conv3x3(64), .relu]),
                conv3x3(64), .relu,
            ]),
            .conv(kernel: 5, inChannels: 64, outChannels: 1, padding: 2),
        ], padding: padding, modelKind: denoisingSRCNNModelKind, bicubicUpscale: scale)
    }

    /// Deep denoising SR at `scale` on the bicubic-upscaled Y (see the file header).
    public static func deepDenoisingSR(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        func conv(_ c: Int, _ o: Int) -> [LayerSpec] { [.conv(kernel: 3, inChannels: c, outChannels: o, padding: 1), .relu] }
        let inner: [LayerSpec] = [.maxPool(size: 2)] + conv(128, 256) + [.upsample(factor: 2)] + conv(256, 128) + conv(128, 128)
        let outer: [LayerSpec] = [.maxPool(size: 2)] + conv(64, 128) + conv(128, 128) + [.residual(inner), .upsample(factor: 2)]
            + conv(128, 64) + conv(64, 64)
        return NetworkSpec(name: "Deep Denoising SR x\(scale)", layers: conv(1, 64) + conv(64, 64) + [
            .residual(outer),
            .conv(kernel: 5, inChannels: 64, outChannels: 1, padding: 2),
        ], padding: padding, modelKind: deepDenoisingSRModelKind, bicubicUpscale: scale)
    }

    /// ResNet SR at `scale` on the LR Y (see the file header): `maps` feature maps and `blocks`
    /// residual blocks (the Keras model's 64 and 6), each conv-BN-ReLU-conv-BN as the Keras model's
    /// with `batchNorm`, else EDSR's conv-ReLU-conv (what a trained one folds into either way).
    public static func resNetSR(scale: Int, maps: Int = 64, blocks: Int = 6, batchNorm: Bool = false,
                                padding: PaddingMode = .replicate, name: String = "ResNet SR",
                                modelKind: String = resNetSRModelKind) -> NetworkSpec {
        func conv(_ c: Int, _ o: Int) -> LayerSpec { .conv(kernel: 3, inChannels: c, outChannels: o, padding: 1) }
        let norm: [LayerSpec] = batchNorm ? [.batchNorm(channels: maps)] : []
        let block = LayerSpec.residual([conv(maps, maps)] + norm + [.relu, conv(maps, maps)] + norm)
        return NetworkSpec(name: "\(name)\(batchNorm ? " (BN)" : "") x\(scale)", layers: [
            conv(1, maps), .relu,
            .residual(Array(repeating: block, count: blocks)),
            .upsample(factor: scale), conv(maps, maps), .relu,
            conv(maps, 1),
        ], padding: padding, modelKind: modelKind)
    }

    /// The Keras project's distilled student (`DistilledResNetSR`): ResNet SR with 32 maps and one
    /// residual block, trained against a ResNet SR teacher's outputs and the ground truth
    /// (`TrainingOptions.teacherModel`).
    public static func distilledResNetSR(scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec {
        resNetSR(scale: scale, maps: 32, blocks: 1, padding: padding, name: "Distilled ResNet SR",
                 modelKind: distilledResNetSRModelKind)
    }

    /// The Keras variant of kind `kind` as the Keras project defines it with batch norm (ResNet SR
    /// and its distilled student: conv-BN-ReLU-conv-BN blocks); nil for a kind without it.
    public static func publishedWithBatchNorm(kind: String, scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec? {
        switch kind {
        case resNetSRModelKind: return .resNetSR(scale: scale, batchNorm: true, padding: padding)
        case distilledResNetSRModelKind:
            return .resNetSR(scale: scale, maps: 32, blocks: 1, batchNorm: true, padding: padding, name: "Distilled ResNet SR",
                             modelKind: distilledResNetSRModelKind)
        default: return nil
        }
    }

    /// The model-file kinds of the Keras variants (the registry's method names).
    public static let expandedSRCNNModelKind = "expanded-srcnn", denoisingSRCNNModelKind = "denoising-srcnn",
                      resNetSRModelKind = "resnet-sr", distilledResNetSRModelKind = "distilled-resnet-sr",
                      deepDenoisingSRModelKind = "deep-denoising-sr"
    public static let kerasVariantKinds = [expandedSRCNNModelKind, denoisingSRCNNModelKind, resNetSRModelKind,
                                           distilledResNetSRModelKind, deepDenoisingSRModelKind]

    /// The Keras variant of model-file kind `kind` at `scale`; nil for another kind.
    public static func kerasVariant(kind: String, scale: Int, padding: PaddingMode = .replicate) -> NetworkSpec? {
        switch kind {
        case expandedSRCNNModelKind: return .expandedSRCNN(scale: scale, padding: padding)
        case denoisingSRCNNModelKind: return .denoisingSRCNN(scale: scale, padding: padding)
        case resNetSRModelKind: return .resNetSR(scale: scale, padding: padding)
        case distilledResNetSRModelKind: return .distilledResNetSR(scale: scale, padding: padding)
        case deepDenoisingSRModelKind: return .deepDenoisingSR(scale: scale, padding: padding)
        default: return nil
        }
    }
}
