import SeededRandom
import Testing
import LinearAlgebra
@testable import SparseCoding

/// A random problem with unit-norm atoms and unit-norm signals.
func randomProblem(dimension: Int, atoms: Int, count: Int, seed: UInt64) -> (CodingDictionary, Matrix<Double>) {
    var rng = Xoshiro256(seed: seed)
    var d = Matrix<Double>(rows: dimension, columns: atoms)
    for j in 0..<atoms {
        var norm = 0.0
        for i in 0..<dimension { d[i, j] = rng.nextGaussian(); norm += d[i, j] * d[i, j] }
        for i in 0..<dimension { d[i, j] /= norm.squareRoot() }
    }
    var y = Matrix<Double>(rows: dimension, columns: count)
    for n in 0..<count {
        var norm = 0.0
        for i in 0..<dimension { y[i, n] = rng.nextGaussian(); norm += y[i, n] * y[i, n] }
        for i in 0..<dimension { y[i, n] /= norm.squareRoot() }
    }
    return (CodingDictionary(d), y)
}

/// The lasso minimum by enumeration: for every sign pattern, the stationary point of the smooth
/// problem on that support, kept only if its signs agree; the least objective wins.
func bruteForceObjective(signal y: [Double], dictionary: CodingDictionary, lambda: Double) -> Double {
    let k = dictionary.count
    var best = SparseObjective.value(signal: y, code: [Double](repeating: 0, count: k),
                                     dictionary: dictionary.atoms, lambda: lambda)
    var pattern = [Int](repeating: 0, count: k) // 0 off, 1 positive, 2 negative
    let c = matvec(dictionary.atoms, transpose: true, y)
    outer: while true {
        var p = 0
        while p < k && pattern[p] == 2 { pattern[p] = 0; p += 1 }
        if p == k { break outer }
        pattern[p] += 1
        let support = (0..<k).filter { pattern[$0] != 0 }
        let signs = support.map { pattern[$0] == 1 ? 1.0 : -1.0 }
        var g = Matrix<Double>(rows: support.count, columns: support.count)
        for (a, i) in support.enumerated() { for (b, j) in support.enumerated() { g[a, b] = dictionary.gram[i, j] } }
        guard let chol = try? Cholesky(g),
              let w = try? chol.solve(support.indices.map { c[support[$0]] - lambda * signs[$0] }) else { continue }
        guard zip(w, signs).allSatisfy({ $0 * $1 > 0 }) else { continue }
        var full = [Double](repeating: 0, count: k)
        for (a, i) in support.enumerated() { full[i] = w[a] }
        best = min(best, SparseObjective.value(signal: y, code: full, dictionary: dictionary.atoms, lambda: lambda))
    }
    return best
}

@Suite struct SolverTests {
    @Test(arguments: [0.05, 0.2, 0.5])
    func featureSignSatisfiesOptimalityConditions(lambda: Double) {
        let (dictionary, signals) = randomProblem(dimension: 20, atoms: 60, count: 40, seed: 7)
        let codes = FeatureSign().encode(signals, dictionary: dictionary, lambda: lambda)
        #expect(codes.count == 40)
        for n in 0..<signals.columns {
            let violation = SparseObjective.kktViolation(signal: signals.column(n), code: codes.dense(n),
                                                         dictionary: dictionary, lambda: lambda)
            #expect(violation < 1e-6, "signal \(n): KKT violated by \(violation)")
        }
    }

    @Test func featureSignMatchesBruteForceOnTinyProblems() {
        let (dictionary, signals) = randomProblem(dimension: 4, atoms: 6, count: 25, seed: 3)
        let lambda = 0.1
        let codes = FeatureSign().encode(signals, dictionary: dictionary, lambda: lambda)
        for n in 0..<signals.columns {
            let found = SparseObjective.value(signal: signals.column(n), code: codes.dense(n),
                                              dictionary: dictionary.atoms, lambda: lambda)
            let best = bruteForceObjective(signal: signals.column(n), dictionary: dictionary, lambda: lambda)
            #expect(abs(found - best) < 1e-9, "signal \(n): feature-sign \(found), brute force \(best)")
        }
    }

    @Test(arguments: [0.02, 0.1, 0.3], [true, false])
    func homotopyReachesTheFeatureSignObjective(lambda: Double, mixedPrecision: Bool) {
        let (dictionary, signals) = randomProblem(dimension: 30, atoms: 120, count: 60, seed: 11)
        let reference = FeatureSign().encode(signals, dictionary: dictionary, lambda: lambda)
        let fast = LassoHomotopy(mixedPrecision: mixedPrecision).encode(signals, dictionary: dictionary, lambda: lambda)
        for n in 0..<signals.columns {
            let y = signals.column(n)
            let a = SparseObjective.value(signal: y, code: reference.dense(n), dictionary: dictionary.atoms, lambda: lambda)
            let b = SparseObjective.value(signal: y, code: fast.dense(n), dictionary: dictionary.atoms, lambda: lambda)
            #expect(abs(a - b) <= 1e-9 * max(1, a), "signal \(n): feature-sign \(a), homotopy \(b)")
            let violation = SparseObjective.kktViolation(signal: y, code: fast.dense(n), dictionary: dictionary, lambda: lambda)
            #expect(violation < 1e-6)
        }
    }

    @Test func homotopyMatchesOnTheBenchmarkShape() {
        let problem = SparseCodingBenchmark.syntheticProblem(atoms: 256, dimension: 100, count: 100, seed: 5)
        let reference = FeatureSign().encode(problem.signals, dictionary: problem.dictionary, lambda: problem.lambda)
        let a = SparseObjective.total(signals: problem.signals, codes: reference, dictionary: problem.dictionary.atoms, lambda: problem.lambda)
        for mixed in [true, false] {
            let fast = LassoHomotopy(mixedPrecision: mixed).encode(problem.signals, dictionary: problem.dictionary, lambda: problem.lambda)
            let b = SparseObjective.total(signals: problem.signals, codes: fast, dictionary: problem.dictionary.atoms, lambda: problem.lambda)
            #expect(abs(a - b) <= 1e-10 * a)
        }
    }

    @Test func signalsBelowLambdaGetZeroCodes() {
        let (dictionary, signals) = randomProblem(dimension: 10, atoms: 20, count: 5, seed: 1)
        for solver in [FeatureSign() as any SparseSolver, LassoHomotopy()] {
            let codes = solver.encode(signals, dictionary: dictionary, lambda: 10)
            #expect(codes.nonzeroCount == 0)
            #expect(codes.count == 5)
        }
    }

    @Test func chunkingKeepsSignalOrder() {
        let (dictionary, signals) = randomProblem(dimension: 12, atoms: 30, count: 300, seed: 9)
        let all = encodeInChunks(signals, dictionary: dictionary, block: 1000) {
            LassoHomotopyCoder(dictionary: dictionary, lambda: 0.1, mixedPrecision: true)
        }
        let small = encodeInChunks(signals, dictionary: dictionary, block: 7) {
            LassoHomotopyCoder(dictionary: dictionary, lambda: 0.1, mixedPrecision: true)
        }
        #expect(all.starts == small.starts && all.indices == small.indices)
        let difference = zip(all.values, small.values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 1e-12)
    }
}
