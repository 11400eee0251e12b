import Foundation
import Imaging
import TensorFile

/// Everything that defines an SRCNN training run. Stored in every checkpoint, so a resumed run
/// continues with exactly these settings.
public struct SRCNNTrainingOptions: Codable, Sendable, Equatable {
    public enum OptimizerName: String, Codable, Sendable, CaseIterable { case sgd, adam }

    /// "9-1-5", "9-3-5", "9-5-5" or "f1-f2-f3:n1-n2".
    public var architecture: String = "9-1-5"
    public var scale: Int = 3
    /// Folder of training images (T91).
    public var trainingFolder: String = ""
    /// Folder of validation images (Set5), scored each epoch; nil skips validation.
    public var validationFolder: String?
    /// Where the checkpoint, the best model and the log go.
    public var outputFolder: String = "runs/srcnn"
    public var epochs: Int = 100
    public var batchSize: Int = 128
    public var optimizer: OptimizerName = .adam
    /// Learning rate of layers 1 and 2; the paper's is 1e-4.
    public var learningRate: Double = 1e-4
    /// Learning rate of layer 3; the paper's is 1e-5.
    public var lastLayerLearningRate: Double = 1e-5
    /// Epochs (1-based) from which both learning rates are divided by 10 once more, e.g. [120, 200].
    public var learningRateMilestones: [Int] = []
    public var momentum: Double = 0.9
    /// Standard deviation of the Gaussian initial weights (paper: 0.001).
    public var initialStandardDeviation: Double = 0.001
    /// He initialisation (std √(2/fan-in) per layer) instead of `initialStandardDeviation`.
    public var heInitialisation: Bool = false
    public var seed: UInt64 = 1
    /// Random flips and 90° rotations of each sub-image (not in the paper).
    public var augment: Bool = false
    /// Scale augmentation (not in the paper): each training image also contributes sub-images of
    /// bicubic-downscaled copies of itself by these factors, e.g. [0.9, 0.8, 0.7, 0.6].
    public var downscales: [Double] = []
    /// A model file whose parameters start the run instead of a random initialisation (fine-tuning).
    public var initialModel: String?
    /// How that model was trained (`provenance(ofModel:)`), read when the run starts.
    public var initialModelProvenance: String?
    /// Threads for BLAS and for the layers' own loops; results do not depend on it.
    public var threads: Int = 2
    /// Pieces each batch is cut into and run in parallel; the result depends on this, not on `threads`.
    public var shards: Int = 2
    /// Batches between progress reports.
    public var progressInterval: Int = 20

    public init() {}

    public init(from decoder: Decoder) throws {
        // Options saved by older checkpoints lack newer fields; those keep their defaults.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var o = SRCNNTrainingOptions()
        o.architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? o.architecture
        o.scale = try c.decodeIfPresent(Int.self, forKey: .scale) ?? o.scale
        o.trainingFolder = try c.decodeIfPresent(String.self, forKey: .trainingFolder) ?? o.trainingFolder
        o.validationFolder = try c.decodeIfPresent(String.self, forKey: .validationFolder)
        o.outputFolder = try c.decodeIfPresent(String.self, forKey: .outputFolder) ?? o.outputFolder
        o.epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? o.epochs
        o.batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? o.batchSize
        o.optimizer = try c.decodeIfPresent(OptimizerName.self, forKey: .optimizer) ?? o.optimizer
        o.learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? o.learningRate
        o.lastLayerLearningRate = try c.decodeIfPresent(Double.self, forKey: .lastLayerLearningRate) ?? o.lastLayerLearningRate
        o.learningRateMilestones = try c.decodeIfPresent([Int].self, forKey: .learningRateMilestones) ?? []
        o.momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? o.momentum
        o.initialStandardDeviation = try c.decodeIfPresent(Double.self, forKey: .initialStandardDeviation) ?? o.initialStandardDeviation
        o.heInitialisation = try c.decodeIfPresent(Bool.self, forKey: .heInitialisation) ?? false
        o.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? o.seed
        o.augment = try c.decodeIfPresent(Bool.self, forKey: .augment) ?? o.augment
        o.downscales = try c.decodeIfPresent([Double].self, forKey: .downscales) ?? []
        o.initialModel = try c.decodeIfPresent(String.self, forKey: .initialModel)
        o.initialModelProvenance = try c.decodeIfPresent(String.self, forKey: .initialModelProvenance)
        o.threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? o.threads
        o.shards = try c.decodeIfPresent(Int.self, forKey: .shards) ?? 1
        o.progressInterval = try c.decodeIfPresent(Int.self, forKey: .progressInterval) ?? o.progressInterval
        self = o
    }

    /// SRCNN's architecture from these options, after `validateCommon`.
    public func validated() throws -> SRCNNArchitecture {
        guard let arch = SRCNNArchitecture(architecture) else {
            throw SRCNNError.invalidOptions("architecture '\(architecture)' is not of the form 9-5-5 or 9-5-5:64-32")
        }
        try validateCommon()
        guard SRCNNTrainingSet.defaultPatchSize - arch.validShrink > 0 else {
            throw SRCNNError.invalidOptions("a 33×33 sub-image is too small for SRCNN \(arch)")
        }
        return arch
    }

    /// The checks that hold for any network the trainer runs.
    public func validateCommon() throws {
        guard SRProtocol.scales.contains(scale) else { throw SRCNNError.invalidOptions("scale \(scale) must be \(SRProtocol.scalesInWords)") }
        guard epochs > 0, batchSize > 0, threads > 0, progressInterval > 0, shards > 0 else {
            throw SRCNNError.invalidOptions("epochs, batch size, threads and progress interval must be positive")
        }
        guard learningRate > 0, lastLayerLearningRate > 0, initialStandardDeviation > 0 else {
            throw SRCNNError.invalidOptions("learning rates and the initial standard deviation must be positive")
        }
        guard downscales.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw SRCNNError.invalidOptions("downscale factors must be between 0 and 1 (exclusive), not \(downscales)")
        }
    }

    /// The factor on both learning rates while training epoch `epoch` (1-based).
    public func learningRateFactor(epoch: Int) -> Double {
        learningRateMilestones.reduce(1.0) { epoch >= $1 ? $0 * 0.1 : $0 }
    }

    /// The optimiser these options name.
    public var optimizerInstance: any Optimizer {
        switch optimizer {
        case .sgd: return SGDMomentum(momentum: Float(momentum))
        case .adam: return Adam()
        }
    }

    /// One line for model metadata: what trained it.
    public var optimizerDescription: String {
        switch optimizer {
        case .sgd: return "SGD momentum \(momentum), lr \(learningRate) (layers 1-2) / \(lastLayerLearningRate) (layer 3), batch \(batchSize)\(milestoneText)"
        case .adam: return "Adam (0.9, 0.999, 1e-8), lr \(learningRate) (layers 1-2) / \(lastLayerLearningRate) (layer 3), batch \(batchSize)\(milestoneText)"
        }
    }

    /// How the training set was made, for model metadata.
    public func trainingSetDescription(count: Int) -> String {
        let scales = downscales.isEmpty ? "" : ", plus copies downscaled x\(downscales.map { "\($0)" }.joined(separator: ", x"))"
        return "\((trainingFolder as NSString).lastPathComponent)\(scales) (\(count) sub-images 33x33 stride 14, Y, bicubic x\(scale) down-up)"
    }

    /// What a fine-tuned run started from: the initial model's name and how that model was trained,
    /// so the new file states the whole recipe.
    public static func provenance(ofModel path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let m = (try? SafeTensorsFile(contentsOf: path))?.metadata else { return "fine-tuned from \(name)" }
        let facts = ["initialisation", "training_set", "epochs", "optimiser", "augmentation", "validation_psnr"]
            .compactMap { key in m[key].map { "\(key) \($0)" } }
        return "fine-tuned from \(name) (" + facts.joined(separator: "; ") + ")"
    }

    private var milestoneText: String {
        learningRateMilestones.isEmpty ? "" : ", lr /10 from epochs \(learningRateMilestones.map(String.init).joined(separator: ", "))"
    }
}
