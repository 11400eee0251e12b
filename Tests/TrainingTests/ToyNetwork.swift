import Foundation
import Imaging
import TensorFile
import Training

/// The image sets from SRLAB_DATA, else ../shared/datasets beside the package; nil skips the tests that need them.
let dataRoot: URL? = {
    if let value = ProcessInfo.processInfo.environment["SRLAB_DATA"], !value.isEmpty { return URL(fileURLWithPath: value) }
    let candidate = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/datasets")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
}()

/// The smallest network the stack can train, and no method of the lab: ŷ = w·x + b on the centre
/// of the input that a `shrink`-pixel valid window leaves. It shows the stack needs nothing of
/// SRCNN: a description, a backprop, files and a way back from a checkpoint.
struct ToyNetwork: TrainableNetwork, Codable {
    var shrink = 2
    var scale = 3
    /// A setting that goes into checkpoints beside the options.
    var initialWeight: Float = 0.5

    var networkDescription: NetworkDescription {
        NetworkDescription(kind: "toy", name: "affine, shrink \(shrink)", scale: scale, shrink: shrink,
                           parameters: [ParameterTensor(name: "affine.weight", shape: [1]),
                                        ParameterTensor(name: "affine.bias", shape: [1])],
                           lastLayerTensors: ["affine.bias"], learningRateGroups: ("weight", "bias"))
    }

    func initialParameters(seed: UInt64) -> [[Float]] { [[initialWeight], [0]] }

    func parameters(fromModel path: String, scale: Int) throws -> [[Float]] {
        let file = try SafeTensorsFile(contentsOf: path)
        return [try file.floats("affine.weight", shape: [1], path: path), try file.floats("affine.bias", shape: [1], path: path)]
    }

    func makeBackprop(batchCapacity: Int) -> ToyBackprop { ToyBackprop(shrink: shrink) }

    func resolver(parameters: [[Float]], scale: Int) -> any SuperResolver { ToyResolver(weight: parameters[0][0], bias: parameters[1][0], scale: scale) }

    func writeModel(parameters: [[Float]], metadata: [String: String], to path: String) throws {
        try SafeTensorsFile(tensors: ["affine.weight": Tensor(shape: [1], floats: parameters[0]),
                                      "affine.bias": Tensor(shape: [1], floats: parameters[1])],
                            metadata: metadata).write(to: path)
    }

    func modelMetadata(options: TrainingOptions, trainingSet: SubImageSet, epochs: Int, samplesPerEpoch: Int) -> [String: String] {
        ["epochs": "\(epochs)", "optimiser": options.optimizerDescription(groups: networkDescription.learningRateGroups)]
    }

    func encodeSettings(to encoder: Encoder) throws { try encode(to: encoder) }

    init(shrink: Int = 2, scale: Int = 3, initialWeight: Float = 0.5) {
        self.shrink = shrink; self.scale = scale; self.initialWeight = initialWeight
    }

    init(checkpoint file: SafeTensorsFile, path: String) throws {
        guard file.metadata["kind"] == "toy-training-checkpoint" else {
            throw TrainingError.invalidCheckpoint(path: path, reason: "not a toy checkpoint")
        }
        self = try JSONDecoder().decode(ToyNetwork.self, from: Data((file.metadata["options"] ?? "").utf8))
    }
}

final class ToyBackprop: BatchBackprop {
    let inputSize = SubImageSet.defaultPatchSize
    let labelSize: Int
    private(set) var gradients: [[Float]] = [[0], [0]]

    init(shrink: Int) { labelSize = inputSize - shrink }

    func step(parameters: [[Float]], inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch: Int,
              lossBatch: Int?) -> Double {
        let w = parameters[0][0], b = parameters[1][0], offset = (inputSize - labelSize) / 2
        var dw: Float = 0, db: Float = 0, squares = 0.0
        for i in 0..<batch {
            for r in 0..<labelSize {
                for c in 0..<labelSize {
                    let x = inputs[i * inputSize * inputSize + (r + offset) * inputSize + c + offset]
                    let d = w * x + b - labels[(i * labelSize + r) * labelSize + c]
                    dw += d * x
                    db += d
                    squares += Double(d * d)
                }
            }
        }
        let n = Float(lossBatch ?? batch)
        gradients = [[dw / n], [db / n]]
        return squares / Double(batch * labelSize * labelSize)
    }

    static func withLoopThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T { try body() }
}

struct ToyResolver: SuperResolver {
    let weight: Float, bias: Float
    let scale: Int
    var name: String { "toy" }
    func upscale(lowRes: Plane) -> Plane {
        Resize.bicubic(lowRes, scale: Double(scale)).map { Double(weight) * $0 + Double(bias) }
    }
}

/// Smooth synthetic "images" on [0, 1], so there is something to fit.
func syntheticSet(images: Int = 3) -> SubImageSet {
    let planes = (0..<images).map { k in
        Plane(width: 61, height: 61, values: (0..<(61 * 61)).map { i in
            let x = Double(i % 61), y = Double(i / 61)
            return 0.5 + 0.4 * sin(x / Double(3 + k)) * cos(y / Double(4 + k))
        })
    }
    return SubImageSet(lumaPlanes: planes, scale: 3)
}

func temporaryFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
