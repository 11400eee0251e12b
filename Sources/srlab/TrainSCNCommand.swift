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
    @Option(help: "Scale factor; the dictionary must be for it.") var scale = 3
    @Option(help: "Unrolled ISTA iterations (layers), at least 2.") var iterations = 3
    @Option(help: "λ of the initial thresholds λ/L.") var lambda = 0.2
    @Option(help: "Training sub-images the initial reconstruction gain is fitted on.") var calibrationSamples = 2048
    @OptionGroup var common: NetworkTrainingArguments
    @Option(help: "Sub-images per batch.") var batch = 16
    @Option(help: "Learning rate of layer 1 and the LISTA layers.") var lr = 1e-4
    @Option(help: "Learning rate of the reconstruction layer.") var lastLayerLr = 1e-5
    @Option(help: "Threads; results do not depend on it (default 1; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Batches between progress lines.") var progressInterval = 100

    func run() throws {
        try reportingErrors {
            let trainer: SparseCodingNetworkTrainer
            if let resume = common.resume {
                trainer = try SparseCodingNetworkTrainer(resumingFrom: resume, epochs: common.epochs, threads: threads,
                                                         learningRateMilestones: try common.milestones(), dataRoot: common.data)
                note("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                var settings = SparseCodingNetworkSettings()
                settings.dictionary = dictionary
                settings.iterations = iterations
                settings.lambda = lambda
                settings.calibrationSamples = calibrationSamples
                trainer = try SparseCodingNetworkTrainer.fresh(settings: settings, options: try options(), log: note)
            }
            let o = trainer.options, d = trainer.network.networkDescription
            note("SCN \(d.name), x\(o.scale): \(trainer.network.parameterCount) parameters, "
                 + "\(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, \(o.optimizerDescription(groups: d.learningRateGroups)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run { note($0.description) }
        }
    }

    func options() throws -> TrainingOptions {
        try common.options(scale: scale, defaultOutput: "runs/scn_x\(scale)_k\(iterations)",
                           batch: batch, learningRate: lr, lastLayerLearningRate: lastLayerLr,
                           threads: threads ?? 1, progressInterval: progressInterval)
    }
}
