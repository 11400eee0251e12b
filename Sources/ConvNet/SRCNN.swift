// SRCNN: C. Dong, C. C. Loy, K. He, X. Tang, "Learning a Deep Convolutional Network for Image
// Super-Resolution", ECCV 2014, and "Image Super-Resolution Using Deep Convolutional Networks",
// IEEE TPAMI 38(2), 2016.
//
// Three convolutions on the bicubic-upscaled Y channel: f1×f1 patch extraction to n1 maps, ReLU;
// f2×f2 non-linear mapping to n2 maps, ReLU; f3×f3 reconstruction to one map.
//
// Note: departures from the paper and the authors' code.
// - Inference pads each layer's input by edge replication to keep the image size, as the
//   authors' MATLAB demo does (imfilter 'replicate'); the paper's Caffe training uses no padding,
//   and so does `SRCNNTrainer` here.
// - Large images are processed in tiles with a halo of Σ(k−1)/2 pixels (2 more for a Winograd
//   layer, whose 3×3 tiles sit on a grid fixed in image coordinates), which gives the same result
//   as the whole image at once (the replication happens only at the true image border).
// - Arithmetic is float32 (MATLAB's demo runs in double); on the authors' filters this changes
//   no 8-bit output enough to move PSNR at the reported 0.01 dB.
// - Training departures (optimiser, initialisation, batch, loss normalisation, epochs) are
//   recorded in each trained model's metadata; see SRCNNTrainer.swift. Adam with the paper's
//   N(0, 0.001²) initialisation kills about half the ReLU maps, hence the He option.

import SeededRandom
import Imaging

/// The f1-f2-f3 / n1-n2 shape of an SRCNN.
public struct SRCNNArchitecture: Sendable, Hashable, Codable, CustomStringConvertible {
    public var f1: Int, f2: Int, f3: Int
    public var n1: Int, n2: Int

    public init(f1: Int = 9, f2: Int, f3: Int = 5, n1: Int = 64, n2: Int = 32) {
        precondition([f1, f2, f3, n1, n2].allSatisfy { $0 > 0 }, "SRCNN sizes must be positive")
        self.f1 = f1; self.f2 = f2; self.f3 = f3; self.n1 = n1; self.n2 = n2
    }

    /// The paper's settings: 9-1-5 (ECCV), 9-3-5 and 9-5-5 (TPAMI), all with n1 = 64, n2 = 32.
    public static let srcnn915 = SRCNNArchitecture(f2: 1)
    public static let srcnn935 = SRCNNArchitecture(f2: 3)
    public static let srcnn955 = SRCNNArchitecture(f2: 5)

    /// Parses "9-5-5" (n1 = 64, n2 = 32) or "9-5-5:64-32".
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count <= 2 else { return nil }
        let sizes = parts[0].split(separator: "-").compactMap { Int($0) }
        let widths = parts.count == 2 ? parts[1].split(separator: "-").compactMap { Int($0) } : [64, 32]
        guard sizes.count == 3, widths.count == 2, (sizes + widths).allSatisfy({ $0 > 0 }) else { return nil }
        self.init(f1: sizes[0], f2: sizes[1], f3: sizes[2], n1: widths[0], n2: widths[1])
    }

    public var description: String {
        let base = "\(f1)-\(f2)-\(f3)"
        return n1 == 64 && n2 == 32 ? base : base + ":\(n1)-\(n2)"
    }

    /// (kernel, input channels, output channels) of the three convolutions.
    public var layers: [(kernel: Int, inChannels: Int, outChannels: Int)] {
        [(f1, 1, n1), (f2, n1, n2), (f3, n2, 1)]
    }

    /// Pixels of context each output pixel needs on every side: Σ (k − 1)/2 (odd kernels).
    public var halo: Int { layers.reduce(0) { $0 + ($1.kernel - 1) / 2 } }

    /// Border lost to valid convolutions: Σ (k − 1). A 33×33 training input gives 33 − this.
    public var validShrink: Int { layers.reduce(0) { $0 + $1.kernel - 1 } }

    /// The six parameter tensors' names and shapes in the authors' OIHW layout.
    public var tensorShapes: [(name: String, shape: [Int])] {
        layers.enumerated().flatMap { (i, l) in
            [("conv\(i + 1).weight", [l.outChannels, l.inChannels, l.kernel, l.kernel]),
             ("conv\(i + 1).bias", [l.outChannels])]
        }
    }

    public var parameterCount: Int { tensorShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}

/// An SRCNN with its filters. Parameters are six tensors in the order conv1.weight, conv1.bias,
/// conv2.weight, conv2.bias, conv3.weight, conv3.bias; weights are held HWIO (see Conv2D.swift)
/// and converted to and from the authors' OIHW only in files. The filters hold no scale of their
/// own: `resolver(scale:)` runs them at the factor they were trained for.
public struct SRCNN: Sendable {
    public var architecture: SRCNNArchitecture
    public var parameters: [[Float]]
    /// Free-form provenance (arch, scale, seed, training set, optimiser, notes) kept in the file.
    public var metadata: [String: String]
    /// Side of the square tiles large images are processed in (the result does not depend on it;
    /// memory does: about 1 KB per tile pixel for 9-5-5).
    public var tileSize: Int = 512
    /// The file the model was loaded from, for error messages (nil if built in memory).
    public var modelPath: String?

    public init(architecture: SRCNNArchitecture, parameters: [[Float]], metadata: [String: String] = [:]) {
        let shapes = architecture.tensorShapes
        precondition(parameters.count == shapes.count, "SRCNN needs \(shapes.count) parameter tensors")
        for (p, s) in zip(parameters, shapes) {
            precondition(p.count == s.shape.reduce(1, *), "\(s.name) needs \(s.shape.reduce(1, *)) values, got \(p.count)")
        }
        self.architecture = architecture
        self.parameters = parameters
        self.metadata = metadata
    }

    /// The paper's initialisation: weights from N(0, std²) (std 0.001), biases zero.
    public init(architecture: SRCNNArchitecture, seed: UInt64, standardDeviation: Double = 0.001) {
        self.init(architecture: architecture, seed: seed, layerStandardDeviations: [Double](repeating: standardDeviation, count: 3))
    }

    /// He et al. (2015) initialisation, std √(2 / fan-in) per layer, biases zero: weights large
    /// enough from the start that early updates do not silence ReLU maps for good.
    public init(architecture: SRCNNArchitecture, heInitialisationSeed seed: UInt64) {
        let deviations = architecture.layers.map { (2 / Double($0.kernel * $0.kernel * $0.inChannels)).squareRoot() }
        self.init(architecture: architecture, seed: seed, layerStandardDeviations: deviations)
    }

    init(architecture: SRCNNArchitecture, seed: UInt64, layerStandardDeviations: [Double]) {
        var rng = Xoshiro256(seed: seed)
        let params = architecture.tensorShapes.enumerated().map { (index, entry) -> [Float] in
            let count = entry.shape.reduce(1, *)
            let std = layerStandardDeviations[index / 2]
            return entry.name.hasSuffix(".bias") ? [Float](repeating: 0, count: count)
                : (0..<count).map { _ in Float(rng.nextGaussian() * std) }
        }
        self.init(architecture: architecture, parameters: params, metadata: ["seed": "\(seed)"])
    }

    /// The first `count` first-layer filters (patch extraction), for figures.
    public func firstLayerTiles(count: Int) -> [Tile] {
        let f = architecture.f1, w = parameters[0] // conv1.weight, HWIO with O fastest
        return (0..<min(count, architecture.n1)).map { o in
            Tile(size: f, values: (0..<(f * f)).map { Double(w[$0 * architecture.n1 + o]) })
        }
    }

    /// The network run at `scale`.
    public func resolver(scale: Int) -> SRCNNResolver { SRCNNResolver(self, scale: scale) }
}

/// SRCNN as a super-resolver at one factor: bicubic upscaling (MATLAB imresize) by `scale`, then
/// the network, same size, values not rounded.
public struct SRCNNResolver: SuperResolver {
    public var network: SRCNN
    public let scale: Int

    public init(_ network: SRCNN, scale: Int) {
        precondition(scale >= 1, "SRCNN runs at a scale of at least 1")
        self.network = network
        self.scale = scale
    }

    public var name: String { "srcnn \(network.architecture)" }
    public var modelPath: String? { network.modelPath }
    /// Each layer reads (k − 1)/2 pixels around; 2 more cover the Winograd grid (see the header).
    public var contextRadius: Int? { network.architecture.halo + 2 }

    public func upscale(lowRes: Plane) -> Plane {
        upscale(lowRes: lowRes, progress: nil)
    }

    public func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane {
        network.apply(to: Resize.bicubic(lowRes, scale: Double(scale)), progress: progress)
    }
}
