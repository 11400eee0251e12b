import ArgumentParser
import ConvNet
import Foundation
import Training

/// `srlab train srcnn …`: SRCNN training under the paper's protocol (T91 33×33 sub-images at
/// stride 14, valid convolutions, per-layer learning rates), validated on Set5 every epoch.
/// Output folder: checkpoint.safetensors (resumable), best.safetensors, last.safetensors, log.csv.
struct TrainSRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srcnn",
        abstract: "Train SRCNN (paper protocol) with checkpoints, best-model keeping and bit-identical resume.")

    @Option(help: "Architecture f1-f2-f3, optionally :n1-n2 (9-1-5, 9-3-5, 9-5-5; default 9-1-5).") var arch: String?
    @Option(help: "Scale factor (default 3).") var scale: Int?
    @OptionGroup var common: NetworkTrainingArguments
    @Option(help: "Sub-images per batch (default 128).") var batch: Int?
    @Option(help: "Learning rate of layers 1 and 2 (default 1e-4).") var lr: Double?
    @Option(help: "Learning rate of layer 3 (default 1e-5).") var lastLayerLr: Double?
    @Option(help: "Standard deviation of the Gaussian initial weights (default 0.001).") var initStd: Double?
    @Flag(inversion: .prefixedNo, help: "He initialisation (std √(2/fan-in) per layer) instead of --init-std (default: no).") var heInit: Bool?
    @Option(help: "Threads; results do not depend on it (default 2; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Batches between progress lines (default 20).") var progressInterval: Int?

    /// The command's defaults: the paper's settings.
    static var defaults: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 128
        o.learningRate = 1e-4
        o.lastLayerLearningRate = 1e-5
        o.threads = 2
        o.progressInterval = 20
        return o
    }

    func run() throws {
        try reportingErrors {
            let trainer: SRCNNTrainer
            if let resume = common.resume {
                trainer = try SRCNNTrainer(resumingFrom: resume, epochs: common.epochs, threads: threads,
                                           learningRateMilestones: try common.milestones(), dataRoot: common.data)
                note("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                let config = try common.configFile(networkKeys: SRCNNTrainable.keys)
                let network = try self.network(config: config)
                let options = try common.options(defaults: Self.defaults, config: config, commandOptions: { o in
                    if let scale { o.scale = scale }
                    if let batch { o.batchSize = batch }
                    if let lr { o.learningRate = lr }
                    if let lastLayerLr { o.lastLayerLearningRate = lastLayerLr }
                    if let threads { o.threads = threads }
                    if let progressInterval { o.progressInterval = progressInterval }
                }, defaultOutput: { "runs/srcnn_x\($0.scale)_\(network.architecture)" })
                trainer = try SRCNNTrainer(network: network, options: options)
            }
            let o = trainer.options
            note("SRCNN \(trainer.architecture) x\(o.scale): \(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, "
                 + "\(o.optimizerDescription(groups: trainer.network.networkDescription.learningRateGroups)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run { note($0.description) }
        }
    }

    /// The architecture and initialisation: 9-1-5 with the paper's Gaussian, then the config's, then these options.
    func network(config: ConfigFile?) throws -> SRCNNTrainable {
        var network = try config?.decode(SRCNNTrainable.self) ?? SRCNNTrainable(architecture: .srcnn915)
        if let arch { network = try SRCNNTrainable(architecture: arch, heInitialisation: network.heInitialisation,
                                                  initialStandardDeviation: network.initialStandardDeviation) }
        if let heInit { network.heInitialisation = heInit }
        if let initStd {
            network = try SRCNNTrainable(architecture: network.architecture.description, heInitialisation: network.heInitialisation,
                                         initialStandardDeviation: initStd)
        }
        return network
    }
}
