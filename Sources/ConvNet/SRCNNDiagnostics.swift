import Training

/// Questions about a trained model on its training data, for comparing runs with the authors'
/// filters (experiments/srcnn_measurements.md): how well it fits the sub-images, and whether
/// training silenced ReLU maps for good.
public enum SRCNNDiagnostics {
    /// The model's mean squared error on the first whole batches of `set` (valid convolutions,
    /// the centre label, as in training), beside the bicubic input's error on the same pixels.
    public static func trainingSetError(model: SRCNN, set: SubImageSet, batch: Int = 128)
        -> (mse: Double, bicubicMSE: Double, subImages: Int) {
        let p = set.patchSize
        let net = SRCNNBackprop<Float>(architecture: model.architecture, batchCapacity: batch, inputSize: p)
        let l = net.labelSize, offset = (p - l) / 2
        var x = [Float](repeating: 0, count: batch * p * p), y = [Float](repeating: 0, count: batch * l * l)
        var total = 0.0, bicubic = 0.0, count = 0, start = 0
        while start + batch <= set.count {
            x.withUnsafeMutableBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<batch {
                        set.copy(start + i, labelSize: l, input: xp.baseAddress! + i * p * p, label: yp.baseAddress! + i * l * l)
                    }
                }
            }
            let out = x.withUnsafeBufferPointer { net.forward(parameters: model.parameters, inputs: $0.baseAddress!, batch: batch) }
            for i in 0..<batch {
                for r in 0..<l {
                    for c in 0..<l {
                        let target = Double(y[(i * l + r) * l + c])
                        let d = Double(out[(i * l + r) * l + c]) - target
                        let b = Double(x[i * p * p + (r + offset) * p + c + offset]) - target
                        total += d * d
                        bicubic += b * b
                        count += 1
                    }
                }
            }
            start += batch
        }
        return (total / Double(count), bicubic / Double(count), start)
    }

    /// How many layer-1 and layer-2 maps never fire (ReLU output > 0) on `samples` sub-images
    /// spread evenly over `set`.
    public static func deadMaps(model: SRCNN, set: SubImageSet, samples: Int = 1024) -> (layer1: Int, layer2: Int) {
        let n = min(samples, set.count), p = set.patchSize, arch = model.architecture
        var x = [Float](repeating: 0, count: n * p * p), centre = [Float](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { xp in
            centre.withUnsafeMutableBufferPointer { yp in
                for i in 0..<n {
                    set.copy(i * (set.count / n), labelSize: 1, input: xp.baseAddress! + i * p * p, label: yp.baseAddress! + i)
                }
            }
        }
        let s1 = p - arch.f1 + 1, s2 = s1 - arch.f2 + 1
        var a1 = [Float](repeating: 0, count: n * s1 * s1 * arch.n1), a2 = [Float](repeating: 0, count: n * s2 * s2 * arch.n2)
        let workspace = Workspace<Float>()
        conv2dForward(output: &a1, input: x, weight: model.parameters[0], bias: model.parameters[1], batch: n, inChannels: 1,
                      outChannels: arch.n1, height: p, width: p, kernel: arch.f1, relu: true, workspace: workspace)
        conv2dForward(output: &a2, input: a1, weight: model.parameters[2], bias: model.parameters[3], batch: n,
                      inChannels: arch.n1, outChannels: arch.n2, height: s1, width: s1, kernel: arch.f2, relu: true,
                      workspace: workspace)
        var live1 = [Bool](repeating: false, count: arch.n1), live2 = [Bool](repeating: false, count: arch.n2)
        for i in a1.indices where a1[i] > 0 { live1[i % arch.n1] = true }   // NHWC: channels innermost
        for i in a2.indices where a2[i] > 0 { live2[i % arch.n2] = true }
        return (live1.filter { !$0 }.count, live2.filter { !$0 }.count)
    }
}
