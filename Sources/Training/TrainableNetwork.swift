import Foundation
import Imaging
import TensorFile

/// One training step's arithmetic on a batch of sub-images: forward, loss, backward. The sharded
/// trainer runs one of these per shard.
public protocol BatchBackprop: AnyObject {
    /// Side of the square input sub-images (33 under the SRCNN protocol).
    var inputSize: Int { get }
    /// Side of the square centre the loss is taken on.
    var labelSize: Int { get }
    /// Gradients of the loss, one array per parameter tensor, in the parameters' order and layout.
    var gradients: [[Float]] { get }
    /// Forward and backward on `batch` inputs; returns the mean squared error of the output and
    /// leaves the EuclideanLoss Σ(ŷ − y)²/(2·lossBatch) gradients in `gradients` (`lossBatch` is
    /// the whole batch's size when this is one shard of it).
    func step(parameters: [[Float]], inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch: Int,
              lossBatch: Int?) -> Double
    /// Runs `body` with the network's own parallel loops (not BLAS) on `threads` threads, and puts
    /// the earlier count back. Shards run one per thread, so each runs its loops on one; results
    /// must not depend on the count.
    static func withLoopThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T
    /// Tensors the network sets itself instead of the optimiser (batch normalisation's running
    /// statistics, `NetworkDescription.statisticTensors`): after `step`, their new values by
    /// tensor index. The default has none.
    var updatedStatistics: [Int: [Float]] { get }
}

extension BatchBackprop {
    public var updatedStatistics: [Int: [Float]] { [:] }
}

/// One parameter tensor: its name in files and its shape.
public struct ParameterTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public init(name: String, shape: [Int]) { self.name = name; self.shape = shape }
    public var count: Int { shape.reduce(1, *) }
}

/// What a trainable network is, as the training stack and its files see it: names and shapes,
/// no layer types, so the stack knows no method.
public struct NetworkDescription: Sendable {
    /// The method's name ("srcnn", "scn"); its checkpoints are of kind "<kind>-training-checkpoint".
    public var kind: String
    /// The network's shape in a few words, for logs and errors ("9-1-5", "128 atoms, K = 3").
    public var name: String
    /// The scale factor the network is built for; nil when its tensors suit any (SRCNN before training).
    public var scale: Int?
    /// HR sub-image side minus the side of the centre the loss is taken on: under SRCNN's
    /// protocol what its valid convolutions take off a 33×33 sub-image; for an LR-space network
    /// the margin its loss leaves out on both sides.
    public var shrink: Int
    /// Parameter tensors in order (checkpoint keys `param.NAME` and `optimizer<slot>.NAME`).
    public var parameters: [ParameterTensor]
    /// Names of the tensors trained at `lastLayerLearningRate` instead of `learningRate`.
    public var lastLayerTensors: Set<String>
    /// How the optimiser line in model files names the two learning-rate groups.
    public var learningRateGroups: (main: String, last: String)
    /// What it takes for each sub-image: SRCNN's bicubic-upscaled Y, or the LR Y.
    public var input: TrainingInput
    /// Names of the tensors the network updates itself (`BatchBackprop.updatedStatistics`), which
    /// the optimiser leaves alone.
    public var statisticTensors: Set<String> = []

    public init(kind: String, name: String, scale: Int?, shrink: Int, parameters: [ParameterTensor],
                lastLayerTensors: Set<String>, learningRateGroups: (main: String, last: String),
                input: TrainingInput = .srcnnSubImages) {
        self.kind = kind; self.name = name; self.scale = scale; self.shrink = shrink
        self.parameters = parameters; self.lastLayerTensors = lastLayerTensors
        self.learningRateGroups = learningRateGroups
        self.input = input
    }

    /// The checkpoint's `kind` metadata; a resume refuses a checkpoint of another kind.
    public var checkpointKind: String { "\(kind)-training-checkpoint" }
}

/// What `NetworkTrainer` needs of a network so that the same loop (data, shuffling, optimiser,
/// validation, checkpoints, resume, log) trains SRCNN or any other same-size network on the
/// bicubic-upscaled Y channel: a description, initial parameters, a batch backprop, the model it
/// makes from trained parameters, its files, and a way back from a checkpoint.
public protocol TrainableNetwork: Sendable {
    associatedtype Backprop: BatchBackprop
    var networkDescription: NetworkDescription { get }
    /// Parameters of a fresh run; `seed` is the run's.
    func initialParameters(seed: UInt64) -> [[Float]]
    /// Parameters read from a model file of this same network and scale (to fine-tune it);
    /// throws, naming the file, when it is another network.
    func parameters(fromModel path: String, scale: Int) throws -> [[Float]]
    func makeBackprop(batchCapacity: Int) -> Backprop
    /// The same for a run that trains only the last layer (`TrainingOptions.trainOnlyLastLayer`):
    /// it may skip the backward pass below that layer, whose gradients the trainer drops (the
    /// default does not).
    func makeBackprop(batchCapacity: Int, trainsOnlyLastLayer: Bool) -> Backprop
    /// The model the parameters make, run at `scale` as the evaluation protocol runs it. The
    /// trainer passes the run's scale; a network built for one factor (`networkDescription.scale`)
    /// has been checked to match it.
    func resolver(parameters: [[Float]], scale: Int) -> any SuperResolver
    /// Writes the parameters as a model file (atomically) with `metadata`.
    func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws
    /// Provenance for model files and checkpoints: what the network is and how it was trained.
    func modelMetadata(options: TrainingOptions, trainingSet: SubImageSet, epochs: Int,
                       samplesPerEpoch: Int) -> [String: String]
    /// The network's own settings, written beside the options in the checkpoint's `options` entry
    /// (one flat JSON object, the shape of a run's config file); nothing when its metadata suffices.
    func encodeSettings(to encoder: Encoder) throws
    /// The network (not its parameters, which the trainer reads next) from one of its training
    /// checkpoints: from the settings beside the options and the metadata.
    init(checkpoint file: SafeTensorsFile, path: String) throws
    /// Distillation: the outputs of the teacher in model file `path` for every input of
    /// `trainingSet`, `count × patchSize²` (the labels' layout). The default refuses.
    func teacherOutputs(model path: String, for trainingSet: SubImageSet) throws -> [Float]
}

extension TrainableNetwork {
    public func teacherOutputs(model path: String, for trainingSet: SubImageSet) throws -> [Float] {
        throw TrainingError.invalidOptions("\(networkDescription.name) does not train from a teacher's outputs (teacherModel \(path))")
    }

    public func makeBackprop(batchCapacity: Int, trainsOnlyLastLayer: Bool) -> Backprop {
        makeBackprop(batchCapacity: batchCapacity)
    }
}

/// What every network's `init(checkpoint:path:)` starts with: the file must be a training
/// checkpoint of that network's kind.
public func requireCheckpointKind(_ kind: String, of file: SafeTensorsFile, path: String) throws {
    guard file.metadata["kind"] == kind else {
        throw TrainingError.invalidCheckpoint(path: path, reason: "it is a \(file.metadata["kind"] ?? "file without a kind"), not a \(kind)")
    }
}

/// A network's settings as its checkpoint's `options` entry holds them (beside the options),
/// after `requireCheckpointKind`; `unreadable` says what the options should have described.
public func decodeCheckpointSettings<Network: Decodable>(_ type: Network.Type, kind: String, of file: SafeTensorsFile,
                                                          path: String, unreadable: String) throws -> Network {
    try requireCheckpointKind(kind, of: file, path: path)
    do {
        return try JSONDecoder().decode(type, from: Data((file.metadata["options"] ?? "").utf8))
    } catch let error as TrainingError {
        throw TrainingError.invalidCheckpoint(path: path, reason: "\(error)")
    } catch {
        throw TrainingError.invalidCheckpoint(path: path, reason: unreadable)
    }
}
