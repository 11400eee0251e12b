import Dispatch
import Foundation
import LinearAlgebra
import Training

/// Which fast path a network's transposed convolutions take (both tested against the naive loops).
public enum DeconvolutionAlgorithm: String, Sendable, Codable, CaseIterable {
    /// One GEMM X·W, then each HR pixel gathers its taps (`conv2dTransposeForward`).
    case gemm
    /// One convolution on the LR grid to O·s² maps, then a pixel shuffle (`conv2dTransposeForwardSubPixel`).
    case subPixel
}

/// Runs any valid `NetworkSpec` forward and backward on batches of a fixed input size: the layer
/// functions in the order of the spec's `NetworkGraph` (its layers, a block's layers before its
/// merge), every activation kept for the backward pass.
///
/// Buffers (NHWC), for B ≤ `batchCapacity` images: activation 0 is a copy of the input, node i's
/// output activation i + 1 (for a spec without blocks, layer l's output is activation l + 1); a
/// padded convolution also keeps its padded input. Gradients mirror them; an activation read by
/// more than one node (a skip's source, the branches' input) sums its readers' gradients.
/// Parameters arrive as one array per tensor in `spec.parameterTensors` order and layout;
/// `gradients` has the same shapes. Generic so that gradient checks run it in Double; the
/// trainer runs it in Float.
///
/// `lossMargin`: `step` takes labels of the output's centre, `lossMargin` pixels in from every
/// side, and the loss ignores the rest (FSRCNN's deconvolution lacks taps there in a sub-image).
/// `forwardOnly` (inference): no gradient buffers, and each activation reuses a buffer whose
/// activation nothing reads any more, so memory is that of the widest layers alive at once (two
/// for a plain chain; a skip keeps its source alive until its merge).
public final class SequentialNetwork<T: BLASScalar> {
    public let spec: NetworkSpec
    public let batchCapacity: Int
    /// Input and every outer layer's output, per image (`spec.shapes`).
    public let shapes: [ActivationShape]
    public var deconvolutionAlgorithm: DeconvolutionAlgorithm = .gemm
    /// How convolutions run: `.training` (Winograd F(4×4, 3×3) where faster) in a network that
    /// trains, `.automatic` in a forward-only one, so inference's outputs do not depend on it.
    public var convolutionAlgorithm: ConvAlgorithm
    /// When set, each forward adds every outer layer's seconds to it (the bench's per-layer
    /// breakdown; wall-clock unless `layerClockIsThreadCPU`); nil in normal use.
    public var layerSeconds: [Double]?
    /// What the per-layer figures count: wall-clock time, or the calling thread's CPU time (a
    /// training shard runs on one thread, and its CPU time does not count the time other
    /// processes on a shared machine take from it).
    public var layerClockIsThreadCPU = false
    /// The same for the backward pass (each outer layer's gradients), and `step`'s loss and the
    /// zeroing and copying of the parameter gradients under the key `spec.layers.count`.
    public var backwardLayerSeconds: [Double]?
    public let lossMargin: Int
    public let forwardOnly: Bool
    /// `step`'s backward pass stops at this outer layer: the layers below it get no gradients (zero).
    public var firstTrainedLayer = 0
    /// Gradients of the loss after `step` or `backward`, in the parameters' order and layout.
    public private(set) var gradients: [[T]]
    /// Whether batch normalisations normalise by the batch's own statistics (training, the
    /// default unless forward-only) or by their running ones (inference; a teacher's outputs).
    public var usesBatchStatistics: Bool
    /// After a forward pass with batch statistics: each batch normalisation's running mean and
    /// variance moved toward the batch's (`LayerSpec.batchNormMomentum`), keyed by tensor index;
    /// the trainer writes them into the parameters, as the optimiser does not train them.
    public private(set) var updatedStatistics: [Int: [T]] = [:]
    /// Per batch-normalisation node, the statistics its forward pass used (its backward's).
    private var normalisation: [Int: (mean: [T], inverseStd: [T])] = [:]

    let workspace = Workspace<T>()
    private let graph: NetworkGraph
    /// Training only (`NetworkGraph.fusedActivations`): convolution node → the activation it
    /// applies to its output (the next node, then skipped), and convolution node → the activation
    /// (the node before) whose derivative it applies to its input gradient. The same bits as
    /// running the activation nodes; their time counts in the convolutions' layer figures.
    private var forwardFusion: [Int: FusedActivation]
    private var backwardFusion: [Int: FusedActivation]
    /// The outer layers (activations) whose work a training step does inside a convolution beside
    /// them, forward or backward: their own per-layer figures are then (near) zero.
    public var outerLayersRunInConvolutions: Set<Int> {
        Set(forwardFusion.keys.map { graph.nodes[$0 + 1].topLevel } + backwardFusion.keys.map { graph.nodes[$0 - 1].topLevel })
    }
    /// False: every activation node runs its own pass (the tests' reference for the fused bits).
    var fusesActivations = true {
        didSet { (forwardFusion, backwardFusion) = fusesActivations && !forwardOnly ? graph.fusedActivations() : ([:], [:]) }
    }
    /// Every activation of the graph, per image.
    private let activationShapes: [ActivationShape]
    private let tensorOffsets: [Int]
    private let parameterStorage: UnsafeMutablePointer<T>
    private let gradientStorage: UnsafeMutablePointer<T>
    private let parameterCount: Int
    private let activations: [UnsafeMutablePointer<T>]
    private let dActivations: [UnsafeMutablePointer<T>]
    /// Where a gradient goes first when its activation already has one from another reader.
    private let gradientScratch: UnsafeMutablePointer<T>?
    /// Per node: the padded input of a convolution with padding > 0, and its gradient.
    private let padded: [UnsafeMutablePointer<T>?]
    private let dPadded: [UnsafeMutablePointer<T>?]

    /// Throws `NetworkSpecError` when the spec is inconsistent or the input too small for it (or
    /// for the loss margin).
    public init(spec: NetworkSpec, batchCapacity: Int, inputHeight: Int, inputWidth: Int, lossMargin: Int = 0,
                forwardOnly: Bool = false) throws {
        precondition(batchCapacity >= 1, "batch capacity must be at least 1")
        self.spec = spec
        self.batchCapacity = batchCapacity
        self.lossMargin = lossMargin
        self.forwardOnly = forwardOnly
        usesBatchStatistics = !forwardOnly
        convolutionAlgorithm = forwardOnly ? .automatic : .training
        shapes = try spec.shapes(height: inputHeight, width: inputWidth)
        guard lossMargin >= 0, 2 * lossMargin < min(shapes.last!.height, shapes.last!.width) else {
            throw NetworkSpecError.invalidLayer(network: spec.name, layer: spec.layers.count, summary: spec.layers.last!.summary,
                                                reason: "a loss margin of \(lossMargin) leaves nothing of its \(shapes.last!) output")
        }
        graph = NetworkGraph(spec)
        // Forward-only buffers alias (below): a fused convolution could write over its own input.
        (forwardFusion, backwardFusion) = forwardOnly ? ([:], [:]) : graph.fusedActivations()
        activationShapes = graph.activationShapes(input: shapes[0])
        let tensors = graph.tensors
        var offsets: [Int] = []
        var total = 0
        for t in tensors { offsets.append(total); total += t.count }
        tensorOffsets = offsets
        parameterCount = total
        parameterStorage = .allocate(capacity: max(1, total))
        gradientStorage = .allocate(capacity: max(1, total))
        gradientStorage.initialize(repeating: 0, count: max(1, total))
        gradients = tensors.map { [T](repeating: 0, count: $0.count) }
        let n = batchCapacity
        var paddedCounts: [Int?] = []
        for node in graph.nodes {
            if case let .layer(.conv(_, c, _, p)) = node.operation, p > 0 {
                let input = activationShapes[node.inputs[0]]
                paddedCounts.append(n * (input.height + 2 * p) * (input.width + 2 * p) * c)
            } else {
                paddedCounts.append(nil)
            }
        }
        let hasMerges = graph.nodes.contains { if case .sum = $0.operation { return true } else { return false } }
        if forwardOnly {
            // Each output takes a buffer no activation still to be read holds (a plain chain
            // alternates between two); padded inputs share one buffer.
            let widest = n * activationShapes.map(\.count).max()!
            var pool: [UnsafeMutablePointer<T>] = [.allocate(capacity: widest)]
            var free: [UnsafeMutablePointer<T>] = []
            var assigned = [pool[0]]
            let lastReader = graph.lastReader
            for (i, node) in graph.nodes.enumerated() {
                if let buffer = free.popLast() {
                    assigned.append(buffer)
                } else {
                    pool.append(.allocate(capacity: widest))
                    assigned.append(pool.last!)
                }
                for a in Set(node.inputs) where lastReader[a] == i { free.append(assigned[a]) }
            }
            activations = assigned
            dActivations = []
            gradientScratch = nil
            let paddedBuffer = paddedCounts.compactMap { $0 }.max().map { UnsafeMutablePointer<T>.allocate(capacity: $0) }
            padded = paddedCounts.map { $0 == nil ? nil : paddedBuffer }
            dPadded = []
            owned = pool + (paddedBuffer.map { [$0] } ?? [])
        } else {
            activations = activationShapes.map { UnsafeMutablePointer<T>.allocate(capacity: n * $0.count) }
            dActivations = activationShapes.map { UnsafeMutablePointer<T>.allocate(capacity: n * $0.count) }
            gradientScratch = hasMerges ? .allocate(capacity: n * activationShapes.map(\.count).max()!) : nil
            padded = paddedCounts.map { $0.map { UnsafeMutablePointer<T>.allocate(capacity: $0) } }
            dPadded = paddedCounts.map { $0.map { UnsafeMutablePointer<T>.allocate(capacity: $0) } }
            owned = activations + dActivations + padded.compactMap { $0 } + dPadded.compactMap { $0 }
                + (gradientScratch.map { [$0] } ?? [])
        }
    }

    /// Every buffer allocated, once (activations alias each other when forward-only).
    private let owned: [UnsafeMutablePointer<T>]

    deinit {
        parameterStorage.deallocate()
        gradientStorage.deallocate()
        for b in owned { b.deallocate() }
    }

    public var inputShape: ActivationShape { shapes[0] }
    public var outputShape: ActivationShape { shapes.last! }

    /// The network's output for `batch` inputs (each `inputShape`), each `outputShape`.
    public func forward(parameters: [[T]], inputs: UnsafePointer<T>, batch: Int) -> [T] {
        runForward(parameters, inputs, batch)
        return Array(UnsafeBufferPointer(start: activations.last!, count: batch * outputShape.count))
    }

    /// Gradients of Σ dOutput ⊙ output with respect to every parameter, after a `forward` on the
    /// same batch; returns the gradient with respect to the input (each `inputShape`).
    @discardableResult
    public func backward(dOutput: UnsafePointer<T>, batch: Int) -> [T] {
        precondition(!forwardOnly, "a forward-only network has no backward pass")
        dActivations.last!.update(from: dOutput, count: batch * outputShape.count)
        runBackward(batch, inputGradient: true)
        return Array(UnsafeBufferPointer(start: dActivations[0], count: batch * inputShape.count))
    }

    /// The labels' shape: the output's, less `lossMargin` on every side.
    public var labelShape: ActivationShape {
        let o = outputShape
        return ActivationShape(height: o.height - 2 * lossMargin, width: o.width - 2 * lossMargin, channels: o.channels)
    }

    /// Forward and backward on one batch under Caffe's EuclideanLoss Σ(ŷ − y)²/(2·lossBatch)
    /// (`lossBatch` defaults to `batch`; it is the whole batch's size when this is one shard) on
    /// the output's centre (`labelShape`); returns the mean squared error there and leaves the
    /// gradients in `gradients`.
    @discardableResult
    public func step(parameters: [[T]], inputs: UnsafePointer<T>, labels: UnsafePointer<T>, batch: Int,
                     lossBatch: Int? = nil) -> Double {
        precondition(!forwardOnly, "a forward-only network has no backward pass")
        runForward(parameters, inputs, batch)
        let lossStart = profileClock()
        let scale = 1 / T(lossBatch ?? batch)
        let prediction = activations.last!, dPrediction = dActivations.last!
        let mse: Double
        if lossMargin == 0 {
            let count = batch * outputShape.count
            mse = mseForward(prediction: prediction, target: labels, count: count)
            squaredErrorBackward(dPrediction: dPrediction, prediction: prediction, target: labels, count: count, scale: scale)
        } else {
            // Row by row over the centre; the margin gets no gradient.
            let o = outputShape, l = labelShape, rowCount = l.width * l.channels
            dPrediction.update(repeating: 0, count: batch * o.count)
            var sum = 0.0
            for n in 0..<batch {
                for r in 0..<l.height {
                    let offset = n * o.count + ((r + lossMargin) * o.width + lossMargin) * o.channels
                    let target = labels + (n * l.height + r) * rowCount
                    sum += mseForward(prediction: prediction + offset, target: target, count: rowCount) * Double(rowCount)
                    squaredErrorBackward(dPrediction: dPrediction + offset, prediction: prediction + offset, target: target,
                                         count: rowCount, scale: scale)
                }
            }
            mse = sum / Double(batch * l.count)
        }
        if backwardLayerSeconds != nil {
            backwardLayerSeconds![spec.layers.count] += Double(profileClock() - lossStart) / 1e9
        }
        runBackward(batch, inputGradient: false)
        return mse
    }

    // MARK: - Layers

    private func runForward(_ parameters: [[T]], _ inputs: UnsafePointer<T>, _ batch: Int) {
        precondition(batch >= 1 && batch <= batchCapacity, "batch \(batch) is not in 1...\(batchCapacity)")
        precondition(parameters.map(\.count) == gradients.map(\.count),
                     "parameters do not match \(spec.name)'s tensors")
        for (t, values) in parameters.enumerated() {
            values.withUnsafeBufferPointer { (parameterStorage + tensorOffsets[t]).update(from: $0.baseAddress!, count: $0.count) }
        }
        activations[0].update(from: inputs, count: batch * inputShape.count)
        for (i, node) in graph.nodes.enumerated() {
            if i > 0 && forwardFusion[i - 1] != nil { continue }   // the convolution before it applied it
            guard layerSeconds != nil else { forward(node: node, index: i, batch: batch); continue }
            let start = profileClock()
            forward(node: node, index: i, batch: batch)
            layerSeconds![node.topLevel] += Double(profileClock() - start) / 1e9
        }
    }

    /// Nanoseconds on the per-layer figures' clock.
    private func profileClock() -> UInt64 {
        guard layerClockIsThreadCPU else { return DispatchTime.now().uptimeNanoseconds }
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    private func tensor(_ node: NetworkGraph.Node, _ k: Int) -> UnsafeMutablePointer<T> { parameterStorage + tensorOffsets[node.firstTensor! + k] }
    private func gradient(_ node: NetworkGraph.Node, _ k: Int) -> UnsafeMutablePointer<T> { gradientStorage + tensorOffsets[node.firstTensor! + k] }

    private func forward(node: NetworkGraph.Node, index i: Int, batch: Int) {
        let fused = forwardFusion[i] ?? .none
        let y = activations[fused == .none ? i + 1 : i + 2]
        let layer: LayerSpec
        switch node.operation {
        case let .sum(weight):
            weightedSumForward(output: y, inputs: node.inputs.map { UnsafePointer(activations[$0]) }, weight: T(weight),
                               count: batch * activationShapes[i + 1].count)
            return
        case let .layer(leaf):
            layer = leaf
        }
        let x = activations[node.inputs[0]], shape = activationShapes[node.inputs[0]]
        let pixels = batch * shape.height * shape.width
        switch layer {
        case let .conv(k, c, o, p) where p > 0
            && convTakesImplicitPadding(T.self, algorithm: convolutionAlgorithm, kernel: k, inChannels: c, outChannels: o):
            conv2dForwardPadded(output: y, input: x, weight: tensor(node, 0), bias: tensor(node, 1), batch: batch,
                                inChannels: c, outChannels: o, height: shape.height, width: shape.width, padding: p,
                                mode: spec.padding, activation: fused, workspace: workspace)
        case let .conv(k, c, o, p):
            var source = UnsafePointer(x)
            if let buffer = padded[i] {
                pad(spec.padding, output: buffer, input: x, batch: batch, height: shape.height, width: shape.width,
                    channels: c, by: p)
                source = UnsafePointer(buffer)
            }
            conv2dForward(output: y, input: source, weight: tensor(node, 0), bias: tensor(node, 1), batch: batch,
                          inChannels: c, outChannels: o, height: shape.height + 2 * p, width: shape.width + 2 * p,
                          kernel: k, algorithm: convolutionAlgorithm, activation: fused, workspace: workspace)
        case let .prelu(c):
            preluForward(output: y, input: x, slope: tensor(node, 0), pixels: pixels, channels: c)
        case .tanh:
            tanhForward(output: y, input: x, count: pixels * shape.channels, wideVectors: !forwardOnly)
        case .relu:
            reluForward(output: y, input: x, count: pixels * shape.channels)
        case let .batchNorm(c):
            let gamma = tensor(node, 0), beta = tensor(node, 1), runningMean = tensor(node, 2), runningVariance = tensor(node, 3)
            if usesBatchStatistics {
                let batchStatistics = batchNormStatistics(input: x, pixels: pixels, channels: c)
                normalisation[i] = (batchStatistics.mean, batchStatistics.inverseStd)
                let m = T(LayerSpec.batchNormMomentum)
                updatedStatistics[node.firstTensor! + 2] = (0..<c).map { (1 - m) * runningMean[$0] + m * batchStatistics.mean[$0] }
                updatedStatistics[node.firstTensor! + 3] = (0..<c).map {
                    (1 - m) * runningVariance[$0] + m * batchStatistics.unbiasedVariance[$0]
                }
            } else {
                normalisation[i] = (Array(UnsafeBufferPointer(start: runningMean, count: c)),
                                    batchNormInverseStd(runningVariance: runningVariance, channels: c))
            }
            batchNormApply(output: y, input: x, pixels: pixels, channels: c, mean: normalisation[i]!.mean,
                           inverseStd: normalisation[i]!.inverseStd, gamma: gamma, beta: beta)
        case let .deconv(k, c, o, s, p):
            switch deconvolutionAlgorithm {
            case .gemm:
                conv2dTransposeForward(output: y, input: x, weight: tensor(node, 0), bias: tensor(node, 1), batch: batch,
                                       inChannels: c, outChannels: o, height: shape.height, width: shape.width,
                                       kernel: k, stride: s, padding: p, workspace: workspace)
            case .subPixel:
                conv2dTransposeForwardSubPixel(output: y, input: x, weight: tensor(node, 0), bias: tensor(node, 1), batch: batch,
                                               inChannels: c, outChannels: o, height: shape.height, width: shape.width,
                                               kernel: k, stride: s, padding: p, workspace: workspace)
            }
        case let .pixelShuffle(r):
            pixelShuffleForward(output: y, input: x, batch: batch, height: shape.height, width: shape.width,
                                outChannels: shape.channels / (r * r), factor: r)
        case let .maxPool(s):
            maxPoolForward(output: y, input: x, batch: batch, height: shape.height, width: shape.width,
                           channels: shape.channels, size: s)
        case let .upsample(s):
            upsampleForward(output: y, input: x, batch: batch, height: shape.height, width: shape.width,
                            channels: shape.channels, factor: s)
        case .residual, .parallel:
            preconditionFailure("blocks are unrolled into their layers and a sum (NetworkGraph)")
        }
    }

    /// Backward from the output's gradient, zeroing the parameters' gradients first. The input's
    /// gradient is computed only when asked for (training needs none); nodes of outer layers below
    /// `firstTrainedLayer` are skipped then.
    private func runBackward(_ batch: Int, inputGradient: Bool) {
        var clock = profileClock()
        /// Adds the time since the last call to `layer`'s backward figure when profiling.
        func lap(_ layer: Int) {
            guard backwardLayerSeconds != nil else { return }
            let now = profileClock()
            backwardLayerSeconds![layer] += Double(now - clock) / 1e9
            clock = now
        }
        gradientStorage.update(repeating: 0, count: parameterCount)
        lap(spec.layers.count)
        let first = inputGradient ? 0 : firstTrainedLayer
        // Which outer layer wrote each activation (the input: none), and which already hold a gradient.
        let producer = [-1] + graph.nodes.map(\.topLevel)
        var hasGradient = [Bool](repeating: false, count: activations.count)
        hasGradient[activations.count - 1] = true
        /// Whether node i's input gradient is wanted.
        func wantsInputGradient(_ i: Int) -> Bool { inputGradient || producer[graph.nodes[i].inputs[0]] >= first }
        /// Where node i's input gradient goes: a second reader's goes to the scratch buffer, to be added.
        func target(_ i: Int) -> UnsafeMutablePointer<T> {
            let a = graph.nodes[i].inputs[0]
            return hasGradient[a] ? gradientScratch! : dActivations[a]
        }
        /// The activation node whose derivative the convolution after it applied (its pass skipped).
        var derivativeApplied: Int?
        for i in graph.nodes.indices.reversed() where graph.nodes[i].topLevel >= first {
            let node = graph.nodes[i]
            let dy = dActivations[i + 1], count = batch * activationShapes[i + 1].count
            switch node.operation {
            case let .sum(weight):
                for a in node.inputs where inputGradient || producer[a] >= first {
                    weightedSumBackward(dInput: dActivations[a], dOutput: dy, weight: T(weight), count: count,
                                        accumulate: hasGradient[a])
                    hasGradient[a] = true
                }
            case let .layer(layer):
                let a = node.inputs[0], needed = wantsInputGradient(i)
                // The activation before a convolution: its derivative goes in with the convolution's
                // input gradient, written where the activation's input gradient goes.
                var inputActivation = FusedActivation.none, dInput = needed ? target(i) : nil
                if let kind = backwardFusion[i], graph.nodes[i - 1].topLevel >= first, needed,
                   wantsInputGradient(i - 1) {
                    inputActivation = kind
                    dInput = target(i - 1)
                    derivativeApplied = i - 1
                }
                if derivativeApplied != i {
                    backward(layer: layer, node: node, index: i, batch: batch, dInput: dInput,
                             inputActivation: inputActivation)
                }
                if inputActivation == .none, needed && hasGradient[a], let dInput {
                    weightedSumBackward(dInput: dActivations[a], dOutput: dInput, weight: 1,
                                        count: batch * activationShapes[a].count, accumulate: true)
                }
                if needed { hasGradient[a] = true }
            }
            lap(node.topLevel)
        }
        for t in gradients.indices {
            let start = gradientStorage + tensorOffsets[t]
            gradients[t].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: start, count: $0.count) }
        }
        lap(spec.layers.count)
    }

    /// One leaf layer's backward: its parameters' gradients, and its input's into `dx` (written
    /// over) when given.
    private func backward(layer: LayerSpec, node: NetworkGraph.Node, index i: Int, batch: Int,
                          dInput dx: UnsafeMutablePointer<T>?, inputActivation: FusedActivation) {
        let x = activations[node.inputs[0]], y = activations[i + 1], dy = dActivations[i + 1]
        let shape = activationShapes[node.inputs[0]], pixels = batch * shape.height * shape.width
        switch layer {
        case let .conv(k, c, o, p) where p > 0
            && convTakesImplicitPadding(T.self, algorithm: convolutionAlgorithm, kernel: k, inChannels: c, outChannels: o):
            conv2dBackwardPadded(dInput: dx, dWeight: gradient(node, 0), dBias: gradient(node, 1), dOutput: dy, input: x,
                                 weight: tensor(node, 0), batch: batch, inChannels: c, outChannels: o,
                                 height: shape.height, width: shape.width, padding: p, mode: spec.padding,
                                 inputActivation: inputActivation, workspace: workspace)
        case let .conv(k, c, o, p):
            let source = padded[i] ?? x
            let dSource = dx == nil ? nil : (dPadded[i] ?? dx)
            conv2dBackward(dInput: dSource, dWeight: gradient(node, 0), dBias: gradient(node, 1), dOutput: dy, input: source,
                           weight: tensor(node, 0), batch: batch, inChannels: c, outChannels: o,
                           height: shape.height + 2 * p, width: shape.width + 2 * p, kernel: k,
                           algorithm: convolutionAlgorithm, inputActivation: padded[i] == nil ? inputActivation : .none,
                           workspace: workspace)
            if let dx, let dBuffer = dPadded[i] {
                padBackward(spec.padding, dInput: dx, dOutput: dBuffer, batch: batch, height: shape.height,
                            width: shape.width, channels: c, by: p)
                inputActivation.applyDerivativeEverywhere(dx, output: x, count: pixels * c)
            }
        case let .prelu(c):
            // Its slope's gradient needs the pass whether or not the input's is wanted.
            let scratch = dx ?? dActivations[node.inputs[0]]
            preluBackward(dInput: scratch, dSlope: gradient(node, 0), dOutput: dy, input: x, slope: tensor(node, 0),
                          pixels: pixels, channels: c)
        case .tanh:
            if let dx { tanhBackward(dInput: dx, dOutput: dy, output: y, count: pixels * shape.channels) }
        case .relu:
            if let dx { reluBackward(dInput: dx, dOutput: dy, output: y, count: pixels * shape.channels) }
        case let .batchNorm(c):
            // With running statistics the layer is affine in x: dx = γ·inverseStd·dy. The running
            // statistics get no gradient (the trainer sets them; `updatedStatistics`).
            let statistics = normalisation[i]!
            if usesBatchStatistics {
                batchNormBackward(dInput: dx, dGamma: gradient(node, 0), dBeta: gradient(node, 1), dOutput: dy, input: x,
                                  pixels: pixels, channels: c, mean: statistics.mean, inverseStd: statistics.inverseStd,
                                  gamma: tensor(node, 0))
            } else {
                batchNormBackward(dInput: nil, dGamma: gradient(node, 0), dBeta: gradient(node, 1), dOutput: dy, input: x,
                                  pixels: pixels, channels: c, mean: statistics.mean, inverseStd: statistics.inverseStd,
                                  gamma: tensor(node, 0))
                if let dx {
                    let gamma = tensor(node, 0)
                    for p in 0..<pixels { for ch in 0..<c { dx[p * c + ch] = dy[p * c + ch] * gamma[ch] * statistics.inverseStd[ch] } }
                }
            }
        case let .deconv(k, c, o, s, p):
            switch deconvolutionAlgorithm {
            case .gemm:
                conv2dTransposeBackward(dInput: dx, dWeight: gradient(node, 0), dBias: gradient(node, 1),
                                        dOutput: dy, input: x, weight: tensor(node, 0), batch: batch, inChannels: c,
                                        outChannels: o, height: shape.height, width: shape.width, kernel: k, stride: s,
                                        padding: p, workspace: workspace)
            case .subPixel:
                conv2dTransposeBackwardSubPixel(dInput: dx, dWeight: gradient(node, 0),
                                                dBias: gradient(node, 1), dOutput: dy, input: x, weight: tensor(node, 0),
                                                batch: batch, inChannels: c, outChannels: o, height: shape.height,
                                                width: shape.width, kernel: k, stride: s, padding: p, workspace: workspace)
            }
        case let .pixelShuffle(r):
            if let dx {
                pixelShuffleBackward(dInput: dx, dOutput: dy, batch: batch, height: shape.height, width: shape.width,
                                     outChannels: shape.channels / (r * r), factor: r)
            }
        case let .maxPool(s):
            if let dx {
                maxPoolBackward(dInput: dx, dOutput: dy, input: x, batch: batch, height: shape.height, width: shape.width,
                                channels: shape.channels, size: s)
            }
        case let .upsample(s):
            if let dx {
                upsampleBackward(dInput: dx, dOutput: dy, batch: batch, height: shape.height, width: shape.width,
                                 channels: shape.channels, factor: s)
            }
        case .residual, .parallel:
            preconditionFailure("blocks are unrolled into their layers and a sum (NetworkGraph)")
        }
    }
}
