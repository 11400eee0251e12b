/// Optimisers differ only in one per-parameter update; the trainer keeps `stateCount` buffers
/// per parameter tensor for them and saves those buffers in checkpoints.
public protocol Optimizer: Sendable {
    /// Buffers of optimiser state per parameter element (momentum, moments, …).
    var stateCount: Int { get }
    /// Updates `count` parameters in place from their gradients. `step` counts updates from 1.
    func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                state: [UnsafeMutablePointer<Float>], count: Int, learningRate: Float, step: Int)
}

/// SGD with momentum as Caffe runs it for SRCNN: v ← μ·v − η·g; w ← w + v.
public struct SGDMomentum: Optimizer {
    public var momentum: Float
    public init(momentum: Float = 0.9) { self.momentum = momentum }
    public var stateCount: Int { 1 }

    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                       state: [UnsafeMutablePointer<Float>], count: Int, learningRate: Float, step: Int) {
        let velocity = state[0]
        for i in 0..<count {
            velocity[i] = momentum * velocity[i] - learningRate * gradients[i]
            parameters[i] += velocity[i]
        }
    }
}

/// Adam (Kingma & Ba 2015) with bias correction.
public struct Adam: Optimizer {
    public var beta1: Float, beta2: Float, epsilon: Float
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }
    public var stateCount: Int { 2 }

    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                       state: [UnsafeMutablePointer<Float>], count: Int, learningRate: Float, step: Int) {
        let m = state[0], v = state[1]
        // Bias corrections folded into the step size, in Double so late steps stay exact.
        let correction1 = 1 - _pow(Double(beta1), step), correction2 = 1 - _pow(Double(beta2), step)
        let stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
        let epsilonHat = Float(Double(epsilon) * correction2.squareRoot())
        for i in 0..<count {
            let g = gradients[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            parameters[i] -= stepSize * m[i] / (v[i].squareRoot() + epsilonHat)
        }
    }
}

private func _pow(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 { if e & 1 == 1 { result *= base }; base *= base; e >>= 1 }
    return result
}
