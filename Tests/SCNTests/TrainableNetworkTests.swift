import SeededRandom
import Foundation
import Testing
import Imaging
import LinearAlgebra
import SparseCoding
import ConvNet
import TensorFile
@testable import Equivalence
@testable import SCN
import Training
import _TestSupport

/// Smooth values on [0, 1] with some noise: N images of side × side, row-major.
func syntheticInputs(count: Int, side: Int, seed: UInt64) -> [Double] {
    var rng = Xoshiro256(seed: seed)
    return (0..<(count * side * side)).map { i in
        let x = Double(i % side), y = Double(i / side % side), k = Double(i / (side * side))
        return 0.5 + 0.3 * sin(x * 0.8 + k) * cos(y * 0.5) + 0.03 * rng.nextGaussian()
    }
}

@Suite struct TrainableNetworkTests {
    /// Central differences in Double on a 6-atom network with K = 2 and parameters moved off their
    /// initialisation (so S_t, θ_t and the reconstruction are not special), loss Σ(ŷ − y)²/(2B).
    @Test(arguments: [2, 3])
    func gradientsMatchCentralDifferences(iterations: Int) {
        var network = TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 6, seed: 5), iterations: iterations,
                                                   lambda: 0.01)
        var rng = Xoshiro256(seed: 17)
        for t in network.parameters.indices {
            network.parameters[t] = network.parameters[t].map { $0 * Float(1 + 0.2 * rng.nextGaussian()) }
        }
        let parameters = network.parameters.map { $0.map(Double.init) }
        let side = 17, batch = 2, label = side - 12
        let backprop = SparseCodingNetworkBackprop<Double>(configuration: network.configuration, batchCapacity: batch,
                                                            inputSize: side)
        let x = syntheticInputs(count: batch, side: side, seed: 3)
        let y = syntheticInputs(count: batch, side: label, seed: 4)
        func loss(_ p: [[Double]]) -> Double {
            let out = backprop.forward(parameters: p, inputs: x, batch: batch, height: side, width: side)
            return zip(out, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(2 * batch)
        }
        backprop.step(parameters: parameters, inputs: x, labels: y, batch: batch)
        let analytic = backprop.gradients
        // Not vacuous: some codes are active and some are not after the last threshold.
        let codes = backprop.codes
        #expect(codes.contains { $0 != 0 } && codes.contains { $0 == 0 })
        for t in parameters.indices {
            var worst = 0.0, largest = 0.0
            for i in parameters[t].indices {
                var plus = parameters, minus = parameters
                let h = 1e-6 * max(1, abs(parameters[t][i]))
                plus[t][i] += h; minus[t][i] -= h
                let numeric = (loss(plus) - loss(minus)) / (2 * h)
                worst = max(worst, abs(numeric - analytic[t][i]))
                largest = max(largest, abs(analytic[t][i]))
            }
            #expect(largest > 0, "tensor \(t) has no gradient")
            #expect(worst <= 1e-6 * largest, "tensor \(t): max |numeric − analytic| \(worst), largest gradient \(largest)")
        }
    }

    /// At initialisation the LISTA layers are ISTA: the codes at every position equal
    /// SparseCoding's `ISTA` on that patch's normalised feature vector (Dl with unit columns,
    /// λ/L, step 1/L), and the output is the average over the 25 covering patches of
    /// (gain·s·Dh w / 255 + the patch's mean).
    @Test func initialNetworkIsISTAAndLaysDownAtoms() throws {
        let dictionary = randomDictionary(atoms: 32, seed: 7)
        let k = 3, lambda = 0.05
        // In Double: the model's Float parameters would round the comparison to ~1e-7.
        var (configuration, parameters) = TrainableSparseCodingNetwork.initialisation(dictionary: dictionary, iterations: k,
                                                                                     lambda: lambda)
        let gain = 0.8
        parameters[3] = parameters[3].map { $0 * gain }
        let mid = syntheticImage(width: 22, height: 19, seed: 3)   // 0–255
        let backprop = SparseCodingNetworkBackprop<Double>(configuration: configuration, batchCapacity: 1)
        let out = backprop.forward(parameters: parameters,
                                   inputs: mid.values.map { $0 / 255 }, batch: 1, height: mid.height, width: mid.width)
        let codes = backprop.codes
        let hc = mid.height - 8, wc = mid.width - 8, n = 32, p = 5

        // The reference: ISTA on each patch's features, through SparseCoding's own solver.
        let low = SparseCodingNetwork.normalisedColumns(dictionary.low)
        let features = Features.extract(mid)
        var signals = Matrix<Double>(rows: 100, columns: hc * wc)
        var norms = [Double](repeating: 1, count: hc * wc)
        var y = [Double](repeating: 0, count: 100)
        for i in 0..<hc {
            for j in 0..<wc {
                for f in 0..<4 { Patches.extract(features[f], x: j + 2, y: i + 2, size: p, into: &y, offset: 25 * f) }
                let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
                norms[i * wc + j] = max(1, norm)
                for e in 0..<100 { signals[e, i * wc + j] = y[e] / max(1, norm) }
            }
        }
        let solved = ISTA(iterations: k, lipschitz: configuration.lipschitz)
            .encode(signals, dictionary: CodingDictionary(low), lambda: lambda)
        var expected = [Double](repeating: 0, count: hc * wc * n)
        for q in 0..<(hc * wc) {
            for e in solved.starts[q]..<solved.starts[q + 1] { expected[q * n + Int(solved.indices[e])] = solved.values[e] }
        }
        let worstCode = zip(codes, expected).map { abs($0 - $1) }.max()!
        #expect(worstCode <= 1e-12, "max |network − ISTA| code difference \(worstCode)")
        #expect(expected.filter { $0 != 0 }.count > hc * wc, "codes should not be (nearly) all zero")

        // Output: each pixel averages its 25 patches' (gain·s·Dh w + mean) on the 0–255 scale.
        let ho = hc - 4, wo = wc - 4
        var worst = 0.0
        for r in 0..<ho {
            for c in 0..<wo {
                var sum = 0.0
                for dy in 0..<p {
                    for dx in 0..<p {
                        let pi = r + dy, pj = c + dx, q = pi * wc + pj   // patch top-left (pi + 2, pj + 2)
                        let oy = p - 1 - dy, ox = p - 1 - dx                // the pixel's place in that patch
                        var atoms = 0.0
                        for a in 0..<n { atoms += dictionary.high[oy + p * ox, a] * expected[q * n + a] }
                        var mean = 0.0
                        for u in 0..<p { for v in 0..<p { mean += mid[pj + 2 + v, pi + 2 + u] } }
                        sum += gain * norms[q] * atoms + mean / 25
                    }
                }
                worst = max(worst, abs(out[r * wo + c] - sum / 25 / 255))
            }
        }
        #expect(worst <= 1e-10, "max |network − patch average| \(worst) on [0, 1]")
    }

    /// Whole-image inference: same size out, the border handled by replicating the input by 6,
    /// and the band height changes nothing beyond float rounding.
    @Test func wholeImageInferenceIsPaddedAndBandIndependent() {
        let network = TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 8, seed: 2), iterations: 2)
        let w = 23, h = 17
        let image = Plane(width: w, height: h, values: syntheticInputs(count: 1, side: 23, seed: 9).prefix(w * h).map { $0 })
        let whole = network.apply(to: image, bandRows: 100)
        let banded = network.apply(to: image, bandRows: 3)
        #expect(whole.width == w && whole.height == h)
        let bandDifference = zip(whole.values, banded.values).map { abs($0 - $1) }.max()!
        #expect(bandDifference <= 1e-6)
        // The same as the training forward on the replicate-padded image.
        var padded = Plane(width: w + 12, height: h + 12)
        for y in 0..<(h + 12) {
            for x in 0..<(w + 12) { padded[x, y] = image[min(max(x - 6, 0), w - 1), min(max(y - 6, 0), h - 1)] }
        }
        let backprop = SparseCodingNetworkBackprop<Float>(configuration: network.configuration, batchCapacity: 1)
        let direct = backprop.forward(parameters: network.parameters, inputs: padded.values.map { Float($0) }, batch: 1,
                                      height: h + 12, width: w + 12)
        #expect(zip(whole.values, direct).map { abs($0 - Double($1)) }.max()! <= 1e-6)
    }

    /// Progress counts output pixels band by band, across threads, and does not change the result.
    @Test func progressCountsEveryOutputPixel() {
        let network = TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 8, seed: 2), iterations: 2)
        let w = 23, h = 17
        let image = Plane(width: w, height: h, values: syntheticInputs(count: 1, side: 23, seed: 9).prefix(w * h).map { $0 })
        let lock = NSLock()
        nonisolated(unsafe) var reports: [(done: Int, total: Int)] = []
        let watched = network.apply(to: image, bandRows: 3, progress: { done, total in
            lock.lock(); reports.append((done, total)); lock.unlock()
        })
        #expect(reports.count == (h + 2) / 3)
        #expect(reports.allSatisfy { $0.total == w * h } && reports.last?.done == w * h)
        #expect(watched.values == network.apply(to: image, bandRows: 3).values)
    }

    @Test func modelFilesRoundTripAndForeignFilesAreRefused() throws {
        var network = TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 8, seed: 2), iterations: 3,
                                                   dictionaryName: "tiny.safetensors")
        network.metadata["seed"] = "4"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scn-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("scn.safetensors").path
        try network.write(to: path)
        let loaded = try TrainableSparseCodingNetwork(contentsOf: path, scale: 3)
        #expect(loaded.parameters == network.parameters && loaded.configuration == network.configuration)
        #expect(loaded.metadata["kind"] == "scn" && loaded.metadata["departures"] != nil && loaded.metadata["seed"] == "4")
        #expect(throws: ModelFileError.self) { try TrainableSparseCodingNetwork(contentsOf: path, scale: 2) }
        // A dictionary is not a network, and the error names the file.
        let other = folder.appendingPathComponent("dictionary.safetensors").path
        try SafeTensorsFile(tensors: ["Dh": Tensor(shape: [25, 2], floats: [Float](repeating: 0, count: 50))]).write(to: other)
        do {
            _ = try TrainableSparseCodingNetwork(contentsOf: other)
            Issue.record("a dictionary file loaded as a network")
        } catch {
            #expect("\(error)".contains(other))
        }
    }

    /// The training stack drives this network as it drives SRCNN, and resuming from a checkpoint
    /// continues bit-identically.
    @Test func resumeContinuesBitIdentically() throws {
        let planes = (0..<2).map { k in
            Plane(width: 61, height: 61, values: (0..<(61 * 61)).map { i in
                let x = Double(i % 61), y = Double(i / 61)
                return 0.5 + 0.4 * sin(x / Double(3 + k)) * cos(y / Double(4 + k))
            })
        }
        let set = SubImageSet(lumaPlanes: planes, scale: 3)
        var network = TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 6, seed: 5), iterations: 2)
        network.calibrateGain(on: set, samples: 8)
        func options(_ folder: URL, epochs: Int) -> TrainingOptions {
            var o = TrainingOptions()
            o.batchSize = 4
            o.epochs = epochs
            o.learningRate = 1e-3
            o.lastLayerLearningRate = 1e-3
            o.augment = true
            o.seed = 42
            o.outputFolder = folder.path
            o.threads = 1
            return o
        }
        let a = FileManager.default.temporaryDirectory.appendingPathComponent("scn-\(UUID())")
        let b = FileManager.default.temporaryDirectory.appendingPathComponent("scn-\(UUID())")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let straight = try SparseCodingNetworkTrainer(network: network, options: options(a, epochs: 3), trainingSet: set, validation: [])
        var losses: [Double] = []
        try straight.run { if case .epochEnd(let r) = $0 { losses.append(r.trainMSE) } }
        #expect(losses.last! < losses.first!, "losses \(losses)")
        let firstLeg = try SparseCodingNetworkTrainer(network: network, options: options(b, epochs: 1), trainingSet: set, validation: [])
        try firstLeg.run()
        let checkpoint = firstLeg.checkpointPath
        let resumed = try SparseCodingNetworkTrainer(resumingFrom: checkpoint, epochs: 3, trainingSet: set, validation: [])
        #expect(resumed.epoch == 1 && resumed.parameters == firstLeg.parameters)
        try resumed.run()
        #expect(resumed.parameters == straight.parameters && resumed.optimizerState == straight.optimizerState)
        #expect(resumed.parameters != firstLeg.parameters)
        let last = try TrainableSparseCodingNetwork(contentsOf: a.appendingPathComponent("last.safetensors").path)
        #expect(last.parameters == straight.parameters && last.metadata["epochs"] == "3")
        #expect(last.configuration == network.configuration && last.metadata["gain"] == network.metadata["gain"])
        #expect(last.metadata["optimiser"] == "Adam (0.9, 0.999, 1e-8), lr 0.001 (layer 1, LISTA) / 0.001 (reconstruction), batch 4")
        // A resumed run's model files carry provenance, not the checkpoint's trainer state.
        let resumedLast = try TrainableSparseCodingNetwork(contentsOf: b.appendingPathComponent("last.safetensors").path)
        #expect(resumedLast.metadata["rng_state"] == nil && resumedLast.metadata["epoch"] == nil)
        #expect(resumedLast.metadata["epochs"] == "3" && resumedLast.metadata["gain"] == network.metadata["gain"])
        // An SRCNN checkpoint is not this network's, nor the other way round.
        #expect(throws: TrainingError.self) { try SRCNNTrainer(resumingFrom: checkpoint, trainingSet: set, validation: []) }
        #expect(throws: TrainingError.self) {
            try TrainableSparseCodingNetwork(checkpoint: SafeTensorsFile(metadata: ["kind": "srcnn-training-checkpoint"]), path: "x")
        }
    }

    /// A fresh run from its settings: the dictionary must suit the run's scale, and the calibrated
    /// network is written as initial.safetensors before any training.
    @Test func aFreshRunStartsFromTheDictionary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scn-fresh-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for k in 0..<2 {
            let bytes = (0..<(61 * 61)).map { (i: Int) -> UInt8 in
                let x = Double(i % 61), y = Double(i / 61)
                return UInt8(128 + 100 * sin(x / Double(3 + k)) * cos(y / 4))
            }
            try ImageIO.writePNG(Image8(width: 61, height: 61, channels: 1, bytes: bytes), to: images.appendingPathComponent("\(k).png").path)
        }
        let dictionary = folder.appendingPathComponent("d.safetensors").path
        try randomDictionary(atoms: 6, seed: 5).write(to: dictionary)
        var settings = SparseCodingNetworkSettings()
        settings.dictionary = dictionary
        settings.iterations = 2
        var options = TrainingOptions()
        options.trainingFolder = images.path
        options.outputFolder = folder.appendingPathComponent("run").path
        options.batchSize = 4
        let trainer = try SparseCodingNetworkTrainer.fresh(settings: settings, options: options)
        let initial = try TrainableSparseCodingNetwork(contentsOf: options.outputFolder + "/initial.safetensors", scale: 3)
        #expect(initial.parameters == trainer.parameters && initial.metadata["dictionary"] == "d.safetensors")
        options.scale = 2
        // A dictionary for another factor is refused as every model file for the wrong scale is.
        #expect(throws: ModelFileError.wrongScale(path: dictionary, kind: CoupledDictionary.fileKind, trained: 3, requested: 2)) {
            try SparseCodingNetworkTrainer.fresh(settings: settings, options: options)
        }
        settings.dictionary = nil
        #expect(throws: TrainingError.self) { try SparseCodingNetworkTrainer.fresh(settings: settings, options: options) }
    }
}
