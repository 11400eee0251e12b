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

    @Option(help: "Architecture f1-f2-f3, optionally :n1-n2 (9-1-5, 9-3-5, 9-5-5).") var arch = "9-1-5"
    @Option(help: "Scale factor.") var scale = 3
    @OptionGroup var common: NetworkTrainingArguments
    @Option(help: "Sub-images per batch.") var batch = 128
    @Option(help: "Learning rate of layers 1 and 2.") var lr = 1e-4
    @Option(help: "Learning rate of layer 3.") var lastLayerLr = 1e-5
    @Option(help: "Standard deviation of the Gaussian initial weights.") var initStd = 0.001
    @Flag(help: "He initialisation (std √(2/fan-in) per layer) instead of --init-std.") var heInit = false
    @Option(help: "Threads; results do not depend on it (default 2; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Batches between progress lines.") var progressInterval = 20

    func run() throws {
        do {
            let trainer: SRCNNTrainer
            if let resume = common.resume {
                trainer = try SRCNNTrainer(resumingFrom: resume, epochs: common.epochs, threads: threads,
                                           learningRateMilestones: try common.milestones(), dataRoot: common.data)
                log("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                let network = try SRCNNTrainable(architecture: arch, heInitialisation: heInit, initialStandardDeviation: initStd)
                trainer = try SRCNNTrainer(network: network, options: try options())
            }
            let o = trainer.options
            log("SRCNN \(trainer.architecture) x\(o.scale): \(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, "
                + "\(o.optimizerDescription(groups: trainer.network.networkDescription.learningRateGroups)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run { log($0.description) }
        } catch {
            log("srlab: error: \(error)")
            throw ExitCode.failure
        }
    }

    func options() throws -> TrainingOptions {
        try common.options(scale: scale, defaultOutput: "runs/srcnn_x\(scale)_\(arch)",
                           batch: batch, learningRate: lr, lastLayerLearningRate: lastLayerLr,
                           threads: threads ?? 2, progressInterval: progressInterval)
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
