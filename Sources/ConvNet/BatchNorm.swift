import LinearAlgebra

// Batch normalisation (Ioffe & Szegedy 2015) over NHWC activations, one mean and variance per
// channel, as Keras's BatchNormalization (the ResNet SR of issue 16) runs it:
//     y = γ · (x − μ) / √(σ² + ε) + β,   ε = 1e-3 (Keras's default; PyTorch's is 1e-5).
// Training normalises by the statistics of the batch it is given (a shard's, when the trainer
// splits a batch: each shard of 32 normalises by its own, as data-parallel training without
// synchronised batch norm does) and moves the running statistics toward them with Keras's
// momentum 0.99 (PyTorch's 0.1 = 1 − 0.9): μ_run ← 0.99·μ_run + 0.01·μ_batch, and σ²_run the same
// with the unbiased batch variance. Inference uses the running statistics, which makes the layer
// an affine map per channel: after a convolution it folds into that convolution's weights and
// bias (`NetworkSpec.foldingBatchNorm`), so a trained model runs at the cost of one without.
// Tensors, in PyTorch's nn.BatchNorm2d names: weight (γ), bias (β), running_mean, running_var.

extension LayerSpec {
    /// Keras's BatchNormalization epsilon.
    public static let batchNormEpsilon = 1e-3
    /// The weight of a batch's statistics in the running ones (1 − Keras's momentum 0.99).
    public static let batchNormMomentum = 0.01
}

/// Pixels summed in T before their sums join the Double totals: short enough for float32 sums to
/// stay exact to ~1e-5, long enough that the inner loops over channels run vectorised.
private let chunkPixels = 256

/// Σ over pixels of f(pixel p, channel ch), per channel, in chunks (see `chunkPixels`).
@inline(__always)
private func channelSums<T: BLASScalar>(pixels: Int, channels c: Int, _ term: (Int, Int) -> T) -> [Double] {
    var total = [Double](repeating: 0, count: c)
    let chunk = UnsafeMutablePointer<T>.allocate(capacity: c)
    defer { chunk.deallocate() }
    var start = 0
    while start < pixels {
        chunk.initialize(repeating: 0, count: c)
        for p in start..<min(pixels, start + chunkPixels) {
            for ch in 0..<c { chunk[ch] += term(p, ch) }
        }
        for ch in 0..<c { total[ch] += Double(chunk[ch]) }
        start += chunkPixels
    }
    return total
}

/// Per-channel mean and 1/√(biased variance + ε) of `pixels` × `channels` values, and the
/// unbiased variance (what the running statistics average). Two passes (mean, then squares of
/// the centred values), so the variance does not cancel.
func batchNormStatistics<T: BLASScalar>(input x: UnsafePointer<T>, pixels: Int, channels c: Int)
    -> (mean: [T], inverseStd: [T], unbiasedVariance: [T]) {
    let n = Double(pixels)
    let mean = channelSums(pixels: pixels, channels: c) { p, ch in x[p * c + ch] }.map { $0 / n }
    let centre = mean.map { T($0) }
    let squares = centre.withUnsafeBufferPointer { m in
        channelSums(pixels: pixels, channels: c) { p, ch in let d = x[p * c + ch] - m[ch]; return d * d }
    }
    return (centre, squares.map { T(1 / ($0 / n + LayerSpec.batchNormEpsilon).squareRoot()) },
            squares.map { T($0 / max(1, n - 1)) })
}

/// y = γ · (x − mean) · inverseStd + β per channel (`output` may be `input`).
func batchNormApply<T: BLASScalar>(output y: UnsafeMutablePointer<T>, input x: UnsafePointer<T>, pixels: Int, channels c: Int,
                                   mean: [T], inverseStd: [T], gamma: UnsafePointer<T>, beta: UnsafePointer<T>) {
    let scale = (0..<c).map { gamma[$0] * inverseStd[$0] }
    let shift = (0..<c).map { beta[$0] - mean[$0] * scale[$0] }
    scale.withUnsafeBufferPointer { a in
        shift.withUnsafeBufferPointer { b in
            for p in 0..<pixels {
                let o = p * c
                for ch in 0..<c { y[o + ch] = x[o + ch] * a[ch] + b[ch] }
            }
        }
    }
}

/// The running statistics' inverse standard deviations, for inference.
func batchNormInverseStd<T: BLASScalar>(runningVariance: UnsafePointer<T>, channels c: Int) -> [T] {
    (0..<c).map { T(1 / (Double(runningVariance[$0]) + LayerSpec.batchNormEpsilon).squareRoot()) }
}

/// Gradients of a batch-statistics forward: dβ = Σ dy, dγ = Σ dy·x̂ (written over), and when
/// `dInput` is given dx = γ·inverseStd/N · (N·dy − dβ − x̂·dγ), the mean and variance depending on x.
func batchNormBackward<T: BLASScalar>(dInput dx: UnsafeMutablePointer<T>?, dGamma: UnsafeMutablePointer<T>,
                                      dBeta: UnsafeMutablePointer<T>, dOutput dy: UnsafePointer<T>, input x: UnsafePointer<T>,
                                      pixels: Int, channels c: Int, mean: [T], inverseStd: [T], gamma: UnsafePointer<T>) {
    let (sumDy, sumDyXhat) = mean.withUnsafeBufferPointer { m in
        inverseStd.withUnsafeBufferPointer { s in
            (channelSums(pixels: pixels, channels: c) { p, ch in dy[p * c + ch] },
             channelSums(pixels: pixels, channels: c) { p, ch in dy[p * c + ch] * ((x[p * c + ch] - m[ch]) * s[ch]) })
        }
    }
    for ch in 0..<c { dBeta[ch] = T(sumDy[ch]); dGamma[ch] = T(sumDyXhat[ch]) }
    guard let dx else { return }
    // dx = a·dy + b·x + d per channel, with x̂ = (x − mean)·inverseStd expanded.
    let n = T(pixels)
    let k = (0..<c).map { gamma[$0] * inverseStd[$0] / n }
    let a = (0..<c).map { k[$0] * n }
    let b = (0..<c).map { -k[$0] * T(sumDyXhat[$0]) * inverseStd[$0] }
    let d = (0..<c).map { -k[$0] * T(sumDy[$0]) - b[$0] * mean[$0] }
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            d.withUnsafeBufferPointer { d in
                for p in 0..<pixels {
                    let o = p * c
                    for ch in 0..<c { dx[o + ch] = a[ch] * dy[o + ch] + b[ch] * x[o + ch] + d[ch] }
                }
            }
        }
    }
}

extension NetworkSpec {
    /// Whether any layer, in any block, is a batch normalisation.
    public var hasBatchNorm: Bool { Self.containsBatchNorm(layers) }

    private static func containsBatchNorm(_ layers: [LayerSpec]) -> Bool {
        layers.contains {
            switch $0 {
            case .batchNorm: return true
            case let .residual(block): return containsBatchNorm(block)
            case let .parallel(branches): return branches.contains(where: containsBatchNorm)
            default: return false
            }
        }
    }

    /// The same function for inference with every batch normalisation that directly follows a
    /// convolution folded into it (weights × γ/√(σ²_run + ε) per output map, bias (b − μ_run)·that
    /// + β); one after anything else stays, run with its running statistics. Parameters in
    /// `parameterTensors` order and layout.
    public func foldingBatchNorm<T: BinaryFloatingPoint>(_ parameters: [[T]]) -> (spec: NetworkSpec, parameters: [[T]]) {
        guard hasBatchNorm else { return (self, parameters) }
        var cursor = 0, folded: [[T]] = []
        func fold(_ layers: [LayerSpec]) -> [LayerSpec] {
            var result: [LayerSpec] = []
            var i = 0
            while i < layers.count {
                let layer = layers[i]
                switch layer {
                case let .residual(block):
                    result.append(.residual(fold(block)))
                case let .parallel(branches):
                    result.append(.parallel(branches.map(fold)))
                case let .conv(_, _, o, _) where i + 1 < layers.count && layers[i + 1] == .batchNorm(channels: o):
                    var weight = parameters[cursor], bias = parameters[cursor + 1]
                    let (gamma, beta, mean, variance) = (parameters[cursor + 2], parameters[cursor + 3],
                                                         parameters[cursor + 4], parameters[cursor + 5])
                    let scale = (0..<o).map { gamma[$0] / T((Double(variance[$0]) + LayerSpec.batchNormEpsilon).squareRoot()) }
                    for j in weight.indices { weight[j] *= scale[j % o] }   // HWIO: O innermost
                    for ch in 0..<o { bias[ch] = (bias[ch] - mean[ch]) * scale[ch] + beta[ch] }
                    folded += [weight, bias]
                    cursor += 6
                    result.append(layer)
                    i += 2
                    continue
                default:
                    let n = layer.tensorShapes.count
                    folded += parameters[cursor..<(cursor + n)]
                    cursor += n
                    result.append(layer)
                }
                i += 1
            }
            return result
        }
        var spec = self
        spec.layers = fold(layers)
        return (spec, folded)
    }
}
