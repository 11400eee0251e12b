import Foundation
import Imaging
import TensorFile

public enum SparseCodingNetworkError: Error, CustomStringConvertible {
    case invalidModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModel(let path, let reason): return "\(path): not a usable trainable sparse-coding network (scn) model: \(reason)"
        }
    }
}

/// Model files: safetensors, float32, the tensors of `SparseCodingNetworkConfiguration.tensorShapes`,
/// metadata `kind` = scn plus the configuration (scale, atoms, iterations, lipschitz, lambda) and
/// provenance (dictionary, gain, seed, epochs, departures, optimiser, validation PSNR).
///
/// The scale is part of the configuration: a file without `scale` (one of `SRProtocol.scales`) is not a model, so a
/// network never runs at a factor it was not trained for.
extension TrainableSparseCodingNetwork {
    public static let fileKind = "scn"
    /// The tensors of a model file (their names do not depend on the configuration's sizes).
    public static let tensorNames = Set(SparseCodingNetworkConfiguration(scale: 2, atoms: 1, iterations: 2, lipschitz: 1, lambda: 0)
        .tensorShapes.map(\.name))

    /// Loads a model; with `scale`, refuses one trained for another factor (what fine-tuning
    /// reads; `srlab` goes through the registry in Methods, which makes the same check).
    public init(contentsOf path: String, scale: Int? = nil) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path), path: path, scale: scale)
        modelPath = path
    }

    /// `init(file:path:tensorPrefix:)` for a model file, plus the scale check of `init(contentsOf:scale:)`.
    public init(file: SafeTensorsFile, path: String, scale: Int?) throws {
        try self.init(file: file, path: path)
        if let scale, configuration.scale != scale {
            throw ModelFileError.wrongScale(path: path, kind: Self.fileKind, trained: configuration.scale, requested: scale)
        }
    }

    /// Reads the configuration from the metadata and the tensors by name; `param.` is the prefix
    /// training checkpoints use (each tensor flat).
    public init(file: SafeTensorsFile, path: String = "<memory>", tensorPrefix: String = "") throws {
        func fail(_ reason: String) -> SparseCodingNetworkError { .invalidModel(path: path, reason: reason) }
        let m = file.metadata
        guard let configuration = Self.configuration(from: m) else {
            throw fail("its metadata has no scn configuration (kind \(m["kind"] ?? "none"); scale \(SRProtocol.scalesInWords), atoms ≥ 1, iterations ≥ 2, finite lipschitz > 0 and lambda)")
        }
        var parameters: [[Float]] = []
        for (name, shape) in configuration.tensorShapes {
            guard let found = file.tensors[tensorPrefix + name] else { throw fail("missing tensor \(tensorPrefix + name)") }
            // The configuration's sizes come from metadata: compare them with the tensor (whose
            // size the file bounds) before multiplying them.
            guard let count = Tensor.elementCount(shape) else {
                throw fail("tensor \(tensorPrefix + name) has shape \(found.shape), but the metadata's atoms and iterations ask for \(shape)")
            }
            let expected = tensorPrefix.isEmpty ? shape : [count]
            parameters.append(try file.floats(tensorPrefix + name, shape: expected.map { $0 }, path: path))
        }
        self.init(configuration: configuration, parameters: parameters, metadata: m)
    }

    static func configuration(from m: [String: String]) -> SparseCodingNetworkConfiguration? {
        guard m["kind"] == fileKind || m["kind"] == TrainableSparseCodingNetwork.checkpointKindName,
              let scale = m["scale"].flatMap({ Int($0) }), let atoms = m["atoms"].flatMap({ Int($0) }),
              let iterations = m["iterations"].flatMap({ Int($0) }), let l = m["lipschitz"].flatMap({ Double($0) }),
              let lambda = m["lambda"].flatMap({ Double($0) }),
              SRProtocol.scales.contains(scale), atoms > 0, iterations >= 2, l > 0, l.isFinite, lambda.isFinite else { return nil }
        return SparseCodingNetworkConfiguration(scale: scale, atoms: atoms, iterations: iterations, lipschitz: l, lambda: lambda)
    }

    /// The configuration as metadata strings (L and λ round-trip exactly).
    var configurationMetadata: [String: String] {
        let c = configuration
        return ["scale": "\(c.scale)", "atoms": "\(c.atoms)", "iterations": "\(c.iterations)",
                "lipschitz": "\(c.lipschitz)", "lambda": "\(c.lambda)"]
    }

    public func safeTensors() -> SafeTensorsFile {
        var tensors: [String: Tensor] = [:]
        for ((name, shape), values) in zip(configuration.tensorShapes, parameters) {
            tensors[name] = Tensor(shape: shape, floats: values)
        }
        var meta = metadata.merging(configurationMetadata) { _, new in new }
        meta["kind"] = Self.fileKind
        meta["departures"] = Self.departures
        meta["format"] = "trainable sparse-coding network (LISTA/SCN) on bicubic Y in [0,1]; HWIO cross-correlation; see Sources/SCN/TrainableSparseCodingNetwork.swift"
        return SafeTensorsFile(tensors: tensors, metadata: meta)
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        try safeTensors().write(to: path)
    }
}
