import ArgumentParser
import Foundation
import Training

/// The options `srlab train srcnn` and `srlab train scn` share — data, schedule, optimiser,
/// seed, resume — declared once, so both networks read them the same way into `TrainingOptions`.
/// Options whose defaults differ per network (batch, learning rates, threads) stay in each command.
struct NetworkTrainingArguments: ParsableArguments {
    @Option(help: "Data root holding T91/ and Set5/ (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Training image folder (default: <data>/T91).") var train: String?
    @Option(help: "Validation image folder, scored each epoch (default: <data>/Set5 if present).") var validation: String?
    @Option(name: .shortAndLong, help: "Output folder for checkpoints, models and log.") var output: String?
    @Option(help: "Epochs to train (with --resume: the new total).") var epochs: Int?
    @Option(help: "adam or sgd (the paper's SGD with momentum).") var optimizer = "adam"
    @Option(help: "SGD momentum.") var momentum = 0.9
    @Option(help: "Comma-separated epochs from which the learning rates are divided by 10 again (with --resume: future ones only).")
    var lrMilestones: String?
    @Option(help: "Seed of the random initialisation (if any), shuffling and augmentation.") var seed: UInt64 = 1
    @Flag(help: "Random flips and 90° rotations of the sub-images.") var augment = false
    @Option(help: "Scale augmentation: comma-separated factors in (0, 1); each training image also gives sub-images of its bicubic-downscaled copies.")
    var downscales: String?
    @Option(help: "Start from this model file's weights (same network and scale) instead of a random initialisation.")
    var initModel: String?
    @Option(help: "Pieces each batch is cut into and run in parallel; results depend on it.") var shards = 2
    @Option(help: "Resume from this checkpoint.safetensors, writing beside it; its stored options apply (except --epochs, --threads, --lr-milestones, and --data, which says where its training and validation folders are now).") var resume: String?

    /// Training options for a fresh run from these arguments and the command's own ones.
    func options(scale: Int, defaultOutput: String, batch: Int, learningRate: Double,
                 lastLayerLearningRate: Double, threads: Int, progressInterval: Int) throws -> TrainingOptions {
        let root = data ?? ProcessInfo.processInfo.environment["SRLAB_DATA"] ?? "data"
        var o = TrainingOptions()
        o.scale = scale
        o.trainingFolder = train ?? (root as NSString).appendingPathComponent("T91")
        let set5 = (root as NSString).appendingPathComponent("Set5")
        o.validationFolder = validation ?? (FileManager.default.fileExists(atPath: set5) ? set5 : nil)
        o.outputFolder = output ?? defaultOutput
        o.epochs = epochs ?? 100
        o.batchSize = batch
        guard let name = TrainingOptions.OptimizerName(rawValue: optimizer) else {
            throw ValidationError("--optimizer must be adam or sgd, not '\(optimizer)'")
        }
        o.optimizer = name
        o.learningRate = learningRate
        o.lastLayerLearningRate = lastLayerLearningRate
        o.momentum = momentum
        o.learningRateMilestones = try milestones() ?? []
        o.seed = seed
        o.augment = augment
        o.downscales = try downscaleFactors()
        o.initialModel = initModel
        o.threads = threads
        o.shards = shards
        o.progressInterval = progressInterval
        return o
    }

    func downscaleFactors() throws -> [Double] {
        guard let downscales else { return [] }
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
