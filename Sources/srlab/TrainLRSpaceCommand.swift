import ArgumentParser
import ConvNet
import Foundation
import Training

/// `srlab train fsrcnn|fsrcnn-s|espcn …`: the CNNs on the LR image, trained by the training stack
/// on T91 LR sub-images and their HR sub-images (SequentialTrainable.swift's header: sizes,
/// stride, loss margin), validated on Set5 every epoch. Output folder as for SRCNN:
/// checkpoint.safetensors (resumable), best.safetensors, last.safetensors, log.csv.
///
/// Defaults: Adam, learning rate 1e-3 for every layer but the last, 1e-4 for the last (the FSRCNN
/// paper's two rates, 1e-3 and 1e-4, which it used with SGD; Adam because, as for SRCNN here, it
/// gets there in far fewer epochs), batch 64, seed 1. FSRCNN's transfer to another scale:
/// `--init-model <x3 model> --train-only last-layer` trains only the deconvolution.
struct LRSpaceTrainingArguments: ParsableArguments {
    @Option(help: "Scale factor (default 3).") var scale: Int?
    @Option(help: "Side of the LR sub-images (default 16, 11, 8 at x2, x3, x4; networks on the bicubic image take SRCNN's 33).") var patch: Int?
    @Option(help: "LR pixels between sub-images (default 7, 5, 4 at x2, x3, x4; 14 on the bicubic image).") var stride: Int?
    @Option(help: "HR pixels on each side of the output left out of the loss (default: the deconvolution's reach beyond the sub-image, 0 for ESPCN; on the bicubic image the receptive radius).")
    var lossMargin: Int?
    @Option(help: "gemm or subPixel: the transposed convolution's algorithm (default gemm).") var deconvolution: DeconvolutionAlgorithm?
    @OptionGroup var common: NetworkTrainingArguments
    @Option(help: "Sub-images per batch (default 64).") var batch: Int?
    @Option(help: "Learning rate of every layer but the last (default 1e-3).") var lr: Double?
    @Option(help: "Learning rate of the last layer (default 1e-4).") var lastLayerLr: Double?
    @Option(help: "all (default) or last-layer: train only the last layer (FSRCNN's deconvolution), e.g. from a x3 model given by --init-model.")
    var trainOnly: TrainedLayers?
    @Option(help: "Threads; results do not depend on it (default 2; with --resume, the checkpoint's).") var threads: Int?
    @Option(help: "Batches between progress lines (default 100).") var progressInterval: Int?

    enum TrainedLayers: String, ExpressibleByArgument { case all, lastLayer = "last-layer" }

    static var defaults: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 64
        o.optimizer = .adam
        o.learningRate = 1e-3
        o.lastLayerLearningRate = 1e-4
        o.threads = 2
        o.progressInterval = 100
        return o
    }

    /// Trains (or resumes) the published network `kind` ("fsrcnn", "fsrcnn-s", "espcn").
    func run(kind: String, label: String) throws {
        try reportingErrors {
            let trainer: NetworkTrainer<SequentialTrainable>
            if let resume = common.resume {
                trainer = try NetworkTrainer<SequentialTrainable>(resumingFrom: resume, epochs: common.epochs, threads: threads,
                                                                  learningRateMilestones: try common.milestones(),
                                                                  dataRoot: common.data)
                guard trainer.network.spec.modelKind == kind else {
                    throw TrainingError.invalidCheckpoint(path: resume, reason: "it trains \(trainer.network.spec.name), not \(label); resume it with the srlab train command of its network")
                }
                note("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                let config = try common.configFile(networkKeys: SequentialTrainable.keys)
                let options = try common.options(defaults: Self.defaults, config: config, commandOptions: { o in
                    if let scale { o.scale = scale }
                    if let batch { o.batchSize = batch }
                    if let lr { o.learningRate = lr }
                    if let lastLayerLr { o.lastLayerLearningRate = lastLayerLr }
                    if let trainOnly { o.trainOnlyLastLayer = trainOnly == .lastLayer }
                    if let threads { o.threads = threads }
                    if let progressInterval { o.progressInterval = progressInterval }
                }, defaultOutput: { "runs/\(kind)_x\($0.scale)" })
                let network = try self.network(config: config, scale: options.scale, kind: kind, label: label)
                trainer = try NetworkTrainer(network: network, options: options)
            }
            let o = trainer.options, n = trainer.network
            note("\(n.spec.name): \(n.inputSize)x\(n.inputSize) \(n.spec.bicubicUpscale == nil ? "LR" : "bicubic-upscaled") sub-images at stride \(n.stride), loss on the centre "
                 + "\(n.labelSize)x\(n.labelSize) of \(n.outputSize)x\(n.outputSize); \(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, "
                 + "\(o.optimizerDescription(groups: n.networkDescription.learningRateGroups)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run { note($0.description) }
        }
    }

    /// The network: the method's spec at the run's scale, sub-image settings from the config
    /// (whose `networkSpec`, if any, must be this method's at this scale, or it with batch
    /// normalisations added: ResNet SR as the Keras project trains it), then these options.
    func network(config: ConfigFile?, scale: Int, kind: String, label: String) throws -> SequentialTrainable {
        let settings = try config?.decode(Settings.self) ?? Settings()
        guard var spec = NetworkSpec.published(kind: kind, scale: scale, padding: settings.networkSpec?.padding ?? .replicate) else {
            preconditionFailure("\(kind) is not a published network")
        }
        if let given = settings.networkSpec, given != spec, let path = config?.path {
            var withBatchNorm = NetworkSpec.publishedWithBatchNorm(kind: kind, scale: scale, padding: given.padding)
            withBatchNorm?.name = given.name
            guard given == withBatchNorm else {
                throw ConfigFileError(path: path, reason: "its networkSpec is \(given.name), not \(spec.name) (the \(label) of this command at x\(scale)) or it with batch normalisations")
            }
            spec = given
        }
        let standard = SequentialTrainable.defaultPatch(spec)
        return try SequentialTrainable(spec: spec, inputSize: patch ?? settings.lowResolutionPatchSize ?? standard.size,
                                       stride: stride ?? settings.lowResolutionStride ?? standard.stride,
                                       lossMargin: lossMargin ?? settings.lossMargin,
                                       deconvolutionAlgorithm: deconvolution ?? settings.deconvolution ?? .gemm)
    }

    /// The network keys a config may set (`SequentialTrainable.keys`), each optional.
    struct Settings: Decodable {
        var networkSpec: NetworkSpec?
        var lowResolutionPatchSize: Int?
        var lowResolutionStride: Int?
        var lossMargin: Int?
        var deconvolution: DeconvolutionAlgorithm?
    }
}

extension DeconvolutionAlgorithm: ExpressibleByArgument {}
