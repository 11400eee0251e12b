import ArgumentParser
import ConvNet
import Foundation

/// `srlab train srcnn …`: SRCNN training under the paper's protocol (T91 33×33 sub-images at
/// stride 14, valid convolutions, per-layer learning rates), validated on Set5 every epoch.
/// Output folder: checkpoint.safetensors (resumable), best.safetensors, last.safetensors, log.csv.
struct TrainSRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srcnn",
        abstract: "Train SRCNN (paper protocol) with checkpoints, best-model keeping and bit-identical resume.")

    @Option(help: "Architecture f1-f2-f3, optionally :n1-n2 (9-1-5, 9-3-5, 9-5-5).") var arch = "9-1-5"
    @Option(help: "Scale factor.") var scale = 3
    @Option(help: "Data root holding T91/ and Set5/ (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Training image folder (default: <data>/T91).") var train: String?
    @Option(help: "Validation image folder, scored each epoch (default: <data>/Set5 if present).") var validation: String?
    @Option(name: .shortAndLong, help: "Output folder for checkpoints, models and log.") var output: String?
    @Option(help: "Epochs to train (with --resume: the new total).") var epochs: Int?
    @Option(help: "Sub-images per batch.") var batch = 128
    @Option(help: "adam or sgd (the paper's SGD with momentum).") var optimizer = "adam"
    @Option(help: "Learning rate of layers 1 and 2.") var lr = 1e-4
    @Option(help: "Learning rate of layer 3.") var lastLayerLr = 1e-5
    @Option(help: "SGD momentum.") var momentum = 0.9
    @Option(help: "Comma-separated epochs from which the learning rates are divided by 10 again (with --resume: future ones only).")
    var lrMilestones: String?
    @Option(help: "Standard deviation of the Gaussian initial weights.") var initStd = 0.001
    @Flag(help: "He initialisation (std √(2/fan-in) per layer) instead of --init-std.") var heInit = false
    @Option(help: "Seed of initialisation, shuffling and augmentation.") var seed: UInt64 = 1
    @Flag(help: "Random flips and 90° rotations of the sub-images.") var augment = false
    @Option(help: "Threads; results do not depend on it (default 2; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Pieces each batch is cut into and run in parallel; results depend on it.") var shards = 2
    @Option(help: "Batches between progress lines.") var progressInterval = 20
    @Option(help: "Resume from this checkpoint.safetensors; its stored options apply (except --epochs, --threads).") var resume: String?

    func run() throws {
        do {
            let trainer: SRCNNTrainer
            if let resume {
                trainer = try SRCNNTrainer(resumingFrom: resume, epochs: epochs, threads: threads,
                                           learningRateMilestones: try milestones())
                log("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                trainer = try SRCNNTrainer(options: try options())
            }
            let o = trainer.options
            log("SRCNN \(trainer.architecture) x\(o.scale): \(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, "
                + "\(o.optimizerDescription), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run(events: Self.report)
        } catch {
            log("srlab: error: \(error)")
            throw ExitCode.failure
        }
    }

    func options() throws -> SRCNNTrainingOptions {
        let root = data ?? ProcessInfo.processInfo.environment["SRLAB_DATA"] ?? "data"
        var o = SRCNNTrainingOptions()
        o.architecture = arch
        o.scale = scale
        o.trainingFolder = train ?? (root as NSString).appendingPathComponent("T91")
        let set5 = (root as NSString).appendingPathComponent("Set5")
        o.validationFolder = validation ?? (FileManager.default.fileExists(atPath: set5) ? set5 : nil)
        o.outputFolder = output ?? "runs/srcnn_x\(scale)_\(arch)"
        o.epochs = epochs ?? 100
        o.batchSize = batch
        guard let name = SRCNNTrainingOptions.OptimizerName(rawValue: optimizer) else {
            throw ValidationError("--optimizer must be adam or sgd, not '\(optimizer)'")
        }
        o.optimizer = name
        o.learningRate = lr
        o.lastLayerLearningRate = lastLayerLr
        o.momentum = momentum
        o.learningRateMilestones = try milestones() ?? []
        o.initialStandardDeviation = initStd
        o.heInitialisation = heInit
        o.seed = seed
        o.augment = augment
        o.threads = threads ?? 2
        o.shards = shards
        o.progressInterval = progressInterval
        return o
    }

    func milestones() throws -> [Int]? {
        guard let lrMilestones else { return nil }
        let values = lrMilestones.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--lr-milestones must be positive epoch numbers separated by commas")
        }
        return values.compactMap { $0 }
    }

    /// The progress lines of every `srlab train` network (stderr).
    static func report(_ event: SRCNNTrainingEvent) {
        switch event {
        case let .progress(epoch, epochs, batch, batches, mse, rate, eta):
            log(String(format: "epoch %d/%d batch %d/%d  mse %.3e  %.0f samples/s  ETA %@",
                       epoch, epochs, batch, batches, mse, rate, duration(eta)))
        case let .epochEnd(r):
            let psnr = r.validationPSNR.map { String(format: "  validation %.4f dB%@", $0, r.isBest ? " (best)" : "") } ?? ""
            log(String(format: "epoch %d done: train mse %.4e%@  %.1f s, %.0f samples/s",
                       r.epoch, r.trainMSE, psnr, r.seconds, r.samplesPerSecond))
        }
    }

    static func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    private func log(_ line: String) { Self.log(line) }

    private static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}
