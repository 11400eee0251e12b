import Training

/// A spec's layers unrolled into the steps `SequentialNetwork` runs: each leaf layer (convolution,
/// activation, …) and each merge (`.residual`'s sum, `.parallel`'s average) is a node that reads
/// numbered activations and writes the next one. Activation 0 is the input; node i writes
/// activation i + 1; the last node's is the output. For a spec without blocks the nodes are its
/// layers, one for one.
///
/// Order: depth first, a block's layers before its merge and branches in order, which is also the
/// order of the parameter tensors (`tensors`) and of their names.
struct NetworkGraph {
    enum Operation: Equatable {
        /// A leaf layer (never `.residual` or `.parallel`).
        case layer(LayerSpec)
        /// weight · Σ inputs (Merge.swift).
        case sum(weight: Double)
    }

    struct Node {
        var operation: Operation
        /// The activations it reads: one for a layer; a residual's block output then its input;
        /// a parallel layer's branch outputs.
        var inputs: [Int]
        /// The index in `spec.layers` of the outer layer it belongs to (per-layer timings, the
        /// first trained layer).
        var topLevel: Int
        /// Index of its first tensor in `tensors`; nil when it has none.
        var firstTensor: Int?
        /// The layer after it in its own list (what its initialisation's gain depends on).
        var next: LayerSpec?
        /// Whether it is a residual block's last layer, whose output is added to the block's input
        /// as it is (its initialisation is scaled down: `NetworkSpec.initialParameters`).
        var endsResidualBlock = false
    }

    let nodes: [Node]
    let tensors: [ParameterTensor]

    init(_ spec: NetworkSpec) {
        var nodes: [Node] = [], tensors: [ParameterTensor] = []
        /// Appends `layers` reading activation `input`; returns the activation they end with.
        func add(_ layers: [LayerSpec], input: Int, prefix: String, topLevel: Int?, residual: Bool = false) -> Int {
            var current = input
            for (i, layer) in layers.enumerated() {
                let top = topLevel ?? i, name = "\(prefix)\(i)"
                switch layer {
                case let .residual(block):
                    let output = add(block, input: current, prefix: "\(name).block.", topLevel: top, residual: true)
                    nodes.append(Node(operation: .sum(weight: 1), inputs: [output, current], topLevel: top))
                case let .parallel(branches):
                    let outputs = branches.enumerated().map { b, branch in
                        add(branch, input: current, prefix: "\(name).branches.\(b).", topLevel: top)
                    }
                    nodes.append(Node(operation: .sum(weight: 1 / Double(branches.count)), inputs: outputs, topLevel: top))
                default:
                    let shapes = layer.tensorShapes
                    nodes.append(Node(operation: .layer(layer), inputs: [current], topLevel: top,
                                      firstTensor: shapes.isEmpty ? nil : tensors.count,
                                      next: i + 1 < layers.count ? layers[i + 1] : nil,
                                      endsResidualBlock: residual && i + 1 == layers.count))
                    tensors += shapes.map { ParameterTensor(name: "\(name).\($0.suffix)", shape: $0.shape) }
                }
                current = nodes.count
            }
            return current
        }
        _ = add(spec.layers, input: 0, prefix: "layers.", topLevel: nil)
        self.nodes = nodes
        self.tensors = tensors
    }

    /// Every activation's shape (per image) for an input of `input`, of a spec that `validate()`
    /// accepted and whose `shapes` succeeded for that input.
    func activationShapes(input: ActivationShape) -> [ActivationShape] {
        var shapes = [input]
        for node in nodes {
            var shape = shapes[node.inputs[0]]
            if case let .layer(layer) = node.operation {
                switch layer {
                case let .conv(k, _, o, p):
                    shape.height += 2 * p - k + 1; shape.width += 2 * p - k + 1; shape.channels = o
                case let .deconv(_, _, o, s, _):
                    shape.height *= s; shape.width *= s; shape.channels = o
                case let .pixelShuffle(r):
                    shape.height *= r; shape.width *= r; shape.channels /= r * r
                case let .upsample(s):
                    shape.height *= s; shape.width *= s
                case let .maxPool(s):
                    shape.height /= s; shape.width /= s
                case .prelu, .tanh, .relu, .batchNorm, .residual, .parallel:
                    break
                }
            }
            shapes.append(shape)
        }
        return shapes
    }

    /// For each activation, the last node that reads it (nil: none does — the output).
    var lastReader: [Int?] {
        var result = [Int?](repeating: nil, count: nodes.count + 1)
        for (i, node) in nodes.enumerated() { for a in node.inputs { result[a] = i } }
        return result
    }

    /// The activations (tanh, ReLU) a training step folds into the convolution beside them
    /// (FusedActivation.swift): pairs of adjacent nodes, a convolution and then the activation
    /// that is the only reader of its output. Forward, the convolution writes the activation's
    /// output (its own is never written); backward, the convolution after the activation, when it
    /// is the activation's output's only reader, multiplies its input gradient by the derivative
    /// (the activation's own pass is skipped).
    func fusedActivations() -> (forward: [Int: FusedActivation], backward: [Int: FusedActivation]) {
        var readers = [Int](repeating: 0, count: nodes.count + 1)
        for node in nodes { for a in node.inputs { readers[a] += 1 } }
        func activation(_ node: Node) -> FusedActivation? {
            switch node.operation {
            case .layer(.tanh): return .tanh
            case .layer(.relu): return .relu
            default: return nil
            }
        }
        func isConv(_ node: Node) -> Bool { if case .layer(.conv) = node.operation { return true } else { return false } }
        var forward: [Int: FusedActivation] = [:], backward: [Int: FusedActivation] = [:]
        for i in nodes.indices.dropLast() {
            let (first, second) = (nodes[i], nodes[i + 1])
            // Activation i + 1 is node i's output; read only by node i + 1.
            guard second.inputs == [i + 1], readers[i + 1] == 1 else { continue }
            if isConv(first), let kind = activation(second) { forward[i] = kind }
            if isConv(second), let kind = activation(first) { backward[i + 1] = kind }
        }
        return (forward, backward)
    }
}
