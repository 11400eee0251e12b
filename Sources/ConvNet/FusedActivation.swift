import ConvKernels
import Foundation

// A training step's activations folded into the convolutions beside them. Unfused, a tanh or ReLU
// layer is a pass of its own over a whole shard's activation (ESPCN: 64 maps of 64 × 11² pixels,
// 2 MB, out of the L2 cache), forward and again backward. Fused, the convolution applies the
// activation to each block of rows as it finishes them (Winograd: a row of tiles; the single-channel
// first layer: an image), and the next convolution's backward multiplies each image's input gradient
// by the derivative as soon as its tiles are summed, both while the block is in L1/L2. The arithmetic
// is `tanhForward` / `tanhBackward` / `reluForward` / `reluBackward`'s, element by element, so the
// bits are the same fused or not (FusedActivationTests).

/// The activation a convolution applies to its output (forward), or whose derivative it applies to
/// its input gradient (backward: the convolution's input is that activation's output).
public enum FusedActivation: Sendable {
    case none, relu, tanh

    /// In place over `count` values, on the calling thread: tanh by ConvKernels' wide vectors, as
    /// `tanhForward(wideVectors: true)`.
    func apply<T: BinaryFloatingPoint>(_ values: UnsafeMutablePointer<T>, count: Int) {
        switch self {
        case .none:
            return
        case .relu:
            if T.self == Float.self {
                reluInPlaceFloat(UnsafeMutableRawPointer(values).assumingMemoryBound(to: Float.self), count: count)
            } else {
                for i in 0..<count { values[i] = values[i] > 0 ? values[i] : 0 }
            }
        case .tanh:
            if T.self == Float.self {
                let y = UnsafeMutableRawPointer(values).assumingMemoryBound(to: Float.self)
                let done = srlab_tanh(srlab_vector_level(), y, y, count)
                tanhForwardVectorized(output: y + done, input: y + done, count: count - done)
            } else {
                for i in 0..<count { values[i] = T(Foundation.tanh(Double(values[i]))) }
            }
        }
    }

    /// dx ← dx · f′ in place over `count` values, f′ from the activation's output `output`, on the
    /// calling thread.
    func applyDerivative<T: BinaryFloatingPoint>(_ dx: UnsafeMutablePointer<T>, output: UnsafePointer<T>, count: Int) {
        switch self {
        case .none:
            return
        case .relu:
            if T.self == Float.self {
                let g = UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self)
                reluBackwardFloat(g, g, UnsafeRawPointer(output).assumingMemoryBound(to: Float.self), count: count)
            } else {
                for i in 0..<count { dx[i] = output[i] > 0 ? dx[i] : 0 }
            }
        case .tanh:
            var i = 0
            if T.self == Float.self {
                let g = UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self)
                i = srlab_tanh_backward(srlab_vector_level(), g, g, UnsafeRawPointer(output).assumingMemoryBound(to: Float.self),
                                        count)
            }
            // The rest as `tanhBackward` does it (the same arithmetic).
            while i < count { dx[i] = dx[i] * (1 - output[i] * output[i]); i += 1 }
        }
    }

    /// The whole-buffer forms, threaded, for the paths that cannot apply it block by block.
    func applyEverywhere<T: BinaryFloatingPoint>(_ values: UnsafeMutablePointer<T>, count: Int) {
        switch self {
        case .none: return
        case .relu: reluForward(output: values, input: values, count: count)
        case .tanh: tanhForward(output: values, input: values, count: count, wideVectors: true)
        }
    }

    func applyDerivativeEverywhere<T: BinaryFloatingPoint>(_ dx: UnsafeMutablePointer<T>, output: UnsafePointer<T>,
                                                          count: Int) {
        switch self {
        case .none: return
        case .relu: reluBackward(dInput: dx, dOutput: dx, output: output, count: count)
        case .tanh: tanhBackward(dInput: dx, dOutput: dx, output: output, count: count)
        }
    }
}

/// `reluForward`'s x > 0 ? x : 0 in place (so −0 and NaN give +0, as there), four at a time: a
/// concrete Float loop, as the generic one, called from the generic layers, ran unspecialised.
private func reluInPlaceFloat(_ values: UnsafeMutablePointer<Float>, count: Int) {
    let zero = Vector()
    var i = 0
    while i + Vector.scalarCount <= count {
        let v = loadVector(values + i)
        storeVector(zero.replacing(with: v, where: v .> zero), values + i)
        i += Vector.scalarCount
    }
    while i < count { values[i] = values[i] > 0 ? values[i] : 0; i += 1 }
}
