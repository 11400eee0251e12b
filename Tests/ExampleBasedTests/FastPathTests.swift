import Foundation
import Testing
import Imaging
import LinearAlgebra
import SeededRandom
@testable import ExampleBased

/// The fast paths against their per-patch twins, on the PCA features of a real image.
@Suite(.enabled(if: aplusRoot != nil && dataRoot != nil, "needs SRLAB_REFERENCE with aplus/ and SRLAB_DATA"))
struct FastPathTests {
    /// PCA features of Set5 butterfly at `scale` (a detailed image: few flat patches).
    static func features<T: BLASScalar>(scale: Int, configuration c: ZeydeConfiguration, as: T.Type = Double.self) throws -> Matrix<T> {
        let image = try preparedImages("Set5", scale: scale).first { $0.name == "butterfly_GT.bmp" }!
        let mid = Resize.bicubic(image.lowRes, scale: Double(scale))
        let pca: Matrix<T> = T.self == Float.self ? c.pca.converted() as! Matrix<T> : c.pca as! Matrix<T>
        return ZeydeFeatures.project(ZeydeFeatures.raw(mid, configuration: c, as: T.self), pca: pca)
    }

    /// Anchors by GEMMs vs per-patch loops, and the grouped GEMMs vs per-patch products (ANR's and
    /// A+'s regressors, in Float; the twins sum in Double): the anchors agree except on near-ties
    /// (scores equal to float rounding), the details to 1e-6 relative.
    @Test(arguments: [ExampleBasedMethod.anr, .aplus])
    func anchorGroupedGEMMsEqualThePerPatchPath(method: ExampleBasedMethod) throws {
        let scale = 2
        let c = try configuration(scale: scale)
        let sr = try ExampleBasedSR(method: method, configuration: configurationURL(scale: scale),
                                    regressors: method == .aplus ? aplusRegressorsURL : nil, scale: scale)
        guard case .anchored(let regressors) = sr.mapping else { Issue.record("not anchored"); return }
        let f = try Self.features(scale: scale, configuration: c, as: Float.self)
        let fast = regressors.anchors(for: f)
        let naive = regressors.anchorsNaive(for: f)
        let scores = matmul(regressors.anchors.converted(), transposeA: true, f.converted())
        let disagreements = (0..<f.columns).filter { fast[$0] != naive[$0] }
        for n in disagreements { // only a near-tie may be decided differently by rounding
            let norm = (0..<f.rows).reduce(0.0) { $0 + Double(f[$1, n]) * Double(f[$1, n]) }.squareRoot()
            #expect(abs(abs(scores[fast[n], n]) - abs(scores[naive[n], n])) <= 1e-6 * norm)
        }
        #expect(disagreements.count <= f.columns / 1000)
        let grouped = regressors.details(for: f, anchors: naive)
        let perPatch = regressors.detailsPerPatch(for: f, anchors: naive)
        let difference = relativeDifference(grouped.elements.map(Double.init), perPatch.elements)
        #expect(difference < 1e-6, "grouped details differ by \(difference) relative")
        print("\(method.displayName): \(f.columns) patches, \(Set(naive).count) anchors used, \(disagreements.count) near-tie anchors, detail difference \(difference)")
    }

    /// The whole A+ image through the fast path equals one assembled from per-patch details.
    @Test func aplusImageEqualsThePerPatchAssembly() throws {
        let scale = 2
        let sr = try ExampleBasedSR(method: .aplus, configuration: configurationURL(scale: scale),
                                    regressors: aplusRegressorsURL, scale: scale)
        guard case .anchored(let regressors) = sr.mapping else { Issue.record("not anchored"); return }
        let image = try preparedImages("Set5", scale: scale).first { $0.name == "head_GT.bmp" }!
        let mid = Resize.bicubic(image.lowRes, scale: Double(scale))
        let fast = sr.reconstruct(midRes: mid)
        let f = ZeydeFeatures.project(ZeydeFeatures.raw(mid, configuration: sr.configuration, as: Float.self),
                                      pca: sr.configuration.pca.converted())
        let details = regressors.detailsPerPatch(for: f, anchors: regressors.anchorsNaive(for: f))
        var sum = OverlapAdd(grid: PatchGrid(width: mid.width, height: mid.height, scale: scale))
        details.elements.withUnsafeBufferPointer { sum.add(details: $0.baseAddress!, first: 0, count: f.columns) }
        let naive = sum.result(midRes: mid)
        let worst = zip(fast.values, naive.values).map { abs($0 - $1) }.max()!
        print("A+ head x2: fast vs per-patch image, max difference \(worst)")
        #expect(worst < 1e-6, "A+ fast and per-patch images differ by up to \(worst)")
    }

    /// Batch-OMP (Gram updates) vs OMP with explicit residuals: same atoms, coefficients to 1e-12
    /// relative (measured: 7e-16).
    @Test(arguments: [2, 3, 4])
    func batchOMPEqualsPerPatchOMP(scale: Int) throws {
        let c = try configuration(scale: scale)
        let f = try Self.features(scale: scale, configuration: c)
        let omp = OrthogonalMatchingPursuit(dictionary: c.lowDictionary, sparsity: 3)
        let columns = Array(stride(from: 0, to: f.columns, by: 7))
        let subset = f.columns(columns)
        let batch = omp.codes(for: subset)
        var atomMismatches = 0, worst = 0.0
        for (n, code) in batch.enumerated() {
            let naive = omp.codeNaive(subset.column(n))
            if naive.atoms != code.atoms { atomMismatches += 1; continue }
            let scale = naive.coefficients.map(abs).max() ?? 1
            for (a, b) in zip(code.coefficients, naive.coefficients) { worst = max(worst, abs(a - b) / max(scale, 1e-300)) }
        }
        print("x\(scale) Batch-OMP vs per-patch OMP on \(subset.columns) patches: \(atomMismatches) atom mismatches, coefficients within \(worst) relative")
        #expect(atomMismatches == 0)
        #expect(worst < 1e-12, "coefficients differ by \(worst) relative")
        #expect(batch.contains { $0.atoms.count == 3 })
    }

    /// OMPBox's stopping rules on a tiny dictionary: a zero signal gets no atoms; a signal equal to
    /// a multiple of one atom stops after it, and a 2-D signal after two atoms (the residual
    /// correlations are then below the threshold); ties go to the first atom.
    @Test func ompStopsEarlyAsOMPBoxDoes() {
        let s = 0.5.squareRoot()
        let d = Matrix<Double>(rows: 2, columns: 4, elements: [1, 0, 0, 1, s, s, s, s])
        let omp = OrthogonalMatchingPursuit(dictionary: d, sparsity: 3)
        let signals: [[Double]] = [[0, 0], [0, 2], [3, 1], [1, 1]]
        let codes = omp.codes(for: Matrix(rows: 2, columns: 4, elements: signals.flatMap { $0 }))
        #expect(codes[0].atoms.isEmpty)
        #expect(codes[1].atoms == [1] && abs(codes[1].coefficients[0] - 2) < 1e-15)
        #expect(codes[2].atoms == [0, 1])
        #expect(codes[3].atoms == [2]) // atoms 2 and 3 tie; the first wins
        for (n, x) in signals.enumerated() { #expect(omp.codeNaive(x).atoms == codes[n].atoms) }
    }
}
