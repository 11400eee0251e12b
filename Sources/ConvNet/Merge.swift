// The merge of the networks with skips and branches (`LayerSpec.residual`, `.parallel`): a
// weighted sum of activations of one shape, y = w · Σᵢ xᵢ, over flat buffers. w = 1 is a residual
// block's output plus its input (Keras's Add); w = 1/n the mean of n branches (Keras's Average).
// Every input's gradient is w · dy. An activation that feeds more than one layer (a skip's source)
// receives gradients from each, so the backward pass can accumulate instead of overwrite.

/// y = weight · Σ inputs, element by element. `output` must not be one of the inputs.
public func weightedSumForward<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, inputs: [UnsafePointer<T>],
                                                       weight: T, count: Int) {
    precondition(!inputs.isEmpty, "a sum needs at least one input")
    ConvNetThreads.forEachRange(count, costPerItem: inputs.count) { part in
        // One pass per input over the range, not a loop over the inputs per element.
        let first = inputs[0]
        for i in part { output[i] = first[i] }
        for x in inputs.dropFirst() {
            for i in part { output[i] += x[i] }
        }
        if weight != 1 {
            for i in part { output[i] *= weight }
        }
    }
}

/// dx = weight · dy for one input; added to `dInput` when `accumulate`, else written over it.
/// `dInput` may be `dOutput` when not accumulating.
public func weightedSumBackward<T: BinaryFloatingPoint>(dInput: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                                                        weight: T, count: Int, accumulate: Bool) {
    ConvNetThreads.forEachRange(count) { part in
        if accumulate {
            for i in part { dInput[i] += weight * dOutput[i] }
        } else {
            for i in part { dInput[i] = weight * dOutput[i] }
        }
    }
}

/// The definition, one input at a time, in Double.
public func weightedSumForwardNaive<T: BinaryFloatingPoint>(output: UnsafeMutablePointer<T>, inputs: [UnsafePointer<T>],
                                                            weight: T, count: Int) {
    for i in 0..<count {
        var sum = 0.0
        for x in inputs { sum += Double(x[i]) }
        output[i] = T(Double(weight) * sum)
    }
}

/// Each input's gradient by the definition: ∂(w · Σ xⱼ)/∂xᵢ = w.
public func weightedSumBackwardNaive<T: BinaryFloatingPoint>(dInputs: [UnsafeMutablePointer<T>], dOutput: UnsafePointer<T>,
                                                             weight: T, count: Int) {
    for dx in dInputs { for i in 0..<count { dx[i] = T(Double(weight) * Double(dOutput[i])) } }
}
