import Foundation
import Testing
import Training
@testable import ConvNet

/// Networks described as data: shape inference and its errors, the three LR-space
/// architectures, and `SequentialNetwork`'s gradients against finite differences.
@Suite struct NetworkSpecTests {
    /// The training FLOP count the bench reads rates against, by hand: forward, weight gradients,
    /// and input gradients of all but the first layer (SRCNN's valid sizes 25, 25, 21 from 33;
    /// FSRCNN-s's 'same' layers on 11×11 with its 9×9 deconvolution stamped per LR pixel).
    @Test func trainingFLOPsCountForwardWeightAndInputGradients() throws {
        let srcnn: Double = 625 * 81 * 64, mid: Double = 625 * 64 * 32, last: Double = 441 * 25 * 32
        let srcnnExpected: Double = 2 * (2 * srcnn + 3 * mid + 3 * last)
        #expect(SRCNNArchitecture.srcnn915.trainingFLOPs(inputSize: 33) == srcnnExpected)
        let layers: [Double] = [121 * 25 * 32, 121 * 32 * 5, 121 * 9 * 25, 121 * 5 * 32, 121 * 81 * 32]
        let forward: Double = layers.reduce(0, +)
        let expected: Double = 2 * (3 * forward - layers[0])
        #expect(try LRSpaceBenchmark.trainingFLOPs(.fsrcnnSmall(scale: 3), side: 11) == expected)
    }

    static let architectures: [NetworkSpec] = [2, 3, 4].flatMap { s in
        [NetworkSpec.fsrcnn(scale: s), .fsrcnnSmall(scale: s), .espcn(scale: s)]
    }

    /// Shape inference and a real forward pass: the output is `scale` times a non-square input.
    @Test(arguments: architectures)
    func outputIsScaleTimesTheInput(_ spec: NetworkSpec) throws {
        let (h, w) = (7, 5)
        let shapes = try spec.shapes(height: h, width: w)
        let s = spec.scale
        #expect(shapes.last == ActivationShape(height: s * h, width: s * w, channels: 1))
        let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: 1, inputHeight: h, inputWidth: w)
        let x: [Float] = randomValues(h * w, seed: 7).map { ($0 + 1) / 2 }
        let y = net.forward(parameters: spec.initialParameters(seed: 1), inputs: x, batch: 1)
        #expect(y.count == s * h * s * w && y.allSatisfy(\.isFinite))
        #expect(Set(y).count > 1)
    }

    /// The papers' sizes: FSRCNN(56,12,4) has 12,464 weights and FSRCNN-s 3,937 at any scale (the
    /// FSRCNN paper's counts, biases and PReLU slopes aside); multiply-adds per HR pixel at ×3 are
    /// those the issue quotes (1.4 K, 0.4 K, 2.5 K).
    @Test func parameterAndMultiplyAddCounts() throws {
        func weights(_ spec: NetworkSpec) -> Int {
            spec.parameterTensors.filter { $0.name.hasSuffix(".weight") }.reduce(0) { $0 + $1.count }
        }
        #expect(weights(.fsrcnn(scale: 3)) == 12_464 && weights(.fsrcnn(scale: 2)) == 12_464)
        #expect(weights(.fsrcnnSmall(scale: 3)) == 3_937)
        let fsrcnn = try NetworkSpec.fsrcnn(scale: 3).multiplyAddsPerOutputPixel(height: 30, width: 30)
        let small = try NetworkSpec.fsrcnnSmall(scale: 3).multiplyAddsPerOutputPixel(height: 30, width: 30)
        let espcn = try NetworkSpec.espcn(scale: 3).multiplyAddsPerOutputPixel(height: 30, width: 30)
        #expect(abs(fsrcnn - 12_464.0 / 9) < 1e-9 && abs(small - 3_937.0 / 9) < 1e-9)
        #expect(abs(espcn - (1_600.0 + 18_432 + 2_592) / 9) < 1e-9)
        #expect((fsrcnn / 100).rounded() == 14 && (small / 100).rounded() == 4 && (espcn / 100).rounded() == 25)
        let names = NetworkSpec.espcn(scale: 3).parameterTensors.map(\.name)
        #expect(names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"])
    }

    @Test func specsRoundTripThroughJSON() throws {
        for spec in Self.architectures + [NetworkSpec.fsrcnn(scale: 3, padding: .zero)] {
            let data = try JSONEncoder().encode(spec)
            #expect(try JSONDecoder().decode(NetworkSpec.self, from: data) == spec)
        }
    }

    /// Each inconsistency is refused with the network, the 1-based layer and the reason.
    @Test func inconsistentSpecsAreRefusedClearly() {
        func message(_ layers: [LayerSpec], height: Int = 8, width: Int = 8) -> String {
            let spec = NetworkSpec(name: "test", layers: layers)
            do {
                _ = try spec.shapes(height: height, width: width)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let conv = LayerSpec.conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 1)
        #expect(message([]) == "network test: no layers")
        #expect(message([conv, .conv(kernel: 3, inChannels: 5, outChannels: 1, padding: 1)])
                == "network test, layer 2 (conv 3×3 5→1 pad 1) takes 5 channels but its input has 4")
        #expect(message([conv, .prelu(channels: 3)]) == "network test, layer 2 (prelu 3) takes 3 channels but its input has 4")
        #expect(message([.conv(kernel: 3, inChannels: 1, outChannels: 6, padding: 1), .pixelShuffle(factor: 2)])
                == "network test, layer 2 (pixel shuffle ×2): its input's 6 channels are not a multiple of 4 (the factor squared)")
        #expect(message([conv, .deconv(kernel: 9, inChannels: 4, outChannels: 1, stride: 0, padding: 3)])
                == "network test, layer 2 (deconv 9×9 4→1 stride 0 pad 3): the stride must be in 1...16, not 0")
        #expect(message([.conv(kernel: 1 << 40, inChannels: 1, outChannels: 4, padding: 0)])
                == "network test, layer 1 (conv \(1 << 40)×\(1 << 40) 1→4 pad 0): the kernel side must be in 1...64, not \(1 << 40)")
        #expect(message([conv, .prelu(channels: 1 << 62)]) == "network test, layer 2 (prelu \(1 << 62)): channel counts must be in 1...4096")
        #expect(message([.conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 3)])
                == "network test, layer 1 (conv 3×3 1→4 pad 3): padding must be in 0..<3 (the kernel side), not 3")
        #expect(message([conv, .conv(kernel: 5, inChannels: 4, outChannels: 1, padding: 0)], height: 4, width: 9)
                == "network test, layer 2 (conv 5×5 4→1 pad 0): its 4×9×4 (padded by 0) input is smaller than its kernel")
        #expect(message([conv, .relu, .conv(kernel: 3, inChannels: 4, outChannels: 4, padding: 0), .pixelShuffle(factor: 2)]) == "accepted")
        #expect(throws: NetworkSpecError.self) {
            try SequentialNetwork<Float>(spec: NetworkSpec(name: "bad", layers: [.prelu(channels: 2)]), batchCapacity: 1,
                                         inputHeight: 4, inputWidth: 4)
        }
    }

    /// The two deconvolution paths give the same network output and gradients.
    @Test func deconvolutionPathsAgreeInsideTheNetwork() throws {
        let spec = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 3)
        let (side, batch) = (6, 2)
        let gemm = try SequentialNetwork<Float>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        let subPixel = try SequentialNetwork<Float>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        subPixel.deconvolutionAlgorithm = .subPixel
        var params = spec.initialParameters(seed: 3)
        params[params.count - 2] = randomValues(params[params.count - 2].count, seed: 4)   // a deconvolution that matters
        let x: [Float] = randomValues(batch * side * side, seed: 5)
        let label: [Float] = randomValues(batch * 18 * 18, seed: 6)
        let a = gemm.step(parameters: params, inputs: x, labels: label, batch: batch)
        let b = subPixel.step(parameters: params, inputs: x, labels: label, batch: batch)
        #expect(abs(a - b) < 1e-6 * a)
        for t in params.indices {
            let scale = max(1, gemm.gradients[t].map { Double(abs($0)) }.max() ?? 0)
            #expect(maxAbsDifference(gemm.gradients[t], subPixel.gradients[t]) / scale < 1e-5, "tensor \(spec.parameterTensors[t].name)")
        }
    }

    /// Tiny instances of each kind of network, every parameter against central differences of the
    /// EuclideanLoss in Double: FSRCNN(8,4,1) at ×2 on a 6×6 input (PReLU, both paddings, both
    /// deconvolution paths) and a small ESPCN (tanh, pixel shuffle) at ×3, and ReLU between valid
    /// convolutions. PReLU slopes start at 0.25, not 0, so no kink is flat. Step h = 1e-5: at 1e-6
    /// the loss's rounding (ε·|loss|/h) showed, up to 8e-6; at 1e-5 the worst is 4.6e-7.
    @Test(arguments: [
        (NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 2), DeconvolutionAlgorithm.gemm),
        (NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 2, padding: .zero), .subPixel),
        (NetworkSpec(name: "small ESPCN x3", layers: [
            .conv(kernel: 5, inChannels: 1, outChannels: 6, padding: 2), .tanh,
            .conv(kernel: 3, inChannels: 6, outChannels: 4, padding: 1), .tanh,
            .conv(kernel: 3, inChannels: 4, outChannels: 9, padding: 1), .pixelShuffle(factor: 3)]), .gemm),
        (NetworkSpec(name: "valid ReLU x2", layers: [
            .conv(kernel: 3, inChannels: 1, outChannels: 4, padding: 0), .relu,
            .conv(kernel: 3, inChannels: 4, outChannels: 4, padding: 0), .relu,
            .deconv(kernel: 5, inChannels: 4, outChannels: 1, stride: 2, padding: 1)], padding: .zero), .subPixel),
    ])
    func wholeNetworkGradients(_ spec: NetworkSpec, algorithm: DeconvolutionAlgorithm) throws {
        let (side, batch) = (6, 2)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        net.deconvolutionAlgorithm = algorithm
        var params = spec.initialParameters(seed: 8).map { $0.map(Double.init) }
        // Larger deconvolution weights and positive biases, so every layer's gradient is O(1)
        // and most ReLUs are open.
        for (t, tensor) in spec.parameterTensors.enumerated() {
            if tensor.name.hasSuffix(".bias") { params[t] = params[t].map { _ in 0.1 } }
        }
        for (l, layer) in spec.layers.enumerated() {
            if case .deconv = layer, let t = spec.firstTensorIndex[l] { params[t] = randomValues(params[t].count, seed: 9).map { $0 * 0.3 } }
        }
        let x: [Double] = randomValues(batch * side * side, seed: 10).map { ($0 + 1) / 2 }
        let outCount = net.outputShape.count
        let label: [Double] = randomValues(batch * outCount, seed: 11)
        func loss(_ p: [[Double]]) -> Double {
            let y = net.forward(parameters: p, inputs: x, batch: batch)
            return zip(y, label).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * batch)
        }
        let mse = net.step(parameters: params, inputs: x, labels: label, batch: batch)
        #expect(abs(mse * Double(outCount) / 2 - loss(params)) < 1e-12)
        let worst = UpscalingGradientCheckTests.worstError(params, analytic: net.gradients, floor: 1e-4, step: 1e-5, loss)
        #expect(worst < 1e-5)
    }

    /// The input gradient `backward` returns, against central differences.
    @Test func inputGradient() throws {
        let spec = NetworkSpec.fsrcnn(d: 4, s: 3, m: 1, scale: 2)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: 1, inputHeight: 5, inputWidth: 4)
        let params = spec.initialParameters(seed: 12).map { $0.map(Double.init) }
        let x: [Double] = randomValues(20, seed: 13)
        #expect(UpscalingGradientCheckTests.worstInputGradientError(net, parameters: params, inputs: x, batch: 1, seed: 14) < 1e-5)
    }

    /// A smoke test of training, not a training run: 20 Adam steps of a tiny FSRCNN at ×2 on
    /// smooth synthetic LR/HR pairs lower the loss well below where it started.
    @Test func twentyAdamStepsLowerTheLoss() throws {
        let spec = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 2)
        let (side, batch) = (8, 4)
        let net = try SequentialNetwork<Float>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        // HR: smooth patterns on [0, 1]; LR: 2×2 means.
        var hr = [Float](), lr = [Float]()
        for k in 0..<batch {
            let image = (0..<(4 * side * side)).map { i -> Float in
                let x = Double(i % (2 * side)), y = Double(i / (2 * side))
                return Float(0.5 + 0.4 * sin(x / Double(2 + k)) * cos(y / Double(3 + k)))
            }
            hr += image
            for y in 0..<side { for x in 0..<side {
                let at = { (dy: Int, dx: Int) in image[(2 * y + dy) * 2 * side + 2 * x + dx] }
                lr.append((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4)
            } }
        }
        var params = spec.initialParameters(seed: 15)
        var state = params.map { [[Float]](repeating: [Float](repeating: 0, count: $0.count), count: 2) }
        let adam = Adam()
        var losses: [Double] = []
        for step in 1...20 {
            losses.append(net.step(parameters: params, inputs: lr, labels: hr, batch: batch))
            for t in params.indices {
                adam.update(parameters: &params[t], gradients: net.gradients[t], state: &state[t], learningRate: 3e-3, step: step)
            }
        }
        let final = net.step(parameters: params, inputs: lr, labels: hr, batch: batch)
        #expect(final < 0.5 * losses[0], "losses \(losses) → \(final)")
    }
}

extension NetworkSpec: CustomTestStringConvertible {
    public var testDescription: String { "\(name) (\(padding.rawValue) padding)" }
}
