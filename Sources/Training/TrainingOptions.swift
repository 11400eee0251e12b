import Foundation
import Imaging
import TensorFile

/// Everything that defines a training run apart from the network: data, schedule, optimiser,
/// seed, parallelism. Stored in every checkpoint (beside the network's own settings, as one flat
/// JSON object), so a resumed run continues with exactly these settings; a run's config file is
/// the same JSON.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public enum OptimizerName: String, Codable, Sendable, CaseIterable { case sgd, adam }

    public var scale: Int = 3
    /// Folder of training images (T91).
    public var trainingFolder: String = ""
    /// Folder of validation images (Set5), scored each epoch; nil skips validation.
    public var validationFolder: String?
    /// Where the checkpoint, the best model and the log go.
    public var outputFolder: String = "runs/training"
    public var epochs: Int = 100
    public var batchSize: Int = 128
    public var optimizer: OptimizerName = .adam
    /// Learning rate of every tensor but the last layer's (SRCNN's paper: 1e-4).
    public var learningRate: Double = 1e-4
    /// Learning rate of the last layer's tensors (SRCNN's paper: 1e-5).
    public var lastLayerLearningRate: Double = 1e-5
    /// Epochs (1-based) from which both learning rates are divided by 10 once more, e.g. [120, 200].
    public var learningRateMilestones: [Int] = []
    public var momentum: Double = 0.9
    public var seed: UInt64 = 1
    /// Random flips and 90° rotations of each sub-image (not in the SRCNN paper).
    public var augment: Bool = false
    /// Scale augmentation (not in the SRCNN paper): each training image also contributes
    /// sub-images of bicubic-downscaled copies of itself by these factors, e.g. [0.9, 0.8, 0.7, 0.6].
    public var downscales: [Double] = []
    /// A model file whose parameters start the run instead of the network's initialisation (fine-tuning).
    public var initialModel: String?
    /// How that model was trained (`provenance(ofModel:)`), read when the run starts.
    public var initialModelProvenance: String?
    /// Train only the last layer's tensors (`NetworkDescription.lastLayerTensors`), the others
    /// staying as they start: FSRCNN's transfer to another scale, which fine-tunes only the
    /// deconvolution of a ×3 model.
    public var trainOnlyLastLayer: Bool = false
    /// Knowledge distillation: a model file of a trained teacher whose outputs on the training
    /// inputs are mixed into the labels (`SubImageSet.blendOriginals`); nil trains on the ground truth.
    public var teacherModel: String?
    /// The teacher's share of each label, the ground truth's being 1 − it.
    public var teacherWeight: Double = 0.5
    /// Threads for the shards and for the layers' own loops; results do not depend on it.
    public var threads: Int = 2
    /// Pieces each batch is cut into and run in parallel; the result depends on this, not on `threads`.
    public var shards: Int = 2
    /// Batches between progress reports.
    public var progressInterval: Int = 20

    public init() {}

    /// Where `init(from:)` takes the values of keys the JSON lacks (default: `TrainingOptions()`).
    public static let defaultsKey = CodingUserInfoKey(rawValue: "TrainingOptions.defaults")!

    /// What a checkpoint written before a field existed ran with: one shard.
    public static var checkpointDefaults: TrainingOptions {
        var o = TrainingOptions()
        o.shards = 1
        return o
    }

    /// Every key the options read, for refusing unknown keys in config files.
    public static var keys: Set<String> { Set(CodingKeys.allCases.map(\.stringValue)) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case scale, trainingFolder, validationFolder, outputFolder, epochs, batchSize, optimizer, learningRate
        case lastLayerLearningRate, learningRateMilestones, momentum, seed, augment, downscales, initialModel
        case initialModelProvenance, trainOnlyLastLayer, teacherModel, teacherWeight, threads, shards, progressInterval
    }

    /// Keys the JSON lacks keep the values of `decoder.userInfo[defaultsKey]`; unknown keys (the
    /// network's settings, or those of older checkpoints) are left to others.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var o = decoder.userInfo[Self.defaultsKey] as? TrainingOptions ?? TrainingOptions()
        func read<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try read(.scale, into: &o.scale)
        try read(.trainingFolder, into: &o.trainingFolder)
        if let v = try c.decodeIfPresent(String.self, forKey: .validationFolder) { o.validationFolder = v }
        try read(.outputFolder, into: &o.outputFolder)
        try read(.epochs, into: &o.epochs)
        try read(.batchSize, into: &o.batchSize)
        try read(.optimizer, into: &o.optimizer)
        try read(.learningRate, into: &o.learningRate)
        try read(.lastLayerLearningRate, into: &o.lastLayerLearningRate)
        try read(.learningRateMilestones, into: &o.learningRateMilestones)
        try read(.momentum, into: &o.momentum)
        try read(.seed, into: &o.seed)
        try read(.augment, into: &o.augment)
        try read(.downscales, into: &o.downscales)
        if let v = try c.decodeIfPresent(String.self, forKey: .initialModel) { o.initialModel = v }
        if let v = try c.decodeIfPresent(String.self, forKey: .initialModelProvenance) { o.initialModelProvenance = v }
        try read(.trainOnlyLastLayer, into: &o.trainOnlyLastLayer)
        if let v = try c.decodeIfPresent(String.self, forKey: .teacherModel) { o.teacherModel = v }
        try read(.teacherWeight, into: &o.teacherWeight)
        try read(.threads, into: &o.threads)
        try read(.shards, into: &o.shards)
        try read(.progressInterval, into: &o.progressInterval)
        self = o
    }

    /// The checks that hold for any network the trainer runs.
    public func validate() throws {
        guard SRProtocol.scales.contains(scale) else { throw TrainingError.invalidOptions("scale \(scale) must be \(SRProtocol.scalesInWords)") }
        guard epochs > 0, batchSize > 0, threads > 0, progressInterval > 0, shards > 0 else {
            throw TrainingError.invalidOptions("epochs, batch size, threads and progress interval must be positive")
        }
        guard learningRate > 0, lastLayerLearningRate > 0 else {
            throw TrainingError.invalidOptions("learning rates must be positive")
        }
        guard (0...1).contains(teacherWeight) else {
            throw TrainingError.invalidOptions("the teacher's weight must be between 0 and 1, not \(teacherWeight)")
        }
        guard downscales.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw TrainingError.invalidOptions("downscale factors must be between 0 and 1 (exclusive), not \(downscales)")
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

    /// What every trained model records about its run, whatever the network: seed, epochs,
    /// training set, optimiser (with the network's two learning-rate groups) and augmentation.
    public func provenance(trainingSet: SubImageSet, epochs: Int,
                           learningRateGroups: (main: String, last: String)) -> [String: String] {
        ["seed": "\(seed)", "epochs": "\(epochs)",
         "training_set": trainingSetDescription(trainingSet),
         "optimiser": optimizerDescription(groups: learningRateGroups),
         "augmentation": augment ? "random flips and 90-degree rotations" : "none"]
            .merging(teacherModel.map { ["distillation": "labels (1 - \(teacherWeight)) x ground truth + \(teacherWeight) x the outputs of teacher \(($0 as NSString).lastPathComponent)"] } ?? [:]) { a, _ in a }
    }

    /// One line for model metadata: what trained it, naming the network's two learning-rate groups.
    public func optimizerDescription(groups: (main: String, last: String)) -> String {
        let rates = "lr \(learningRate) (\(groups.main)) / \(lastLayerLearningRate) (\(groups.last)), batch \(batchSize)\(milestoneText)"
            + (trainOnlyLastLayer ? ", only the \(groups.last) trained" : "")
        switch optimizer {
        case .sgd: return "SGD momentum \(momentum), " + rates
        case .adam: return "Adam (0.9, 0.999, 1e-8), " + rates
        }
    }

    /// How the training set was made, for model metadata.
    public func trainingSetDescription(_ set: SubImageSet) -> String {
        let scales = downscales.isEmpty ? "" : ", plus copies downscaled x\(downscales.map { "\($0)" }.joined(separator: ", x"))"
        return "\((trainingFolder as NSString).lastPathComponent)\(scales) (\(set.count) \(set.geometry))"
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
