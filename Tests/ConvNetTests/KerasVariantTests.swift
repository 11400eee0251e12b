import Foundation
import Imaging
import Testing
import TensorFile
@testable import Training
@testable import ConvNet

/// The Keras project's SRCNN variants as specs: their shapes and sizes, the denoising model
/// against the Keras graph (with its transposed convolutions), training settings, model files,
/// and a smoke run through the trainer.
@Suite struct KerasVariantTests {
    static let variants: [NetworkSpec] = [2, 3].flatMap { s in [NetworkSpec.expandedSRCNN(scale: s), .denoisingSRCNN(scale: s)] }

    /// 'Same' layers on the bicubic image: the output is the network input's size, the model's
    /// `scale` the bicubic factor; the weights are those of models.py with one map in and out.
    @Test func shapesAndSizes() throws {
        for spec in Self.variants {
            try spec.validate()
            #expect(try spec.shapes(height: 13, width: 9).last == ActivationShape(height: 13, width: 9, channels: 1))
            #expect(spec.layerScale == 1 && spec.scale == spec.bicubicUpscale)
        }
        func weights(_ spec: NetworkSpec) -> Int {
            spec.parameterTensors.filter { $0.name.hasSuffix(".weight") }.reduce(0) { $0 + $1.count }
        }
        // 9·9·64 + (1 + 9 + 25)·64·32 + 25·32 and 9·64 + 3·9·64·64 + 25·64.
        #expect(weights(.expandedSRCNN(scale: 3)) == 5_184 + 71_680 + 800)
        #expect(weights(.denoisingSRCNN(scale: 3)) == 576 + 110_592 + 1_600)
        #expect(NetworkSpec.expandedSRCNN(scale: 3).receptiveRadius == 8 && NetworkSpec.denoisingSRCNN(scale: 3).receptiveRadius == 6)
        // Every layer runs on the HR grid: multiply-adds per HR pixel are the weights.
        #expect(NetworkSpec.expandedSRCNN(scale: 3).multiplyAddsPerOutputPixel == Double(weights(.expandedSRCNN(scale: 3))))
        #expect(try NetworkSpec.denoisingSRCNN(scale: 2).multiplyAddsPerOutputPixel(height: 20, width: 20) == Double(weights(.denoisingSRCNN(scale: 2))))
        #expect(NetworkSpec.published(kind: "denoising-srcnn", scale: 4) == .denoisingSRCNN(scale: 4))
    }

    /// Expanded SRCNN ends in a ReLU: its output convolution starts at mid-grey (bias 0.5) so that
    /// the output is alive from the first step (from zero, a full run's output died in its first
    /// epoch); every other bias, and every network without a final ReLU, starts at zero.
    @Test func anOutputBehindAReLUStartsAlive() {
        for spec in Self.variants + [.fsrcnn(scale: 3), .espcn(scale: 3), .resNetSR(scale: 2)] {
            let tensors = spec.parameterTensors, values = spec.initialParameters(seed: 1)
            let outputBias = tensors.last(where: { $0.name.hasSuffix(".bias") })?.name
            for (tensor, value) in zip(tensors, values) where tensor.name.hasSuffix(".bias") {
                let expected: Float = spec.layers.last == .relu && tensor.name == outputBias ? 0.5 : 0
                #expect(value.allSatisfy { $0 == expected }, "\(spec.name) \(tensor.name)")
            }
        }
    }

    /// Keras's stride-1 'same' Conv2DTranspose is a 'same' convolution (zero padding) with the
    /// kernel flipped in both axes: the claim the denoising spec rests on.
    @Test func aStrideOneTransposedConvolutionIsAFlippedConvolution() {
        let (h, w, c, o, k) = (5, 6, 2, 3, 3)
        let x: [Double] = randomValues(h * w * c, seed: 50), transposed: [Double] = randomValues(c * k * k * o, seed: 51)
        let bias: [Double] = randomValues(o, seed: 52)
        var expected = [Double](repeating: 0, count: h * w * o)
        conv2dTransposeForwardNaive(output: &expected, input: x, weight: transposed, bias: bias, batch: 1, inChannels: c,
                                    outChannels: o, height: h, width: w, kernel: k, stride: 1, padding: 1)
        let flipped = Self.flippedConvolutionWeight(transposed, inChannels: c, outChannels: o, kernel: k)
        var padded = [Double](repeating: 0, count: (h + 2) * (w + 2) * c)
        zeroPad(output: &padded, input: x, batch: 1, height: h, width: w, channels: c, top: 1, bottom: 1, left: 1, right: 1)
        var y = [Double](repeating: 0, count: h * w * o)
        conv2dForwardNaive(output: &y, input: padded, weight: flipped, bias: bias, batch: 1, inChannels: c, outChannels: o,
                           height: h + 2, width: w + 2, kernel: k)
        #expect(maxAbsDifference(y, expected) < 1e-14)
    }

    /// The denoising spec (zero padding, narrowed to 3 maps) against models.py's graph written
    /// out with its transposed convolutions: level1_1, level2_1, level2 = level2_1 +
    /// ReLU(convT(level2_1)), level1 = level1_1 + ReLU(convT(level2)), conv 5×5.
    @Test func theDenoisingSpecIsTheKerasGraph() throws {
        let spec = NetworkSpec.denoisingSRCNN(scale: 2, padding: .zero).narrowed
        let (side, c) = (7, 3)
        let params = BlockNetworkTests.parameters(spec)
        let x: [Double] = randomValues(side * side, seed: 53).map { ($0 + 1) / 2 }
        func conv(_ input: [Double], _ weight: [Double], _ bias: [Double], inChannels: Int, outChannels: Int, kernel k: Int) -> [Double] {
            let p = k / 2
            var padded = [Double](repeating: 0, count: (side + 2 * p) * (side + 2 * p) * inChannels)
            zeroPad(output: &padded, input: input, batch: 1, height: side, width: side, channels: inChannels, top: p, bottom: p, left: p, right: p)
            var y = [Double](repeating: 0, count: side * side * outChannels)
            conv2dForwardNaive(output: &y, input: padded, weight: weight, bias: bias, batch: 1, inChannels: inChannels,
                               outChannels: outChannels, height: side + 2 * p, width: side + 2 * p, kernel: k)
            return y
        }
        /// Keras's Conv2DTranspose(3×3, 'same', stride 1) with the transposed layout's weights that
        /// make it the spec's convolution: the spec's kernel flipped back.
        func convTranspose(_ input: [Double], _ weight: [Double], _ bias: [Double]) -> [Double] {
            let transposed = Self.transposedWeight(flippingConvolutionWeight: weight, inChannels: c, outChannels: c, kernel: 3)
            var y = [Double](repeating: 0, count: side * side * c)
            conv2dTransposeForwardNaive(output: &y, input: input, weight: transposed, bias: bias, batch: 1, inChannels: c,
                                        outChannels: c, height: side, width: side, kernel: 3, stride: 1, padding: 1)
            return y
        }
        func relu(_ v: [Double]) -> [Double] { v.map { max(0, $0) } }
        func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
        // Tensors depth first: conv1, conv2, conv3 (inner skip), conv4, conv5; weight then bias.
        let level1_1 = relu(conv(x, params[0], params[1], inChannels: 1, outChannels: c, kernel: 3))
        let level2_1 = relu(conv(level1_1, params[2], params[3], inChannels: c, outChannels: c, kernel: 3))
        let level2 = add(level2_1, relu(convTranspose(level2_1, params[4], params[5])))
        let level1 = add(level1_1, relu(convTranspose(level2, params[6], params[7])))
        let decoded = conv(level1, params[8], params[9], inChannels: c, outChannels: 1, kernel: 5)
        let net = try SequentialNetwork<Double>(spec: spec, batchCapacity: 1, inputHeight: side, inputWidth: side)
        #expect(maxAbsDifference(net.forward(parameters: params, inputs: x, batch: 1), decoded) < 1e-12)
    }

    /// SRCNN's sub-images, with the receptive radius left out of the loss; other sub-image sizes
    /// are refused.
    @Test func theyTrainOnSRCNNsSubImages() throws {
        let expanded = try SequentialTrainable(spec: .expandedSRCNN(scale: 3), inputSize: 33)
        #expect(expanded.stride == 14 && expanded.lossMargin == 8 && expanded.outputSize == 33 && expanded.labelSize == 17)
        #expect(expanded.networkDescription.input == .srcnnSubImages && expanded.networkDescription.shrink == 16)
        #expect(expanded.networkDescription.lastLayerTensors == ["layers.3.weight", "layers.3.bias"])
        let denoising = try SequentialTrainable(spec: .denoisingSRCNN(scale: 2), inputSize: 33)
        #expect(denoising.labelSize == 21 && denoising.networkDescription.shrink == 12)
        do {
            _ = try SequentialTrainable(spec: .denoisingSRCNN(scale: 2), inputSize: 11)
            Issue.record("an 11×11 sub-image was accepted though the margin leaves nothing of it")
        } catch let error as TrainingError {
            #expect("\(error)".contains("a loss margin of 6 leaves nothing of") && "\(error)".contains("smaller lossMargin"))
        }
        let settings = try JSONEncoder().encode(denoising)
        #expect(try JSONDecoder().decode(SequentialTrainable.self, from: settings) == denoising)
    }

    /// Deep denoising SR trains on 36×36 bicubic sub-images (its pooling needs multiples of 4);
    /// its receptive radius would leave no label, so a run gives a margin; a tiny narrowed run
    /// goes through the trainer on sub-images of that side.
    @Test func deepDenoisingSRTrainsOnSubImagesItsPoolingTakes() throws {
        let spec = NetworkSpec.deepDenoisingSR(scale: 2)
        #expect(SequentialTrainable.defaultPatch(spec) == (36, 14))
        #expect(throws: TrainingError.self) { try SequentialTrainable(spec: spec, inputSize: 36) }
        let deep = try SequentialTrainable(spec: spec, inputSize: 36, lossMargin: 6)
        #expect(deep.labelSize == 24 && deep.networkDescription.input == .bicubicUpscaled(size: 36, stride: 14))
        let narrow = try SequentialTrainable(spec: spec.narrowed, inputSize: 36, lossMargin: 6)
        let planes = LRSpaceTrainingTests.smoothPlanes()
        let set = SubImageSet(lumaPlanes: planes, scale: 2, patchSize: 36, stride: 14)
        #expect(set.input == narrow.networkDescription.input && set.count == 12)
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TrainerTests.options(folder, epochs: 1)
        options.scale = 2
        let trainer = try NetworkTrainer(network: narrow, options: options, trainingSet: set, validation: [])
        try trainer.run()
        #expect(trainer.history.count == 1 && trainer.history[0].trainMSE.isFinite)
        // SRCNN's 33×33 set is refused for it, naming both.
        #expect(throws: TrainingError.self) {
            try NetworkTrainer(network: narrow, options: options, trainingSet: SubImageSet(lumaPlanes: planes, scale: 2), validation: [])
        }
    }

    /// Files: every tensor by name in PyTorch's layout, the kind and the scale; what is loaded
    /// upscales exactly as what was saved, from the LR image (bicubic inside).
    @Test(arguments: variants)
    func modelFilesRoundTrip(_ spec: NetworkSpec) throws {
        let params = spec.initialParameters(seed: 60)
        let model = SequentialModel(spec: spec, parameters: params)
        let file = model.safeTensors()
        #expect(file.metadata["kind"] == spec.modelKind && file.metadata["scale"] == "\(spec.scale)")
        #expect(Set(file.tensors.keys) == Set(spec.parameterTensors.map(\.name)))
        let loaded = try SequentialModel(file: file, path: "m.safetensors", kind: spec.modelKind!, scale: spec.scale)
        #expect(loaded.spec == spec && loaded.parameters == params)
        let low = Plane(width: 9, height: 7, values: randomValues(63, seed: 61).map { ($0 + 1) / 2 })
        let high = loaded.upscale(lowRes: low)
        #expect(high.width == 9 * spec.scale && high.height == 7 * spec.scale)
        #expect(high.values == model.upscale(lowRes: low).values)
        #expect(loaded.contextRadius == spec.receptiveRadius + 2)
        // Another kind, another scale: refused with the file's name and the reason.
        let other = spec.modelKind == NetworkSpec.expandedSRCNNModelKind ? NetworkSpec.denoisingSRCNNModelKind : NetworkSpec.expandedSRCNNModelKind
        #expect(throws: SequentialModelError.self) { try SequentialModel(file: file, path: "m.safetensors", kind: other, scale: spec.scale) }
        do {
            _ = try SequentialModel(file: file, path: "m.safetensors", kind: spec.modelKind!, scale: spec.scale + 1)
            Issue.record("a x\(spec.scale) file was accepted at x\(spec.scale + 1)")
        } catch {
            #expect("\(error)".hasPrefix("m.safetensors: not a usable network model: it is \(spec.name), for x\(spec.scale)"))
        }
    }

    /// Smoke test, not a training run: a few epochs of each variant (narrowed to 3 and 2 maps)
    /// through the trainer on the synthetic bicubic sub-images lower the loss, and the model it
    /// writes loads at the run's scale.
    @Test(arguments: [NetworkSpec.expandedSRCNN(scale: 3).narrowed, NetworkSpec.denoisingSRCNN(scale: 3).narrowed])
    func aTinyRunLowersTheLoss(_ spec: NetworkSpec) throws {
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TrainerTests.options(folder, epochs: 3)
        options.scale = 3
        options.learningRate = 3e-3
        options.lastLayerLearningRate = 3e-3
        let trainer = try NetworkTrainer(network: try SequentialTrainable(spec: spec, inputSize: 33), options: options,
                                         trainingSet: TrainerTests.syntheticSet(), validation: [])
        try trainer.run()
        let mse = trainer.history.map(\.trainMSE)
        #expect(mse.last! < 0.7 * mse.first!, "\(mse)")
        let model = try SequentialModel(contentsOf: folder.appendingPathComponent("last.safetensors").path, scale: 3)
        #expect(model.parameters == trainer.parameters && model.spec == spec)
        #expect(model.metadata["training_set"]?.contains("bicubic x3 down-up") == true)
    }

    /// Deep denoising SR: models.py's layers and sizes, sides not a multiple of 4 extended and
    /// cropped back by the model, and no strips (max-pooling depends on where its windows fall).
    @Test func deepDenoisingSR() throws {
        let spec = NetworkSpec.deepDenoisingSR(scale: 2)
        #expect(spec.inputMultiple == 4 && spec.layerScale == 1 && spec.scale == 2)
        let weights = spec.parameterTensors.filter { $0.name.hasSuffix(".weight") }.map(\.count)
        // c1 ×2, c2 ×2, c3, c2_2 ×2, c1_2 ×2, output: 3×3 kernels but the last 5×5.
        #expect(weights == [9 * 64, 9 * 64 * 64, 9 * 64 * 128, 9 * 128 * 128, 9 * 128 * 256, 9 * 256 * 128, 9 * 128 * 128,
                            9 * 128 * 64, 9 * 64 * 64, 25 * 64])
        #expect(throws: NetworkSpecError.self) { try spec.shapes(height: 18, width: 16) }
        let narrow = spec.narrowed
        let model = SequentialModel(spec: narrow, parameters: narrow.initialParameters(seed: 70))
        #expect(model.contextRadius == nil)
        let low = Plane(width: 9, height: 7, values: randomValues(63, seed: 71).map { ($0 + 1) / 2 })
        let high = model.upscale(lowRes: low)
        #expect(high.width == 18 && high.height == 14 && high.values.allSatisfy(\.isFinite))
        // A size the pooling divides runs as it is: the network on the bicubic image.
        let even = Plane(width: 8, height: 6, values: randomValues(48, seed: 72).map { ($0 + 1) / 2 })
        let net = try SequentialNetwork<Float>(spec: narrow, batchCapacity: 1, inputHeight: 12, inputWidth: 16, forwardOnly: true)
        let direct = net.forward(parameters: model.parameters, inputs: Resize.bicubic(even, scale: 2).values.map(Float.init), batch: 1)
        #expect(model.upscale(lowRes: even).values == direct.map(Double.init))
    }

    /// ResNet SR on the LR image: models.py's layers without batch normalisation, the output
    /// `scale` times the input, FSRCNN's LR sub-images and no loss margin, its files, and a tiny
    /// run (narrowed) through the trainer.
    @Test func resNetSR() throws {
        let spec = NetworkSpec.resNetSR(scale: 3)
        #expect(try spec.shapes(height: 7, width: 5).last == ActivationShape(height: 21, width: 15, channels: 1))
        let weights = spec.parameterTensors.filter { $0.name.hasSuffix(".weight") }.map(\.count)
        #expect(weights == [9 * 64] + Array(repeating: 9 * 64 * 64, count: 13) + [9 * 64])
        #expect(spec.parameterTensors[2].name == "layers.2.block.0.block.0.weight")
        #expect(spec.parameterTensors.last!.name == "layers.6.bias")
        // Each block's last convolution starts at a tenth of the He std √(1/fan-in), the others at theirs.
        let initial = spec.initialParameters(seed: 81)
        func rms(_ t: Int) -> Double { (initial[t].reduce(0) { $0 + Double($1 * $1) } / Double(initial[t].count)).squareRoot() }
        for (t, tensor) in spec.parameterTensors.enumerated() where tensor.name.hasSuffix(".weight") && tensor.name.contains("block.0.block") {
            let expected = tensor.name.hasSuffix("block.2.weight") ? 0.1 * (1.0 / 576).squareRoot() : (2.0 / 576).squareRoot()
            #expect(abs(rms(t) / expected - 1) < 0.05, "\(tensor.name)")
        }
        // The bench's per-layer count sees into the blocks: 12 convolutions 3×3×64×64 per pixel.
        #expect(LRSpaceBenchmark.macs(spec.layers[2], input: ActivationShape(height: 4, width: 5, channels: 64)) == 20.0 * 12 * 36_864)
        let trainable = try SequentialTrainable(spec: spec, inputSize: 11)
        #expect(trainable.lossMargin == 0 && trainable.stride == 5 && trainable.networkDescription.input == .lowResolution(size: 11, stride: 5))
        let params = spec.initialParameters(seed: 80)
        let file = SequentialModel(spec: spec, parameters: params).safeTensors()
        let loaded = try SequentialModel(file: file, path: "r.safetensors", kind: NetworkSpec.resNetSRModelKind, scale: 3)
        #expect(loaded.parameters == params && loaded.contextRadius == 3 * spec.receptiveRadius)
        #expect(throws: SequentialModelError.self) {
            try SequentialModel(file: file, path: "r.safetensors", kind: NetworkSpec.expandedSRCNNModelKind, scale: 3)
        }

        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = LRSpaceTrainingTests.options(folder, epochs: 3)
        options.lastLayerLearningRate = options.learningRate
        let narrow = spec.narrowed
        let trainer = try NetworkTrainer(network: try SequentialTrainable(spec: narrow, inputSize: 7, stride: 4), options: options,
                                         trainingSet: LRSpaceTrainingTests.lowResolutionSet(), validation: [])
        try trainer.run()
        let mse = trainer.history.map(\.trainMSE)
        #expect(mse.last! < 0.7 * mse.first!, "\(mse)")
    }

    /// HWIO weights of the 'same' convolution a stride-1 transposed convolution ([C, k, k, O]) is:
    /// w'[ey, ex, c, o] = wᵀ[c, k − 1 − ey, k − 1 − ex, o].
    static func flippedConvolutionWeight(_ t: [Double], inChannels c: Int, outChannels o: Int, kernel k: Int) -> [Double] {
        var w = [Double](repeating: 0, count: t.count)
        for ci in 0..<c { for dy in 0..<k { for dx in 0..<k { for oc in 0..<o {
            w[(((k - 1 - dy) * k + (k - 1 - dx)) * c + ci) * o + oc] = t[((ci * k + dy) * k + dx) * o + oc]
        } } } }
        return w
    }

    /// The inverse: the transposed convolution's weights whose output is this convolution's.
    static func transposedWeight(flippingConvolutionWeight w: [Double], inChannels c: Int, outChannels o: Int, kernel k: Int) -> [Double] {
        var t = [Double](repeating: 0, count: w.count)
        for ci in 0..<c { for dy in 0..<k { for dx in 0..<k { for oc in 0..<o {
            t[((ci * k + dy) * k + dx) * o + oc] = w[(((k - 1 - dy) * k + (k - 1 - dx)) * c + ci) * o + oc]
        } } } }
        return t
    }
}
