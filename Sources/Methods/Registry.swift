import ConvNet
import ExampleBased
import Imaging
import NearestNeighbour
import SCN
import SparseCoding
import TensorFile

/// Every method SRLab runs, by the name the command line and experiment specs use. A method's
/// code lives in its own module; adding one is a case here and its entry in `entry` below (and,
/// if it reads a model file, its `kind` in that module's writer).
public enum MethodName: String, CaseIterable, Sendable, Codable {
    case bicubic, nearest, sc, srcnn, scn
    case zeyde, gr, anr, neLLE = "ne-lle", aplus
    /// The CNNs on the LR image (ConvNet's `NetworkSpec`s, trained by `srlab train`).
    case fsrcnn, fsrcnnSmall = "fsrcnn-s", espcn
    /// The Keras project's SRCNN variants on the bicubic-upscaled image (ConvNet's KerasVariants.swift).
    case expandedSRCNN = "expanded-srcnn", denoisingSRCNN = "denoising-srcnn"
    /// The Keras project's ResNet SR on the LR image, without batch normalisation.
    case resNetSR = "resnet-sr"
    /// Its distilled student (32 maps, one block), trained against a ResNet SR teacher.
    case distilledResNetSR = "distilled-resnet-sr"
    /// Its deep denoising SR: a small encoder-decoder with two skips, on the bicubic image.
    case deepDenoisingSR = "deep-denoising-sr"

    /// What the registry knows of the method: the one table.
    public var entry: MethodEntry {
        switch self {
        case .bicubic:
            .withoutModel("MATLAB imresize bicubic, the baseline every table starts with") { scale in
                BicubicResolver(scale: scale)
            }
        case .nearest:
            .withoutModel("nearest-neighbour, each LR pixel an s×s block") { scale in
                NearestNeighbour(scale: scale)
            }
        case .sc:
            .withModel("sparse coding, ScSR (Yang et al. 2010), with a coupled dictionary", .scDictionary,
                       solvers: SolverName.allCases) { file, _, solver in
                try ScSR(file: file.contents, path: file.path, solver: (solver ?? .homotopy).solver)
            }
        case .srcnn:
            .withModel("SRCNN (Dong et al. 2014/2016)", .srcnn) { file, scale, _ in
                var network = try SRCNN(file: file.contents, path: file.path)
                network.modelPath = file.path
                return network.resolver(scale: scale)
            }
        case .scn:
            .withModel("the sparse-coding network trained end to end (LISTA/SCN)", .scn) { file, _, _ in
                var network = try TrainableSparseCodingNetwork(file: file.contents, path: file.path)
                network.modelPath = file.path
                return network
            }
        case .zeyde:
            .withModel("Zeyde et al. 2010: OMP (3 atoms) on a K-SVD dictionary over Zeyde's features", .zeydeConfiguration) { file, scale, _ in
                try ExampleBasedSR.fromConfiguration(.zeyde, file: file, scale: scale)
            }
        case .gr:
            .withModel("GR (Timofte et al. 2013): one global ridge regressor from Zeyde's dictionary", .zeydeConfiguration) { file, scale, _ in
                try ExampleBasedSR.fromConfiguration(.gr, file: file, scale: scale)
            }
        case .anr:
            .withModel("ANR (Timofte et al. 2013): a ridge regressor per atom over its 40 neighbours", .zeydeConfiguration) { file, scale, _ in
                try ExampleBasedSR.fromConfiguration(.anr, file: file, scale: scale)
            }
        case .neLLE:
            .withModel("NE+LLE (Chang et al. 2004, on Zeyde's dictionary): LLE weights over 24 atoms", .zeydeConfiguration) { file, scale, _ in
                try ExampleBasedSR.fromConfiguration(.neLLE, file: file, scale: scale)
            }
        case .aplus:
            .withModel("A+ (Timofte et al. 2014): ANR's anchors, regressors learned from samples", .aplusRegressors) { file, scale, _ in
                let configuration = try AnchoredRegressorFile.configurationPath(forRegressors: file.path, metadata: file.contents.metadata, scale: scale)
                return try ExampleBasedSR(aplusRegressors: file.contents, path: file.path,
                                          configuration: ZeydeConfiguration(contentsOf: configuration, scale: scale))
            }
        case .fsrcnn:
            .network("FSRCNN(56,12,4) (Dong, Loy, Tang 2016), on the LR image", .fsrcnn, spec: NetworkSpec.fsrcnnModelKind)
        case .fsrcnnSmall:
            .network("FSRCNN-s(32,5,1), FSRCNN's real-time model", .fsrcnnSmall, spec: NetworkSpec.fsrcnnSmallModelKind)
        case .espcn:
            .network("ESPCN (Shi et al. 2016), sub-pixel convolution on the LR image", .espcn, spec: NetworkSpec.espcnModelKind)
        case .expandedSRCNN:
            .network("Expanded SRCNN (titu1994/Image-Super-Resolution): 1×1, 3×3, 5×5 middle layers averaged, on the bicubic image", .expandedSRCNN, spec: NetworkSpec.expandedSRCNNModelKind)
        case .denoisingSRCNN:
            .network("denoising auto-encoder SRCNN (titu1994/Image-Super-Resolution): 3×3 layers with two skips, on the bicubic image", .denoisingSRCNN, spec: NetworkSpec.denoisingSRCNNModelKind)
        case .resNetSR:
            .network("ResNet SR (titu1994/Image-Super-Resolution) without batch normalisation: six residual blocks on the LR image, nearest upsampling", .resNetSR, spec: NetworkSpec.resNetSRModelKind)
        case .distilledResNetSR:
            .network("distilled ResNet SR (titu1994/Image-Super-Resolution): a 32-map, one-block student of ResNet SR", .distilledResNetSR, spec: NetworkSpec.distilledResNetSRModelKind)
        case .deepDenoisingSR:
            .network("deep denoising SR (titu1994/Image-Super-Resolution): a two-level encoder-decoder with skips, on the bicubic image", .deepDenoisingSR, spec: NetworkSpec.deepDenoisingSRModelKind)
        }
    }

    /// The shipped models (`results/models`), best first across methods: the ranking of the PSNR
    /// tables in results/models/README.md. `srlab upscale` takes the first one present for a scale.
    public static let shippedRanking: [ShippedModelName] = [
        ShippedModelName(method: .fsrcnn, label: "fsrcnn"),
        ShippedModelName(method: .srcnn, label: "srcnn 9-5-5", suffix: "_9-5-5"),
        ShippedModelName(method: .espcn, label: "espcn"),
        ShippedModelName(method: .srcnn, label: "srcnn 9-1-5", suffix: "_9-1-5"),
        ShippedModelName(method: .scn, label: "scn"),
        ShippedModelName(method: .sc, label: "sc"),
    ]
}

/// The sparse-coding solvers behind one interface: the exact reference and the fast one.
public enum SolverName: String, CaseIterable, Sendable {
    case homotopy, featureSign = "feature-sign"

    public var solver: any SparseSolver {
        switch self {
        case .homotopy: return LassoHomotopy()
        case .featureSign: return FeatureSign()
        }
    }
}

/// One method in the registry.
public struct MethodEntry: Sendable {
    /// One line for help texts.
    public let summary: String
    /// The solvers it accepts, the default first; empty when it takes none.
    public let solvers: [SolverName]
    let build: Build

    enum Build: Sendable {
        case plain(@Sendable (_ scale: Int) -> any SuperResolver)
        /// From a model file of the kind, checked by `ModelFile.load`, at `scale`, with the chosen
        /// solver (nil when the method takes none).
        case fromModel(ModelKind, @Sendable (_ file: ModelFile, _ scale: Int, _ solver: SolverName?) throws -> any SuperResolver)
    }

    /// The kind of model file it reads; nil for a method without one.
    public var model: ModelKind? {
        if case .fromModel(let kind, _) = build { return kind }
        return nil
    }

    /// A method that reads no model file.
    static func withoutModel(_ summary: String, build: @escaping @Sendable (Int) -> any SuperResolver) -> MethodEntry {
        MethodEntry(summary: summary, solvers: [], build: .plain(build))
    }

    /// A method built from a model file of `kind`.
    static func withModel(_ summary: String, _ kind: ModelKind, solvers: [SolverName] = [],
                          build: @escaping @Sendable (ModelFile, Int, SolverName?) throws -> any SuperResolver) -> MethodEntry {
        MethodEntry(summary: summary, solvers: solvers, build: .fromModel(kind, build))
    }

    /// A network described as data (`SequentialModel`): its file must hold a spec of `specKind`.
    static func network(_ summary: String, _ kind: ModelKind, spec specKind: String) -> MethodEntry {
        withModel(summary, kind) { file, scale, _ in
            try SequentialModel(file: file.contents, path: file.path, kind: specKind, scale: scale)
        }
    }
}

/// A shipped model's file name pattern: `<method>_x<scale><suffix>.safetensors`.
public struct ShippedModelName: Sendable, Equatable {
    public let method: MethodName
    /// How output lines name it, e.g. "srcnn 9-5-5".
    public let label: String
    public let suffix: String

    public init(method: MethodName, label: String, suffix: String = "") {
        self.method = method
        self.label = label
        self.suffix = suffix
    }

    /// The file name at `scale`, e.g. `srcnn_x3_9-5-5.safetensors`.
    public func file(scale: Int) -> String { "\(method.rawValue)_x\(scale)\(suffix).safetensors" }
}

extension MethodName {
    /// Builds the method at `scale`. Its model file, if it reads one, goes through the one loader
    /// (`ModelFile.load`: kind, tensors and scale checked, errors naming the file) before any
    /// image is touched; `solver` applies to methods that take one (others ignore it).
    public func resolver(model: String?, scale: Int, solver: SolverName? = nil) throws -> any SuperResolver {
        let entry = self.entry
        switch (entry.build, model) {
        case (.plain(let build), nil):
            return build(scale)
        case (.plain, let path?):
            throw ModelFileError.modelNotTaken(method: rawValue, path: path)
        case (.fromModel, nil):
            throw ModelFileError.modelRequired(method: rawValue, example: exampleModel(scale: scale))
        case (.fromModel(let kind, _), let path?):
            return try resolver(file: try ModelFile.load(path, as: kind, scale: scale), solver: solver)
        }
    }

    /// Builds the method from a model file the loader checked (for this method's kind), at the
    /// file's scale.
    public func resolver(file: ModelFile, solver: SolverName? = nil) throws -> any SuperResolver {
        let entry = self.entry
        guard case .fromModel(let kind, let build) = entry.build else {
            throw ModelFileError.modelNotTaken(method: rawValue, path: file.path)
        }
        guard kind == file.kind else {
            throw ModelFileError.wrongKind(path: file.path, kind: file.kind.name, expected: kind.name, byTensors: file.recognisedByTensors)
        }
        guard let scale = file.scale else { throw ModelFileError.missingScale(path: file.path, kind: kind.name) }
        let chosen = solver.flatMap { entry.solvers.contains($0) ? $0 : nil } ?? entry.solvers.first
        return try build(file, scale, chosen)
    }

    /// A model file the method could read at `scale`, for messages: its best shipped one.
    public func exampleModel(scale: Int) -> String {
        let name = Self.shippedRanking.first { $0.method == self } ?? ShippedModelName(method: self, label: rawValue)
        return "results/models/" + name.file(scale: scale)
    }

    /// Methods that read a model file, by name, for messages ("sc, srcnn or scn").
    public static var withModels: [MethodName] { allCases.filter { $0.entry.model != nil } }
}

extension ExampleBasedSR {
    /// Zeyde, GR, ANR or NE+LLE from a configuration file the loader checked.
    static func fromConfiguration(_ method: ExampleBasedMethod, file: ModelFile, scale: Int) throws -> ExampleBasedSR {
        try ExampleBasedSR(method: method, checking: ZeydeConfiguration(file: file.contents, path: file.path, scale: scale))
    }
}
