import ConvKernels
import Foundation

// tanh, ESPCN's activation, over flat buffers (shape does not matter to an elementwise function).
// The backward pass works from the OUTPUT: d tanh(x)/dx = 1 − tanh(x)², so only y is kept.

/// y = tanh(x). `output` may be `input` (in place). Float goes through `tanhVector` (within 5 ulp
/// of libm's), as inference does: a libm call per value made ESPCN's training step mostly tanh.
/// `wideVectors` (training steps): the same arithmetic, so the same bits, by ConvKernels' AVX-512
/// or AVX2 `srlab_tanh` (2–3× faster than the SSE build of `tanhVector`); inference keeps the Swift loop.
public func tanhForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int,
                                                wideVectors: Bool = false) {
    ConvNetThreads.forEachRange(count, costPerItem: 2) { part in
        if T.self == Float.self {
            let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self) + part.lowerBound
            let y = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self) + part.lowerBound
            let done = wideVectors ? srlab_tanh(srlab_vector_level(), y, x, part.count) : 0
            tanhForwardVectorized(output: y + done, input: x + done, count: part.count - done)
        } else {
            for i in part { output[i] = T(Foundation.tanh(Double(input[i]))) }
        }
    }
}

/// dx = dy · (1 − y²) from the tanh's output y. `dInput` may be `dOutput`; it is overwritten.
public func tanhBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                 output: UnsafePointer<T>, count: Int) {
    ConvNetThreads.forEachRange(count, costPerItem: 2) { part in
        var i = part.lowerBound
        if T.self == Float.self {
            // Four at a time, the same arithmetic.
            let dx = UnsafeMutableRawPointer(dInput).assumingMemoryBound(to: Float.self)
            let dy = UnsafeRawPointer(dOutput).assumingMemoryBound(to: Float.self)
            let y = UnsafeRawPointer(output).assumingMemoryBound(to: Float.self)
            i += srlab_tanh_backward(srlab_vector_level(), dx + i, dy + i, y + i, part.count)   // the same arithmetic, wider
            let one = Vector(repeating: 1)
            while i + Vector.scalarCount <= part.upperBound {
                let v = loadVector(y + i)
                storeVector(loadVector(dy + i) * (one - v * v), dx + i)
                i += Vector.scalarCount
            }
        }
        while i < part.upperBound { dInput[i] = dOutput[i] * (1 - output[i] * output[i]); i += 1 }
    }
}

/// The definition in Double, element by element.
public func tanhForwardNaive<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int) {
    for i in 0..<count { output[i] = T(Foundation.tanh(Double(input[i]))) }
}

/// The gradient by its definition, from the input: dx = dy / cosh²(x).
public func tanhBackwardNaive<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                      input: UnsafePointer<T>, count: Int) {
    for i in 0..<count {
        let c = Foundation.cosh(Double(input[i]))
        dInput[i] = T(Double(dOutput[i]) / (c * c))
    }
}

// MARK: - Vectorised, for inference

/// tanh over 16 floats at once: Eigen's rational approximation (`generic_fast_tanh_float`),
/// x·P(x²)/Q(x²) with P of degree 6 and Q of degree 3 in x², |x| clamped at 7.905 — no exp, no
/// branch, one division. Within 5 ulp of `Foundation.tanh` (the worst just past the clamp, 3·10⁻⁷
/// from ±1; VectorizedTanhTests checks it); streaming inference used it (now ConvKernels' twin,
/// the same form with FMA in AVX2/AVX-512 vectors, where the CPU has them) because a libm call per
/// activation (~20 ns) cost ESPCN more than its GEMMs (Cephes' exp-based tanhf in SIMD: 2.6 ns per
/// value on SSE; this: 1.0). Sixteen lanes rather than eight: the Horner chains are long, and
/// compiled for SSE the four independent 4-lane chains overlap where two left the FPU waiting
/// (0.64 ns per value against 0.78 in a loop; each lane's arithmetic, so its result, is the same).
@inline(__always)
func tanhVector(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    let clamp: Float = 7.90531110763549805
    var y = x.replacing(with: clamp, where: x .> clamp)
    y = y.replacing(with: -clamp, where: y .< -clamp)
    let z = y * y
    var p = V(repeating: -2.76076847742355e-16)
    p = p * z + 2.00018790482477e-13
    p = p * z - 8.60467152213735e-11
    p = p * z + 5.12229709037114e-08
    p = p * z + 1.48572235717979e-05
    p = p * z + 6.37261928875436e-04
    p = p * z + 4.89352455891786e-03
    var q = V(repeating: 1.19825839466702e-06)
    q = q * z + 1.18534705686654e-04
    q = q * z + 2.26843463243900e-03
    q = q * z + 4.89352518554385e-03
    return p * y / q
}

/// y = tanh(x) over `count` floats by `tanhVector` (`output` may be `input`).
func tanhForwardVectorized(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(output + i).storeBytes(of: tanhVector(x), as: SIMD16<Float>.self)
        i += 16
    }
    if i < count {
        var x = SIMD16<Float>()
        for j in i..<count { x[j - i] = input[j] }
        let y = tanhVector(x)
        for j in i..<count { output[j] = y[j - i] }
    }
}

/// dst[p, c] = tanh(src[p, c] + bias[c]) over `pixels` pixels of `channels` (a multiple of 8):
/// the bias and the activation in one pass over the values, as `tanhForwardVectorized` of the sums.
func biasTanhCopyFloat(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, pixels: Int, channels: Int,
                       bias: UnsafePointer<Float>) {
    precondition(channels % 8 == 0, "biasTanhCopyFloat needs a multiple of 8 channels, got \(channels)")
    if channels % 16 == 0 {
        for p in 0..<pixels {
            let base = p * channels
            var g = 0
            while g < channels {
                let x = UnsafeRawPointer(src + base + g).loadUnaligned(as: SIMD16<Float>.self)
                    + UnsafeRawPointer(bias + g).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(dst + base + g).storeBytes(of: tanhVector(x), as: SIMD16<Float>.self)
                g += 16
            }
        }
        return
    }
    // Two pixels' 8-channel groups at a time (`channels` is a multiple of 8, not of 16).
    let count = pixels * channels
    var i = 0
    while i + 16 <= count {
        let b0 = i % channels, b1 = (i + 8) % channels
        let x = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
            + SIMD16(lowHalf: UnsafeRawPointer(bias + b0).loadUnaligned(as: SIMD8<Float>.self),
                     highHalf: UnsafeRawPointer(bias + b1).loadUnaligned(as: SIMD8<Float>.self))
        UnsafeMutableRawPointer(dst + i).storeBytes(of: tanhVector(x), as: SIMD16<Float>.self)
        i += 16
    }
    if i < count {
        let x = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(bias + i % channels).loadUnaligned(as: SIMD8<Float>.self)
        let y = tanhVector(SIMD16(lowHalf: x, highHalf: x)).lowHalf
        UnsafeMutableRawPointer(dst + i).storeBytes(of: y, as: SIMD8<Float>.self)
    }
}
