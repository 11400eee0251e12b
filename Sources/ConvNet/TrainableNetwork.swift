import Imaging

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
}

/// What `NetworkTrainer` needs of a network so that the same loop (data, shuffling, optimiser,
/// validation, checkpoints, resume, log) trains SRCNN or any other same-size network on the
/// bicubic-upscaled Y channel: its parameter tensors, a batch backprop, the model it makes from
/// trained parameters, and how it describes itself in files.
public protocol TrainableNetwork: Sendable {
    associatedtype Backprop: BatchBackprop
    /// The checkpoint's `kind` metadata; a resume refuses a checkpoint of another kind.
    var checkpointKind: String { get }
    /// Parameter tensors' names and element counts, in order (checkpoint keys `param.NAME`).
    var parameterNames: [(name: String, count: Int)] { get }
    /// Parameters of a fresh run.
    func initialParameters(options: SRCNNTrainingOptions) -> [[Float]]
    /// Parameters read from a model file of this same network and scale (to fine-tune it);
    /// throws, naming the file, when it is another network.
    func parameters(fromModel path: String, scale: Int) throws -> [[Float]]
    func makeBackprop(batchCapacity: Int) -> Backprop
    /// Tensors trained at `options.lastLayerLearningRate` instead of `options.learningRate`.
    func usesLastLayerRate(tensor: Int) -> Bool
    /// The model the parameters make, as the evaluation protocol runs it.
    func resolver(parameters: [[Float]]) -> any SuperResolver
    /// Writes the parameters as a model file (atomically) with `metadata`.
    func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws
    /// Provenance for model files and checkpoints: what the network is and how it was trained.
    func modelMetadata(options: SRCNNTrainingOptions, trainingSet: SRCNNTrainingSet, epochs: Int,
                       samplesPerEpoch: Int) -> [String: String]
}
