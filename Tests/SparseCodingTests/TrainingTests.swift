import SeededRandom
import Foundation
import Testing
import Imaging
import LinearAlgebra
@testable import SparseCoding

/// Smooth random test images (sums of a few sinusoids plus noise), 0–255 scale.
func syntheticImages(count: Int, width: Int = 48, height: Int = 40, seed: UInt64 = 1) -> [Plane] {
    var rng = Xoshiro256(seed: seed)
    return (0..<count).map { _ in
        var p = Plane(width: width, height: height)
        let f = (0..<4).map { _ in (rng.nextUniform() * 0.8, rng.nextUniform() * 0.8, rng.nextUniform() * 6) }
        for y in 0..<height {
            for x in 0..<width {
                var v = 128.0
                for (fx, fy, phase) in f { v += 30 * sin(fx * Double(x) + fy * Double(y) + phase) }
                p[x, y] = v + 5 * rng.nextGaussian()
            }
        }
        return p
    }
}

@Suite struct TrainingTests {
    @Test func samplingIsSeededMeanFreeAndSpreadByArea() {
        let images = syntheticImages(count: 2) + syntheticImages(count: 1, width: 96, height: 80, seed: 9)
        let a = TrainingPairs.sample(images: images, scale: 3, count: 600, seed: 5)
        let b = TrainingPairs.sample(images: images, scale: 3, count: 600, seed: 5)
        #expect(a.high == b.high && a.low == b.low)
        // areas 48·39, 48·39, 96·78 (modcropped to multiples of 3): floor shares 100, 100, 400
        #expect(a.count == 600)
        for n in 0..<a.count { #expect(abs(a.high.column(n).reduce(0, +)) < 1e-9) }
        #expect(a.low.rows == 100 && a.high.rows == 25)
        let c = TrainingPairs.sample(images: images, scale: 3, count: 600, seed: 6)
        #expect(c.high != a.high)
    }

    @Test func flatImagesLeaveTooFewPatches() {
        let flat = [Plane(width: 40, height: 40, repeating: 90), Plane(width: 50, height: 30, repeating: 10)]
        let pairs = TrainingPairs.sample(images: flat, scale: 2, count: 500, seed: 0)
        #expect(throws: DictionaryTrainingError.tooFewPatches(kept: 0, sampled: pairs.sampled, needed: 16, threshold: 10)) {
            _ = try DictionaryTrainer(configuration: TrainingConfiguration(scale: 2, atoms: 16, samples: 500), pairs: pairs,
                                      trainingSet: "flat")
        }
    }

    @Test func dualUpdateSatisfiesItsOptimalityConditions() throws {
        let (dictionary, signals) = randomProblem(dimension: 12, atoms: 20, count: 300, seed: 8)
        let codes = LassoHomotopy().encode(signals, dictionary: dictionary, lambda: 0.05)
        let (sst, xst) = DictionaryUpdate.statistics(signals: signals, codes: codes)
        let result = try DictionaryUpdate.update(previous: dictionary.atoms, sst: sst, xst: xst, multipliers: nil)
        let b = result.dictionary
        // unit atoms wherever the multiplier is positive
        for j in 0..<b.columns where result.multipliers[j] > 0 {
            #expect(abs(b.column(j).reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
        }
        // stationarity: B (SSᵀ + diag λ) = XSᵀ
        var lhs = matmul(b, sst)
        for j in 0..<b.columns { for i in 0..<b.rows { lhs[i, j] += b[i, j] * result.multipliers[j] } }
        let residual = zip(lhs.elements, xst.elements).map { abs($0 - $1) }.max()!
        #expect(residual < 1e-6 * (xst.elements.map(abs).max()!))
        // and it fits X at least as well as the dictionary it replaced
        func misfit(_ d: Matrix<Double>) -> Double {
            var cross = 0.0, quad = 0.0
            for i in d.elements.indices { cross += d.elements[i] * xst.elements[i] }
            let g = matmul(d, transposeA: true, d)
            for i in g.elements.indices { quad += g.elements[i] * sst.elements[i] }
            return quad - 2 * cross
        }
        #expect(misfit(b) <= misfit(dictionary.atoms) + 1e-9)
    }

    @Test func objectiveFallsAndResumeIsBitIdentical() throws {
        let images = syntheticImages(count: 3, width: 64, height: 56)
        let settings = TrainingConfiguration(scale: 2, atoms: 24, samples: 1500, rounds: 4, seed: 3)
        let pairs = TrainingPairs.sample(images: images, scale: 2, count: settings.samples, seed: settings.seed)
        let trainer = try DictionaryTrainer(configuration: settings, pairs: pairs, trainingSet: "synthetic")
        var objectives: [Double] = []
        let straight = try trainer.train(checkpoint: temporaryPath("a.checkpoint")) { objectives.append($0.objective) }
        #expect(objectives.count == 4)
        for r in 1..<objectives.count { #expect(objectives[r] <= objectives[r - 1] * (1 + 1e-9)) }

        let checkpoint = temporaryPath("b.checkpoint")
        _ = try trainer.train(checkpoint: checkpoint, stopAfter: 2)
        var resumedRounds: [Int] = []
        let resumed = try trainer.train(checkpoint: checkpoint, resume: true) { resumedRounds.append($0.round) }
        #expect(resumedRounds == [3, 4])
        #expect(resumed.high.elements.map(\.bitPattern) == straight.high.elements.map(\.bitPattern))
        #expect(resumed.low.elements.map(\.bitPattern) == straight.low.elements.map(\.bitPattern))
        #expect(resumed.metadata.scale == 2 && resumed.metadata.seed == 3)

        // a checkpoint from other settings is refused
        let other = try DictionaryTrainer(configuration: TrainingConfiguration(scale: 2, atoms: 24, samples: 1500, rounds: 5, seed: 3),
                                          pairs: pairs, trainingSet: "synthetic")
        #expect(throws: DictionaryTrainingError.self) { _ = try other.train(checkpoint: checkpoint, resume: true) }
    }
}
