import ConvKernels
import Foundation
import LinearAlgebra
import SeededRandom
import Testing
@testable import ConvNet

/// The small products in C (ConvKernels/SmallProducts.c) against a Double reference, in the three
/// shapes the Winograd engine asks for, the 1×1 layer's and the partial maps', at every level this
/// CPU has; and the promises its callers lean on: the same bits at every level and for every number
/// of rows or columns.
@Suite struct SmallProductsTests {
    static var levels: [Int32] { srlab_vector_level() > 0 ? Array(1...srlab_vector_level()) : [] }

    struct Shape: CustomTestStringConvertible, Sendable {
        let m: Int, n: Int, k: Int, transposeA: Bool, accumulate: Bool
        var testDescription: String { "\(m)×\(k)·\(k)×\(n)\(transposeA ? " Aᵀ" : "")\(accumulate ? " +C" : "")" }
    }

    /// Forward [tiles × C]·[C × O], the weight gradient Vᵀ·dM (accumulated over chunks), the input
    /// gradient dM·Uᵀ; row counts that leave every remainder of the register blocks (3 and 8).
    static let shapes = [
        Shape(m: 83, n: 32, k: 64, transposeA: false, accumulate: false),
        Shape(m: 7, n: 32, k: 64, transposeA: false, accumulate: false),
        Shape(m: 64, n: 32, k: 98, transposeA: true, accumulate: true),
        Shape(m: 50, n: 64, k: 32, transposeA: false, accumulate: false),
        Shape(m: 1, n: 96, k: 5, transposeA: false, accumulate: true),
        Shape(m: 780, n: 32, k: 64, transposeA: false, accumulate: false),
        Shape(m: 25, n: 781, k: 32, transposeA: false, accumulate: false),
        Shape(m: 780, n: 8, k: 64, transposeA: false, accumulate: false),
    ]

    /// Three points whose operands sit inside wider strided buffers, as a chunk's do.
    struct Operands {
        let points = 3
        let shape: Shape
        let a: [Float], b: [Float], c0: [Float]
        var lda: Int { (shape.transposeA ? shape.m : shape.k) + 3 }
        var aPoint: Int { lda * (shape.transposeA ? shape.k : shape.m) }
        var ldb: Int { shape.n + 5 }
        var bPoint: Int { ldb * shape.k }
        var ldc: Int { shape.n + 7 }
        var cPoint: Int { ldc * shape.m }

        init(_ shape: Shape, seed: UInt64 = 9) {
            self.shape = shape
            var rng = Xoshiro256(seed: seed)
            let lda = (shape.transposeA ? shape.m : shape.k) + 3
            a = (0..<(3 * lda * (shape.transposeA ? shape.k : shape.m))).map { _ in Float.random(in: -1...1, using: &rng) }
            b = (0..<(3 * (shape.n + 5) * shape.k)).map { _ in Float.random(in: -1...1, using: &rng) }
            c0 = (0..<(3 * (shape.n + 7) * shape.m)).map { _ in Float.random(in: -1...1, using: &rng) }
        }

        func run(level: Int32?, rows: Int? = nil, columns: Int? = nil) -> [Float] {
            var c = c0
            let s = shape
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        smallProducts(points: points, transposeA: s.transposeA, m: rows ?? s.m, n: columns ?? s.n, k: s.k,
                                         a: a.baseAddress!, aPoint: aPoint, lda: lda, b: b.baseAddress!, bPoint: bPoint,
                                         ldb: ldb, accumulate: s.accumulate, c: c.baseAddress!, cPoint: cPoint, ldc: ldc,
                                         level: level)
                    }
                }
            }
            return c
        }

        /// C as Double sums, with the untouched gaps between rows as they were.
        func reference() -> [Double] {
            var c = c0.map(Double.init)
            let s = shape
            for p in 0..<points {
                for i in 0..<s.m {
                    for j in 0..<s.n {
                        var sum = s.accumulate ? Double(c0[p * cPoint + i * ldc + j]) : 0
                        for d in 0..<s.k {
                            let x = s.transposeA ? a[p * aPoint + d * lda + i] : a[p * aPoint + i * lda + d]
                            sum += Double(x) * Double(b[p * bPoint + d * ldb + j])
                        }
                        c[p * cPoint + i * ldc + j] = sum
                    }
                }
            }
            return c
        }
    }

    @Test(arguments: shapes)
    func everyLevelAndOpenBLASMatchTheDoubleSums(shape: Shape) {
        let operands = Operands(shape)
        let reference = operands.reference()
        // k products of ±1 values: float32 rounding stays far below 1e-5 · k.
        let tolerance = 1e-6 * Double(shape.k + 1)
        for level in Self.levels.map(Optional.some) + [nil] {
            let c = operands.run(level: level)
            let worst = zip(c, reference).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < tolerance, "level \(level.map(String.init) ?? "OpenBLAS"): max |Δ| \(worst)")
        }
    }

    @Test(arguments: shapes)
    func theBitsAreTheSameAtEveryLevel(shape: Shape) throws {
        try #require(Self.levels.count > 1, "one vector level on this CPU: nothing to compare")
        let operands = Operands(shape)
        let results = Self.levels.map { operands.run(level: $0) }
        for r in results.dropFirst() { #expect(r == results[0]) }
    }

    @Test func aRowsBitsDoNotDependOnHowManyRowsTheCallHas() throws {
        let level = try #require(Self.levels.last)
        let operands = Operands(Shape(m: 83, n: 32, k: 64, transposeA: false, accumulate: false))
        let all = operands.run(level: level), few = operands.run(level: level, rows: 5)
        for p in 0..<operands.points {
            let start = p * operands.cPoint, end = start + 5 * operands.ldc
            #expect(Array(all[start..<end]) == Array(few[start..<end]))
        }
    }

    /// Columns past the last 32 go 8 at a time, then one at a time: the same chain per element, so
    /// a column's bits do not depend on n (nor, as above, a row's on m).
    @Test(arguments: [45, 9, 3])
    func aColumnsBitsDoNotDependOnHowManyColumnsTheCallHas(narrow: Int) throws {
        let level = try #require(Self.levels.last)
        let wide = Operands(Shape(m: 13, n: 64, k: 40, transposeA: false, accumulate: true))
        // The same operands, the products only `narrow` columns wide.
        let all = wide.run(level: level), few = wide.run(level: level, columns: narrow)
        for p in 0..<wide.points {
            for i in 0..<13 {
                let row = p * wide.cPoint + i * wide.ldc
                #expect(Array(all[row..<(row + narrow)]) == Array(few[row..<(row + narrow)]))
                #expect(Array(few[(row + narrow)..<(row + 64)]) == Array(wide.c0[(row + narrow)..<(row + 64)]))
            }
        }
        let reference = wide.reference()
        let worst = zip(all, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-6 * 41)
    }

    @Test func noVectorLevelRunsNothing() {
        var c = [Float](repeating: 7, count: 9)
        let ran = [Float](repeating: 1, count: 9).withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                srlab_small_products(0, 1, 1, 9, 9, a.baseAddress!, 0, 9, 1, a.baseAddress!, 0, 9, c.baseAddress!, 0, 9, 0)
            }
        }
        #expect(ran == 0)
        #expect(c == [Float](repeating: 7, count: 9))
    }
}
