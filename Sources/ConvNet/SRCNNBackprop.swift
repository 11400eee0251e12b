import Foundation
import LinearAlgebra
import Training

/// One SRCNN training step's arithmetic: forward with VALID convolutions (as the paper's Caffe
/// training: a 33×33 input gives a (33 − Σ(k−1))² output), Caffe's EuclideanLoss
/// Σ(ŷ − y)² / (2·batch) against the centre of the original sub-image, and backward into
/// parameter gradients. Generic so the gradient checks can run it in Double.
///
/// Buffers (NHWC, shapes as in Conv2D.swift), for B ≤ `batchCapacity` sub-images of side s0:
/// a1 [B, s1, s1, n1] and a2 [B, s2, s2, n2] are post-ReLU activations, kept for the backward
/// pass; out/dOut [B, s3, s3, 1]; da2 and da1 their gradients.
public final class SRCNNBackprop<T: BLASScalar> {
    public let architecture: SRCNNArchitecture
    public let batchCapacity: Int
    public let inputSize: Int
    /// Side of each layer's output: s1, s2, s3.
    public let sides: [Int]
    /// Gradients of the loss, in the parameters' order and layout (HWIO weights, biases).
    public private(set) var gradients: [[T]]
    let workspace = Workspace<T>()
    private var a1: [T], a2: [T], out: [T], dOut: [T], da2: [T], da1: [T]

    public init(architecture: SRCNNArchitecture, batchCapacity: Int, inputSize: Int = SubImageSet.defaultPatchSize) {
        self.architecture = architecture
        self.batchCapacity = batchCapacity
        self.inputSize = inputSize
        var side = inputSize
        sides = architecture.layers.map { side = side - $0.kernel + 1; return side }
        precondition(sides.last! > 0, "a \(inputSize)² input is too small for SRCNN \(architecture)")
        gradients = architecture.tensorShapes.map { [T](repeating: 0, count: $0.shape.reduce(1, *)) }
        let n = batchCapacity
        a1 = [T](repeating: 0, count: n * sides[0] * sides[0] * architecture.n1)
        a2 = [T](repeating: 0, count: n * sides[1] * sides[1] * architecture.n2)
        out = [T](repeating: 0, count: n * sides[2] * sides[2])
        dOut = out
        da2 = a2
        da1 = a1
    }

    public var labelSize: Int { sides[2] }

    /// The network's valid output for `batch` inputs (s0² each) into `output` (s3² each).
    public func forward(parameters: [[T]], inputs: UnsafePointer<T>, batch: Int) -> [T] {
        precondition(batch <= batchCapacity, "batch \(batch) exceeds capacity \(batchCapacity)")
        runForward(parameters, inputs, batch)
        return Array(out[0..<(batch * sides[2] * sides[2])])
    }

    /// Forward and backward on one batch; returns the mean squared error of the output
    /// (Σ(ŷ − y)² / (B·s3²)) and leaves the EuclideanLoss gradients in `gradients`.
    /// `lossBatch` is the B of the loss's 1/(2B) when this batch is one shard of a larger one.
    @discardableResult
    public func step(parameters: [[T]], inputs: UnsafePointer<T>, labels: UnsafePointer<T>, batch: Int,
                     lossBatch: Int? = nil) -> Double {
        precondition(batch <= batchCapacity, "batch \(batch) exceeds capacity \(batchCapacity)")
        runForward(parameters, inputs, batch)
        let arch = architecture
        let (s0, s1, s2, s3) = (inputSize, sides[0], sides[1], sides[2])
        let outCount = batch * s3 * s3
        let mse = out.withUnsafeBufferPointer { mseForward(prediction: $0.baseAddress!, target: labels, count: outCount) }
        out.withUnsafeBufferPointer { o in
            dOut.withUnsafeMutableBufferPointer { d in
                squaredErrorBackward(dPrediction: d.baseAddress!, prediction: o.baseAddress!, target: labels,
                                     count: outCount, scale: 1 / T(lossBatch ?? batch))
            }
        }
        for g in gradients.indices { gradients[g].withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        let layers = arch.layers
        // Layer 3 (linear) → da2 through ReLU 2, whose derivative the convolution applies
        // (FusedActivation.swift: image by image where its path can, the same bits either way).
        backward(layer: 2, parameters: parameters, dOutput: dOut, input: a2, dInput: &da2,
                 batch: batch, height: s2, kernel: layers[2].kernel)
        // Layer 2 → da1 through ReLU 1.
        backward(layer: 1, parameters: parameters, dOutput: da2, input: a1, dInput: &da1,
                 batch: batch, height: s1, kernel: layers[1].kernel)
        // Layer 1: no input gradient needed.
        parameters[0].withUnsafeBufferPointer { w in
            gradients[0].withUnsafeMutableBufferPointer { dw in
                gradients[1].withUnsafeMutableBufferPointer { db in
                    da1.withUnsafeBufferPointer { d in
                        conv2dBackward(dInput: nil, dWeight: dw.baseAddress!, dBias: db.baseAddress!,
                                       dOutput: d.baseAddress!, input: inputs, weight: w.baseAddress!,
                                       batch: batch, inChannels: 1, outChannels: arch.n1,
                                       height: s0, width: s0, kernel: layers[0].kernel, workspace: workspace)
                    }
                }
            }
        }
        return mse
    }

    /// Layer `layer`'s gradients, its input's (the ReLU before it's output) through that ReLU.
    private func backward(layer: Int, parameters: [[T]], dOutput: [T], input: [T], dInput: inout [T],
                          batch: Int, height: Int, kernel: Int) {
        let l = architecture.layers[layer]
        parameters[2 * layer].withUnsafeBufferPointer { w in
            gradients[2 * layer].withUnsafeMutableBufferPointer { dw in
                gradients[2 * layer + 1].withUnsafeMutableBufferPointer { db in
                    dOutput.withUnsafeBufferPointer { d in
                        input.withUnsafeBufferPointer { x in
                            dInput.withUnsafeMutableBufferPointer { dx in
                                conv2dBackward(dInput: dx.baseAddress!, dWeight: dw.baseAddress!, dBias: db.baseAddress!,
                                               dOutput: d.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!,
                                               batch: batch, inChannels: l.inChannels, outChannels: l.outChannels,
                                               height: height, width: height, kernel: kernel, inputActivation: .relu,
                                               workspace: workspace)
                            }
                        }
                    }
                }
            }
        }
    }

    private func runForward(_ parameters: [[T]], _ inputs: UnsafePointer<T>, _ batch: Int) {
        let layers = architecture.layers
        let s = [inputSize] + sides
        func layer(_ i: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) {
            parameters[2 * i].withUnsafeBufferPointer { w in
                parameters[2 * i + 1].withUnsafeBufferPointer { b in
                    conv2dForward(output: y, input: x, weight: w.baseAddress!, bias: b.baseAddress!, batch: batch,
                                  inChannels: layers[i].inChannels, outChannels: layers[i].outChannels,
                                  height: s[i], width: s[i], kernel: layers[i].kernel, relu: i < 2,
                                  workspace: workspace)
                }
            }
        }
        a1.withUnsafeMutableBufferPointer { a1 in layer(0, inputs, a1.baseAddress!) }
        a1.withUnsafeBufferPointer { a1 in
            a2.withUnsafeMutableBufferPointer { a2 in layer(1, a1.baseAddress!, a2.baseAddress!) }
        }
        a2.withUnsafeBufferPointer { a2 in
            out.withUnsafeMutableBufferPointer { o in layer(2, a2.baseAddress!, o.baseAddress!) }
        }
    }
}

/// The trainer runs SRCNN in Float; Double exists for the gradient checks.
extension SRCNNBackprop: BatchBackprop where T == Float {
    public static func withLoopThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try ConvNetThreads.with(threads, body)
    }
}

/// SRCNN's sharded training step.
public typealias SRCNNShardedBackprop = ShardedBackprop<SRCNNBackprop<Float>>

extension ShardedBackprop where Shard == SRCNNBackprop<Float> {
    public convenience init(architecture: SRCNNArchitecture, batchCapacity: Int, shards: Int = 2) {
        self.init(batchCapacity: batchCapacity, shards: shards) {
            SRCNNBackprop<Float>(architecture: architecture, batchCapacity: $0)
        }
    }
}
