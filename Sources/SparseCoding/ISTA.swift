import LinearAlgebra

/// ISTA (iterative shrinkage-thresholding; Daubechies, Defrise, De Mol 2004) for the same problem as
/// every solver here, ½‖y − D w‖² + λ‖w‖₁, stopped after a fixed number of iterations rather than at
/// the minimiser. From w₀ = 0, each iteration is
///
///     w ← soft(S·w + Dᵀy / L, λ / L),   S = I − DᵀD / L,   soft(z, τ) = sign(z)·max(|z| − τ, 0)
///
/// with L the largest eigenvalue of DᵀD (the gradient's Lipschitz constant, so the step 1/L always
/// descends). It exists for the equivalence with a convolutional network (module `Equivalence`):
/// S is a 1×1 convolution, Dᵀy/L its bias and soft() the nonlinearity, so an unrolled ISTA is a
/// network layer for layer, and this solver is the patch-by-patch side of that comparison.
/// `iterations` = 1 gives w = soft(Dᵀy/L, λ/L); as it grows the codes approach the lasso minimiser.
public struct ISTA: SparseSolver {
    public var iterations: Int
    /// L; nil computes it from the dictionary's Gram matrix on every `encode`.
    public var lipschitz: Double?

    public init(iterations: Int, lipschitz: Double? = nil) {
        precondition(iterations >= 1, "ISTA needs at least one iteration")
        self.iterations = iterations
        self.lipschitz = lipschitz
    }

    public var name: String { "ista-\(iterations)" }

    /// The largest eigenvalue of a Gram matrix DᵀD (= ‖D‖₂²).
    public static func lipschitzConstant(gram: Matrix<Double>) -> Double {
        guard gram.rows > 0 else { return 1 }
        // syev only fails on non-finite input, which a dictionary never holds.
        let values = try! symmetricEigen(gram).values
        return values.last!
    }

    /// S = I − DᵀD / L, column-major (symmetric, so also row-major).
    public static func inhibition(gram: Matrix<Double>, lipschitz: Double) -> Matrix<Double> {
        var s = gram
        for i in s.elements.indices { s.elements[i] = -s.elements[i] / lipschitz }
        for i in 0..<s.rows { s[i, i] += 1 }
        return s
    }

    @inline(__always)
    public static func softThreshold<T: FloatingPoint>(_ z: T, _ tau: T) -> T {
        z > tau ? z - tau : (z < -tau ? z + tau : 0)
    }

    public func encode(_ signals: Matrix<Double>, dictionary: CodingDictionary, lambda: Double) -> SparseCodes {
        let l = lipschitz ?? ISTA.lipschitzConstant(gram: dictionary.gram)
        let s = PinnedBuffer(ISTA.inhibition(gram: dictionary.gram, lipschitz: l).elements)
        let iterations = self.iterations, k = dictionary.count
        return encodeInChunks(signals, dictionary: dictionary) {
            ISTACoder(inhibition: s, atoms: k, lipschitz: l, lambda: lambda, iterations: iterations)
        }
    }
}

/// One thread's ISTA. The iterate is sparse after the first soft-threshold, so S·w is summed over
/// the nonzero coefficients only (columns of S): the same products as the dense form, without the
/// zero terms.
final class ISTACoder: SignalCoder {
    let s: PinnedBuffer<Double>
    let k: Int
    let lipschitz: Double
    let threshold: Double
    let iterations: Int
    var w: [Double]
    var z: [Double]
    var active: [Int] = []

    init(inhibition: PinnedBuffer<Double>, atoms: Int, lipschitz: Double, lambda: Double, iterations: Int) {
        s = inhibition
        k = atoms
        self.lipschitz = lipschitz
        threshold = lambda / lipschitz
        self.iterations = iterations
        w = [Double](repeating: 0, count: atoms)
        z = [Double](repeating: 0, count: atoms)
    }

    func code(correlations c: UnsafePointer<Double>, indices: inout [Int32], values: inout [Double]) {
        active.removeAll(keepingCapacity: true)
        let sp = UnsafePointer(s.pointer), k = self.k, l = lipschitz, tau = threshold
        z.withUnsafeMutableBufferPointer { zb in
            w.withUnsafeMutableBufferPointer { wb in
                let z = zb.baseAddress!, w = wb.baseAddress!
                for _ in 0..<iterations {
                    for i in 0..<k { z[i] = c[i] / l }
                    for j in active {
                        let column = sp + j * k, wj = w[j]
                        for i in 0..<k { z[i] += column[i] * wj }
                    }
                    active.removeAll(keepingCapacity: true)
                    for i in 0..<k {
                        let v = ISTA.softThreshold(z[i], tau)
                        w[i] = v
                        if v != 0 { active.append(i) }
                    }
                }
            }
        }
        for i in active {
            indices.append(Int32(i))
            values.append(w[i])
        }
        for i in active { w[i] = 0 }
    }
}
