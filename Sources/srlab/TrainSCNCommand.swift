import ArgumentParser
import ConvNet
import Equivalence
import Foundation
import SparseCoding
import TensorFile

/// `srlab train scn …`: the sparse-coding network initialised from a coupled dictionary (LISTA
/// layers with their own weights, as in Wang et al.'s SCN) trained end to end by SRCNN's trainer:
/// T91 33×33 sub-images at stride 14, loss on the centre 21×21, Set5 validation every epoch.
/// Output folder: initial.safetensors (the calibrated network before training, fresh runs only),
/// checkpoint.safetensors (resumable), best.safetensors, last.safetensors, log.csv.
struct TrainSCNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scn",
        abstract: "Train the sparse-coding network (LISTA/SCN, initialised from a dictionary) end to end with SRCNN's trainer.")

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
                                                         learningRateMilestones: try common.milestones()) { file, _ in
                    try TrainableSparseCodingNetwork(checkpoint: file, path: resume)
                }
                note("resumed \(resume) at epoch \(trainer.epoch) of \(trainer.options.epochs)")
            } else {
                trainer = try freshTrainer()
            }
            let o = trainer.options, c = trainer.network.configuration
            note("SCN \(c.atoms) atoms, K = \(c.iterations), x\(o.scale): \(trainer.network.parameterCount) parameters, "
                 + "\(trainer.batchesPerEpoch) batches of \(o.batchSize) per epoch, \(TrainableSparseCodingNetwork.optimiserDescription(o)), seed \(o.seed), output \(o.outputFolder)")
            try trainer.run(events: TrainSRCNNCommand.report)
        }
    }

    func freshTrainer() throws -> SparseCodingNetworkTrainer {
        guard let dictionary else { throw ValidationError("give --dictionary FILE (a coupled dictionary from `srlab train sc`) or --resume CHECKPOINT") }
        guard iterations >= 2 else { throw ValidationError("--iterations must be at least 2") }
        let dict = try CoupledDictionary(contentsOf: dictionary)
        guard dict.metadata.scale == scale else {
            throw ModelFileError.wrongScale(path: dictionary, kind: CoupledDictionary.fileKind, trained: dict.metadata.scale, requested: scale)
        }
        guard dict.metadata.patchSize == 5 else {
            throw DictionaryError.wrongShape(path: dictionary, reason: "the network needs 5×5 patches, this one has \(dict.metadata.patchSize)×\(dict.metadata.patchSize)")
        }
        let o = try options()
        try o.validateCommon()
        let set = try SRCNNTrainingSet(options: o)
        var network = TrainableSparseCodingNetwork(dictionary: dict, iterations: iterations, lambda: lambda,
                                                   dictionaryName: (dictionary as NSString).lastPathComponent)
        let gain = network.calibrateGain(on: set, samples: calibrationSamples)
        note(String(format: "initial reconstruction gain %.6f (least squares on %d sub-images), L = %.4f", gain,
                    min(calibrationSamples, set.count), network.configuration.lipschitz))
        try FileManager.default.createDirectory(atPath: o.outputFolder, withIntermediateDirectories: true)
        var initial = network
        initial.metadata["epochs"] = "0"
        try initial.write(to: (o.outputFolder as NSString).appendingPathComponent("initial.safetensors"))
        let validation = try SparseCodingNetworkTrainer.loadValidation(o.validationFolder, scale: o.scale)
        return try SparseCodingNetworkTrainer(network: network, options: o, trainingSet: set, validation: validation)
    }

    func options() throws -> SRCNNTrainingOptions {
        try common.options(architecture: "scn-\(iterations)", scale: scale, defaultOutput: "runs/scn_x\(scale)_k\(iterations)",
                           batch: batch, learningRate: lr, lastLayerLearningRate: lastLayerLr,
                           threads: threads ?? 1, progressInterval: progressInterval)
    }
}
