import ArgumentParser
import Foundation
import Imaging
import Training

/// The options `srlab train srcnn`, `scn`, `fsrcnn`, `fsrcnn-s`, `espcn` and the Keras variants share — config, data, schedule,
/// optimiser, seed, resume — declared once, so every network reads them the same way into
/// `TrainingOptions`. A fresh run's options are the command's defaults, then its `--config`
/// file's keys, then the options given here. Options whose defaults differ per network (batch,
/// learning rates, threads) stay in each command.
struct NetworkTrainingArguments: ParsableArguments {
    @Option(help: "A run's config (JSON; the keys of a checkpoint's options, e.g. batchSize, learningRate, learningRateMilestones, and the network's own). Options given here override it; the run writes beside it unless -o says otherwise.")
    var config: String?
    @Option(help: "Data root holding T91/ and Set5/ (default: $SRLAB_DATA, else ./data). With --resume: where the run's training and validation folders are now.") var data: String?
    @Option(help: "Training image folder (default: <data>/T91).") var train: String?
    @Option(help: "Validation image folder, scored each epoch (default: <data>/Set5 if present).") var validation: String?
    @Option(name: .shortAndLong, help: "Output folder for checkpoints, models and log.") var output: String?
    @Option(help: "Epochs to train (default 100; with --resume: the new total).") var epochs: Int?
    @Option(help: "adam (default) or sgd (the paper's SGD with momentum).") var optimizer: TrainingOptions.OptimizerName?
    @Option(help: "SGD momentum (default 0.9).") var momentum: Double?
    @Option(help: "Comma-separated epochs from which the learning rates are divided by 10 again (with --resume: future ones only).")
    var lrMilestones: String?
    @Option(help: "Seed of the random initialisation (if any), shuffling and augmentation (default 1).") var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Random flips and 90° rotations of the sub-images (default: no).") var augment: Bool?
    @Option(help: "Scale augmentation: comma-separated factors in (0, 1); each training image also gives sub-images of its bicubic-downscaled copies.")
    var downscales: String?
    @Option(help: "Start from this model file's weights (same network and scale; for FSRCNN also another scale's model) instead of a random initialisation.")
    var initModel: String?
    @Option(help: "Pieces each batch is cut into and run in parallel; results depend on it (default 2).") var shards: Int?
    @Option(help: "Resume from this checkpoint.safetensors, writing beside it; its stored options apply (except --epochs, --threads, --lr-milestones, and --data).") var resume: String?

    func validate() throws {
        if resume != nil, config != nil { throw ValidationError("give --config for a fresh run or --resume to continue one, not both") }
    }

    /// The config file, its keys checked against the options' and `networkKeys`.
    func configFile(networkKeys: Set<String>) throws -> ConfigFile? {
        try config.map { try ConfigFile($0, keys: TrainingOptions.keys.union(networkKeys)) }
    }

    /// Training options for a fresh run: `defaults`, then the config's keys, then these
    /// arguments and the command's own (`commandOptions`). An output folder left empty by all
    /// of them is the config's folder, else `defaultOutput` of the final options.
    func options(defaults: TrainingOptions, config: ConfigFile?, commandOptions: (inout TrainingOptions) -> Void,
                 defaultOutput: (TrainingOptions) -> String) throws -> TrainingOptions {
        var o = defaults
        o.outputFolder = config?.folder ?? ""
        if let config { o = try config.decode(TrainingOptions.self, defaults: o, defaultsKey: TrainingOptions.defaultsKey) }
        if let train { o.trainingFolder = train }
        if let validation { o.validationFolder = validation }
        if let output { o.outputFolder = output }
        if let epochs { o.epochs = epochs }
        if let optimizer { o.optimizer = optimizer }
        if let momentum { o.momentum = momentum }
        if let milestones = try milestones() { o.learningRateMilestones = milestones }
        if let seed { o.seed = seed }
        if let augment { o.augment = augment }
        if let factors = try downscaleFactors() { o.downscales = factors }
        if let initModel { o.initialModel = initModel }
        if let shards { o.shards = shards }
        commandOptions(&o)
        let root = DataRoot(option: data)
        if o.trainingFolder.isEmpty { o.trainingFolder = root.folder("T91") }
        if o.validationFolder == nil {
            o.validationFolder = root.has("Set5") ? root.folder("Set5") : nil
        }
        if o.outputFolder.isEmpty { o.outputFolder = defaultOutput(o) }
        return o
    }

    func downscaleFactors() throws -> [Double]? {
        guard let downscales else { return nil }
        // The range is checked with the other options (TrainingOptions.validate).
        let values = downscales.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--downscales must be numbers separated by commas, e.g. 0.9,0.8,0.7,0.6")
        }
        return values.compactMap { $0 }
    }

    func milestones() throws -> [Int]? {
        guard let lrMilestones else { return nil }
        let values = lrMilestones.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--lr-milestones must be positive epoch numbers separated by commas")
        }
        return values.compactMap { $0 }
    }
}

extension TrainingOptions.OptimizerName: ExpressibleByArgument {}
