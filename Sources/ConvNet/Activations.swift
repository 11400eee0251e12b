// ReLU over flat buffers; shapes do not matter to an elementwise function.

/// y = max(0, x). `output` may be `input` (in place).
public func reluForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, count: Int) {
    for i in 0..<count { output[i] = input[i] > 0 ? input[i] : 0 }
}

/// dx = dy where the ReLU passed its input (output > 0), else 0. Works from the ReLU's OUTPUT, which
/// is what the forward pass keeps when bias and ReLU are fused into the convolution. `dInput` may
/// be `dOutput` (in place); it is overwritten, not accumulated, because a ReLU's input gradient
/// has no other source in a plain chain.
public func reluBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                 output: UnsafePointer<T>, count: Int) {
    ConvNetThreads.forEachRange(count) { part in
        if T.self == Float.self {
            func f(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
            reluBackwardFloat(UnsafeMutableRawPointer(dInput + part.lowerBound).assumingMemoryBound(to: Float.self),
                              f(dOutput + part.lowerBound), f(output + part.lowerBound), count: part.count)
            return
        }
        for i in part { dInput[i] = output[i] > 0 ? dOutput[i] : 0 }
    }
}
