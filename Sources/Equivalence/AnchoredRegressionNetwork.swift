import ConvNet
import ExampleBased
import Imaging
import LinearAlgebra

/// ANR and A+ (Timofte, De Smet, Van Gool, ICCV 2013 / ACCV 2014) as a convolutional network with a
/// hard gate: the seed's claim that sparse coding is a CNN (`SparseCodingNetwork`), one step on.
/// ANR and A+ replace the sparse code by the nearest anchor's linear map, and the network form
/// shows what is left: convolutions, one arg-max, and linear experts. Built from a Zeyde
/// configuration (the front end and the anchors Dl) and one P × d regressor per atom; it runs the
/// pipeline `ExampleBasedSR` runs (`.anr` / `.aplus`), and `AnchoredRegressionCheck` measures the
/// two against each other pixel by pixel.
///
/// Layers, on the bicubic ("mid-res") image B (H × W, [0, 1]) at scale s, w = 3s, P = w²; every
/// map between layer 1 and layer 4 lives on the patch grid (`PatchGrid`: (H/s − 4) × (W/s − 4)
/// positions, stride s):
/// 1. features ∘ PCA: one convolution 1 → d, kernel 5s × 5s (the w×w window enlarged by the
///    filters' reach s on each side), stride s (`ComposedFeatureLayer`);
/// 2. anchor scores: a 1×1 convolution d → K with weights Dlᵀ (`GatedExperts.gates`);
/// 3. the gate: arg-max |score| opens one of K linear 1×1 convolutions d → P, atom k's
///    regressor (`GatedExperts.details`);
/// 4. overlap averaging: a transposed convolution P → 1 with stride s and a w×w one-hot kernel,
///    divided by the same transposed convolution of ones (the coverage count), plus B; B where
///    no patch reaches (`OverlapAveraging`).
///
/// Note: departures from a literal network.
/// - The gate is an arg-max, not a differentiable layer: exactly one expert runs per position,
///   so the experts are evaluated on the positions their gate opened, grouped (the same numbers).
/// - The division by the coverage count is a per-pixel division (a fixed map: 9 in the interior,
///   fewer near the covered area's edge), as the average of the sparse-coding network is.
/// - Layer 1 is evaluated at the grid's positions only, through the space-to-depth image
///   (`ComposedFeatureLayer.apply`); the grid keeps every kernel inside the image.
public struct AnchoredRegressionNetwork: Sendable {
    public let scale: Int
    public let featureLayer: ComposedFeatureLayer
    public let gatedExperts: GatedExperts
    public let averaging: OverlapAveraging

    /// The network of a configuration and its regressors (one P × d matrix per atom of Dl).
    public init(configuration c: ZeydeConfiguration, regressors: [Matrix<Double>]) {
        precondition(regressors.count == c.atoms && regressors.allSatisfy { $0.rows == c.patchLength && $0.columns == c.pcaDimension },
                     "regressors must be \(c.atoms) matrices of \(c.patchLength) × \(c.pcaDimension)")
        scale = c.scale
        featureLayer = ComposedFeatureLayer(configuration: c)
        gatedExperts = GatedExperts(lowDictionary: c.lowDictionary, regressors: regressors)
        averaging = OverlapAveraging(scale: c.scale)
    }

    /// ANR's network: the regressors derived from the dictionaries (`RidgeRegressors.anchored`).
    public static func anr(configuration c: ZeydeConfiguration) throws -> AnchoredRegressionNetwork {
        AnchoredRegressionNetwork(configuration: c, regressors: try RidgeRegressors.anchored(c))
    }

    public struct Output: Sendable {
        public var image: Plane
        /// The expert each patch's gate opened, in the pipeline's patch order (`PatchGrid`:
        /// column-major over the grid, index i + rowCount·j).
        public var gates: [Int]
    }

    /// The HR estimate (and the gates) from B, computed in `T`.
    public func apply<T: BLASScalar>(midRes b: Plane, precision: T.Type = Double.self) -> Output {
        let grid = PatchGrid(width: b.width, height: b.height, scale: scale)
        guard grid.count > 0 else { return Output(image: b, gates: []) }
        let workspace = Workspace<T>()
        let f = featureLayer.apply(midRes: b, grid: grid, as: T.self, workspace: workspace)
        let gates = gatedExperts.gates(f, positions: grid.count, workspace: workspace)
        let details = gatedExperts.details(f, gates: gates, workspace: workspace)
        let image = averaging.apply(details: details, grid: grid, midRes: b, workspace: workspace)
        // The maps are row-major over the grid (i·columnCount + j); the pipeline numbers patches
        // column-major (i + rowCount·j).
        var ordered = [Int](repeating: 0, count: grid.count)
        for i in 0..<grid.rowCount { for j in 0..<grid.columnCount { ordered[i + grid.rowCount * j] = gates[i * grid.columnCount + j] } }
        return Output(image: image, gates: ordered)
    }

    /// The rounding noise of layer 1's outputs in `T` on an image in [0, 1]: 16·ε·max_j ‖K_j‖₁, a
    /// generous bound on the error of a sum of side² products of that size. Features below it are
    /// noise in the network (on a constant region the kernel's taps cancel only up to it).
    public func featureNoise<T: BLASScalar>(_: T.Type) -> Double {
        let d = featureLayer.outputs, kernel = featureLayer.kernel
        let largest = (0..<d).map { j in stride(from: j, to: kernel.count, by: d).map { abs(kernel[$0]) }.reduce(0, +) }.max() ?? 0
        return 16 * Double(T.ulpOfOne) * largest
    }

    /// The layers in one line, e.g. "15×15 conv stride 3 (1 → 30) · 1×1 conv (30 → 1024) ·
    /// arg-max gate over 1024 experts, 1×1 (30 → 81) · 9×9 transposed conv stride 3 (81 → 1), ÷ coverage, + B".
    public var layers: String {
        let s = scale, d = featureLayer.outputs, k = gatedExperts.atoms, p = gatedExperts.outputs, w = averaging.side
        return "\(featureLayer.side)×\(featureLayer.side) conv stride \(s) (1 → \(d)) · 1×1 conv (\(d) → \(k)) · "
            + "arg-max gate over \(k) experts, 1×1 (\(d) → \(p)) · \(w)×\(w) transposed conv stride \(s) (\(p) → 1), ÷ coverage, + B"
    }
}
