import Foundation

// tanh, ESPCN's activation, over flat buffers (shape does not matter to an elementwise function).
// The backward pass works from the OUTPUT: d tanh(x)/dx = 1 − tanh(x)², so only y is kept.

/// y = tanh(x). `output` may be `input` (in place).
public func tanhForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int) {
    ConvNetThreads.forEachRange(count, costPerItem: 8) { part in
        if T.self == Float.self {
            let x = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
            let y = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
            for i in part { y[i] = Foundation.tanh(x[i]) }
        } else {
            for i in part { output[i] = T(Foundation.tanh(Double(input[i]))) }
        }
    }
}

/// dx = dy · (1 − y²) from the tanh's output y. `dInput` may be `dOutput`; it is overwritten.
public func tanhBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                 output: UnsafePointer<T>, count: Int) {
    ConvNetThreads.forEachRange(count, costPerItem: 2) { part in
        for i in part { dInput[i] = dOutput[i] * (1 - output[i] * output[i]) }
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

/// tanh over 8 floats at once, Cephes' tanhf (S. L. Moshier) in SIMD: x + x³·P(x²) below
/// |x| = 0.625, else 1 − 2/(e^{2|x|} + 1) with Cephes' expf, |x| clamped at 10 (beyond ~9.1 the
/// float result is ±1). Within a few ulp of `Foundation.tanh` (StreamingInferenceTests checks it);
/// streaming inference uses it because a libm call per activation cost ESPCN more than its GEMMs.
@inline(__always)
func tanhVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let a = x.replacing(with: -x, where: x .< 0)
    let z = x * x
    var p = V(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    let small = p * z * x + x
    let e = expVector(2 * pointwiseMin(a, V(repeating: 10)))
    let large = 1 - 2 / (e + 1)
    let signed = large.replacing(with: -large, where: x .< 0)
    return small.replacing(with: signed, where: a .>= 0.625)
}

/// e^x for 0 ≤ x ≤ 18 (Cephes' expf): x = n·ln 2 + r, |r| ≤ ln 2 / 2, e^r by its degree-7
/// polynomial, 2^n put in the exponent bits. n is rounded by adding 1.5·2^23, which leaves it in
/// the low mantissa bits (plain SSE2: no rounding instruction needed).
@inline(__always)
func expVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let magic = V(repeating: 12_582_912)   // 1.5·2^23
    let shifted = x * 1.44269504088896341 + magic
    let n = shifted - magic
    var r = x - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = V(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * (r * r) + r + 1
    // bits(shifted) = 0x4B40_0000 + n; 2^n has exponent field n + 127.
    let exponent = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return er * unsafeBitCast(exponent, to: V.self)
}

/// y = tanh(x) over `count` floats by `tanhVector` (`output` may be `input`).
func tanhForwardVectorized(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(output + i).storeBytes(of: tanhVector(x), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var x = SIMD8<Float>()
        for j in i..<count { x[j - i] = input[j] }
        let y = tanhVector(x)
        for j in i..<count { output[j] = y[j - i] }
    }
}
