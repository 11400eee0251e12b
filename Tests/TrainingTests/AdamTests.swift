import Testing
import Training

/// Adam's vectorised update gives the bits of its definition, element by element (Kingma & Ba,
/// the bias corrections folded into the step size as `Adam.update` documents), on a length that
/// leaves a scalar tail.
@Suite struct AdamTests {
    @Test func theUpdateIsTheDefinitionsBits() {
        let count = 8 * 5 + 3
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 1000 + 1) / 1000 * (seed >> 63 == 0 ? 1 : -1)
        }
        let adam = Adam(), learningRate: Float = 1e-3
        // Parameters from zero, so that each update's last bits show in them.
        var parameters = [Float](repeating: 0, count: count), state: [[Float]] = [[Float](repeating: 0, count: count),
                                                                               [Float](repeating: 0, count: count)]
        var expected = parameters, m = state[0], v = state[1]
        for step in 1...4 {
            let gradients = (0..<count).map { _ in next() * 0.1 }
            adam.update(parameters: &parameters, gradients: gradients, state: &state, learningRate: learningRate, step: step)
            let correction1 = 1 - Double(adam.beta1).power(step), correction2 = 1 - Double(adam.beta2).power(step)
            let stepSize = Float(Double(learningRate) * correction2.squareRoot() / correction1)
            let epsilonHat = Float(Double(adam.epsilon) * correction2.squareRoot())
            for i in 0..<count {
                let g = gradients[i]
                m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * g
                v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * g * g
                expected[i] -= stepSize * m[i] / (v[i].squareRoot() + epsilonHat)
            }
            #expect(parameters.map(\.bitPattern) == expected.map(\.bitPattern), "step \(step): parameters")
            #expect(state[0].map(\.bitPattern) == m.map(\.bitPattern) && state[1].map(\.bitPattern) == v.map(\.bitPattern),
                    "step \(step): moments")
        }
        #expect(parameters.allSatisfy { $0 != 0 })
    }
}

private extension Double {
    /// x^n by repeated squaring, as Adam's bias corrections compute it.
    func power(_ n: Int) -> Double {
        var result = 1.0, base = self, e = n
        while e > 0 { if e & 1 == 1 { result *= base }; base *= base; e >>= 1 }
        return result
    }
}
