import Foundation
import Imaging
import LinearAlgebra
import SparseCoding

/// The proof, per image: the patch pipeline (`ScSR.sparseReconstruction` with `ISTA`) and the
/// network (`SparseCodingNetwork`) from the same dictionary, λ, L and number of iterations, both
/// before back-projection, compared pixel by pixel on the [0, 1] scale.
public enum EquivalenceCheck {
    public struct Result: Sendable {
        public var network: Plane
        public var pipeline: Plane
        public var maxAbsDiff: Double
        public var meanAbsDiff: Double
        /// PSNR (8-bit, `scale`-pixel shave, as `SRProtocol.score`) against the ground truth; nil
        /// without one.
        public var psnrNetwork: Double?
        public var psnrPipeline: Double?
        public var networkSeconds: Double
        public var pipelineSeconds: Double
    }

    /// `lowRes` on [0, 1] (the protocol's LR); `groundTruth` the 8-bit HR Y (`PreparedImage`).
    /// `precision` is the network's arithmetic; the pipeline runs in Double.
    public static func run<T: BLASScalar>(dictionary: CoupledDictionary, lowRes: Plane, scale: Int, iterations: Int,
                                          lambda: Double = 0.2, groundTruth: Plane? = nil,
                                          precision: T.Type = Double.self) -> Result {
        let network = SparseCodingNetwork(dictionary: dictionary, iterations: iterations, lambda: lambda)
        return run(network: network, dictionary: dictionary, lowRes: lowRes, scale: scale,
                   groundTruth: groundTruth, precision: precision)
    }

    /// The same with a network built once (L costs an eigen-decomposition) for many images.
    public static func run<T: BLASScalar>(network: SparseCodingNetwork, dictionary: CoupledDictionary, lowRes: Plane,
                                          scale: Int, groundTruth: Plane? = nil,
                                          precision: T.Type = Double.self) -> Result {
        let mid = midResolution(lowRes, scale: scale)
        let pipeline = pipeline(for: network, dictionary: dictionary)
        var start = DispatchTime.now().uptimeNanoseconds
        let fromPipeline = pipeline.sparseReconstruction(midRes: mid).map { $0 / 255 }
        let pipelineSeconds = seconds(since: start)
        start = DispatchTime.now().uptimeNanoseconds
        let fromNetwork = network.apply(midRes: mid, precision: precision).map { $0 / 255 }
        let networkSeconds = seconds(since: start)
        let (maxDiff, meanDiff) = differences(fromNetwork, fromPipeline)
        let psnr = { (p: Plane) in groundTruth.map { Metrics.psnr(Quantize.to8Bit(p), $0, shave: scale) } }
        return Result(network: fromNetwork, pipeline: fromPipeline, maxAbsDiff: maxDiff, meanAbsDiff: meanDiff,
                      psnrNetwork: psnr(fromNetwork), psnrPipeline: psnr(fromPipeline),
                      networkSeconds: networkSeconds, pipelineSeconds: pipelineSeconds)
    }

    /// The patch pipeline with the network's solver settings (same λ, L, iterations, gain,
    /// overlap) and no back-projection.
    public static func pipeline(for network: SparseCodingNetwork, dictionary: CoupledDictionary,
                                solver: (any SparseSolver)? = nil) -> ScSR {
        var options = ScSR.Options(lambda: network.lambda, overlap: network.overlap, backProjectionIterations: 0)
        options.contrastGain = network.contrastGain
        return ScSR(dictionary: dictionary, options: options,
                    solver: solver ?? ISTA(iterations: network.iterations, lipschitz: network.lipschitz))
    }

    /// The pipeline's mid-res: bicubic upscale of the LR on the 0–255 scale (as `ScSR.upscale`).
    public static func midResolution(_ lowRes: Plane, scale: Int) -> Plane {
        Resize.bicubic(lowRes.map { $0 * 255 }, scale: Double(scale))
    }

    /// Largest and mean absolute difference over every pixel.
    public static func differences(_ a: Plane, _ b: Plane) -> (max: Double, mean: Double) {
        precondition(a.width == b.width && a.height == b.height, "planes of different sizes")
        var largest = 0.0, total = 0.0
        for i in a.values.indices {
            let d = abs(a.values[i] - b.values[i])
            largest = max(largest, d.isNaN ? .infinity : d)
            total += d
        }
        return (largest, total / Double(max(1, a.values.count)))
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
