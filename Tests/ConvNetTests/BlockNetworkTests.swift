import Testing
@testable import ConvNet

/// Networks with skips and branches (`LayerSpec.residual`, `.parallel`, and pooling inside them): the merge layer's
/// gradients, the whole network against its naive twin (a recursive evaluation with the naive
/// layer functions) and against central differences in Double, the input gradient through a
/// skip, forward-only buffer reuse, tensor names and the validation errors.
@Suite struct BlockNetworkTests {
    /// A nested residual (the denoising model's shape) and a three-branch average at tiny widths,
    /// in both paddings, with a valid convolution and PReLU outside the blocks.
    static let specs: [NetworkSpec] = [
        NetworkSpec(name: "nested residual", layers: [
            .conv(kernel: 3, inChannels: 1, outChannels: 3, padding: 1), .relu,
            .residual([
                .conv(kernel: 3, inChannels: 3, outChannels: 3, padding: 1), .relu,
                .residual([.conv(kernel: 3, inChannels: 3, outChannels: 3, padding: 1), .relu]),
                .conv(kernel: 3, inChannels: 3, outChannels: 3, padding: 1), .prelu(channels: 3),
            ]),
            .conv(kernel: 3, inChannels: 3, outChannels: 1, padding: 0),
        ]),
        NetworkSpec(name: "three branches", layers: [
            .conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 1), .tanh,
            .parallel([
                [.conv(kernel: 1, inChannels: 4, outChannels: 2, padding: 0), .relu],
                [.conv(kernel: 3, inChannels: 4, outChannels: 2, padding: 1), .tanh],
                [.conv(kernel: 5, inChannels: 4, outChannels: 2, padding: 2)],
            ]),
            .conv(kernel: 3, inChannels: 2, outChannels: 1, padding: 1),
        ], padding: .zero),
        .expandedSRCNN(scale: 2).narrowed,
        .denoisingSRCNN(scale: 3).narrowed,
        .deepDenoisingSR(scale: 2, padding: .zero).narrowed,
        .resNetSR(scale: 2).narrowed,
    ]

    /// The merge's fast forward against its naive twin, and its backward (written over or added
    /// to a gradient already there) against central differences, for a sum and a mean of three.
    @Test func mergeGradients() {
        let count = 40
        let inputs: [[Double]] = (0..<3).map { randomValues(count, seed: 200 + UInt64($0)) }
        let g: [Double] = randomValues(count, seed: 210)
        func merged(_ v: [[Double]], weight: Double, naive: Bool) -> [Double] {
            var y = [Double](repeating: 0, count: count)
            v[0].withUnsafeBufferPointer { a in v[1].withUnsafeBufferPointer { b in v[2].withUnsafeBufferPointer { c in
                let pointers = [a.baseAddress!, b.baseAddress!, c.baseAddress!]
                if naive {
                    weightedSumForwardNaive(output: &y, inputs: pointers, weight: weight, count: count)
                } else {
                    weightedSumForward(output: &y, inputs: pointers, weight: weight, count: count)
                }
            } } }
            return y
        }
        for weight in [1.0, 1.0 / 3] {
            let naive = merged(inputs, weight: weight, naive: true)
            #expect(maxAbsDifference(merged(inputs, weight: weight, naive: false), naive) < 1e-15)
            #expect(maxAbsDifference(naive, (0..<count).map { weight * (inputs[0][$0] + inputs[1][$0] + inputs[2][$0]) }) < 1e-15)
            let previous: [Double] = randomValues(count, seed: 211)
            var accumulated = previous
            weightedSumBackward(dInput: &accumulated, dOutput: g, weight: weight, count: count, accumulate: true)
            var written = [Double](repeating: .nan, count: count)
            weightedSumBackward(dInput: &written, dOutput: g, weight: weight, count: count, accumulate: false)
            var (da, db, dc) = ([Double](repeating: .nan, count: count), [Double](repeating: .nan, count: count),
                                [Double](repeating: .nan, count: count))
            da.withUnsafeMutableBufferPointer { a in db.withUnsafeMutableBufferPointer { b in dc.withUnsafeMutableBufferPointer { c in
                weightedSumBackwardNaive(dInputs: [a.baseAddress!, b.baseAddress!, c.baseAddress!], dOutput: g, weight: weight, count: count)
            } } }
            let naiveGradients = [da, db, dc]
            #expect(naiveGradients.allSatisfy { maxAbsDifference($0, written) < 1e-15 })
            let worst = UpscalingGradientCheckTests.worstError(inputs, analytic: naiveGradients, step: 1e-3) { v in
                UpscalingGradientCheckTests.dot(merged(v, weight: weight, naive: true), g)
            }
            #expect(worst < 1e-9)
            #expect(maxAbsDifference(zip(accumulated, previous).map { $0 - $1 }, written) < 1e-15)
        }
    }

    /// The unrolled network against the recursive naive evaluation, in Double.
    @Test(arguments: specs)
    func forwardMatchesTheNaiveTwin(_ spec: NetworkSpec) throws {
        let (side, batch) = (8, 2)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        // Inference's algorithms (a training network takes F(4×4, 3×3) for some layers), so that
        // the forward-only network below can be compared bit for bit.
        net.convolutionAlgorithm = .automatic
        let params = Self.parameters(spec)
        let x: [Double] = randomValues(batch * side * side, seed: 31).map { ($0 + 1) / 2 }
        let fast = net.forward(parameters: params, inputs: x, batch: batch)
        let per = side * side
        let naive = (0..<batch).flatMap { n in
            naiveForward(spec, parameters: params, input: Array(x[(n * per)..<((n + 1) * per)]), height: side, width: side)
        }
        #expect(fast.count == naive.count)
        #expect(maxAbsDifference(fast, naive) < 1e-12)
        // Forward-only reuses buffers, keeping a skip's source until its merge: the same output.
        let inference = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side,
                                                      forwardOnly: true)
        #expect(inference.forward(parameters: params, inputs: x, batch: batch) == fast)
    }

    /// Every parameter of the EuclideanLoss against central differences (h = 1e-5, as
    /// NetworkSpecTests.wholeNetworkGradients), and the input gradient through the skips.
    @Test(arguments: specs)
    func gradientsMatchCentralDifferences(_ spec: NetworkSpec) throws {
        let (side, batch) = (8, 2)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        let params = Self.parameters(spec)
        let x: [Double] = randomValues(batch * side * side, seed: 33).map { ($0 + 1) / 2 }
        let outCount = net.outputShape.count
        let label: [Double] = randomValues(batch * outCount, seed: 34)
        func loss(_ p: [[Double]]) -> Double {
            let y = net.forward(parameters: p, inputs: x, batch: batch)
            return zip(y, label).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * batch)
        }
        let mse = net.step(parameters: params, inputs: x, labels: label, batch: batch)
        #expect(abs(mse * Double(outCount) / 2 - loss(params)) < 1e-12)
        let worst = UpscalingGradientCheckTests.worstError(params, analytic: net.gradients, floor: 1e-4, step: 1e-5, loss)
        #expect(worst < 1e-5)

        #expect(UpscalingGradientCheckTests.worstInputGradientError(net, parameters: params, inputs: x, batch: batch, seed: 35,
                                                                    floor: 1e-4, step: 1e-5) < 1e-5)
    }

    /// Training only the last layer stops the backward pass there, through the blocks below: the
    /// last layer's gradients are the full pass's, the others zero.
    @Test func lastLayerOnlyStopsAboveTheBlocks() throws {
        let spec = Self.specs[0]
        let full = try SequentialNetwork<Double>(spec: spec, batchCapacity: 1, inputHeight: 6, inputWidth: 6)
        let last = try SequentialNetwork<Double>(spec: spec, batchCapacity: 1, inputHeight: 6, inputWidth: 6)
        last.firstTrainedLayer = 3
        let params = Self.parameters(spec)
        let x: [Double] = randomValues(36, seed: 36), label: [Double] = randomValues(16, seed: 37)
        full.step(parameters: params, inputs: x, labels: label, batch: 1)
        last.step(parameters: params, inputs: x, labels: label, batch: 1)
        let lastTensors = spec.parameterTensors.indices.filter { spec.parameterTensors[$0].name.hasPrefix("layers.3.") }
        #expect(lastTensors.count == 2)
        for t in params.indices {
            if lastTensors.contains(t) {
                #expect(last.gradients[t] == full.gradients[t])
            } else {
                #expect(last.gradients[t].allSatisfy { $0 == 0 } && full.gradients[t].contains { $0 != 0 })
            }
        }
    }

    /// Names say where a tensor sits (depth first), flat specs keep theirs.
    @Test func tensorNamesFollowTheNesting() {
        #expect(Self.specs[0].parameterTensors.map(\.name) == [
            "layers.0.weight", "layers.0.bias",
            "layers.2.block.0.weight", "layers.2.block.0.bias",
            "layers.2.block.2.block.0.weight", "layers.2.block.2.block.0.bias",
            "layers.2.block.3.weight", "layers.2.block.3.bias", "layers.2.block.4.slope",
            "layers.3.weight", "layers.3.bias",
        ])
        #expect(Self.specs[1].parameterTensors.map(\.name).filter { $0.hasSuffix("weight") } == [
            "layers.0.weight", "layers.2.branches.0.0.weight", "layers.2.branches.1.0.weight",
            "layers.2.branches.2.0.weight", "layers.3.weight",
        ])
        #expect(Self.specs[0].firstTensorIndex == [0, nil, 2, 9])
    }

    /// Blocks that cannot be added or averaged are refused, naming the layer and the block's layer.
    @Test func blockErrorsNameTheLayer() {
        func message(_ layers: [LayerSpec], height: Int = 8, width: Int = 8) -> String {
            do {
                _ = try NetworkSpec(name: "test", layers: layers).shapes(height: height, width: width)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let conv = LayerSpec.conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 1)
        let same = LayerSpec.conv(kernel: 3, inChannels: 4, outChannels: 4, padding: 1)
        #expect(message([conv, .residual([.conv(kernel: 3, inChannels: 4, outChannels: 2, padding: 1)])])
                == "network test, layer 2 (residual block of 1 layer): its block ends with 2 channels and its input has 4: they cannot be added")
        #expect(message([conv, .residual([.conv(kernel: 3, inChannels: 4, outChannels: 4, padding: 0)])])
                == "network test, layer 2 (residual block of 1 layer): its block's layer 1 (conv 3×3 4→4 pad 0) changes the size, so the shapes do not match; a block needs 'same' convolutions (k = 2·padding + 1)")
        #expect(message([conv, .residual([same, .pixelShuffle(factor: 2)])])
                == "network test, layer 2 (residual block of 2 layers): its block scales the size by 2/1, so the shapes do not match; a block must keep the size (as much upsampling as pooling)")
        #expect(message([conv, .residual([])]) == "network test, layer 2 (residual block of 0 layers): its block has no layers")
        #expect(message([conv, .residual([same, .conv(kernel: 3, inChannels: 5, outChannels: 4, padding: 1)])])
                == "network test, layer 2 (residual block of 2 layers) block, layer 2 (conv 3×3 5→4 pad 1) takes 5 channels but its input has 4")
        #expect(message([conv, .parallel([[same], [.conv(kernel: 1, inChannels: 4, outChannels: 3, padding: 0)]])])
                == "network test, layer 2 (average of 2 branches): its branches end with 4, 3 channels; averaging needs one count")
        #expect(message([conv, .parallel([[same], [.deconv(kernel: 4, inChannels: 4, outChannels: 4, stride: 2, padding: 1)]])])
                == "network test, layer 2 (average of 2 branches): its branch 2 scales the size by 2/1, so the shapes do not match; a block must keep the size (as much upsampling as pooling)")
        #expect(message([conv, .parallel([])]) == "network test, layer 2 (average of 0 branches): it has no branches")
        #expect(message([conv, .parallel([[same], [.relu, same]]), .residual([same, .relu])]) == "accepted")
        // Pooling undone by upsampling keeps the size only for sides it divides.
        let pooled = LayerSpec.residual([.maxPool(size: 2), same, .upsample(factor: 2)])
        #expect(message([conv, pooled]) == "accepted")
        #expect(message([conv, pooled], height: 7, width: 8)
                == "network test, layer 2 (residual block of 3 layers): its block turns a 7×8 input into 6×8, so the shapes do not match (sides must be multiples of 2)")
        #expect(message([conv, .residual([.maxPool(size: 2), same])])
                == "network test, layer 2 (residual block of 2 layers): its block scales the size by 1/2, so the shapes do not match; a block must keep the size (as much upsampling as pooling)")
        #expect(message([conv, .maxPool(size: 2)]) == "network test, layer 2 (max-pool 2×2): the layers scale the size by 1/2, not by a whole factor")
        #expect(message([conv, .maxPool(size: 0)]) == "network test, layer 2 (max-pool 0×0): the factor must be in 1...16, not 0")
    }

    /// Small weights everywhere but positive biases, so most ReLUs are open and every layer's
    /// gradient is O(1).
    static func parameters(_ spec: NetworkSpec) -> [[Double]] {
        var params = spec.initialParameters(seed: 30).map { $0.map(Double.init) }
        for (t, tensor) in spec.parameterTensors.enumerated() where tensor.name.hasSuffix(".bias") {
            params[t] = params[t].map { _ in 0.1 }
        }
        return params
    }
}

extension NetworkSpec {
    /// The same layers with every width of 64, 32, 128 or 256 cut to 3, 2, 4 or 5, for checks in Double.
    var narrowed: NetworkSpec {
        func n(_ c: Int) -> Int { [64: 3, 32: 2, 128: 4, 256: 5][c] ?? c }
        func narrow(_ layer: LayerSpec) -> LayerSpec {
            switch layer {
            case let .conv(k, c, o, p): return .conv(kernel: k, inChannels: n(c), outChannels: n(o), padding: p)
            case let .batchNorm(c): return .batchNorm(channels: n(c))
            case let .residual(block): return .residual(block.map(narrow))
            case let .parallel(branches): return .parallel(branches.map { $0.map(narrow) })
            default: return layer
            }
        }
        var spec = self
        spec.layers = layers.map(narrow)
        spec.name += " (narrow)"
        return spec
    }
}

/// The naive twin of `SequentialNetwork.forward` for one image: the spec evaluated recursively
/// with the naive layer functions (a residual adds its input to its block's output, a parallel
/// layer averages its branches), parameters taken depth first.
func naiveForward(_ spec: NetworkSpec, parameters: [[Double]], input: [Double], height: Int, width: Int) -> [Double] {
    var next = 0
    func take() -> [Double] { defer { next += 1 }; return parameters[next] }
    func run(_ layers: [LayerSpec], _ x: [Double], _ h: Int, _ w: Int, _ c: Int) -> (values: [Double], h: Int, w: Int, c: Int) {
        var (x, h, w, c) = (x, h, w, c)
        for layer in layers {
            switch layer {
            case let .conv(k, _, o, p):
                let weight = take(), bias = take()
                var padded = [Double](repeating: 0, count: (h + 2 * p) * (w + 2 * p) * c)
                pad(spec.padding, output: &padded, input: x, batch: 1, height: h, width: w, channels: c, by: p)
                let (oh, ow) = (h + 2 * p - k + 1, w + 2 * p - k + 1)
                var y = [Double](repeating: 0, count: oh * ow * o)
                conv2dForwardNaive(output: &y, input: padded, weight: weight, bias: bias, batch: 1, inChannels: c,
                                   outChannels: o, height: h + 2 * p, width: w + 2 * p, kernel: k)
                (x, h, w, c) = (y, oh, ow, o)
            case let .prelu(channels):
                let slope = take()
                var y = x
                preluForwardNaive(output: &y, input: x, slope: slope, pixels: h * w, channels: channels)
                x = y
            case .tanh:
                var y = x
                tanhForwardNaive(output: &y, input: x, count: x.count)
                x = y
            case .relu:
                x = x.map { max(0, $0) }
            case let .batchNorm(channels):
                // Inference: the running statistics.
                let (gamma, beta, mean, variance) = (take(), take(), take(), take())
                x = x.indices.map { i in
                    let ch = i % channels
                    return gamma[ch] * (x[i] - mean[ch]) / (variance[ch] + LayerSpec.batchNormEpsilon).squareRoot() + beta[ch]
                }
            case let .deconv(k, _, o, s, p):
                let weight = take(), bias = take()
                var y = [Double](repeating: 0, count: s * h * s * w * o)
                conv2dTransposeForwardNaive(output: &y, input: x, weight: weight, bias: bias, batch: 1, inChannels: c,
                                            outChannels: o, height: h, width: w, kernel: k, stride: s, padding: p)
                (x, h, w, c) = (y, s * h, s * w, o)
            case let .pixelShuffle(r):
                var y = x
                pixelShuffleForwardNaive(output: &y, input: x, batch: 1, height: h, width: w, outChannels: c / (r * r), factor: r)
                (x, h, w, c) = (y, r * h, r * w, c / (r * r))
            case let .maxPool(s):
                var y = [Double](repeating: 0, count: (h / s) * (w / s) * c)
                maxPoolForwardNaive(output: &y, input: x, batch: 1, height: h, width: w, channels: c, size: s)
                (x, h, w) = (y, h / s, w / s)
            case let .upsample(s):
                var y = [Double](repeating: 0, count: s * h * s * w * c)
                upsampleForwardNaive(output: &y, input: x, batch: 1, height: h, width: w, channels: c, factor: s)
                (x, h, w) = (y, s * h, s * w)
            case let .residual(block):
                let inner = run(block, x, h, w, c).values
                x = zip(inner, x).map { $0 + $1 }
            case let .parallel(branches):
                let outputs = branches.map { run($0, x, h, w, c) }
                c = outputs[0].c
                x = (0..<outputs[0].values.count).map { i in outputs.reduce(0) { $0 + $1.values[i] } / Double(branches.count) }
            }
        }
        return (x, h, w, c)
    }
    return run(spec.layers, input, height, width, spec.inputChannels).values
}
