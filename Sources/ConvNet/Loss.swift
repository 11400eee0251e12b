// Squared-error losses over flat buffers (prediction and target have `count` elements).

/// Mean squared error, Σ (p − t)² / count, accumulated in Double.
public func mseForward<T: BinaryFloatingPoint>(prediction: UnsafePointer<T>, target: UnsafePointer<T>, count: Int) -> Double {
    var sum = 0.0
    for i in 0..<count {
        let d = Double(prediction[i]) - Double(target[i])
        sum += d * d
    }
    return sum / Double(count)
}

/// dPrediction = scale · (p − t): the gradient of (scale/2)·Σ (p − t)². With scale = 2/count it is
/// the gradient of the MSE; with scale = 1/batch it is Caffe's EuclideanLoss, Σ (p − t)² / (2·batch),
/// the loss the SRCNN paper's learning rates were tuned for. Overwrites `dPrediction`.
public func squaredErrorBackward<T: BinaryFloatingPoint>(dPrediction: UnsafeMutablePointer<T>, prediction: UnsafePointer<T>,
                                                         target: UnsafePointer<T>, count: Int, scale: T) {
    for i in 0..<count { dPrediction[i] = scale * (prediction[i] - target[i]) }
}
