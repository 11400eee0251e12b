import Foundation
import Testing
@testable import Imaging
import LinearAlgebra
import SeededRandom
@testable import ExampleBased

/// The methods as `SuperResolver`s on a small random configuration (no reference data needed).
@Suite struct ResolverTests {
    /// Scale 2: F = 144, d = 6, K = 48 unit-norm atoms.
    static func randomConfiguration(seed: UInt64) -> ZeydeConfiguration {
        var rng = Xoshiro256(seed: seed)
        func gaussian(_ rows: Int, _ columns: Int) -> Matrix<Double> {
            Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in rng.nextGaussian() })
        }
        var low = gaussian(6, 48)
        for k in 0..<48 {
            let norm = (0..<6).reduce(0.0) { $0 + low[$1, k] * low[$1, k] }.squareRoot()
            for i in 0..<6 { low[i, k] /= norm }
        }
        return ZeydeConfiguration(scale: 2, pca: gaussian(144, 6), lowDictionary: low,
                                  highDictionary: gaussian(36, 48))
    }

    static func methods(_ c: ZeydeConfiguration) throws -> [ExampleBasedSR] {
        var rng = Xoshiro256(seed: 5)
        let regressors = (0..<48).map { _ in Matrix<Double>(rows: 36, columns: 6, elements: (0..<216).map { _ in 0.01 * rng.nextGaussian() }) }
        return try ExampleBasedMethod.allCases.map {
            try ExampleBasedSR(method: $0, configuration: c, aplusRegressors: $0 == .aplus ? regressors : nil)
        }
    }

    static func lowRes(width: Int, height: Int) -> Plane {
        var rng = Xoshiro256(seed: 11)
        return Plane(width: width, height: height, values: (0..<(width * height)).map { _ in rng.nextUniform() })
    }

    @Test func everyMethodGivesAFiniteImageOfTheScaledSizeAndKeepsTheBorder() throws {
        let input = Self.lowRes(width: 23, height: 17)
        let bicubic = Resize.bicubic(input, scale: 2)
        for sr in try Self.methods(Self.randomConfiguration(seed: 1)) {
            let resolver: any SuperResolver = sr
            let out = try resolver.checkedUpscale(lowRes: input)
            #expect(out.width == 46 && out.height == 34, "\(sr.name)")
            #expect(out != bicubic, "\(sr.name) added no detail")
            // The outer s = 2 pixels are covered by no patch: they are B.
            for x in 0..<46 { #expect(out[x, 0] == bicubic[x, 0] && out[x, 33] == bicubic[x, 33]) }
            for y in 0..<34 { #expect(out[1, y] == bicubic[1, y] && out[45, y] == bicubic[45, y]) }
        }
    }

    @Test func anImageTooSmallForOnePatchIsItsBicubic() throws {
        let input = Self.lowRes(width: 4, height: 9) // 4 − 4 = 0 patch columns
        for sr in try Self.methods(Self.randomConfiguration(seed: 2)) {
            #expect(sr.upscale(lowRes: input) == Resize.bicubic(input, scale: 2), "\(sr.name)")
        }
    }

    /// Blocks and feature blocks of other sizes (many blocks, a last partial one) give the same
    /// image, to float rounding (BLAS may sum a product of another width in another order): the
    /// blocks are independent and the overlap-add runs in patch order.
    @Test func resultDoesNotDependOnTheBlocking() throws {
        let input = Self.lowRes(width: 31, height: 26)
        for sr in try Self.methods(Self.randomConfiguration(seed: 3)) {
            var small = sr
            small.featureBlock = 7
            small.maximumBlock = 50
            let a = sr.upscale(lowRes: input), b = small.upscale(lowRes: input)
            let worst = zip(a.values, b.values).map { abs($0 - $1) }.max()! / a.values.map(abs).max()!
            #expect(worst < 1e-6, "\(sr.name): blocking changes the image by \(worst) relative")
            #expect(sr.upscale(lowRes: input) == a, "\(sr.name) is not deterministic")
        }
    }

    @Test func progressCountsEveryPatch() throws {
        let input = Self.lowRes(width: 20, height: 12) // 16 × 8 = 128 patches
        let sr = try ExampleBasedSR(method: .gr, configuration: Self.randomConfiguration(seed: 4))
        let reports = Reports()
        _ = sr.upscale(lowRes: input) { done, total in reports.add(done: done, total: total) }
        #expect(reports.totals == [128] && reports.largest == 128)
    }
}

/// Progress reports, collected from whichever thread makes them.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var seenTotals = Set<Int>()
    private var seenLargest = 0

    func add(done: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        seenTotals.insert(total)
        seenLargest = max(seenLargest, done)
    }

    var totals: Set<Int> { lock.lock(); defer { lock.unlock() }; return seenTotals }
    var largest: Int { lock.lock(); defer { lock.unlock() }; return seenLargest }
}

/// Large photos go through `srlab upscale` in strips: with the stated context, strips give the
/// whole image's result (to float rounding in the GEMMs), and with too little they would not.
@Suite struct StripTests {
    static func photo(width: Int, height: Int) -> Image8 {
        var rng = Xoshiro256(seed: 21)
        return Image8(width: width, height: height, channels: 1,
                      bytes: (0..<(width * height)).map { i in
                          Quantize.uint8(128 + 80 * sin(Double(i % width) / 3.1) * cos(Double(i / width) / 2.3) + 20 * rng.nextUniform()) })
    }

    @Test(arguments: ExampleBasedMethod.allCases)
    func stripsEqualTheWholeImage(method: ExampleBasedMethod) throws {
        let sr = try ResolverTests.methods(ResolverTests.randomConfiguration(seed: 3)).first { $0.method == method }!
        let image = Self.photo(width: 31, height: 67)
        let whole = try StripUpscale.upscaleWhole(image, with: sr)
        let strips = try StripUpscale.upscale(image, with: sr, coreRows: 9)
        let differing = zip(whole.bytes, strips.bytes).filter { abs(Int($0) - Int($1)) > 1 }.count
        let offByOne = zip(whole.bytes, strips.bytes).filter { $0 != $1 }.count
        #expect(differing == 0, "\(method.rawValue): \(differing) pixels differ by more than one level")
        #expect(offByOne <= whole.bytes.count / 1000, "\(method.rawValue): \(offByOne) pixels differ")
    }

    /// The context is needed: a resolver claiming none gives visible seams.
    @Test func tooLittleContextShows() throws {
        struct Understated: SuperResolver {
            let inner: ExampleBasedSR
            var name: String { "understated" }
            var scale: Int { inner.scale }
            var contextRadius: Int? { 0 }
            func upscale(lowRes: Plane) -> Plane { inner.upscale(lowRes: lowRes) }
        }
        let sr = try ResolverTests.methods(ResolverTests.randomConfiguration(seed: 3)).first { $0.method == .anr }!
        let image = Self.photo(width: 31, height: 67)
        let claims = Understated(inner: sr)
        #expect(try StripUpscale.upscale(image, with: claims, coreRows: 9) != StripUpscale.upscaleWhole(image, with: claims))
    }
}
