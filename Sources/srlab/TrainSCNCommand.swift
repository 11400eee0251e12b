import ArgumentParser
import Foundation
import SCN
import Training

/// `srlab train scn …`: the sparse-coding network initialised from a coupled dictionary (LISTA
/// layers with their own weights, as in Wang et al.'s SCN) trained end to end by the training stack:
/// T91 33×33 sub-images at stride 14, loss on the centre 21×21, Set5 validation every epoch.
/// Output folder: initial.safetensors (the calibrated network before training, fresh runs only),
/// checkpoint.safetensors (resumable), best.safetensors, last.safetensors, log.csv.
struct TrainSCNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scn",
        abstract: "Train the sparse-coding network (LISTA/SCN, initialised from a dictionary) end to end, as SRCNN is trained.")

    @Option(help: "Coupled dictionary to initialise from (srlab train sc).") var dictionary: String?
    @Option(help: "Scale factor; the dictionary must be for it (default 3).") var scale: Int?
    @Option(help: "Unrolled ISTA iterations (layers), at least 2 (default 3).") var iterations: Int?
    @Option(help: "λ of the initial thresholds λ/L (default 0.2).") var lambda: Double?
    @Option(help: "Training sub-images the initial reconstruction gain is fitted on (default 2048).") var calibrationSamples: Int?
    @OptionGroup var common: NetworkTrainingArguments
    @Option(help: "Sub-images per batch (default 16).") var batch: Int?
    @Option(help: "Learning rate of layer 1 and the LISTA layers (default 1e-4).") var lr: Double?
    @Option(help: "Learning rate of the reconstruction layer (default 1e-5).") var lastLayerLr: Double?
    @Option(help: "Threads; results do not depend on it (default 1; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Batches between progress lines (default 100).") var progressInterval: Int?

    static var defaults: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 16
        o.learningRate = 1e-4
        o.lastLayerLearningRate = 1e-5
        o.threads = 1
        o.progressInterval = 100
        return o
    }

    func run() throws {
        try reportingErrors {
            let trainer: SparseCodingNetworkTrainer
            if let resume = common.resume {
                trainer = try SparseCodingNetworkTrainer(resumingFrom: resume, epochs: common.epochs, threads: threads,
                                                         learningRateMilestones: try common.milestones(), dataRoot: common.data)
                note("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                let config = try common.configFile(networkKeys: SparseCodingNetworkSettings.keys)
                var settings = try config?.decode(SparseCodingNetworkSettings.self) ?? SparseCodingNetworkSettings()
                if let dictionary { settings.dictionary = dictionary }
                if let iterations { settings.iterations = iterations }
                if let lambda { settings.lambda = lambda }
                if let calibrationSamples { settings.calibrationSamples = calibrationSamples }
                let options = try common.options(defaults: Self.defaults, config: config, commandOptions: { o in
                    if let scale { o.scale = scale }
                    if let batch { o.batchSize = batch }
                    if let lr { o.learningRate = lr }
                    if let lastLayerLr { o.lastLayerLearningRate = lastLayerLr }
                    if let threads { o.threads = threads }
                    if let progressInterval { o.progressInterval = progressInterval }
                }, defaultOutput: { "runs/scn_x\($0.scale)_k\(settings.iterations)" })
                trainer = try SparseCodingNetworkTrainer.fresh(settings: settings, options: options, log: note)
            }
            let o = trainer.options, d = trainer.network.networkDescription
            note("SCN \(d.name), x\(o.scale): \(trainer.network.parameterCount) parameters, "
                 + "\(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, \(o.optimizerDescription(groups: d.learningRateGroups)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run { note($0.description) }
        }
    }
}
