import SeededRandom
import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// The training loop of SRCNN's protocol for any `TrainableNetwork`: T91 sub-images
/// (`SubImageSet`: SRCNN's 33×33 bicubic ones, or LR ones with their HR sub-images, as the
/// network's description asks), loss on the centre its description leaves, seeded shuffling
/// each epoch, optional dihedral augmentation, per-tensor learning rates (the last layer's apart),
/// validation PSNR each epoch, best model kept, checkpoints written atomically after every epoch,
/// and resume that continues bit-identically (same seed and shard count → same bytes).
///
/// Files in `outputFolder`: `checkpoint.safetensors` (parameters, optimiser state, RNG state,
/// epoch, options, history), `best.safetensors` and `last.safetensors` (the network's model
/// files), `log.csv`.
public final class NetworkTrainer<Network: TrainableNetwork> {
    public let options: TrainingOptions
    public let network: Network
    public private(set) var parameters: [[Float]]
    public private(set) var optimizerState: [[[Float]]]   // [tensor][slot][element]
    public private(set) var rng: Xoshiro256
    /// Epochs completed and optimiser steps taken.
    public private(set) var epoch = 0
    public private(set) var step = 0
    public private(set) var history: [EpochRecord] = []
    public private(set) var bestPSNR: Double?

    let trainingSet: SubImageSet
    let validation: [PreparedImage]
    let optimizer: any Optimizer
    let backprop: ShardedBackprop<Network.Backprop>
    /// Per tensor: trained at the last layer's learning rate.
    let usesLastLayerRate: [Bool]
    /// Per tensor: set by the network (`NetworkDescription.statisticTensors`), not the optimiser.
    let isStatistic: [Bool]

    /// A fresh run on data already in memory, from the network's initial parameters (or from
    /// `options.initialModel`'s).
    public convenience init(network: Network, options: TrainingOptions, trainingSet: SubImageSet,
                            validation: [PreparedImage]) throws {
        try self.init(network: network, options: options, trainingSet: trainingSet, validation: validation, resuming: false)
    }

    /// A fresh run reading the training and validation folders named in `options`.
    public convenience init(network: Network, options: TrainingOptions) throws {
        try options.validate()
        try self.init(network: network, options: options,
                      trainingSet: try SubImageSet(options: options, input: network.networkDescription.input),
                      validation: try Self.loadValidation(options.validationFolder, scale: options.scale))
    }

    /// `resuming`: the parameters will come from a checkpoint, so an initial model is not read.
    init(network: Network, options: TrainingOptions, trainingSet: SubImageSet,
         validation: [PreparedImage], resuming: Bool) throws {
        var options = options
        try options.validate()
        let description = network.networkDescription
        if let scale = description.scale, scale != options.scale {
            throw TrainingError.invalidOptions("the \(description.kind) network \(description.name) is for x\(scale), the run trains x\(options.scale)")
        }
        guard trainingSet.input == description.input else {
            throw TrainingError.invalidOptions("\(description.kind) \(description.name) takes \(Self.describe(description.input)), the training set has \(Self.describe(trainingSet.input))")
        }
        guard trainingSet.patchSize > description.shrink else {
            throw TrainingError.invalidOptions("a \(trainingSet.patchSize)×\(trainingSet.patchSize) sub-image is too small for \(description.kind) \(description.name), whose valid convolutions take \(description.shrink) pixels off")
        }
        if let model = options.initialModel, options.initialModelProvenance == nil {
            // Read once and kept in the options (so in every checkpoint): a resumed run, on any
            // machine, describes its start without the initial model's file.
            options.initialModelProvenance = TrainingOptions.provenance(ofModel: model)
        }
        var trainingSet = trainingSet
        if let teacher = options.teacherModel {
            trainingSet.blendOriginals(with: try network.teacherOutputs(model: teacher, for: trainingSet),
                                       weight: Float(options.teacherWeight))
        }
        guard trainingSet.count >= options.batchSize else {
            throw TrainingError.invalidOptions("\(trainingSet.count) sub-images are fewer than one batch of \(options.batchSize)")
        }
        self.network = network
        self.options = options
        self.trainingSet = trainingSet
        self.validation = validation
        optimizer = options.optimizerInstance
        if let model = options.initialModel, !resuming {
            parameters = try network.parameters(fromModel: model, scale: options.scale)
        } else {
            parameters = network.initialParameters(seed: options.seed)
        }
        precondition(parameters.map(\.count) == description.parameters.map(\.count),
                     "initial parameters do not match the network's tensors")
        usesLastLayerRate = description.parameters.map { description.lastLayerTensors.contains($0.name) }
        isStatistic = description.parameters.map { description.statisticTensors.contains($0.name) }
        let slots = optimizer.stateCount
        optimizerState = parameters.map { [[Float]](repeating: [Float](repeating: 0, count: $0.count), count: slots) }
        let onlyLastLayer = options.trainOnlyLastLayer
        backprop = ShardedBackprop(batchCapacity: options.batchSize, shards: options.shards) {
            network.makeBackprop(batchCapacity: $0, trainsOnlyLastLayer: onlyLastLayer)
        }
        guard backprop.shards[0].inputSize == trainingSet.inputSize,
              backprop.labelSize == trainingSet.patchSize - description.shrink else {
            throw TrainingError.invalidOptions("the network takes \(backprop.shards[0].inputSize)² inputs to \(backprop.labelSize)² outputs, the training set has \(trainingSet.inputSize)² inputs with \(trainingSet.patchSize)² sub-images and the description a shrink of \(description.shrink)")
        }
        // Initialisation draws from its own generator (seeded by options.seed); training from this one.
        rng = Xoshiro256(seed: options.seed ^ 0x5EED_5EED_5EED_5EED)
    }

    static func describe(_ input: TrainingInput) -> String {
        switch input {
        case let .bicubicUpscaled(size, stride): return "\(size)×\(size) bicubic-upscaled sub-images at stride \(stride)"
        case let .lowResolution(size, stride): return "\(size)×\(size) LR sub-images at stride \(stride)"
        }
    }

    /// The validation images in `folder` (none when nil), prepared under the SR protocol.
    public static func loadValidation(_ folder: String?, scale: Int) throws -> [PreparedImage] {
        guard let folder else { return [] }
        return try SubImageSet.imageFiles(in: folder).map { path in
            try PreparedImage(image: try ImageIO.read(path), name: (path as NSString).lastPathComponent,
                              scale: scale, path: path)
        }
    }

    public var batchesPerEpoch: Int { trainingSet.count / options.batchSize }

    // MARK: - Training

    /// Trains until `options.epochs` epochs are done, checkpointing after each.
    public func run(events: (TrainingEvent) -> Void = { _ in }) throws {
        // Shards run one per thread with one BLAS thread each; validation uses the layers' threads.
        // One BLAS thread for the whole run also keeps a resumed run bit-identical: OpenBLAS sums
        // in another order on another thread count.
        try Network.Backprop.withLoopThreads(options.threads) {
            try BLASThreads.with(1) { try runEpochs(events: events) }
        }
    }

    private func runEpochs(events: (TrainingEvent) -> Void) throws {
        try FileManager.default.createDirectory(atPath: options.outputFolder, withIntermediateDirectories: true)
        while epoch < options.epochs {
            let record = trainEpoch(events: events)
            guard record.trainMSE.isFinite else {
                throw TrainingError.invalidOptions("training diverged (loss \(record.trainMSE)) in epoch \(record.epoch); lower the learning rate. The checkpoint of epoch \(record.epoch - 1) is untouched.")
            }
            history.append(record)
            try writeOutputs(record)
            events(.epochEnd(history.last!))
        }
    }

    /// One epoch: shuffle, then every full batch once (the remainder waits for a later shuffle).
    func trainEpoch(events: (TrainingEvent) -> Void) -> EpochRecord {
        let batch = options.batchSize, label = backprop.labelSize, p = trainingSet.inputSize
        var order = Array(0..<trainingSet.count)
        rng.shuffle(&order)
        var inputs = [Float](repeating: 0, count: batch * p * p)
        var labels = [Float](repeating: 0, count: batch * label * label)
        let start = DispatchTime.now().uptimeNanoseconds
        var sumMSE = 0.0
        let batches = batchesPerEpoch
        for b in 0..<batches {
            inputs.withUnsafeMutableBufferPointer { x in
                labels.withUnsafeMutableBufferPointer { y in
                    for i in 0..<batch {
                        let transform = options.augment ? rng.nextIndex(8) : 0
                        trainingSet.copy(order[b * batch + i], transform: transform, labelSize: label,
                                         input: x.baseAddress! + i * p * p, label: y.baseAddress! + i * label * label)
                    }
                }
            }
            sumMSE += inputs.withUnsafeBufferPointer { x in
                labels.withUnsafeBufferPointer { y in
                    backprop.step(parameters: parameters, inputs: x.baseAddress!, labels: y.baseAddress!,
                                  batch: batch, threads: options.threads)
                }
            }
            applyOptimizer()
            if (b + 1) % options.progressInterval == 0 || b + 1 == batches {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let rate = Double((b + 1) * batch) / seconds
                let remainingBatches = (options.epochs - epoch - 1) * batches + (batches - b - 1)
                events(.progress(epoch: epoch + 1, epochs: options.epochs, batch: b + 1, batches: batches,
                                 meanSquaredError: sumMSE / Double(b + 1), samplesPerSecond: rate,
                                 etaSeconds: Double(remainingBatches * batch) / rate))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        epoch += 1
        let psnr = validationPSNR()
        let isBest = psnr.map { p in bestPSNR.map { p > $0 } ?? true } ?? false
        if isBest { bestPSNR = psnr }
        return EpochRecord(epoch: epoch, trainMSE: sumMSE / Double(batches), validationPSNR: psnr,
                                seconds: seconds, samplesPerSecond: Double(batches * batch) / seconds, isBest: isBest)
    }

    /// One optimiser update of every tensor from `backprop.gradients`; the last layer has its own
    /// rate. Statistic tensors take the network's own update instead (batch norm's running ones).
    func applyOptimizer() {
        step += 1
        let gradients = backprop.gradients
        for (t, values) in backprop.updatedStatistics where !options.trainOnlyLastLayer { parameters[t] = values }
        for t in parameters.indices where (usesLastLayerRate[t] || !options.trainOnlyLastLayer) && !isStatistic[t] {
            let factor = options.learningRateFactor(epoch: epoch + 1)
            let rate = Float((usesLastLayerRate[t] ? options.lastLayerLearningRate : options.learningRate) * factor)
            optimizer.update(parameters: &parameters[t], gradients: gradients[t], state: &optimizerState[t],
                             learningRate: rate, step: step)
        }
    }

    /// Mean PSNR of the current model on the validation images (SR protocol, replicate padding).
    public func validationPSNR() -> Double? {
        guard !validation.isEmpty else { return nil }
        let model = network.resolver(parameters: parameters, scale: options.scale)
        let psnrs = validation.map { image in
            let out = model.upscale(lowRes: image.lowRes)
            return Metrics.psnr(Quantize.to8Bit(out), image.groundTruth, shave: image.scale)
        }
        return psnrs.reduce(0, +) / Double(psnrs.count)
    }

    // MARK: - Files

    /// What the model files written now say about the network and its training.
    public var modelMetadata: [String: String] {
        var meta = network.modelMetadata(options: options, trainingSet: trainingSet, epochs: epoch,
                                         samplesPerEpoch: batchesPerEpoch * options.batchSize)
        meta["validation_psnr"] = bestPSNR.map { String(format: "%.4f", $0) } ?? ""
        return meta
    }

    public var checkpointPath: String { (options.outputFolder as NSString).appendingPathComponent("checkpoint.safetensors") }

    func writeOutputs(_ record: EpochRecord) throws {
        let folder = options.outputFolder as NSString
        var meta = modelMetadata
        meta["validation_psnr"] = record.validationPSNR.map { String(format: "%.4f", $0) } ?? ""
        try network.writeModel(parameters: parameters, metadata: meta, to: folder.appendingPathComponent("last.safetensors"))
        if record.isBest {
            try network.writeModel(parameters: parameters, metadata: meta, to: folder.appendingPathComponent("best.safetensors"))
        }
        try checkpoint().write(to: checkpointPath)
        var csv = "epoch,train_mse,validation_psnr,seconds,samples_per_second,best\n"
        for r in history {
            csv += "\(r.epoch),\(r.trainMSE),\(r.validationPSNR.map { "\($0)" } ?? ""),\(r.seconds),\(r.samplesPerSecond),\(r.isBest)\n"
        }
        try AtomicFile.write(csv, to: folder.appendingPathComponent("log.csv"))
    }

    /// Everything a resumed run needs, bit for bit.
    func checkpoint() throws -> SafeTensorsFile {
        var tensors: [String: Tensor] = [:]
        for (t, tensor) in network.networkDescription.parameters.enumerated() {
            tensors["param.\(tensor.name)"] = Tensor(shape: [parameters[t].count], floats: parameters[t])
            for s in optimizerState[t].indices {
                tensors["optimizer\(s).\(tensor.name)"] = Tensor(shape: [parameters[t].count], floats: optimizerState[t][s])
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var meta = modelMetadata
        meta["kind"] = network.networkDescription.checkpointKind
        meta["options"] = String(decoding: try encoder.encode(RunSettings(options: options, network: network)), as: UTF8.self)
        meta["history"] = String(decoding: try encoder.encode(history), as: UTF8.self)
        meta["epoch"] = "\(epoch)"
        meta["step"] = "\(step)"
        meta["rng_state"] = rng.stateWords.map { String($0, radix: 16) }.joined(separator: ",")
        meta["best_psnr"] = bestPSNR.map { "\($0.bitPattern)" } ?? ""
        return SafeTensorsFile(tensors: tensors, metadata: meta)
    }

    /// Resumes from a checkpoint. `epochs` may extend the run and `threads` change its speed;
    /// `learningRateMilestones` may add future decays (all after the checkpoint's epoch, so the
    /// epochs already done are exactly those of a run that had them from the start); every other
    /// option is the checkpoint's own, so the continuation is the same computation as an
    /// uninterrupted run with those options. The run goes on in the checkpoint's folder, wherever
    /// it has been moved; `dataRoot` finds its training and validation folders (by their names)
    /// under another root than the one they were read from. The network is rebuilt from the
    /// checkpoint (`TrainableNetwork.init(checkpoint:path:)`), its parameters from its tensors.
    public convenience init(resumingFrom path: String, epochs: Int? = nil, threads: Int? = nil,
                            learningRateMilestones: [Int]? = nil, dataRoot: String? = nil,
                            trainingSet: SubImageSet? = nil, validation: [PreparedImage]? = nil) throws {
        let file = try SafeTensorsFile(contentsOf: path)
        func fail(_ reason: String) -> TrainingError { .invalidCheckpoint(path: path, reason: reason) }
        let decoder = JSONDecoder()
        decoder.userInfo[TrainingOptions.defaultsKey] = TrainingOptions.checkpointDefaults
        guard file.metadata["kind"]?.hasSuffix("-training-checkpoint") == true,
              let optionsJSON = file.metadata["options"],
              var options = try? decoder.decode(TrainingOptions.self, from: Data(optionsJSON.utf8)) else {
            throw fail("not a training checkpoint (kind '\(file.metadata["kind"] ?? "none")'); resume from a run folder's checkpoint.safetensors")
        }
        let net = try Network(checkpoint: file, path: path)
        let kind = net.networkDescription.checkpointKind
        guard file.metadata["kind"] == kind else {
            throw fail("it is a \(file.metadata["kind"] ?? "?"), not a \(kind)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        options.outputFolder = folder.isEmpty ? "." : folder
        if options.initialModel != nil, options.initialModelProvenance == nil {
            // Checkpoints from before the provenance was kept in the options: their metadata has it,
            // and the initial model's file may be gone.
            options.initialModelProvenance = file.metadata["initialisation"]
        }
        if let root = dataRoot as NSString? {
            options.trainingFolder = root.appendingPathComponent((options.trainingFolder as NSString).lastPathComponent)
            options.validationFolder = options.validationFolder.map { root.appendingPathComponent(($0 as NSString).lastPathComponent) }
        }
        if let epochs { options.epochs = epochs }
        if let threads { options.threads = threads }
        if let milestones = learningRateMilestones {
            let done = Int(file.metadata["epoch"] ?? "") ?? 0
            // Milestones already passed stay; the given ones replace the future ones.
            let kept = options.learningRateMilestones.filter { $0 <= done }
            guard milestones.allSatisfy({ $0 > done }) || milestones.sorted() == options.learningRateMilestones.sorted() else {
                throw fail("new learning-rate milestones must be after epoch \(done), the last one trained")
            }
            options.learningRateMilestones = (kept + milestones.filter { $0 > done }).sorted()
        }
        let set: SubImageSet
        if let trainingSet { set = trainingSet } else {
            set = try SubImageSet(options: options, input: net.networkDescription.input)
        }
        try self.init(network: net, options: options, trainingSet: set,
                      validation: try validation ?? Self.loadValidation(options.validationFolder, scale: options.scale),
                      resuming: true)
        guard let epochText = file.metadata["epoch"], let e = Int(epochText),
              let stepText = file.metadata["step"], let s = Int(stepText),
              let rngText = file.metadata["rng_state"] else { throw fail("epoch, step or RNG state missing") }
        let words = rngText.split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { throw fail("RNG state '\(rngText)' is malformed") }
        for (t, name) in net.networkDescription.parameters.map(\.name).enumerated() {
            let count = parameters[t].count
            parameters[t] = try file.floats("param.\(name)", shape: [count], path: path)
            for slot in optimizerState[t].indices {
                optimizerState[t][slot] = try file.floats("optimizer\(slot).\(name)", shape: [count], path: path)
            }
        }
        epoch = e
        step = s
        rng = Xoshiro256(stateWords: words)
        if let bits = file.metadata["best_psnr"].flatMap({ UInt64($0) }) { bestPSNR = Double(bitPattern: bits) }
        if let h = file.metadata["history"],
           let records = try? JSONDecoder().decode([EpochRecord].self, from: Data(h.utf8)) {
            history = records
        }
    }
}

/// A checkpoint's `options` entry and a run's config file: the options and the network's own
/// settings as one flat JSON object.
struct RunSettings<Network: TrainableNetwork>: Encodable {
    let options: TrainingOptions
    let network: Network

    func encode(to encoder: Encoder) throws {
        try options.encode(to: encoder)
        try network.encodeSettings(to: encoder)
    }
}
