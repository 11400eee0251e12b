import Foundation
import LinearAlgebra

/// The dictionary step of Lee, Battle, Raina & Ng (NIPS 2007), as the release's
/// `l2ls_learn_basis_dual.m` does it: with the codes S fixed,
///
///     minimise over B   ‖X − B S‖²_F   subject to ‖b_j‖² ≤ 1 for every atom j,
///
/// through its Lagrange dual in the multipliers λ ≥ 0 (one per atom). With M = SSᵀ + diag(λ),
///
///     F(λ) = tr(XSᵀ M⁻¹ (XSᵀ)ᵀ) − tr(XXᵀ) + Σλ        (the release minimises this, = −dual)
///     ∇F_i = 1 − ‖(XSᵀ M⁻¹)_i‖²                       (1 − squared norm of atom i)
///     ∇²F  = 2 (TᵀT) ∘ M⁻¹,  T = XSᵀ M⁻¹
///
/// and the optimal dictionary is B = XSᵀ M⁻¹. The release minimises F with MATLAB's fmincon
/// (trust-region with this gradient and Hessian); here it is a projected Newton method (Cholesky
/// solves from LAPACK) with backtracking, stopped when every atom's squared norm is within
/// `tolerance` of 1 or its multiplier is at the bound 0 with norm below 1.
///
/// Note: atoms no code uses (a zero row of S) have no dual term; they are left unchanged rather
/// than sent to the dual (where M would be singular), and the multipliers of the previous round
/// warm-start the next one instead of the release's random start.
public enum DictionaryUpdate {
    public struct Result: Sendable {
        public var dictionary: Matrix<Double>
        public var multipliers: [Double]
        public var newtonIterations: Int
        /// Largest |1 − ‖b_j‖²| over the updated atoms before the final exact renormalisation.
        public var normError: Double
    }

    /// Sufficient statistics of the codes: SSᵀ (atoms × atoms) and XSᵀ (dimension × atoms).
    public static func statistics(signals x: Matrix<Double>, codes: SparseCodes) -> (sst: Matrix<Double>, xst: Matrix<Double>) {
        let k = codes.atoms, d = x.rows
        var sst = Matrix<Double>(rows: k, columns: k)
        var xst = Matrix<Double>(rows: d, columns: k)
        x.elements.withUnsafeBufferPointer { px in
            sst.elements.withUnsafeMutableBufferPointer { ps in
                xst.elements.withUnsafeMutableBufferPointer { pxs in
                    for n in 0..<codes.count {
                        let lo = codes.starts[n], hi = codes.starts[n + 1]
                        for a in lo..<hi {
                            let i = Int(codes.indices[a]), vi = codes.values[a]
                            for b in lo..<hi { ps[i * k + Int(codes.indices[b])] += vi * codes.values[b] }
                            let column = pxs.baseAddress! + i * d, signal = px.baseAddress! + n * d
                            for r in 0..<d { column[r] += vi * signal[r] }
                        }
                    }
                }
            }
        }
        return (sst, xst)
    }

    /// Solves the dual for the atoms with nonzero usage and returns the new dictionary.
    public static func update(previous: Matrix<Double>, sst: Matrix<Double>, xst: Matrix<Double>,
                              multipliers warmStart: [Double]?, tolerance: Double = 1e-10,
                              maxIterations: Int = 100) throws -> Result {
        let k = previous.columns, d = previous.rows
        let used = (0..<k).filter { sst[$0, $0] > 0 }
        let m = used.count
        var dictionary = previous
        var multipliers = warmStart ?? [Double](repeating: 5, count: k) // release: 10·|rand|, mean 5
        guard m > 0 else { return Result(dictionary: dictionary, multipliers: multipliers, newtonIterations: 0, normError: 0) }
        var sstUsed = Matrix<Double>(rows: m, columns: m)
        for (b, j) in used.enumerated() { for (a, i) in used.enumerated() { sstUsed[a, b] = sst[i, j] } }
        let xstUsed = xst.columns(used)
        var lambda = used.map { max(multipliers[$0], 1e-8) }

        /// The point λ: the Cholesky factor of M = SSᵀ + diag(λ), T = XSᵀ M⁻¹, F(λ) (without the
        /// constant −tr(XXᵀ)) and the gradient 1 − ‖t_i‖²; nil if M is not positive definite.
        struct Point { var lambda: [Double]; var factor: Matrix<Double>; var t: Matrix<Double>; var value: Double; var gradient: [Double] }
        func evaluate(_ lambda: [Double]) -> Point? {
            var a = sstUsed
            for i in 0..<m { a[i, i] += lambda[i] }
            var rhs = xstUsed.transposed // m × d
            let ok = a.elements.withUnsafeMutableBufferPointer { pa -> Bool in
                rhs.elements.withUnsafeMutableBufferPointer { pb -> Bool in
                    Double.potrf(m, pa.baseAddress!, m) == 0
                        && Double.potrs(m, d, pa.baseAddress!, m, pb.baseAddress!, m) == 0
                }
            }
            guard ok else { return nil }
            let t = rhs.transposed // d × m
            var trace = 0.0
            for i in 0..<(d * m) { trace += t.elements[i] * xstUsed.elements[i] }
            var gradient = [Double](repeating: 1, count: m)
            for i in 0..<m { for r in 0..<d { gradient[i] -= t[r, i] * t[r, i] } }
            return Point(lambda: lambda, factor: a, t: t, value: trace + lambda.reduce(0, +), gradient: gradient)
        }
        /// Multipliers at the bound 0 whose gradient pushes further down are held there.
        func freeSet(_ p: Point) -> [Int] { (0..<m).filter { !(p.lambda[$0] <= 1e-12 && p.gradient[$0] > 0) } }
        func error(_ p: Point) -> Double { freeSet(p).map { abs(p.gradient[$0]) }.max() ?? 0 }

        guard var point = evaluate(lambda) else { throw LinearAlgebraError.notPositiveDefinite(info: -1) }
        var iterations = 0
        var normError = error(point)
        while normError >= tolerance && iterations < maxIterations {
            iterations += 1
            let free = freeSet(point)
            // M⁻¹ from the factor in hand, for the Hessian 2 (TᵀT) ∘ M⁻¹.
            var mInverse = point.factor
            _ = mInverse.elements.withUnsafeMutableBufferPointer {
                Double.potri(m, $0.baseAddress!, m)
            }
            let ttt = matmul(point.t, transposeA: true, point.t)
            var hessian = Matrix<Double>(rows: free.count, columns: free.count)
            for (b, j) in free.enumerated() {
                for (a, i) in free.enumerated() {
                    let inverse = i >= j ? mInverse[i, j] : mInverse[j, i] // potri fills the lower triangle
                    hessian[a, b] = 2 * ttt[i, j] * inverse
                }
            }
            let descent = free.map { -point.gradient[$0] }
            let direction = (try? Cholesky(hessian).solve(descent)) ?? descent // steepest descent if singular
            // Backtracking on the projected path λ(α) = max(0, λ + α·direction). Near the optimum
            // F's decrease drowns in its rounding, so a step that shrinks the norm error counts too.
            var alpha = 1.0
            var accepted = false
            while alpha > 1e-12 {
                var trial = point.lambda
                for (a, i) in free.enumerated() { trial[i] = max(0, point.lambda[i] + alpha * direction[a]) }
                if let next = evaluate(trial) {
                    var predicted = 0.0
                    for i in free { predicted += point.gradient[i] * (trial[i] - point.lambda[i]) }
                    let nextError = error(next)
                    if next.value <= point.value + 1e-4 * predicted || (normError < 1e-4 && nextError < normError) {
                        point = next
                        normError = nextError
                        accepted = true
                        break
                    }
                }
                alpha *= 0.5
            }
            if !accepted { break }
        }
        lambda = point.lambda
        let t = point.t
        // B = XSᵀ M⁻¹; renormalise exactly (the dual leaves ‖b‖² = 1 only to `tolerance`), except
        // atoms whose constraint is inactive (λ = 0, norm below 1).
        for (a, j) in used.enumerated() {
            var norm = 0.0
            for r in 0..<d { norm += t[r, a] * t[r, a] }
            norm = norm.squareRoot()
            let scale = (lambda[a] > 1e-12 && norm > 0) ? 1 / norm : 1
            for r in 0..<d { dictionary[r, j] = t[r, a] * scale }
            multipliers[j] = lambda[a]
        }
        return Result(dictionary: dictionary, multipliers: multipliers, newtonIterations: iterations, normError: normError)
    }
}
