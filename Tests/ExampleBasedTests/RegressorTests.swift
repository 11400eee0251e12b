import Foundation
import Testing
import LinearAlgebra
import TensorFile
@testable import ExampleBased

/// GR's map, ANR's neighbourhoods and regressors from the authors' dictionaries against the
/// reference's (float64, `derived_x{s}.safetensors`): 1e-12 relative (measured: 5e-14).
@Suite(.enabled(if: aplusRoot != nil, "needs SRLAB_REFERENCE with aplus/"))
struct RegressorTests {
    @Test(arguments: [2, 3, 4])
    func globalRegressorMatches(scale: Int) throws {
        let pp = try RidgeRegressors.global(try configuration(scale: scale))
        let golden = try derivedMatrix(try derived(scale: scale), "gr_PP")
        #expect(pp.rows == golden.rows && pp.columns == golden.columns)
        let difference = relativeDifference(pp.elements, golden.elements)
        print("x\(scale) gr_PP: max relative difference \(difference)")
        #expect(difference < 1e-12, "gr_PP differs by \(difference) relative")
    }

    @Test(arguments: [2, 3, 4])
    func anchoredNeighbourhoodsMatchExactly(scale: Int) throws {
        let ours = RidgeRegressors.neighbourhoods(try configuration(scale: scale))
        let golden = try derived(scale: scale).integers("anr_neighbors", shape: [1024, 40])
        let mismatched = (0..<1024).filter { ours[$0] != Array(golden[($0 * 40)..<(($0 + 1) * 40)]) }
        #expect(mismatched.isEmpty, "neighbourhoods of atoms \(mismatched.prefix(10)) differ")
        #expect(ours.indices.allSatisfy { ours[$0][0] == $0 }) // each atom is its own first neighbour
    }

    @Test(arguments: [2, 3, 4])
    func anchoredRegressorsMatch(scale: Int) throws {
        let ours = try RidgeRegressors.anchored(try configuration(scale: scale))
        let t = try derived(scale: scale).tensor("anr_PP_first8")
        let (p, d) = (t.shape[1], t.shape[2])
        var worst = 0.0
        defer { print("x\(scale) anr_PP_first8: max relative difference \(worst)") }
        for atom in 0..<8 {
            let golden = Matrix.fromRowMajor(rows: p, columns: d, Array(t.values[(atom * p * d)..<((atom + 1) * p * d)]))
            let difference = relativeDifference(ours[atom].elements, golden.elements)
            worst = max(worst, difference)
            #expect(difference < 1e-12, "ANR regressor \(atom) differs by \(difference) relative")
        }
    }

    @Test func globalLambdaFollowsTheReleasesRule() {
        #expect(RidgeRegressors.globalLambda(atoms: 512) == 0.01)
        #expect(RidgeRegressors.globalLambda(atoms: 1024) == 0.1)
        #expect(RidgeRegressors.globalLambda(atoms: 2047) == 0.1)
        #expect(RidgeRegressors.globalLambda(atoms: 4096) == 1)
        #expect(RidgeRegressors.globalLambda(atoms: 8192) == 5)
    }

    @Test func stableTopKKeepsIndexOrderOnTies() {
        #expect(StableTopK.largestMagnitudes([0.5, -2, 2, 1, -0.5, 2], count: 4) == [1, 2, 5, 3])
        #expect(StableTopK.largestMagnitudes([0, 0, 0, 0], count: 3) == [0, 1, 2])
        #expect(StableTopK.largestMagnitudes([1, -3, 2], count: 3) == [1, 2, 0])
    }
}
