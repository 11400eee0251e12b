import Foundation
import Testing
import ExampleBased
import Imaging
import LinearAlgebra
import SeededRandom
import TensorFile
@testable import ExampleBasedTraining

/// K-SVD on a planted problem: signals that are exact 3-sparse combinations of a random
/// dictionary.
@Suite struct KSVDTests {
    static func planted(d: Int = 20, atoms: Int = 40, signals: Int = 4000, seed: UInt64 = 7) -> (dictionary: Matrix<Double>, data: Matrix<Double>) {
        var random = Xoshiro256(seed: seed)
        var dictionary = gaussian(d, atoms, random: &random)
        for j in 0..<atoms { KSVD.normalise(&dictionary, column: j) }
        var data = Matrix<Double>(rows: d, columns: signals)
        for n in 0..<signals {
            var picked: [Int] = [] // an array: a Set's order changes from run to run
            while picked.count < 3 {
                let a = random.nextIndex(atoms)
                if !picked.contains(a) { picked.append(a) }
            }
            for a in picked {
                let c = (random.nextUniform() + 0.5) * (random.nextIndex(2) == 0 ? -1 : 1)
                for i in 0..<d { data[i, n] += c * dictionary[i, a] }
            }
        }
        return (dictionary, data)
    }

    @Test func recoversAPlantedDictionary() throws {
        let (truth, data) = Self.planted()
        var settings = KSVD.Settings()
        settings.atoms = truth.columns
        settings.iterations = 40
        settings.replacementCandidates = 500
        var random = Xoshiro256(seed: 1)
        let result = try KSVD.train(data: data, settings: settings, random: &random)
        let overlaps = matmul(truth, transposeA: true, result.dictionary)
        let recovered = (0..<truth.columns).filter { j in
            (0..<truth.columns).contains { abs(overlaps[j, $0]) > 0.99 }
        }.count
        #expect(recovered >= truth.columns * 9 / 10, "recovered \(recovered) of \(truth.columns) atoms")
        let errors = result.reports.map(\.error)
        #expect(errors.last! < 0.5 * errors.first!, "RMSE \(errors)")
    }

    /// Each approximate K-SVD atom update is a descent step on ‖X − DΓ‖² (the coefficients are
    /// optimal for the new atom, which is at least as good as the old one for the old
    /// coefficients), so a sweep over the atoms never raises the error.
    @Test func atomUpdatesNeverRaiseTheError() throws {
        let (truth, data) = Self.planted(seed: 11)
        var random = Xoshiro256(seed: 3)
        var dictionary = gaussian(truth.rows, truth.columns, random: &random)
        for j in 0..<dictionary.columns { KSVD.normalise(&dictionary, column: j) }
        let settings = KSVD.Settings()
        for _ in 0..<5 {
            var codes = KSVD.sparseCode(data, dictionary: dictionary, sparsity: 3)
            var previous = KSVD.totalSquaredError(data, dictionary: dictionary, codes: codes)
            for atom in 0..<dictionary.columns {
                var unused = [Int32]((0..<data.columns).map { Int32($0) })
                var replaced = [Bool](repeating: false, count: dictionary.columns)
                KSVD.updateAtoms(data, dictionary: &dictionary, codes: &codes, order: [atom], unused: &unused,
                                 replaced: &replaced, settings: settings, random: &random)
                let now = KSVD.totalSquaredError(data, dictionary: dictionary, codes: codes)
                #expect(now <= previous * (1 + 1e-12), "atom \(atom): \(previous) → \(now)")
                previous = now
            }
        }
    }

    /// The seed fixes every random choice.
    @Test func theSameSeedGivesTheSameDictionary() throws {
        let (_, data) = Self.planted(signals: 600)
        var settings = KSVD.Settings()
        settings.atoms = 40
        settings.iterations = 3
        var a = Xoshiro256(seed: 5), b = Xoshiro256(seed: 5), c = Xoshiro256(seed: 6)
        let first = try KSVD.train(data: data, settings: settings, random: &a).dictionary
        #expect(try KSVD.train(data: data, settings: settings, random: &b).dictionary == first)
        #expect(try KSVD.train(data: data, settings: settings, random: &c).dictionary != first)
    }

    @Test func tooFewSignalsIsRefused() throws {
        let (_, data) = Self.planted(signals: 20)
        var settings = KSVD.Settings()
        settings.atoms = 40
        var random = Xoshiro256(seed: 0)
        #expect(throws: KSVD.TrainingError.tooFewSignals(found: 20, needed: 40)) {
            try KSVD.train(data: data, settings: settings, random: &random)
        }
    }

    /// Dh = P·Γᵀ·(Γ·Γᵀ)⁻¹ is the least-squares fit: with patches made by a planted HR dictionary
    /// from the codes, it is recovered.
    @Test func highDictionaryIsTheLeastSquaresFit() throws {
        let (low, data) = Self.planted(signals: 800)
        let codes = KSVD.sparseCode(data, dictionary: low, sparsity: 3)
        var random = Xoshiro256(seed: 9)
        let planted = gaussian(7, low.columns, random: &random)
        var patches = Matrix<Double>(rows: 7, columns: data.columns)
        for n in 0..<data.columns { for s in 0..<3 where codes.atoms[n * 3 + s] >= 0 {
            for i in 0..<7 { patches[i, n] += planted[i, Int(codes.atoms[n * 3 + s])] * codes.values[n * 3 + s] }
        } }
        let (high, ridge) = try KSVD.highDictionary(patches: patches, codes: codes, atoms: low.columns)
        #expect(ridge == 0)
        let difference = zip(high.elements, planted.elements).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-9)
    }
}

@Suite struct PCATests {
    /// Features with a known spectrum: the kept components carry ≥ 99.9% of the energy, and
    /// one fewer would not.
    @Test func keepsTheSmallestSetWithNinetyNinePointNinePercent() throws {
        var random = Xoshiro256(seed: 2)
        let f = 20, n = 4000
        // Per-dimension scales falling geometrically in a random rotation.
        var q = gaussian(f, f, random: &random)
        for j in 0..<f { // Gram–Schmidt
            for k in 0..<j {
                let dot = (0..<f).reduce(0.0) { $0 + q[$1, j] * q[$1, k] }
                for i in 0..<f { q[i, j] -= dot * q[i, k] }
            }
            KSVD.normalise(&q, column: j)
        }
        var latent = gaussian(f, n, random: &random)
        for i in 0..<f { for c in 0..<n { latent[i, c] *= Foundation.pow(0.6, Double(i)) } }
        let features = matmul(q, latent)
        let pca = try PrincipalComponents(features: features)
        let eigen = pca.eigenvalues, total = eigen.reduce(0, +)
        let kept = pca.basis.columns
        #expect(pca.keptEnergy >= 0.999)
        let oneFewer = eigen.suffix(kept - 1).reduce(0, +) / total
        #expect(oneFewer < 0.999)
        #expect(kept < f && kept > 1)
        // Orthonormal columns, ascending eigenvalues (the release's order).
        let gram = matmul(pca.basis, transposeA: true, pca.basis)
        for i in 0..<kept { for j in 0..<kept { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-10) } }
        #expect(eigen == eigen.sorted())
    }
}

@Suite struct AplusRegressorTests {
    static func pool(n: Int, d: Int, p: Int, seed: UInt64) -> (features: [Float], patches: [Float]) {
        var random = Xoshiro256(seed: seed)
        return ((0..<(n * d)).map { _ in Float(random.nextGaussian()) }, (0..<(n * p)).map { _ in Float(random.nextGaussian()) })
    }

    /// The release's quirk: LR samples are divided by their norm, HR samples only when it is ≥ 0.1.
    @Test func normalisationKeepsTheReleaseQuirk() {
        var features: [Float] = [3, 4, 0.03, 0.04, 0, 0]
        var patches: [Float] = [10, 20, 10, 20, 10, 20]
        AplusRegressorTraining.normalise(features: &features, patches: &patches, pcaDimension: 2, patchLength: 2)
        #expect(features[0] == 0.6 && features[1] == 0.8)
        #expect(patches[0] == 2 && patches[1] == 4)
        #expect(abs(features[2] - 0.6) < 1e-6 && abs(features[3] - 0.8) < 1e-6)
        #expect(patches[2] == 10 && patches[3] == 20) // norm 0.05 < 0.1: HR kept
        #expect(features[4] == 0 && features[5] == 0 && patches[4] == 10)
    }

    /// The streamed selection returns the same neighbours, in the same order, as a full sort.
    @Test func nearestSamplesMatchAFullSort() {
        let (d, n) = (5, 3000)
        var (features, patches) = Self.pool(n: n, d: d, p: 3, seed: 4)
        AplusRegressorTraining.normalise(features: &features, patches: &patches, pcaDimension: d, patchLength: 3)
        var random = Xoshiro256(seed: 8)
        var anchors = gaussian(d, 7, random: &random)
        for j in 0..<7 { KSVD.normalise(&anchors, column: j) }
        let found = AplusRegressorTraining.nearest(features: features, pcaDimension: d, anchors: anchors, count: 100)
        for k in 0..<7 {
            let distances = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Foundation.pow(Double(features[j * d + $1]) - anchors[$1, k], 2) } }
            let sorted = (0..<n).sorted { distances[$0] < distances[$1] }.prefix(100).map { Int32($0) }
            #expect(found[k] == Array(sorted))
        }
    }

    /// The primal d × d solves give the release's dual-form regressors, computed naively (the
    /// authors' test below holds the real-size case to the naive primal form).
    @Test func regressorsEqualTheNaiveRidgeSolution() throws {
        let (d, p, n, k, m) = (4, 6, 400, 5, 60)
        var (features, patches) = Self.pool(n: n, d: d, p: p, seed: 12)
        AplusRegressorTraining.normalise(features: &features, patches: &patches, pcaDimension: d, patchLength: p)
        var random = Xoshiro256(seed: 13)
        var anchors = gaussian(d, k, random: &random)
        for j in 0..<k { KSVD.normalise(&anchors, column: j) }
        let fast = try AplusRegressorTraining.regressors(features: features, patches: patches, pcaDimension: d, patchLength: p,
                                                         anchors: anchors, neighbours: m)
        for atom in 0..<k {
            let naive = naiveAplusRegressor(features: features, patches: patches, d: d, p: p,
                                            atom: anchors.column(atom), count: m, lambda: 0.1, dual: true)
            let scale = naive.flatMap { $0 }.map(abs).max()!
            for i in 0..<p { for j in 0..<d { #expect(abs(fast[atom][i, j] - naive[i][j]) <= 1e-10 * scale) } }
        }
    }

    @Test func tooFewSamplesIsRefused() throws {
        let (features, patches) = Self.pool(n: 30, d: 4, p: 4, seed: 1)
        #expect(throws: AplusRegressorTraining.TrainingError.tooFewSamples(found: 30, needed: 2048)) {
            try AplusRegressorTraining.regressors(features: features, patches: patches, pcaDimension: 4, patchLength: 4,
                                                  anchors: Matrix.identity(4))
        }
    }
}

/// On the authors' data: A+ regressors over their x2 dictionary from a few T91 images.
@Suite(.enabled(if: aplusRoot != nil && dataRoot != nil, "needs SRLAB_REFERENCE with aplus/ and SRLAB_DATA"))
struct AuthorsDictionaryTests {
    @Test func firstAtomsEqualANaiveComputation() throws {
        let c = try ZeydeConfiguration(contentsOf: aplusRoot!.appendingPathComponent("zeyde_conf_x2.safetensors").path, scale: 2)
        let images = try t91(first: 4)
        var pool = SamplePyramid.collect(images: images, configuration: c, limit: nil, levels: 2)
        #expect(pool.levelsCollected == 2 && pool.count == pool.available)
        // The pool is the per-image samples, level by level: level 0 of image 0 comes first.
        let first = TrainingSamples.pairs(highRes: images[0], scale: 2, step: 1, filters: c.filters)
        let projected = matmul(c.pca, transposeA: true, first.features)
        #expect((0..<projected.elements.count).allSatisfy { abs(Double(pool.features[$0]) - projected.elements[$0]) <= 1e-6 })
        #expect((0..<first.patches.elements.count).allSatisfy { abs(Double(pool.patches[$0]) - first.patches.elements[$0]) <= 1e-6 })

        AplusRegressorTraining.normalise(features: &pool.features, patches: &pool.patches, pcaDimension: pool.pcaDimension, patchLength: pool.patchLength)
        let atoms = 3
        let anchors = c.lowDictionary.columns(Array(0..<atoms))
        let fast = try AplusRegressorTraining.regressors(features: pool.features, patches: pool.patches, pcaDimension: pool.pcaDimension,
                                                         patchLength: pool.patchLength, anchors: anchors)
        for atom in 0..<atoms {
            let naive = naiveAplusRegressor(features: pool.features, patches: pool.patches, d: pool.pcaDimension, p: pool.patchLength,
                                            atom: anchors.column(atom), count: 2048, lambda: 0.1, dual: false)
            let scale = naive.flatMap { $0 }.map(abs).max()!
            let difference = (0..<pool.patchLength).flatMap { i in (0..<pool.pcaDimension).map { abs(fast[atom][i, $0] - naive[i][$0]) } }.max()!
            #expect(difference <= 1e-6 * scale, "atom \(atom): \(difference) vs scale \(scale)")
        }
    }
}

@Suite struct ModelFileTests {
    static func smallConfiguration(scale: Int = 2, atoms: Int = 30) -> ZeydeConfiguration {
        var random = Xoshiro256(seed: 21)
        let w = 3 * scale, f = 4 * w * w, d = 6
        var pca = Matrix<Double>(rows: f, columns: d)
        for j in 0..<d { pca[j * 3, j] = 1 }
        var low = gaussian(d, atoms, random: &random)
        for j in 0..<atoms { KSVD.normalise(&low, column: j) }
        return ZeydeConfiguration(scale: scale, pca: pca, lowDictionary: low, highDictionary: gaussian(w * w, atoms, random: &random))
    }

    /// Written files load with the inference side's loaders and run.
    @Test func writtenFilesLoadAndRun() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ebtrain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let c = Self.smallConfiguration()
        let confPath = folder.appendingPathComponent("zeyde_x2.safetensors").path
        try TrainedModelFile.configurationFile(c, provenance: ["seed": "0"]).write(to: confPath)
        let loaded = try ZeydeConfiguration(contentsOf: confPath, scale: 2)
        #expect(loaded.pca == c.pca && loaded.lowDictionary == c.lowDictionary && loaded.highDictionary == c.highDictionary)
        #expect(throws: ExampleBasedError.self) { try ZeydeConfiguration(contentsOf: confPath, scale: 3) }

        var random = Xoshiro256(seed: 2)
        let regressors = (0..<c.atoms).map { _ in gaussian(c.patchLength, c.pcaDimension, random: &random) }
        let regPath = folder.appendingPathComponent("aplus_x2.safetensors").path
        let name = TrainedModelFile.relativeName(of: confPath, from: regPath)
        #expect(name == "zeyde_x2.safetensors")
        try TrainedModelFile.regressorFile(regressors, scale: 2, dictionary: name, provenance: [:]).write(to: regPath)
        let back = try AnchoredRegressorFile.load(contentsOf: regPath, for: loaded)
        #expect(back.count == c.atoms)
        #expect(zip(back[3].elements, regressors[3].elements).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
        let file = try SafeTensorsFile(contentsOf: regPath)
        #expect(file.metadata["kind"] == "aplus-regressors" && file.metadata["dictionary"] == name && file.metadata["scale"] == "2")
        let sr = try ExampleBasedSR(method: .aplus, configuration: URL(fileURLWithPath: confPath),
                                    regressors: URL(fileURLWithPath: regPath), scale: 2)
        let low = Plane(width: 20, height: 16, values: (0..<320).map { Double($0 % 17) / 17 })
        let out = sr.upscale(lowRes: low)
        #expect(out.width == 40 && out.height == 32 && out.values.allSatisfy(\.isFinite))
        // A regressor file is not a configuration.
        #expect(throws: ExampleBasedError.self) { try ZeydeConfiguration(contentsOf: regPath, scale: 2) }
    }

    /// Outputs: a new file or srlab's own of the same kind may be written; anything else is refused.
    @Test func onlyNewOrOwnFilesOfTheKindAreReplaced() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ebtrain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kind = TrainedModelFile.configurationKind
        let fresh = folder.appendingPathComponent("new.safetensors").path
        try TrainedModelFile.checkReplaceable(fresh, kind: kind, option: "-o")
        let own = folder.appendingPathComponent("own.safetensors").path
        try TrainedModelFile.configurationFile(Self.smallConfiguration(), provenance: [:]).write(to: own)
        try TrainedModelFile.checkReplaceable(own, kind: kind, option: "-o")
        #expect(throws: TrainedModelFile.OutputError.self) { try TrainedModelFile.checkReplaceable(own, kind: TrainedModelFile.regressorKind, option: "-o") }
        let foreign = folder.appendingPathComponent("notes.txt").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: foreign))
        #expect(throws: TrainedModelFile.OutputError.self) { try TrainedModelFile.checkReplaceable(foreign, kind: kind, option: "-o") }
        let authors = folder.appendingPathComponent("authors.safetensors").path
        try SafeTensorsFile(tensors: ["x": Tensor(shape: [1], floats: [1])], metadata: ["scale": "2"]).write(to: authors)
        #expect(throws: TrainedModelFile.OutputError.self) { try TrainedModelFile.checkReplaceable(authors, kind: kind, option: "-o") }
    }

    /// A training set too small for the dictionary is refused with the counts.
    @Test func tooFewPatchesIsRefused() throws {
        let image = Plane(width: 60, height: 45, values: (0..<2700).map { Double(($0 * 7) % 13) / 13 })
        let settings = ZeydeDictionaryTraining.Settings(scale: 3)
        // 60×45 at x3: (20 − 5)/2 + 1 = 8 by (15 − 5)/2 + 1 = 6 patches.
        #expect(throws: ZeydeDictionaryTraining.TrainingError.tooFewPatches(found: 48, needed: 1024, images: 1)) {
            try ZeydeDictionaryTraining.train(images: [image], trainingSet: "tiny", settings: settings)
        }
    }

    /// The training grid (step 2) against the release's `sampling_grid`: corners s, 3s, 5s, …
    @Test func trainingGridFollowsSamplingGrid() {
        let grid = PatchGrid(width: 60, height: 45, scale: 3, step: 2)
        #expect(grid.rowCount == 6 && grid.columnCount == 8)
        #expect(grid.corner(0) == (3, 3) && grid.corner(1) == (9, 3) && grid.corner(6) == (3, 9))
        let last = grid.corner(grid.count - 1)
        #expect(last.row + 3 * 3 + 3 <= 45 && last.column + 12 <= 60)
        // Step 1 is the test grid.
        #expect(PatchGrid(width: 60, height: 45, scale: 3, step: 1).count == PatchGrid(width: 60, height: 45, scale: 3).count)
    }
}
