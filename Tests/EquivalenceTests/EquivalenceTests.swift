import SeededRandom
import _TestSupport
import Foundation
import Testing
import Imaging
import LinearAlgebra
import SparseCoding
import ConvNet
@testable import Equivalence

@Suite struct EquivalenceTests {
    @Test(arguments: [1, 4, 30])
    func networkEqualsPipelineInDouble(iterations: Int) {
        let dictionary = randomDictionary(atoms: 32, seed: 7)
        let mid = syntheticImage(width: 27, height: 23, seed: 3)
        // λ small enough that codes have several nonzeros with this random dictionary.
        let network = SparseCodingNetwork(dictionary: dictionary, iterations: iterations, lambda: 0.05)
        let pipeline = EquivalenceCheck.pipeline(for: network, dictionary: dictionary)
        let a = network.apply(midRes: mid, bandRows: 5)
        let b = pipeline.sparseReconstruction(midRes: mid)
        let (largest, _) = EquivalenceCheck.differences(a, b)
        #expect(largest <= 1e-10 * 255, "max |network − pipeline| = \(largest) on the 0–255 scale")
        // Not vacuous: the codes are not all zero (a huge λ zeroes them and changes the result).
        let zeroCodes = SparseCodingNetwork(dictionary: dictionary, iterations: iterations, lambda: 1e6)
        #expect(EquivalenceCheck.differences(b, EquivalenceCheck.pipeline(for: zeroCodes, dictionary: dictionary)
            .sparseReconstruction(midRes: mid)).max > 1)
    }

    @Test func floatNetworkIsClose() {
        let dictionary = randomDictionary(atoms: 32, seed: 7)
        let mid = syntheticImage(width: 27, height: 23, seed: 3)
        let network = SparseCodingNetwork(dictionary: dictionary, iterations: 10, lambda: 0.05)
        let a = network.apply(midRes: mid, precision: Float.self)
        let b = EquivalenceCheck.pipeline(for: network, dictionary: dictionary).sparseReconstruction(midRes: mid)
        #expect(EquivalenceCheck.differences(a, b).max < 0.05)
    }

    /// Layer 1's composed 9×9 filters against the pipeline's own features and patches: Dlᵀ·y at
    /// every top-left position, including those whose features touch the zero-padded border.
    @Test func layerOneIsDlTransposeFeatures() {
        let dictionary = randomDictionary(atoms: 32, seed: 11)
        let mid = syntheticImage(width: 19, height: 16, seed: 5)
        let network = SparseCodingNetwork(dictionary: dictionary, iterations: 1)
        let responses = network.layerOneResponses(midRes: mid)
        let features = Features.extract(mid)
        let p = 5, k = 32, wo = mid.width - p + 1, ho = mid.height - p + 1
        var y = [Double](repeating: 0, count: 100)
        var worst = 0.0, scale = 0.0
        for py in 0..<ho {
            for px in 0..<wo {
                for f in 0..<4 { Patches.extract(features[f], x: px, y: py, size: p, into: &y, offset: 25 * f) }
                let expected = matvec(network.lowNormalised, transpose: true, y)
                for j in 0..<k {
                    worst = max(worst, abs(responses[(py * wo + px) * k + j] - expected[j]))
                    scale = max(scale, abs(expected[j]))
                }
            }
        }
        #expect(worst <= 1e-12 * scale, "max error \(worst) on responses up to \(scale)")
    }

    /// The count map is the pipeline's averaging weights: what `Patches.accumulate` adds up over
    /// the release's grid, border multiplicities included.
    @Test(arguments: [(20, 17, 4), (31, 12, 4), (22, 19, 2)])
    func coverageIsPipelineCount(width: Int, height: Int, overlap: Int) {
        let network = SparseCodingNetwork(dictionary: randomDictionary(atoms: 4, seed: 1), iterations: 1,
                                          overlap: overlap)
        var sum = Plane(width: width, height: height), count = Plane(width: width, height: height)
        let ones = [Double](repeating: 1, count: 25)
        for gx in Patches.grid(length: width, patchSize: 5, overlap: overlap) {
            for gy in Patches.grid(length: height, patchSize: 5, overlap: overlap) {
                ones.withUnsafeBufferPointer {
                    Patches.accumulate($0.baseAddress!, x: gx.position, y: gy.position, size: 5,
                                       weight: Double(gx.weight * gy.weight), sum: &sum, count: &count)
                }
            }
        }
        #expect(network.coverage(height: height, width: width) == count)
        if width == 20 { #expect(count[10, 8] == 25) } // interior, stride 1
    }

    /// The 9×9 size: patch side + 2·(radius of [1 0 −2 0 1]).
    @Test func layerOneFilterSize() {
        let network = SparseCodingNetwork(dictionary: randomDictionary(atoms: 3, seed: 2), iterations: 1)
        #expect(network.layerOne.count == 9 * 9 * 3)
    }
}

@Suite struct SparsePointwiseTests {
    /// Skipping zero channels gives the dense 1×1 convolution, including all-zero blocks and a
    /// last partial block.
    @Test func equalsDenseConvolution() {
        var rng = Xoshiro256(seed: 4)
        // Blocks of 32 pixels: a sparse block (few channels, gathered), an all-zero stretch, a
        // dense block (the dense path) and a last partial block.
        let pixels = 101, k = 64
        var input = [Double](repeating: 0, count: pixels * k)
        for p in 0..<pixels where p < 20 || p >= 64 {
            let density = p < 20 ? 0.01 : 0.5
            for c in 0..<k where rng.nextUniform() < density { input[p * k + c] = rng.nextGaussian() }
        }
        let weight = (0..<(k * k)).map { _ in rng.nextGaussian() }
        var sparse = [Double](repeating: .nan, count: pixels * k)
        SparsePointwise.forward(output: &sparse, input: input, weight: weight, pixels: pixels, channels: k)
        let dense = convolve(input, height: 1, width: pixels, channels: k, weights: weight, kernel: 1,
                             outChannels: k, workspace: Workspace<Double>())
        #expect(zip(sparse, dense).allSatisfy { abs($0 - $1) <= 1e-12 })
    }
}

@Suite struct ISTATests {
    /// One iteration is soft(Dᵀy/L, λ/L); many iterations reach the lasso minimiser's objective.
    @Test func firstIterationAndConvergence() {
        var rng = Xoshiro256(seed: 9)
        var atoms = Matrix<Double>(rows: 20, columns: 12), signals = Matrix<Double>(rows: 20, columns: 6)
        for i in atoms.elements.indices { atoms.elements[i] = rng.nextGaussian() }
        for i in signals.elements.indices { signals.elements[i] = rng.nextGaussian() }
        let dictionary = CodingDictionary(atoms)
        let lambda = 0.5, l = ISTA.lipschitzConstant(gram: dictionary.gram)
        let one = ISTA(iterations: 1).encode(signals, dictionary: dictionary, lambda: lambda)
        for n in 0..<signals.columns {
            let c = matvec(atoms, transpose: true, signals.column(n))
            let expected = c.map { ISTA.softThreshold($0 / l, lambda / l) }
            #expect(zip(one.dense(n), expected).allSatisfy { abs($0 - $1) < 1e-14 })
        }
        let many = ISTA(iterations: 5000).encode(signals, dictionary: dictionary, lambda: lambda)
        let exact = FeatureSign().encode(signals, dictionary: dictionary, lambda: lambda)
        let a = SparseObjective.total(signals: signals, codes: many, dictionary: atoms, lambda: lambda)
        let b = SparseObjective.total(signals: signals, codes: exact, dictionary: atoms, lambda: lambda)
        #expect(abs(a - b) <= 1e-9 * b, "ISTA \(a) vs feature-sign \(b)")
    }
}
