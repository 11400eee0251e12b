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
