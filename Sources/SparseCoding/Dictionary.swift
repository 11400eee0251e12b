import Foundation
import Imaging
import LinearAlgebra
import TensorFile

/// How a coupled dictionary was made; stored as safetensors `__metadata__` strings.
public struct DictionaryMetadata: Sendable, Equatable {
    /// The upscaling factor the dictionary was trained for.
    public var scale: Int
    public var patchSize: Int
    /// λ of the training objective (the inference λ is a separate setting of `ScSR`).
    public var lambda: Double
    public var features: String
    public var seed: UInt64?
    public var trainingSet: String?
    public var samples: Int?
    public var rounds: Int?
    public var solver: String?

    public static let featureDescription = "conv2-same [-1 0 1], [-1 0 1]', [1 0 -2 0 1], [1 0 -2 0 1]' on bicubic mid-res"

    public init(scale: Int, patchSize: Int = 5, lambda: Double = 0.15, features: String = featureDescription,
                seed: UInt64? = nil, trainingSet: String? = nil, samples: Int? = nil, rounds: Int? = nil,
                solver: String? = nil) {
        self.scale = scale; self.patchSize = patchSize; self.lambda = lambda; self.features = features
        self.seed = seed; self.trainingSet = trainingSet; self.samples = samples; self.rounds = rounds
        self.solver = solver
    }

    var strings: [String: String] {
        var m = [SafeTensorsFile.kindKey: CoupledDictionary.fileKind,
                 "format": "srlab-scsr-dictionary-1", "scale": "\(scale)", "patch_size": "\(patchSize)",
                 "lambda": "\(lambda)", "features": features]
        if let seed { m["seed"] = "\(seed)" }
        if let trainingSet { m["training_set"] = trainingSet }
        if let samples { m["samples"] = "\(samples)" }
        if let rounds { m["rounds"] = "\(rounds)" }
        if let solver { m["solver"] = solver }
        return m
    }
}

public enum DictionaryError: Error, CustomStringConvertible, Equatable {
    case wrongShape(path: String, reason: String)
    case badMetadata(path: String, key: String, value: String)

    public var description: String {
        switch self {
        case .wrongShape(let path, let reason): return "\(path): not a coupled ScSR dictionary: \(reason)"
        case .badMetadata(let path, let key, let value): return "\(path): metadata '\(key)' has the unusable value '\(value)'"
        }
    }
}

/// Yang et al.'s coupled dictionary: column j of `high` (Dh, p² × K) is a mean-free
/// high-resolution patch and column j of `low` (Dl, 4p² × K) the four feature patches that go with
/// it, both in MATLAB column-major patch order. Stored as float64 safetensors `Dh` and `Dl`, the
/// layout of the release's own dictionaries, so those load unchanged.
public struct CoupledDictionary: Sendable {
    public var high: Matrix<Double>
    public var low: Matrix<Double>
    public var metadata: DictionaryMetadata

    public var atoms: Int { high.columns }

    /// The `kind` of dictionary files, and their tensors (by which files without a kind are known).
    public static let fileKind = "sc-dictionary"
    public static let tensorNames: Set<String> = ["Dh", "Dl"]
    /// Where a dictionary file states its scale: SRLab's `scale`, or the converted release files' `upscale`.
    public static let scaleKeys = ["scale", "upscale"]

    public init(high: Matrix<Double>, low: Matrix<Double>, metadata: DictionaryMetadata) {
        precondition(high.columns == low.columns && high.rows == metadata.patchSize * metadata.patchSize
                     && low.rows == Features.count * high.rows, "inconsistent coupled dictionary shapes")
        self.high = high; self.low = low; self.metadata = metadata
    }

    /// Reads and validates a dictionary (see `init(file:path:)`).
    public init(contentsOf path: String) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path), path: path)
    }

    /// Validates a dictionary file's tensors and metadata; errors name `path`.
    ///
    /// A dictionary is trained for one factor, so its metadata must say which: `scale` (SRLab's
    /// files) or `upscale` (the converted release files, ×2). A file stating neither is refused
    /// (`ModelFileError.missingScale`) rather than given a default factor. Other settings fall back to the release's (λ 0.15;
    /// the patch size comes from `Dh`). Both tensors must be finite and every `Dl` atom nonzero,
    /// since the coder divides by its norm.
    public init(file: SafeTensorsFile, path: String) throws {
        let dh = try file.tensor("Dh", path: path)
        let dl = try file.tensor("Dl", path: path)
        guard dh.shape.count == 2, dl.shape.count == 2 else {
            throw DictionaryError.wrongShape(path: path, reason: "Dh \(dh.shape) and Dl \(dl.shape) must both be 2-D [rows, atoms]")
        }
        // Atoms first: with at least one atom, the row counts are bounded by the file's size.
        guard dh.shape[1] == dl.shape[1], dh.shape[1] > 0 else {
            throw DictionaryError.wrongShape(path: path, reason: "Dh has \(dh.shape[1]) atoms and Dl \(dl.shape[1]); they must match and be nonzero")
        }
        let side = Int(Double(dh.shape[0]).squareRoot().rounded())
        guard side >= 2, side * side == dh.shape[0] else {
            throw DictionaryError.wrongShape(path: path, reason: "Dh has \(dh.shape[0]) rows, which is not patch² for any patch size ≥ 2")
        }
        guard dl.shape[0] == Features.count * dh.shape[0] else {
            throw DictionaryError.wrongShape(path: path, reason: "Dl has \(dl.shape[0]) rows, expected 4·\(dh.shape[0]) = \(4 * dh.shape[0]) (four feature maps of a \(side)×\(side) patch)")
        }
        let m = file.metadata
        // Our keys first, then the names the converted release files use (upscale, train_lambda).
        func number<T: LosslessStringConvertible>(_ keys: [String], _ fallback: T) throws -> T {
            guard let key = keys.first(where: { m[$0] != nil }), let text = m[key] else { return fallback }
            guard let value = T(text) else { throw DictionaryError.badMetadata(path: path, key: key, value: text) }
            return value
        }
        guard let scale = try file.statedScale(keys: Self.scaleKeys, path: path) else {
            throw ModelFileError.missingScale(path: path, kind: Self.fileKind)
        }
        var metadata = DictionaryMetadata(scale: scale, patchSize: side,
                                          lambda: try number(["lambda", "train_lambda"], 0.15),
                                          features: m["features"] ?? DictionaryMetadata.featureDescription,
                                          trainingSet: m["training_set"] ?? m["source"])
        if let p = m["patch_size"], Int(p) != side {
            throw DictionaryError.badMetadata(path: path, key: "patch_size", value: p)
        }
        guard metadata.lambda.isFinite, metadata.lambda >= 0 else {
            throw DictionaryError.badMetadata(path: path, key: m["lambda"] != nil ? "lambda" : "train_lambda", value: "\(metadata.lambda)")
        }
        metadata.seed = m["seed"].flatMap(UInt64.init)
        metadata.samples = m["samples"].flatMap(Int.init)
        metadata.rounds = m["rounds"].flatMap(Int.init)
        metadata.solver = m["solver"]
        // safetensors stores row-major [rows, atoms]; Matrix is column-major.
        high = .fromRowMajor(rows: dh.shape[0], columns: dh.shape[1], dh.values)
        low = .fromRowMajor(rows: dl.shape[0], columns: dl.shape[1], dl.values)
        self.metadata = metadata
        for j in 0..<low.columns {
            var squares = 0.0
            for i in 0..<low.rows { squares += low[i, j] * low[i, j] }
            guard squares > 0, squares.isFinite else {
                throw DictionaryError.wrongShape(path: path, reason: "Dl atom \(j) is \(squares > 0 ? "too large (its norm overflows)" : "all zeros"); every atom needs a finite, nonzero norm")
            }
        }
    }

    /// The first `count` HR atoms as square patches, for figures (MATLAB's column-major patch
    /// order: element r + p·c of an atom is row r, column c).
    public func highAtomTiles(count: Int) -> [Tile] {
        let p = metadata.patchSize
        return (0..<min(count, atoms)).map { j in
            Tile(size: p, values: (0..<(p * p)).map { i in high[(i % p) * p + i / p, j] })
        }
    }

    public func safeTensors() -> SafeTensorsFile {
        SafeTensorsFile(tensors: ["Dh": Tensor(dtype: .f64, shape: [high.rows, high.columns], values: high.rowMajor),
                                  "Dl": Tensor(dtype: .f64, shape: [low.rows, low.columns], values: low.rowMajor)],
                        metadata: metadata.strings)
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to path: String) throws {
        try safeTensors().write(to: path)
    }
}
