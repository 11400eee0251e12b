import Testing
@testable import ConvNet

/// A training step's activations folded into the convolutions beside them (FusedActivation.swift)
/// give the bits of running them as layers of their own: the loss, every parameter's gradient and
/// the output, for every convolution path a network takes them through.
@Suite struct FusedActivationTests {
    /// ESPCN's shape (single-channel direct first layer, F(4×4, 3×3) with implicit padding, maps
    /// rounded up to 4), ReLU through im2col and partial maps, a 1×1 layer, explicit padding
    /// (zero-padded 5×5 Winograd), and a ReLU read by two layers (a skip: nothing fuses).
    static let specs: [NetworkSpec] = [
        NetworkSpec.espcn(scale: 3),
        NetworkSpec(name: "relu-chain", layers: [.conv(kernel: 5, inChannels: 1, outChannels: 8, padding: 2), .relu,
                                                 .conv(kernel: 3, inChannels: 8, outChannels: 6, padding: 1), .relu,
                                                 .conv(kernel: 1, inChannels: 6, outChannels: 16, padding: 0), .tanh,
                                                 .conv(kernel: 5, inChannels: 16, outChannels: 16, padding: 2), .relu,
                                                 .conv(kernel: 3, inChannels: 16, outChannels: 1, padding: 1)],
                    padding: .zero),
        NetworkSpec(name: "skip", layers: [.conv(kernel: 3, inChannels: 1, outChannels: 12, padding: 1), .relu,
                                           .residual([.conv(kernel: 3, inChannels: 12, outChannels: 12, padding: 1), .tanh,
                                                      .conv(kernel: 3, inChannels: 12, outChannels: 12, padding: 1)]),
                                           .conv(kernel: 3, inChannels: 12, outChannels: 1, padding: 1)]),
    ]

    /// How many values differ in their bits.
    static func differences(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : max(a.count, b.count)
    }

    @Test(arguments: specs.indices)
    func fusedStepsGiveTheUnfusedBits(_ index: Int) throws {
        let spec = Self.specs[index], side = 13, batch = 5
        let fused = try SequentialNetwork<Float>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        let unfused = try SequentialNetwork<Float>(spec: spec, batchCapacity: batch, inputHeight: side, inputWidth: side)
        unfused.fusesActivations = false
        let parameters = spec.parameterTensors.enumerated().map { t, tensor in
            randomValues(tensor.count, seed: 40 + UInt64(t), as: Float.self).map { $0 * 0.5 }
        }
        let inputs: [Float] = randomValues(batch * side * side, seed: 7)
        let labels: [Float] = randomValues(batch * fused.labelShape.count, seed: 8)
        let lossFused = fused.step(parameters: parameters, inputs: inputs, labels: labels, batch: batch)
        let lossUnfused = unfused.step(parameters: parameters, inputs: inputs, labels: labels, batch: batch)
        #expect(lossFused.bitPattern == lossUnfused.bitPattern, "\(spec.name): loss")
        for (t, (a, b)) in zip(fused.gradients, unfused.gradients).enumerated() {
            #expect(Self.differences(a, b) == 0, "\(spec.name): gradient of tensor \(t)")
        }
        // The input's gradient too (the first activation's derivative then fuses as well).
        let dOutput: [Float] = randomValues(batch * fused.outputShape.count, seed: 9)
        _ = fused.forward(parameters: parameters, inputs: inputs, batch: batch)
        _ = unfused.forward(parameters: parameters, inputs: inputs, batch: batch)
        let dInputFused = fused.backward(dOutput: dOutput, batch: batch)
        let dInputUnfused = unfused.backward(dOutput: dOutput, batch: batch)
        #expect(Self.differences(dInputFused, dInputUnfused) == 0, "\(spec.name): input gradient")
        #expect(fused.gradients.joined().contains { $0 != 0 }, "\(spec.name): the gradients are not all zero")
    }

    /// Which pairs fuse: a convolution and the activation reading only its output, either way round.
    @Test func theGraphFusesOnlySoleReaders() {
        let (forward, backward) = NetworkGraph(Self.specs[2]).fusedActivations()
        // Nodes: 0 conv, 1 relu, 2 conv, 3 tanh, 4 conv, 5 sum, 6 conv. The ReLU's output is read by
        // the block and the skip: no backward fusion into node 2.
        #expect(forward == [0: .relu, 2: .tanh])
        #expect(backward == [4: .tanh])
    }
}
