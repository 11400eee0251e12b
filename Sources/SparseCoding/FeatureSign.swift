import LinearAlgebra

/// Feature-sign search (Lee, Battle, Raina, Ng, "Efficient sparse coding algorithms", NIPS 2007),
/// following the release's `L1QP_FeatureSign_yang` step for step: activate the zero coefficient with
/// the steepest gradient, solve the unconstrained QP on the active set with the signs fixed, and
/// line-search the segment to it at every sign change. It is the exact reference the fast solver
/// is checked against; it is not built for speed.
public struct FeatureSign: SparseSolver {
    /// The release's EPS: a zero coefficient may enter only if its gradient exceeds λ by this much.
    public var gradientTolerance: Double

    public init(gradientTolerance: Double = 1e-9) {
        self.gradientTolerance = gradientTolerance
    }

    public var name: String { "feature-sign" }

    public func encode(_ signals: Matrix<Double>, dictionary: CodingDictionary, lambda: Double) -> SparseCodes {
        let tolerance = gradientTolerance
        return encodeInChunks(signals, dictionary: dictionary) {
            FeatureSignCoder(gram: dictionary.gram, lambda: lambda, tolerance: tolerance)
        }
    }
}

final class FeatureSignCoder: SignalCoder {
    let gram: [Double]
    let k: Int
    let lambda: Double
    let tolerance: Double
    var x: [Double]
    var gradient: [Double]

    init(gram: Matrix<Double>, lambda: Double, tolerance: Double) {
        self.gram = gram.elements
        k = gram.rows
        self.lambda = lambda
        self.tolerance = tolerance
        x = [Double](repeating: 0, count: k)
        gradient = [Double](repeating: 0, count: k)
    }

    /// ½zᵀA z + bᵀz + λ‖z‖₁ over the active atoms `active`, with b = −c.
    private func objective(_ z: [Double], active: [Int], c: UnsafePointer<Double>) -> Double {
        var value = 0.0
        for p in active.indices where z[p] != 0 {
            var az = 0.0
            for q in active.indices where z[q] != 0 { az += gram[active[p] * k + active[q]] * z[q] }
            value += z[p] * (0.5 * az - c[active[p]]) + lambda * abs(z[p])
        }
        return value
    }

    func code(correlations c: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double]) {
        for i in 0..<k { x[i] = 0; gradient[i] = -c[i] }
        var outer = 0
        while outer < 10 * k {
            outer += 1
            var best = -1, largest = 0.0
            for i in 0..<k where x[i] == 0 && abs(gradient[i]) > largest {
                largest = abs(gradient[i]); best = i
            }
            if best >= 0 && gradient[best] > lambda + tolerance {
                x[best] = (lambda - gradient[best]) / gram[best * k + best]
            } else if best >= 0 && gradient[best] < -lambda - tolerance {
                x[best] = (-lambda - gradient[best]) / gram[best * k + best]
            } else if !x.contains(where: { $0 != 0 }) {
                break
            }
            optimiseActiveSet(c)
            for i in 0..<k { gradient[i] = -c[i] }
            for j in 0..<k where x[j] != 0 {
                let column = j * k, xj = x[j]
                for i in 0..<k { gradient[i] += gram[column + i] * xj }
            }
            var worst = 0.0
            for i in 0..<k where x[i] == 0 { worst = max(worst, abs(gradient[i])) }
            if worst <= lambda + tolerance { break }
        }
        for i in 0..<k where x[i] != 0 {
            indices.append(Int32(i))
            values.append(x[i])
        }
    }

    /// The inner loop: QP with fixed signs, then the discrete line search over sign changes.
    private func optimiseActiveSet(_ c: UnsafePointer<Double>) {
        var inner = 0
        while inner < 10 * k {
            inner += 1
            let active = (0..<k).filter { x[$0] != 0 }
            let n = active.count
            let current = active.map { x[$0] }
            var factor = [Double](repeating: 0, count: n * n)
            for p in 0..<n { for q in 0..<n { factor[p * n + q] = gram[active[p] * k + active[q]] } }
            // vect = −λ·sign(x_a) − b_a, with b = −c
            var proposed = active.indices.map { p in -lambda * (current[p] > 0 ? 1 : -1) + c[active[p]] }
            // A singular active set (more atoms than the signal dimension spans) has no unique QP
            // minimum; MATLAB's backslash then returns a huge solution along the null space. A tiny
            // ridge does the same deliberately, and the line search below stops at the first
            // zero crossing, which lowers the objective and drops an atom.
            var ridge = 0.0
            var solved = false
            let original = factor, rhs = proposed
            while !solved && ridge < 1 {
                factor = original; proposed = rhs
                for p in 0..<n { factor[p * n + p] += ridge }
                solved = factor.withUnsafeMutableBufferPointer { f in
                    proposed.withUnsafeMutableBufferPointer { v in
                        guard SmallCholesky.factor(f.baseAddress!, n: n, ld: n) else { return false }
                        SmallCholesky.solve(f.baseAddress!, n: n, ld: n, v.baseAddress!)
                        return true
                    }
                }
                ridge = ridge == 0 ? 1e-9 : ridge * 10
            }
            if !solved { return }
            let signChanges = (0..<n).filter { current[$0] * proposed[$0] <= 0 }
            if signChanges.isEmpty {
                for p in 0..<n { x[active[p]] = proposed[p] }
                return
            }
            var bestPoint = proposed
            var bestValue = objective(proposed, active: active, c: c)
            let step = (0..<n).map { proposed[$0] - current[$0] }
            for zero in signChanges {
                let fraction = current[zero] / step[zero]
                var point = (0..<n).map { current[$0] - step[$0] * fraction }
                point[zero] = 0
                let value = objective(point, active: active, c: c)
                if value < bestValue { bestValue = value; bestPoint = point }
            }
            for p in 0..<n { x[active[p]] = bestPoint[p] }
        }
    }
}
