import ConvNet
import ExampleBased
import SCN
import SparseCoding
import TensorFile

/// A kind of model file: the `kind` key SRLab writes in it, the tensors by which a file without
/// that key (the authors' filters, files written before the key existed) is recognised, and the
/// metadata keys that state its scale. The names and tensors are the method modules' own.
public struct ModelKind: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Tensors every file of the kind has.
    public let tensorNames: Set<String>
    /// Tensors it may have besides (a configuration's matrices in single and/or double precision);
    /// the method's parser checks which it needs.
    public let optionalTensorNames: Set<String>
    /// Other complete sets a file of the kind may have instead (ResNet SR trained with batch
    /// norm, whose tensors its file keeps).
    public let alternativeTensorNames: [Set<String>]
    public let scaleKeys: [String]

    public var description: String { name }

    public init(name: String, tensorNames: Set<String>, optionalTensorNames: Set<String> = [],
                alternativeTensorNames: [Set<String>] = [], scaleKeys: [String]) {
        self.name = name
        self.tensorNames = tensorNames
        self.optionalTensorNames = optionalTensorNames
        self.alternativeTensorNames = alternativeTensorNames
        self.scaleKeys = scaleKeys
    }

    /// Whether a file with `tensors` has this kind's tensors and no others, or one of its
    /// alternative sets exactly.
    func fits(_ tensors: Set<String>) -> Bool {
        tensors.isSuperset(of: tensorNames) && tensors.isSubset(of: tensorNames.union(optionalTensorNames))
            || alternativeTensorNames.contains(tensors)
    }

    public static let scDictionary = ModelKind(name: CoupledDictionary.fileKind, tensorNames: CoupledDictionary.tensorNames,
                                               scaleKeys: CoupledDictionary.scaleKeys)
    public static let srcnn = ModelKind(name: SRCNN.fileKind, tensorNames: SRCNN.tensorNames, scaleKeys: ["scale"])
    public static let scn = ModelKind(name: TrainableSparseCodingNetwork.fileKind, tensorNames: TrainableSparseCodingNetwork.tensorNames,
                                      scaleKeys: ["scale"])
    /// Zeyde's front end and coupled dictionary, which Zeyde, GR, ANR and NE+LLE read.
    public static let zeydeConfiguration = ModelKind(name: ZeydeConfiguration.fileKind, tensorNames: ZeydeConfiguration.requiredTensorNames,
                                                     optionalTensorNames: ZeydeConfiguration.optionalTensorNames, scaleKeys: ["scale"])
    /// A+'s regressors, one per atom of the configuration they name (or sit beside).
    public static let aplusRegressors = ModelKind(name: AnchoredRegressorFile.fileKind, tensorNames: [AnchoredRegressorFile.tensorName],
                                                  scaleKeys: ["scale"])
    public static let fsrcnn = sequential(NetworkSpec.fsrcnnModelKind)
    public static let fsrcnnSmall = sequential(NetworkSpec.fsrcnnSmallModelKind)
    public static let espcn = sequential(NetworkSpec.espcnModelKind)
    public static let expandedSRCNN = sequential(NetworkSpec.expandedSRCNNModelKind)
    public static let denoisingSRCNN = sequential(NetworkSpec.denoisingSRCNNModelKind)
    public static let resNetSR = sequential(NetworkSpec.resNetSRModelKind)
    public static let distilledResNetSR = sequential(NetworkSpec.distilledResNetSRModelKind)
    public static let deepDenoisingSR = sequential(NetworkSpec.deepDenoisingSRModelKind)

    /// A published network's files (`SequentialModel`): the spec is in the file and checked by
    /// the method's builder; the tensors are the same at every scale (with batch norms, where the
    /// network can be trained with them, the batch-normalised network's).
    static func sequential(_ name: String) -> ModelKind {
        ModelKind(name: name, tensorNames: SequentialModel.tensorNames(ofKind: name),
                  alternativeTensorNames: SequentialModel.batchNormTensorNames(ofKind: name).map { [$0] } ?? [],
                  scaleKeys: ["scale"])
    }

    /// Every kind a method of the registry reads, in the registry's order.
    public static var all: [ModelKind] {
        var seen: Set<ModelKind> = []
        return MethodName.allCases.compactMap(\.entry.model).filter { seen.insert($0).inserted }
    }
}

/// A model file read by the one loader: what it holds and the scale it states. The loader checks
/// the file against what is asked of it (kind, tensors, scale) and reports every mismatch as a
/// `ModelFileError` naming the file; the method's own parser then reads the tensors.
public struct ModelFile: Sendable {
    public let path: String
    public let contents: SafeTensorsFile
    public let kind: ModelKind
    /// Whether the kind came from the tensors (the file has no `kind` key).
    public let recognisedByTensors: Bool
    /// The scale the file states (nil only from `inspect`, for a file that states none).
    public let scale: Int?

    /// Reads `path` for use as `kind` at `scale`: its `kind` key (else its tensors) must be
    /// `kind`, its tensors must be those of `kind`, and it must state `scale`.
    public static func load(_ path: String, as kind: ModelKind, scale: Int) throws -> ModelFile {
        try ModelFile(contents: try SafeTensorsFile(contentsOf: path), path: path, as: kind, scale: scale)
    }

    /// `load` on a file already read.
    public init(contents: SafeTensorsFile, path: String, as kind: ModelKind, scale: Int) throws {
        let (found, byTensors) = try Self.identify(contents, path: path, expected: kind)
        try contents.requireScale(scale, keys: found.scaleKeys, kind: found.name, path: path)
        self.init(path: path, contents: contents, kind: found, recognisedByTensors: byTensors, scale: scale)
    }

    init(path: String, contents: SafeTensorsFile, kind: ModelKind, recognisedByTensors: Bool, scale: Int?) {
        self.path = path
        self.contents = contents
        self.kind = kind
        self.recognisedByTensors = recognisedByTensors
        self.scale = scale
    }

    /// Reads `path` to look at it (figures): its kind, and its scale if it states one.
    public static func inspect(_ path: String) throws -> ModelFile {
        let contents = try SafeTensorsFile(contentsOf: path)
        let (found, byTensors) = try identify(contents, path: path, expected: nil)
        return ModelFile(path: path, contents: contents, kind: found, recognisedByTensors: byTensors,
                         scale: try contents.statedScale(keys: found.scaleKeys, path: path))
    }

    /// The file's kind: its `kind` key, which must be a known kind whose tensors the file has;
    /// without one, the kind whose tensors it has exactly. With `expected`, any other kind is an error.
    static func identify(_ file: SafeTensorsFile, path: String, expected: ModelKind?) throws -> (ModelKind, byTensors: Bool) {
        let known = ModelKind.all
        let tensors = Set(file.tensors.keys)
        func tensorsOf(_ kind: ModelKind) throws {
            guard kind.fits(tensors) else {
                throw ModelFileError.wrongTensors(path: path, kind: kind.name, missing: kind.tensorNames.subtracting(tensors).sorted(),
                                                  unexpected: tensors.subtracting(kind.tensorNames.union(kind.optionalTensorNames)).sorted())
            }
        }
        if let stated = file.kind {
            guard let kind = known.first(where: { $0.name == stated }) else {
                throw ModelFileError.unknownKind(path: path, kind: stated, known: known.map(\.name))
            }
            if let expected, kind != expected {
                throw ModelFileError.wrongKind(path: path, kind: kind.name, expected: expected.name, byTensors: false)
            }
            try tensorsOf(kind)
            return (kind, false)
        }
        if let kind = known.first(where: { $0.fits(tensors) }) {
            if let expected, kind != expected {
                throw ModelFileError.wrongKind(path: path, kind: kind.name, expected: expected.name, byTensors: true)
            }
            return (kind, true)
        }
        // Neither a kind nor a known set of tensors: say how they differ from what was asked for.
        if let expected { try tensorsOf(expected) }
        throw ModelFileError.unrecognised(path: path, tensors: tensors.sorted(), known: known.map(\.name))
    }
}
