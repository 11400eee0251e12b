import Foundation
import ExampleBased
import Imaging
import LinearAlgebra

/// The proof for ANR / A+, per image: the patch pipeline (`ExampleBasedSR.reconstruct`, features,
/// anchors and regressions in Float) and the network (`AnchoredRegressionNetwork`) on the same
/// bicubic image B, compared on every pixel, and the network's gates against the pipeline's anchors.
public enum AnchoredRegressionCheck {
    public struct Result: Sendable {
        public var network: Plane
        public var pipeline: Plane
        public var maxAbsDiff: Double
        public var meanAbsDiff: Double
        /// Patches whose gate opened the expert of the pipeline's anchor, of `patches`.
        public var gatesAgreeing: Int
        public var patches: Int
        /// The others, by cause (`GateDisagreements`).
        public var disagreements: GateDisagreements
        public var networkSeconds: Double
        public var pipelineSeconds: Double
    }

    /// `pipeline` must be ANR or A+ (its mapping anchored); `midRes` is B on [0, 1].
    public static func run<T: BLASScalar>(network: AnchoredRegressionNetwork, pipeline: ExampleBasedSR, midRes b: Plane,
                                          precision: T.Type = Double.self) -> Result {
        var start = DispatchTime.now().uptimeNanoseconds
        let fromPipeline = pipeline.reconstruct(midRes: b)
        let pipelineSeconds = EquivalenceCheck.seconds(since: start)
        start = DispatchTime.now().uptimeNanoseconds
        let fromNetwork = network.apply(midRes: b, precision: precision)
        let networkSeconds = EquivalenceCheck.seconds(since: start)
        let (features, anchors) = pipelineAnchors(pipeline, midRes: b)
        let (maxDiff, meanDiff) = EquivalenceCheck.differences(fromNetwork.image, fromPipeline)
        return Result(network: fromNetwork.image, pipeline: fromPipeline, maxAbsDiff: maxDiff, meanAbsDiff: meanDiff,
                      gatesAgreeing: zip(fromNetwork.gates, anchors).filter { $0 == $1 }.count, patches: anchors.count,
                      disagreements: GateDisagreements(gates: fromNetwork.gates, anchors: anchors, features: features,
                                                       lowDictionary: pipeline.configuration.lowDictionary,
                                                       noiseFloor: network.featureNoise(T.self)),
                      networkSeconds: networkSeconds, pipelineSeconds: pipelineSeconds)
    }

    /// The PCA features (d × N) and the anchor of every patch as the pipeline computes them (in
    /// Float, by its anchor search), in its patch order.
    public static func pipelineAnchors(_ pipeline: ExampleBasedSR, midRes b: Plane) -> (features: Matrix<Float>, anchors: [Int]) {
        guard case .anchored(let regressors) = pipeline.mapping else {
            preconditionFailure("\(pipeline.method.displayName) has no anchors; the network form is ANR's and A+'s")
        }
        let c = pipeline.configuration
        let features = ZeydeFeatures.project(ZeydeFeatures.raw(b, configuration: c, as: Float.self), pca: c.pca.converted())
        return (features, regressors.anchors(for: features))
    }
}

/// Why a gate and the pipeline's anchor differ, patch by patch. Two causes change no pixel by more
/// than rounding:
/// - `faint`: the pipeline's features are below the network's rounding noise (‖f‖ ≤ `noiseFloor`:
///   B is constant, or nearly, under every filter's reach). The composed kernel sums to 0 over a
///   constant region only up to rounding, so there the network's K scores are noise and its
///   arg-max is decided by rounding (the pipeline's filters give exactly 0 on a constant region,
///   so atom 0). Either expert times such an f is as small as f.
/// - `nearTie`: the two atoms' |scores| differ by at most `tieTolerance` of the largest |score|
///   (Float rounding of the pipeline's scores); the experts' outputs then differ, and the bound
///   measures by how much.
/// `other` counts the rest: a real disagreement, which the tests require to be none.
public struct GateDisagreements: Sendable, Codable, Equatable {
    public static let tieTolerance = 1e-5
    public var faint = 0
    public var nearTie = 0
    public var other = 0

    public init() {}

    /// `noiseFloor`: the network's rounding noise on features (`AnchoredRegressionNetwork.featureNoise`).
    public init(gates: [Int], anchors: [Int], features: Matrix<Float>, lowDictionary dl: Matrix<Double>, noiseFloor: Double) {
        for (n, (gate, anchor)) in zip(gates, anchors).enumerated() where gate != anchor {
            let f = features.column(n).map(Double.init)
            if f.map({ $0 * $0 }).reduce(0, +).squareRoot() <= noiseFloor { faint += 1; continue }
            let score = { (k: Int) in abs((0..<dl.rows).map { dl[$0, k] * f[$0] }.reduce(0, +)) }
            let largest = (0..<dl.columns).map(score).max()!
            if abs(score(gate) - score(anchor)) <= Self.tieTolerance * largest { nearTie += 1 } else { other += 1 }
        }
    }

    public var total: Int { faint + nearTie + other }
}

extension GateDisagreements {
    static func + (a: GateDisagreements, b: GateDisagreements) -> GateDisagreements {
        var sum = a
        sum.faint += b.faint; sum.nearTie += b.nearTie; sum.other += b.other
        return sum
    }
}
