/// Optimisers differ only in one per-parameter update; the trainer keeps `stateCount` buffers
/// per parameter tensor for them and saves those buffers in checkpoints.
public protocol Optimizer: Sendable {
    /// Buffers of optimiser state per parameter element (momentum, moments, …).
    var stateCount: Int { get }
    /// Updates one tensor's parameters in place from their gradients; `state[slot]` has one
    /// element per parameter. `step` counts updates from 1.
    func update(parameters: inout [Float], gradients: [Float], state: inout [[Float]],
                learningRate: Float, step: Int)
}

/// SGD with momentum as Caffe runs it for SRCNN: v ← μ·v − η·g; w ← w + v.
public struct SGDMomentum: Optimizer {
    public var momentum: Float
    public init(momentum: Float = 0.9) { self.momentum = momentum }
    public var stateCount: Int { 1 }

    public func update(parameters: inout [Float], gradients: [Float], state: inout [[Float]],
                       learningRate: Float, step: Int) {
        for i in parameters.indices {
            state[0][i] = momentum * state[0][i] - learningRate * gradients[i]
            parameters[i] += state[0][i]
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

    public func update(parameters: inout [Float], gradients: [Float], state: inout [[Float]],
                       learningRate: Float, step: Int) {
        // Bias corrections folded into the step size, in Double so late steps stay exact.
        let correction1 = 1 - _pow(Double(beta1), step), correction2 = 1 - _pow(Double(beta2), step)
        let stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
        let epsilonHat = Float(Double(epsilon) * correction2.squareRoot())
        for i in parameters.indices {
            let g = gradients[i]
            let m = beta1 * state[0][i] + (1 - beta1) * g
            let v = beta2 * state[1][i] + (1 - beta2) * g * g
            state[0][i] = m
            state[1][i] = v
            parameters[i] -= stepSize * m / (v.squareRoot() + epsilonHat)
        }
    }
}

private func _pow(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 { if e & 1 == 1 { result *= base }; base *= base; e >>= 1 }
    return result
}
