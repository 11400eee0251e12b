import ConvNet
import Equivalence
import LinearAlgebra
import SparseCoding
import Training

/// The trainable sparse-coding network's forward and backward passes on a batch (layers and
/// parameters: `TrainableSparseCodingNetwork`). Generic so the gradient check runs it in Double.
///
/// Shapes (NHWC, as in ConvNet's Conv2D.swift), for N inputs of H × W on [0, 1]: codes live on
/// Hc × Wc = (H − 8) × (W − 8) positions (one per 5×5 patch whose 9×9 feature window fits), the
/// output on Ho × Wo = (H − 12) × (W − 12), the pixels every one of their 25 covering patches
/// reaches. Training inputs are 33×33, so the output is the 21×21 centre, SRCNN 9-1-5's label.
/// z[t] and w[t] [N, Hc, Wc, n] are iteration t's input to and output of the soft threshold,
/// kept for the backward pass; `normScale` [N, Hc, Wc] is s = max(1, ‖features‖) on the 0–255 scale.
public final class SparseCodingNetworkBackprop<T: BLASScalar> {
    public let configuration: SparseCodingNetworkConfiguration
    public let batchCapacity: Int
    public let inputSize: Int
    public private(set) var gradients: [[T]]
    let workspace = Workspace<T>()
    private(set) var normScale: [T] = []
    private(set) var meanTerm: [T] = []
    private(set) var z: [[T]] = []
    private(set) var w: [[T]] = []
    private var codeScaled: [T] = [], out: [T] = []
    private var dOut: [T] = [], dw: [T] = [], dz: [T] = [], db: [T] = []

    /// `inputSize` is the side of the training sub-images; `forward` takes any size.
    public init(configuration: SparseCodingNetworkConfiguration, batchCapacity: Int,
                inputSize: Int = SparseCodingNetworkConfiguration.trainingInputSize) {
        precondition(inputSize > SparseCodingNetworkConfiguration.shrink, "a \(inputSize)² input leaves no output")
        self.configuration = configuration
        self.batchCapacity = batchCapacity
        self.inputSize = inputSize
        gradients = configuration.parameterCounts.map { [T](repeating: 0, count: $0) }
    }

    public var labelSize: Int { inputSize - SparseCodingNetworkConfiguration.shrink }

    /// The network's output for `batch` inputs of `height` × `width`: [batch, H − 12, W − 12].
    public func forward(parameters: [[T]], inputs: UnsafePointer<T>, batch: Int, height: Int, width: Int) -> [T] {
        runForward(parameters, inputs, batch, height, width)
        return out
    }

    /// The last iteration's codes, [N, Hc, Wc, n], of the latest forward pass.
    var codes: [T] { w[configuration.iterations - 1] }

    /// Forward and backward on `batch` training inputs (inputSize²) against their labels
    /// (labelSize²); returns the MSE and leaves the EuclideanLoss gradients in `gradients`.
    @discardableResult
    public func step(parameters: [[T]], inputs: UnsafePointer<T>, labels: UnsafePointer<T>, batch: Int,
                     lossBatch: Int? = nil) -> Double {
        precondition(batch <= batchCapacity, "batch \(batch) exceeds capacity \(batchCapacity)")
        let c = configuration, n = c.atoms, k = c.iterations
        runForward(parameters, inputs, batch, inputSize, inputSize)
        let hc = inputSize - SparseCodingNetworkConfiguration.layerOneShrink
        let positions = batch * hc * hc, count = positions * n
        let outCount = batch * labelSize * labelSize
        let mse = out.withUnsafeBufferPointer { mseForward(prediction: $0.baseAddress!, target: labels, count: outCount) }
        // The output's fixed 1/(25·255) folds into the loss gradient.
        dOut = [T](repeating: 0, count: outCount)
        out.withUnsafeBufferPointer { o in
            dOut.withUnsafeMutableBufferPointer { d in
                squaredErrorBackward(dPrediction: d.baseAddress!, prediction: o.baseAddress!, target: labels,
                                     count: outCount, scale: T(c.outputScale) / T(lossBatch ?? batch))
            }
        }
        for g in gradients.indices { gradients[g].withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        if dw.count < count { dw = [T](repeating: 0, count: count); dz = dw; db = dw }
        // Reconstruction: 5×5 n → 1, into the gradient of the rescaled codes.
        convBackward(dInput: &dw, dWeight: c.reconstructionIndex, dOutput: dOut, input: codeScaled,
                     weight: parameters[c.reconstructionIndex], batch: batch, inChannels: n, outChannels: 1,
                     height: hc, width: hc, kernel: c.patchSize)
        scaleRows(&dw, by: normScale, rows: positions, channels: n)
        db.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        for t in stride(from: k - 1, through: 0, by: -1) {
            thresholdBackward(z: z[t], thresholds: parameters[c.thresholdIndex], offset: t * n, positions: positions,
                              channels: n)
            guard t > 0 else { break }
            // z[t] = S_t ⊛ w[t − 1] + b: 1×1 convolution, its own weights per iteration.
            let weights = Array(parameters[c.inhibitionIndex][((t - 1) * n * n)..<(t * n * n)])
            dz.withUnsafeBufferPointer { d in
                w[t - 1].withUnsafeBufferPointer { x in
                    weights.withUnsafeBufferPointer { wt in
                        dw.withUnsafeMutableBufferPointer { dx in
                            gradients[c.inhibitionIndex].withUnsafeMutableBufferPointer { dS in
                                conv2dBackward(dInput: dx.baseAddress!, dWeight: dS.baseAddress! + (t - 1) * n * n,
                                               dBias: nil, dOutput: d.baseAddress!, input: x.baseAddress!,
                                               weight: wt.baseAddress!, batch: positions, inChannels: n, outChannels: n,
                                               height: 1, width: 1, kernel: 1, workspace: workspace)
                            }
                        }
                    }
                }
            }
        }
        // b = layer 1 / (L·s) · 255 per pixel, then layer 1 (9×9, 1 → n) itself.
        let reciprocal = normScale.map { T(c.pixelScale / c.lipschitz) / $0 }
        scaleRows(&db, by: reciprocal, rows: positions, channels: n)
        parameters[c.layerOneIndex].withUnsafeBufferPointer { wt in
            gradients[c.layerOneIndex].withUnsafeMutableBufferPointer { dwt in
                db.withUnsafeBufferPointer { d in
                    conv2dBackward(dInput: nil, dWeight: dwt.baseAddress!, dBias: nil, dOutput: d.baseAddress!,
                                   input: inputs, weight: wt.baseAddress!, batch: batch, inChannels: 1,
                                   outChannels: n, height: inputSize, width: inputSize,
                                   kernel: SparseCodingNetworkConfiguration.layerOneKernel, workspace: workspace)
                }
            }
        }
        return mse
    }

    private func convBackward(dInput: inout [T], dWeight index: Int, dOutput: [T], input: [T], weight: [T],
                              batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int) {
        gradients[index].withUnsafeMutableBufferPointer { dwt in
            dOutput.withUnsafeBufferPointer { d in
                input.withUnsafeBufferPointer { x in
                    weight.withUnsafeBufferPointer { wt in
                        dInput.withUnsafeMutableBufferPointer { dx in
                            conv2dBackward(dInput: dx.baseAddress!, dWeight: dwt.baseAddress!, dBias: nil,
                                           dOutput: d.baseAddress!, input: x.baseAddress!, weight: wt.baseAddress!,
                                           batch: batch, inChannels: inChannels, outChannels: outChannels,
                                           height: height, width: width, kernel: kernel, workspace: workspace)
                        }
                    }
                }
            }
        }
    }

    private func runForward(_ parameters: [[T]], _ x: UnsafePointer<T>, _ batch: Int, _ h: Int, _ wd: Int) {
        let c = configuration, n = c.atoms, k = c.iterations, p = c.patchSize
        precondition(parameters.map(\.count) == c.parameterCounts, "parameters do not match the network's tensors")
        let hf = h - 4, wf = wd - 4                         // feature maps (5×5 gradient filters, valid)
        let hc = h - SparseCodingNetworkConfiguration.layerOneShrink, wc = wd - SparseCodingNetworkConfiguration.layerOneShrink
        precondition(hc >= p && wc >= p, "a \(h)×\(wd) input leaves no output")
        let positions = batch * hc * wc, count = positions * n

        // Fixed side paths: s = max(1, ‖features‖) per patch, and the patches' means averaged.
        let features = conv(x, batch: batch, height: h, width: wd, channels: 1,
                            weights: ComposedFilters.gradientKernels().map { T($0) }, kernel: 5, outChannels: 4)
        var squares = [T](repeating: 0, count: batch * hf * wf)
        for i in squares.indices {
            var sum: T = 0
            for f in 0..<4 { sum += features[i * 4 + f] * features[i * 4 + f] }
            squares[i] = sum
        }
        let norms2 = boxSum(squares, batch: batch, height: hf, width: wf, side: p)   // [N, Hc, Wc]
        let pixel = T(c.pixelScale)
        normScale = norms2.map { max(1, pixel * $0.squareRoot()) }
        let sums = boxSum(Array(UnsafeBufferPointer(start: x, count: batch * h * wd)), batch: batch, height: h,
                          width: wd, side: p)                                          // [N, H − 4, W − 4]
        var means = [T](repeating: 0, count: positions)
        let area = T(p * p)
        for b in 0..<batch {
            for i in 0..<hc {
                for j in 0..<wc { means[(b * hc + i) * wc + j] = sums[(b * hf + i + 2) * wf + j + 2] / area }
            }
        }
        meanTerm = boxSum(means, batch: batch, height: hc, width: wc, side: p).map { $0 / area }

        // Layer 1 and the per-pixel normalisation: b = 255 · (W1 ⊛ x) / (L · s).
        var b = conv(x, batch: batch, height: h, width: wd, channels: 1, weights: parameters[c.layerOneIndex],
                     kernel: SparseCodingNetworkConfiguration.layerOneKernel, outChannels: n)
        scaleRows(&b, by: normScale.map { T(c.pixelScale / c.lipschitz) / $0 }, rows: positions, channels: n)
        // LISTA: w0 = soft(b, θ0); w_t = soft(S_t ⊛ w_{t−1} + b, θ_t).
        let thresholds = parameters[c.thresholdIndex]
        z = [b]
        w = [softThreshold(b, thresholds: thresholds, offset: 0, channels: n)]
        for t in 1..<k {
            let weights = Array(parameters[c.inhibitionIndex][((t - 1) * n * n)..<(t * n * n)])
            var zt = conv(w[t - 1], batch: positions, height: 1, width: 1, channels: n, weights: weights,
                          kernel: 1, outChannels: n)
            zt.withUnsafeMutableBufferPointer { z in
                b.withUnsafeBufferPointer { b in for i in 0..<count { z[i] += b[i] } }
            }
            w.append(softThreshold(zt, thresholds: thresholds, offset: t * n, channels: n))
            z.append(zt)
        }
        // Reconstruction: codes × s (undoing the normalisation), the HR atoms laid down (5×5, n → 1),
        // averaged over the 25 covering patches, plus the averaged patch means.
        codeScaled = w[k - 1]
        scaleRows(&codeScaled, by: normScale, rows: positions, channels: n)
        out = conv(codeScaled, batch: batch, height: hc, width: wc, channels: n,
                   weights: parameters[c.reconstructionIndex], kernel: p, outChannels: 1)
        let scale = T(c.outputScale)
        for i in out.indices { out[i] = out[i] * scale + meanTerm[i] }
    }

    private func softThreshold(_ z: [T], thresholds: [T], offset: Int, channels n: Int) -> [T] {
        var out = z
        out.withUnsafeMutableBufferPointer { o in
            thresholds.withUnsafeBufferPointer { thresholds in
                // Row pointers keep the inner loop free of overflow-checked index arithmetic, so it vectorises.
                let theta = thresholds.baseAddress! + offset
                for p in 0..<(z.count / n) {
                    let row = o.baseAddress! + p &* n
                    for j in 0..<n { row[j] = soft(row[j], theta[j]) }
                }
            }
        }
        return out
    }

    /// Soft threshold's backward: dz = dw where |z| > θ (else 0), db += dz, and dθ −= sign(z)·dw
    /// summed per channel. Reads `dw`, writes `dz`, accumulates `db` and the threshold gradients.
    private func thresholdBackward(z: [T], thresholds: [T], offset: Int, positions: Int, channels n: Int) {
        let index = configuration.thresholdIndex
        var dTheta = [T](repeating: 0, count: n)
        z.withUnsafeBufferPointer { z in
            thresholds.withUnsafeBufferPointer { theta in
                dw.withUnsafeBufferPointer { dw in
                    dz.withUnsafeMutableBufferPointer { dz in
                        db.withUnsafeMutableBufferPointer { db in
                            dTheta.withUnsafeMutableBufferPointer { dTheta in
                                let t = theta.baseAddress! + offset, dt = dTheta.baseAddress!
                                for p in 0..<positions {
                                    let at = p &* n
                                    let zr = z.baseAddress! + at, gr = dw.baseAddress! + at
                                    let dzr = dz.baseAddress! + at, dbr = db.baseAddress! + at
                                    for j in 0..<n {
                                        let zi = zr[j], g = gr[j], tj = t[j]
                                        let above = max(zi, -tj) > tj, below = zi < -tj
                                        let d: T = above ? g : (below ? g : 0)
                                        dt[j] += above ? -g : (below ? g : 0)
                                        dzr[j] = d
                                        dbr[j] += d
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for j in 0..<n { gradients[index][offset + j] += dTheta[j] }
    }

    private func conv(_ input: UnsafePointer<T>, batch: Int, height: Int, width: Int, channels: Int, weights: [T],
                      kernel: Int, outChannels: Int) -> [T] {
        var result = [T](repeating: 0, count: batch * (height - kernel + 1) * (width - kernel + 1) * outChannels)
        result.withUnsafeMutableBufferPointer { o in
            weights.withUnsafeBufferPointer { wt in
                conv2dForward(output: o.baseAddress!, input: input, weight: wt.baseAddress!, bias: nil, batch: batch,
                              inChannels: channels, outChannels: outChannels, height: height, width: width,
                              kernel: kernel, workspace: workspace)
            }
        }
        return result
    }

    private func conv(_ input: [T], batch: Int, height: Int, width: Int, channels: Int, weights: [T],
                      kernel: Int, outChannels: Int) -> [T] {
        input.withUnsafeBufferPointer {
            conv($0.baseAddress!, batch: batch, height: height, width: width, channels: channels, weights: weights,
                 kernel: kernel, outChannels: outChannels)
        }
    }
}

/// The soft threshold z − clamp(z, −θ, θ): ISTA's (SparseCoding's `ISTA.softThreshold`) for θ ≥ 0,
/// written with min/max so the loops vectorise; a learned θ < 0 passes z − θ (the clamp's bounds
/// cross), and `thresholdBackward` differentiates this same expression.
@inline(__always) func soft<T: FloatingPoint>(_ z: T, _ theta: T) -> T {
    z - min(max(z, -theta), theta)
}

/// x[p, c] *= scale[p] over `rows` pixels of `channels` values.
func scaleRows<T: BinaryFloatingPoint>(_ x: inout [T], by scale: [T], rows: Int, channels: Int) {
    x.withUnsafeMutableBufferPointer { x in
        scale.withUnsafeBufferPointer { s in
            for p in 0..<rows {
                let f = s[p], row = x.baseAddress! + p &* channels
                for j in 0..<channels { row[j] *= f }
            }
        }
    }
}

/// Valid side × side box sums of N single-channel H × W maps (separable, rows then columns).
func boxSum<T: BinaryFloatingPoint>(_ x: [T], batch: Int, height h: Int, width w: Int, side k: Int) -> [T] {
    let ho = h - k + 1, wo = w - k + 1
    var rows = [T](repeating: 0, count: batch * h * wo)
    for r in 0..<(batch * h) {
        for j in 0..<wo {
            var s: T = 0
            for d in 0..<k { s += x[r * w + j + d] }
            rows[r * wo + j] = s
        }
    }
    var out = [T](repeating: 0, count: batch * ho * wo)
    for b in 0..<batch {
        for i in 0..<ho {
            for j in 0..<wo {
                var s: T = 0
                for d in 0..<k { s += rows[(b * h + i + d) * wo + j] }
                out[(b * ho + i) * wo + j] = s
            }
        }
    }
    return out
}

/// The trainer runs the network in Float.
extension SparseCodingNetworkBackprop: BatchBackprop where T == Float {
    public static func withLoopThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try ConvNetThreads.with(threads, body)
    }
}
