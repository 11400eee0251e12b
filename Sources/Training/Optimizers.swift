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
        precondition(gradients.count == parameters.count && state.count == 2
                     && state.allSatisfy { $0.count == parameters.count }, "Adam: mismatched sizes")
        // Eight lanes at a time, each lane the scalar arithmetic below (no fused multiply-adds in
        // Swift), so the same bits; the nested arrays' per-element access cost ESPCN's step 0.13 ms.
        typealias V = SIMD8<Float>
        let (b1, b2, rest1, rest2) = (V(repeating: beta1), V(repeating: beta2), V(repeating: 1 - beta1), V(repeating: 1 - beta2))
        let (size, eps) = (V(repeating: stepSize), V(repeating: epsilonHat))
        let count = parameters.count, vectorEnd = count - count % V.scalarCount
        // The moments taken out of `state` (a move, not a copy) so both can be written at once.
        var firstMoments: [Float] = [], secondMoments: [Float] = []
        swap(&firstMoments, &state[0])
        swap(&secondMoments, &state[1])
        defer { swap(&firstMoments, &state[0]); swap(&secondMoments, &state[1]) }
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                firstMoments.withUnsafeMutableBufferPointer { ms in
                    secondMoments.withUnsafeMutableBufferPointer { vs in
                        func load(_ b: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(b + i).loadUnaligned(as: V.self) }
                        func store(_ x: V, _ b: UnsafeMutablePointer<Float>, _ i: Int) {
                            UnsafeMutableRawPointer(b + i).storeBytes(of: x, as: V.self)
                        }
                        var i = 0
                        while i < vectorEnd {
                            let gi = load(g.baseAddress!, i)
                            let m = b1 * load(ms.baseAddress!, i) + rest1 * gi
                            let v = b2 * load(vs.baseAddress!, i) + rest2 * gi * gi
                            store(m, ms.baseAddress!, i)
                            store(v, vs.baseAddress!, i)
                            store(load(p.baseAddress!, i) - size * m / (v.squareRoot() + eps), p.baseAddress!, i)
                            i += V.scalarCount
                        }
                        while i < count {
                            let gi = g[i]
                            let m = beta1 * ms[i] + (1 - beta1) * gi
                            let v = beta2 * vs[i] + (1 - beta2) * gi * gi
                            ms[i] = m
                            vs[i] = v
                            p[i] -= stepSize * m / (v.squareRoot() + epsilonHat)
                            i += 1
                        }
                    }
                }
            }
        }
    }
}

private func _pow(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 { if e & 1 == 1 { result *= base }; base *= base; e >>= 1 }
    return result
}
