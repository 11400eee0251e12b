import Foundation
import ConvNet
import Equivalence
import LinearAlgebra
import SparseCoding
import Training

/// The sparse-coding network trained end to end: LISTA (Gregor & LeCun, "Learning Fast
/// Approximations of Sparse Coding", ICML 2010) inside the ScSR network of `SparseCodingNetwork`,
/// as in Wang, Liu, Yang, Han, Huang, "Deep Networks for Image Super-Resolution with Sparse Prior"
/// (SCN, ICCV 2015): initialised from a coupled dictionary, the unrolled ISTA iterations become
/// layers with their own weights, and everything is trained on SRCNN's protocol (`NetworkTrainer`).
///
/// Layers, on the bicubic-upscaled Y on [0, 1] (n atoms, K iterations; learned unless "fixed"):
/// 1. layer 1: a 9×9 convolution 1 → n, initialised to the composed filters Dlᵀ ∘ features
///    (`ComposedFilters.layerOne`, Dl with unit columns); fixed per-pixel scale 255 / (L·s) with
///    s = max(1, ‖features‖) on the 0–255 scale (the pipeline's normalisation, a fixed side path):
///    b = 255·(W1 ⊛ x) / (L·s).
/// 2. LISTA: w = soft(b, θ₀), then K − 1 times w = soft(S_t ⊛ w + b, θ_t): S_t an n×n 1×1
///    convolution per iteration (init I − DlᵀDl/L), θ_t a threshold per channel and iteration
///    (init λ/L).
/// 3. reconstruction: codes × s (fixed; SCN's linear undo of the normalisation), then a 5×5 n → 1
///    convolution (init g·the HR atoms turned by 180°, `ComposedFilters.reconstruction`), × 1/(25·255)
///    (fixed: the average over the 25 covering patches and back to [0, 1]), plus the patches' means
///    averaged the same way (fixed).
///
/// Note: departures from the fixed pipeline (`ScSR` / `SparseCodingNetwork`), also in every model
/// file's `departures` metadata (`departures` below):
/// - the weights above are learned; K unrolled ISTA steps instead of the exact lasso (λ = 0.2);
/// - ScSR's per-patch contrast gain 1.2·‖mean-free patch‖/‖Dh w‖ (non-linear) is replaced by the
///   linear rescale by s and one scalar g, calibrated at initialisation by least squares on
///   training sub-images (`calibrateGain`);
/// - every patch position is used (stride 1, weight 1/25 everywhere), not the release's grid with
///   its last row and column counted twice; the image border is handled by replicating the input
///   by 6 pixels (as SRCNN's inference pads) instead of zero-padded features and uncovered pixels
///   kept at bicubic;
/// - no back-projection (the pipeline runs 20 iterations of it); Float arithmetic.
public struct TrainableSparseCodingNetwork: Sendable {
    public var configuration: SparseCodingNetworkConfiguration
    /// conv1.weight, lista.inhibition, lista.threshold, reconstruction.weight (layouts: configuration).
    public var parameters: [[Float]]
    /// Provenance (dictionary, gain, training) kept in model files.
    public var metadata: [String: String]
    /// The file the model was loaded from, for error messages (nil if built in memory).
    public var modelPath: String?

    public init(configuration: SparseCodingNetworkConfiguration, parameters: [[Float]], metadata: [String: String] = [:]) {
        precondition(parameters.map(\.count) == configuration.parameterCounts,
                     "parameters do not match the network's tensors \(configuration.parameterCounts)")
        self.configuration = configuration
        self.parameters = parameters
        self.metadata = metadata
    }

    /// The network whose K layers are exactly K ISTA iterations on Dl (λ, step 1/L) and whose
    /// reconstruction lays down the HR atoms at gain 1 (call `calibrateGain` next).
    public init(dictionary: CoupledDictionary, iterations: Int, lambda: Double = 0.2, dictionaryName: String = "") {
        let (configuration, parameters) = Self.initialisation(dictionary: dictionary, iterations: iterations, lambda: lambda)
        self.init(configuration: configuration, parameters: parameters.map { $0.map { Float($0) } },
                  metadata: ["dictionary": dictionaryName, "gain": "1"])
    }

    /// The initial parameters in Double (the tests compare them with ISTA exactly).
    static func initialisation(dictionary: CoupledDictionary, iterations: Int,
                               lambda: Double) -> (SparseCodingNetworkConfiguration, [[Double]]) {
        precondition(iterations >= 2, "the trainable network needs at least two iterations (one inhibition layer)")
        precondition(dictionary.metadata.patchSize == 5, "the network's geometry is that of 5×5 patches")
        let k = dictionary.atoms
        let low = SparseCodingNetwork.normalisedColumns(dictionary.low)
        let gram = matmul(low, transposeA: true, low)
        let l = ISTA.lipschitzConstant(gram: gram)
        let configuration = SparseCodingNetworkConfiguration(scale: dictionary.metadata.scale, atoms: k,
                                                             iterations: iterations, lipschitz: l, lambda: lambda)
        let layerOne = ComposedFilters.layerOne(low: low.elements, atoms: k, patchSize: 5)
        // S is symmetric, so its column-major elements are also the HWIO [n_in × n_out] matrix.
        let s = ISTA.inhibition(gram: gram, lipschitz: l).elements
        let inhibition = [[Double]](repeating: s, count: iterations - 1).flatMap { $0 }
        let thresholds = [Double](repeating: lambda / l, count: iterations * k)
        let reconstruction = ComposedFilters.reconstruction(high: dictionary.high.elements, atoms: k, patchSize: 5)
        return (configuration, [layerOne, inhibition, thresholds, reconstruction])
    }

    /// The least-squares scalar g on the reconstruction weights that best fits the labels of
    /// `samples` sub-images spread evenly over the training set; multiplies the weights by it,
    /// records it as metadata `gain`, and returns it.
    @discardableResult
    public mutating func calibrateGain(on set: SubImageSet, samples: Int = 2048, batch: Int = 64) -> Double {
        let p = set.patchSize, label = p - SparseCodingNetworkConfiguration.shrink
        let backprop = SparseCodingNetworkBackprop<Float>(configuration: configuration, batchCapacity: batch, inputSize: p)
        var zeroed = parameters
        zeroed[configuration.reconstructionIndex] = [Float](repeating: 0, count: parameters[configuration.reconstructionIndex].count)
        let count = min(samples, set.count)
        var inputs = [Float](repeating: 0, count: batch * p * p), labels = [Float](repeating: 0, count: batch * label * label)
        var fit = 0.0, power = 0.0
        var start = 0
        while start < count {
            let size = min(batch, count - start)
            inputs.withUnsafeMutableBufferPointer { x in
                labels.withUnsafeMutableBufferPointer { y in
                    for i in 0..<size {
                        set.copy((start + i) * set.count / count, labelSize: label,
                                 input: x.baseAddress! + i * p * p, label: y.baseAddress! + i * label * label)
                    }
                }
            }
            let withAtoms = backprop.forward(parameters: parameters, inputs: inputs, batch: size, height: p, width: p)
            let meansOnly = backprop.forward(parameters: zeroed, inputs: inputs, batch: size, height: p, width: p)
            for i in 0..<(size * label * label) {
                let atoms = Double(withAtoms[i] - meansOnly[i]), target = Double(labels[i] - meansOnly[i])
                fit += atoms * target
                power += atoms * atoms
            }
            start += size
        }
        let gain = power > 0 ? fit / power : 1
        let previous = Double(metadata["gain"] ?? "1") ?? 1
        parameters[configuration.reconstructionIndex] = parameters[configuration.reconstructionIndex].map { $0 * Float(gain) }
        metadata["gain"] = "\(previous * gain)"
        return gain
    }

    /// Learned parameters (the fixed side paths have none).
    public var parameterCount: Int { configuration.parameterCounts.reduce(0, +) }

    /// What differs from the fixed pipeline, for model files and tables.
    public static let departures = "learned layer 1, per-iteration inhibition S_t and per-channel thresholds, and reconstruction (LISTA/SCN); "
        + "K unrolled ISTA steps instead of the exact lasso; codes rescaled linearly by s = max(1, |features|) times a "
        + "least-squares gain instead of ScSR's 1.2*|mean-free patch|/|Dh w|; every patch position (stride 1, 1/25 "
        + "averaging), input replicate-padded by 6 at the border; no back-projection; float32"
}

/// The fixed settings and geometry of a `TrainableSparseCodingNetwork`.
public struct SparseCodingNetworkConfiguration: Sendable, Equatable, Codable {
    public var scale: Int
    public var atoms: Int
    public var iterations: Int
    /// L of the initial dictionary: b's fixed 255/(L·s) scale.
    public var lipschitz: Double
    /// λ of the initial thresholds λ/L.
    public var lambda: Double

    public init(scale: Int, atoms: Int, iterations: Int, lipschitz: Double, lambda: Double) {
        self.scale = scale; self.atoms = atoms; self.iterations = iterations
        self.lipschitz = lipschitz; self.lambda = lambda
    }

    public var patchSize: Int { 5 }
    /// Layer 1's side: a 5×5 patch's features read a 9×9 window.
    public static let layerOneKernel = 9
    public static let layerOneShrink = layerOneKernel - 1
    /// Input side minus output side: 8 for layer 1, 4 for the reconstruction.
    public static let shrink = layerOneShrink + 4
    /// SRCNN's sub-images; the output is their 21×21 centre.
    public static let trainingInputSize = SubImageSet.defaultPatchSize
    /// The dictionary's features and atoms are on the 0–255 scale, the network's input on [0, 1].
    public var pixelScale: Double { 255 }
    /// Averaging over the 25 patches that cover each output pixel, and 0–255 → [0, 1].
    public var outputScale: Double { 1 / (25 * 255) }

    public var layerOneIndex: Int { 0 }
    public var inhibitionIndex: Int { 1 }
    public var thresholdIndex: Int { 2 }
    public var reconstructionIndex: Int { 3 }

    /// Tensors' names and shapes in files: HWIO convolutions (Conv2D.swift), S_t as [n_in, n_out].
    public var tensorShapes: [(name: String, shape: [Int])] {
        let n = atoms, k = iterations, side = Self.layerOneKernel
        return [("conv1.weight", [side, side, 1, n]), ("lista.inhibition", [k - 1, n, n]),
                ("lista.threshold", [k, n]), ("reconstruction.weight", [patchSize, patchSize, n, 1])]
    }

    public var parameterCounts: [Int] { tensorShapes.map { $0.shape.reduce(1, *) } }
}
