import SeededRandom
import Foundation
import LinearAlgebra

/// Throughput of the solvers on synthetic problems shaped like the peers' benchmark
/// (`../shared/peers/bench_sparse.py`, scikit-learn `sparse_encode` with lasso_lars): a random
/// dictionary of unit-norm atoms, signals that are unit-norm combinations of 3–5 atoms plus noise
/// at about 20 dB, and λ = 0.1 in the ½‖y − Dw‖² + λ‖w‖₁ convention (scikit-learn's alpha = 0.1).
/// Synthetic, so it needs no data set.
public enum SparseCodingBenchmark {
    public struct Problem: Sendable {
        public let dictionary: CodingDictionary
        public let signals: Matrix<Double>
        public let lambda: Double

        public init(dictionary: CodingDictionary, signals: Matrix<Double>, lambda: Double) {
            self.dictionary = dictionary; self.signals = signals; self.lambda = lambda
        }
    }

    public struct Result: Sendable {
        public let solver: String
        public let count: Int
        /// Wall-clock seconds of each repeat, sorted.
        public let seconds: [Double]
        public var medianSeconds: Double { seconds[seconds.count / 2] }
        public var patchesPerSecond: Double { Double(count) / medianSeconds }
        /// Summed ½‖y − Dw‖² + λ‖w‖₁ over all signals.
        public let objective: Double
        public let meanNonzeros: Double
    }

    public static func syntheticProblem(atoms: Int = 1024, dimension: Int = 100, count: Int,
                                        seed: UInt64 = 0, lambda: Double = 0.1) -> Problem {
        var rng = Xoshiro256(seed: seed)
        var d = Matrix<Double>(rows: dimension, columns: atoms)
        for j in 0..<atoms {
            var norm = 0.0
            for i in 0..<dimension { let v = rng.nextGaussian(); d[i, j] = v; norm += v * v }
            for i in 0..<dimension { d[i, j] /= norm.squareRoot() }
        }
        var x = Matrix<Double>(rows: dimension, columns: count)
        for n in 0..<count {
            let used = 3 + Int(rng.next() % 3)
            var chosen: Set<Int> = []
            while chosen.count < used { chosen.insert(Int(rng.next() % UInt64(atoms))) }
            for j in chosen.sorted() {
                let c = rng.nextGaussian()
                for i in 0..<dimension { x[i, n] += c * d[i, j] }
            }
            var norm = 0.0
            for i in 0..<dimension { norm += x[i, n] * x[i, n] }
            let noise = 0.1 * norm.squareRoot() / Double(dimension).squareRoot()
            norm = 0
            for i in 0..<dimension { x[i, n] += noise * rng.nextGaussian(); norm += x[i, n] * x[i, n] }
            for i in 0..<dimension { x[i, n] /= norm.squareRoot() }
        }
        return Problem(dictionary: CodingDictionary(d), signals: x, lambda: lambda)
    }

    /// Times `solver` on `problem` `repeats` times (after one warm-up run).
    public static func run(_ solver: any SparseSolver, on problem: Problem, repeats: Int = 3) -> Result {
        var codes = solver.encode(problem.signals, dictionary: problem.dictionary, lambda: problem.lambda)
        var seconds: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            codes = solver.encode(problem.signals, dictionary: problem.dictionary, lambda: problem.lambda)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let objective = SparseObjective.total(signals: problem.signals, codes: codes,
                                              dictionary: problem.dictionary.atoms, lambda: problem.lambda)
        return Result(solver: solver.name, count: problem.signals.columns, seconds: seconds.sorted(),
                      objective: objective,
                      meanNonzeros: Double(codes.nonzeroCount) / Double(max(1, codes.count)))
    }

    /// Median patches per second of `solver` on a synthetic problem.
    public static func patchesPerSecond(solver: any SparseSolver, atoms: Int = 1024, dimension: Int = 100,
                                        count: Int = 20_000, seed: UInt64 = 0) -> Double {
        run(solver, on: syntheticProblem(atoms: atoms, dimension: dimension, count: count, seed: seed)).patchesPerSecond
    }
}
