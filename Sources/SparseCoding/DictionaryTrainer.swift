import SeededRandom
import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// Settings of one dictionary training run; recorded in the checkpoint and the output file.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    public var scale: Int
    public var atoms: Int
    /// Patch pairs drawn before pruning (the release: 100,000).
    public var samples: Int
    /// λ of the training objective ½‖X − BS‖² + λ‖S‖₁ (the release: 0.15).
    public var lambda: Double
    public var rounds: Int
    public var patchSize: Int
    public var seed: UInt64
    /// Pairs whose HR patch variance is at most this (0–255 scale) are pruned (the release: 10).
    public var varianceThreshold: Double

    public init(scale: Int = 2, atoms: Int = 1024, samples: Int = 100_000, lambda: Double = 0.15,
                rounds: Int = 40, patchSize: Int = 5, seed: UInt64 = 0, varianceThreshold: Double = 10) {
        self.scale = scale; self.atoms = atoms; self.samples = samples; self.lambda = lambda
        self.rounds = rounds; self.patchSize = patchSize; self.seed = seed
        self.varianceThreshold = varianceThreshold
    }
}

/// What one round did, for progress printing and logs.
public struct RoundReport: Sendable {
    public let round: Int
    public let rounds: Int
    /// ½‖X − BS‖² + λ‖S‖₁ over all training signals, with this round's codes and the dictionary
    /// they were coded against (before the update), as the release's `getObjective2` reports it.
    public let objective: Double
    public let meanNonzeros: Double
    public let codingSeconds: Double
    public let updateSeconds: Double
    public let etaSeconds: Double
    public let newtonIterations: Int
    public let unusedAtoms: Int
}

/// Joint dictionary learning of the release's `train_coupled_dict.m` / `reg_sparse_coding.m`:
/// from pruned, normalised, stacked patch pairs X, alternate `rounds` times between sparse coding
/// all of X against B (λ) and the Lagrange-dual dictionary update, starting from a random B
/// (uniform −0.5…0.5, column means removed, unit columns); Dh and Dl are the top p² and bottom
/// 4p² rows of B.
///
/// Note: codes come from `LassoHomotopy` (the same minimiser as the release's feature-sign,
/// faster); the dual is solved by projected Newton (`DictionaryUpdate`) rather than fmincon.
/// Every round writes a checkpoint (B, the dual multipliers, the round, the configuration and a
/// fingerprint of X) atomically; resuming from it continues bit-identically because a round
/// depends only on those, and BLAS runs on one thread so the bits do not depend on the machine's
/// thread setting either.
public final class DictionaryTrainer {
    public let configuration: TrainingConfiguration
    /// The joint signals [√(p²)·Xh ; √(4p²)·Xl], unit columns.
    public let signals: Matrix<Double>
    public let sampledPairs: Int
    public let trainingSet: String
    let fingerprint: String

    public init(configuration: TrainingConfiguration, pairs: TrainingPairs, trainingSet: String) throws {
        self.configuration = configuration
        let kept = pairs.pruned(varianceThreshold: configuration.varianceThreshold)
        guard kept.count >= configuration.atoms else {
            throw DictionaryTrainingError.tooFewPatches(kept: kept.count, sampled: pairs.sampled, needed: configuration.atoms,
                                              threshold: configuration.varianceThreshold)
        }
        signals = kept.jointSignals()
        guard signals.columns >= configuration.atoms else {
            throw DictionaryTrainingError.tooFewPatches(kept: signals.columns, sampled: pairs.sampled, needed: configuration.atoms,
                                              threshold: configuration.varianceThreshold)
        }
        sampledPairs = pairs.sampled
        self.trainingSet = trainingSet
        fingerprint = DictionaryTrainer.fingerprint(signals)
    }

    /// The release's start: uniform in [−0.5, 0.5), each column's mean removed, unit columns.
    public static func initialDictionary(dimension: Int, atoms: Int, seed: UInt64) -> Matrix<Double> {
        var rng = Xoshiro256(seed: seed ^ 0xD1C7_10AA_2B5E_ED00) // a stream apart from the sampling one
        var b = Matrix<Double>(rows: dimension, columns: atoms)
        for j in 0..<atoms {
            for i in 0..<dimension { b[i, j] = rng.nextUniform() - 0.5 }
            let mean = (0..<dimension).reduce(0) { $0 + b[$1, j] } / Double(dimension)
            var norm = 0.0
            for i in 0..<dimension { b[i, j] -= mean; norm += b[i, j] * b[i, j] }
            for i in 0..<dimension { b[i, j] /= norm.squareRoot() }
        }
        return b
    }

    /// FNV-1a over the bits of X: a resumed run must train on the very same signals.
    static func fingerprint(_ x: Matrix<Double>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in x.elements {
            hash = (hash ^ v.bitPattern) &* 0x0000_0100_0000_01B3
        }
        return "\(x.rows)x\(x.columns)-\(String(hash, radix: 16))"
    }

    /// Runs the remaining rounds (all of them, or those after the checkpoint's when `resume`),
    /// writing `checkpoint` after each, and returns the coupled dictionary.
    /// `stopAfter` ends the run early after that many rounds in all (an interruption, for tests).
    public func train(checkpoint: String? = nil, resume: Bool = false, solver: any SparseSolver = LassoHomotopy(),
                      stopAfter: Int? = nil, progress: (RoundReport) -> Void = { _ in }) throws -> CoupledDictionary {
        // One BLAS thread throughout: OpenBLAS may sum in another order with another thread count,
        // and a resumed run must reproduce the bits whatever the machine's thread setting.
        try BLASThreads.with(1) {
            try trainRounds(checkpoint: checkpoint, resume: resume, solver: solver, stopAfter: stopAfter, progress: progress)
        }
    }

    private func trainRounds(checkpoint: String?, resume: Bool, solver: any SparseSolver, stopAfter: Int?,
                             progress: (RoundReport) -> Void) throws -> CoupledDictionary {
        let c = configuration
        var b = DictionaryTrainer.initialDictionary(dimension: signals.rows, atoms: c.atoms, seed: c.seed)
        var multipliers: [Double]? = nil
        var firstRound = 0
        if resume, let checkpoint, FileManager.default.fileExists(atPath: checkpoint) {
            (b, multipliers, firstRound) = try loadCheckpoint(checkpoint)
        }
        var squaredNorm = 0.0
        for v in signals.elements { squaredNorm += v * v }
        var secondsPerRound: [Double] = []
        for round in firstRound..<min(c.rounds, stopAfter ?? c.rounds) {
            let start = DispatchTime.now().uptimeNanoseconds
            let coding = CodingDictionary(b)
            let codes = solver.encode(signals, dictionary: coding, lambda: c.lambda)
            let coded = DispatchTime.now().uptimeNanoseconds
            let (sst, xst) = DictionaryUpdate.statistics(signals: signals, codes: codes)
            // ½‖X − BS‖² = ½(‖X‖² − 2⟨B, XSᵀ⟩ + ⟨BᵀB, SSᵀ⟩)
            var cross = 0.0, quadratic = 0.0
            for i in b.elements.indices { cross += b.elements[i] * xst.elements[i] }
            for i in sst.elements.indices { quadratic += coding.gram.elements[i] * sst.elements[i] }
            let l1 = codes.values.reduce(0) { $0 + abs($1) }
            let objective = 0.5 * (squaredNorm - 2 * cross + quadratic) + c.lambda * l1
            let unused = (0..<c.atoms).filter { sst[$0, $0] == 0 }.count
            let update = try DictionaryUpdate.update(previous: b, sst: sst, xst: xst, multipliers: multipliers)
            b = update.dictionary
            multipliers = update.multipliers
            if let checkpoint { try writeCheckpoint(checkpoint, dictionary: b, multipliers: update.multipliers, completed: round + 1) }
            let end = DispatchTime.now().uptimeNanoseconds
            secondsPerRound.append(Double(end - start) / 1e9)
            let recent = secondsPerRound.suffix(5)
            let eta = recent.reduce(0, +) / Double(recent.count) * Double(c.rounds - round - 1)
            progress(RoundReport(round: round + 1, rounds: c.rounds, objective: objective,
                                 meanNonzeros: Double(codes.nonzeroCount) / Double(codes.count),
                                 codingSeconds: Double(coded - start) / 1e9, updateSeconds: Double(end - coded) / 1e9,
                                 etaSeconds: eta, newtonIterations: update.newtonIterations, unusedAtoms: unused))
        }
        return coupled(b, solver: solver.name)
    }

    func coupled(_ b: Matrix<Double>, solver: String) -> CoupledDictionary {
        let area = configuration.patchSize * configuration.patchSize
        var high = Matrix<Double>(rows: area, columns: b.columns)
        var low = Matrix<Double>(rows: 4 * area, columns: b.columns)
        for j in 0..<b.columns {
            for i in 0..<area { high[i, j] = b[i, j] }
            for i in 0..<(4 * area) { low[i, j] = b[area + i, j] }
        }
        let metadata = DictionaryMetadata(scale: configuration.scale, patchSize: configuration.patchSize,
                                          lambda: configuration.lambda, seed: configuration.seed,
                                          trainingSet: trainingSet, samples: signals.columns,
                                          rounds: configuration.rounds, solver: solver)
        return CoupledDictionary(high: high, low: low, metadata: metadata)
    }

    func configurationJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(configuration), as: UTF8.self)
    }

    func writeCheckpoint(_ path: String, dictionary b: Matrix<Double>, multipliers: [Double], completed: Int) throws {
        let file = SafeTensorsFile(
            tensors: ["B": Tensor(dtype: .f64, shape: [b.rows, b.columns], values: b.rowMajor),
                      "multipliers": Tensor(dtype: .f64, shape: [multipliers.count], values: multipliers)],
            metadata: ["format": "srlab-scsr-checkpoint-1", "completed_rounds": "\(completed)",
                       "configuration": configurationJSON(), "signals": fingerprint, "training_set": trainingSet])
        try file.write(to: path)
    }

    func loadCheckpoint(_ path: String) throws -> (Matrix<Double>, [Double], Int) {
        let file = try SafeTensorsFile(contentsOf: path)
        guard file.metadata["format"] == "srlab-scsr-checkpoint-1" else {
            throw DictionaryTrainingError.checkpointMismatch(path: path, reason: "not an srlab ScSR training checkpoint")
        }
        guard file.metadata["configuration"] == configurationJSON() else {
            throw DictionaryTrainingError.checkpointMismatch(path: path, reason: "it was made with other settings: \(file.metadata["configuration"] ?? "none")")
        }
        guard file.metadata["signals"] == fingerprint else {
            throw DictionaryTrainingError.checkpointMismatch(path: path, reason: "its training signals differ (data or sampling changed)")
        }
        guard let done = file.metadata["completed_rounds"].flatMap(Int.init), done >= 0, done <= configuration.rounds else {
            throw DictionaryTrainingError.checkpointMismatch(path: path, reason: "bad completed_rounds")
        }
        let b = try file.tensor("B", shape: [signals.rows, configuration.atoms], path: path)
        let m = try file.tensor("multipliers", shape: [configuration.atoms], path: path)
        return (.fromRowMajor(rows: signals.rows, columns: configuration.atoms, b.values), m.values, done)
    }
}

/// The whole `srlab train sc` run as one call, so the command line and any other driver produce
/// the same file from the same settings: sample pairs from HR Y planes, prune, train with a
/// checkpoint per round, write the dictionary atomically.
public enum ScSRTraining {
    public static func run(images: [Plane], trainingSet: String, configuration: TrainingConfiguration,
                           output: String, checkpoint: String, resume: Bool,
                           log: (String) -> Void) throws -> CoupledDictionary {
        guard !images.isEmpty else { throw DictionaryTrainingError.noImages(source: trainingSet) }
        let pairs = TrainingPairs.sample(images: images, scale: configuration.scale, patchSize: configuration.patchSize,
                                         count: configuration.samples, seed: configuration.seed)
        let trainer = try DictionaryTrainer(configuration: configuration, pairs: pairs, trainingSet: trainingSet)
        log("sampled \(pairs.sampled) pairs from \(images.count) images; \(trainer.signals.columns) kept (HR variance > \(configuration.varianceThreshold))")
        let dictionary = try trainer.train(checkpoint: checkpoint, resume: resume) { r in
            log(String(format: "round %d/%d  objective %.3f  nonzeros/patch %.2f  unused atoms %d  coding %.1fs  update %.1fs (%d Newton)  ETA %@",
                       r.round, r.rounds, r.objective, r.meanNonzeros, r.unusedAtoms, r.codingSeconds,
                       r.updateSeconds, r.newtonIterations, formatDuration(r.etaSeconds)))
        }
        try dictionary.write(to: output)
        return dictionary
    }

    public static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
