import Foundation
import LinearAlgebra
import TensorFile

/// The shared front end's data for one scale, as the A+ release stores it in
/// `conf_Zeyde_1024_finalx{s}.mat` (converted to safetensors): the PCA basis, the coupled
/// dictionaries and the four feature filters. Every matrix has its MATLAB shape.
public struct ZeydeConfiguration: Sendable {
    public let scale: Int
    /// V_pca (F × d): a raw feature x becomes f = V_pcaᵀ·x.
    public let pca: Matrix<Double>
    /// Dl (d × K), unit-norm atoms in PCA coordinates.
    public let lowDictionary: Matrix<Double>
    /// Dh (P × K), HR-minus-bicubic patches, each column-major w×w (w = 3s).
    public let highDictionary: Matrix<Double>
    /// The four kernels in feature order: gradient along rows, gradient along columns, Laplacian
    /// along rows, Laplacian along columns (each a 1-D tap list, MATLAB order).
    public let filters: [[Double]]
    /// The file this came from (nil if built in memory), for error messages.
    public let path: String?

    public var featureLength: Int { pca.rows }
    public var pcaDimension: Int { pca.columns }
    public var atoms: Int { lowDictionary.columns }
    /// HR (mid-res) pixels on a patch side: the release's 3×3 LR-pixel window.
    public var patchSide: Int { 3 * scale }
    public var patchLength: Int { patchSide * patchSide }

    /// The recipe's kernels for `scale`: `[1, 0…0, −1]` and `[1, 0…0, −2, 0…0, 1]/2`.
    public static func recipeFilters(scale s: Int) -> [[Double]] {
        var gradient = [Double](repeating: 0, count: s + 1)
        gradient[0] = 1; gradient[s] = -1
        var laplacian = [Double](repeating: 0, count: 2 * s + 1)
        laplacian[0] = 0.5; laplacian[s] = -1; laplacian[2 * s] = 0.5
        return [gradient, gradient, laplacian, laplacian]
    }

    /// Builds a configuration in memory; shapes must agree (F = 4·(3s)², P = (3s)², 1 ≤ d ≤ F).
    public init(scale: Int, pca: Matrix<Double>, lowDictionary: Matrix<Double>, highDictionary: Matrix<Double>,
                filters: [[Double]]? = nil, path: String? = nil) {
        let w = 3 * scale
        precondition(scale >= 2 && pca.rows == 4 * w * w && pca.columns >= 1 && pca.columns <= pca.rows
                     && lowDictionary.rows == pca.columns && highDictionary.rows == w * w
                     && highDictionary.columns == lowDictionary.columns && lowDictionary.columns >= 1,
                     "ZeydeConfiguration: shapes do not fit scale \(scale)")
        self.scale = scale
        self.pca = pca
        self.lowDictionary = lowDictionary
        self.highDictionary = highDictionary
        self.filters = filters ?? Self.recipeFilters(scale: scale)
        self.path = path
    }

    /// The tensors that make a file a configuration; the others are settings.
    static let matrixNames = ["V_pca", "dict_lores", "dict_hires"]
    static let filterNames = ["filter_grad_row", "filter_grad_col", "filter_lap_row", "filter_lap_col"]
    static let settingNames = ["window", "border", "overlap", "scale", "upsample_factor"]

    /// The `kind` of configuration files srlab writes; the authors' files have none and are known
    /// by their tensors.
    public static let fileKind = "zeyde-configuration"
    /// Tensors every configuration has: the filters and grid settings.
    public static let requiredTensorNames = Set(filterNames + settingNames)
    /// The matrices, each in single precision, double (`_f64`) or both (the parser needs one of each).
    public static let optionalTensorNames = Set(matrixNames + matrixNames.map { $0 + "_f64" })

    /// Loads and checks a configuration file before any work: its kind (the three matrices are
    /// there), its scale (the `scale` tensor and metadata agree with `scale`), the grid settings
    /// the recipe assumes (window [3, 3], border [1, 1], overlap [2, 2], upsample factor = scale),
    /// the dimensions (F = 4·(3s)², P = (3s)², d and K consistent), the filters and unit-norm
    /// atoms (OMPBox's OMP relies on them). The `_f64` matrices are used where present.
    public init(contentsOf path: String, scale: Int) throws {
        try self.init(file: try SafeTensorsFile.readChecked(path), path: path, scale: scale)
    }

    public init(file: SafeTensorsFile, path: String, scale: Int) throws {
        func fail(_ reason: String) -> ExampleBasedError { .invalidFile(path: path, reason: reason) }
        func wrapped<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let error as SafeTensorsError { throw fail(error.reason(path: path)) }
        }
        let names = Set(file.tensors.keys)
        let missing = Self.matrixNames.filter { !names.contains($0) && !names.contains($0 + "_f64") }
        if !missing.isEmpty {
            if names.contains(AnchoredRegressorFile.tensorName) {
                throw fail("it holds A+ regressors (\(AnchoredRegressorFile.tensorName)), not a Zeyde configuration (V_pca, dict_lores, dict_hires); give it as the regressor file")
            }
            throw fail("it is not a Zeyde/ANR/A+ configuration: it lacks \(missing.joined(separator: ", ")) (found \(names.sorted().joined(separator: ", ")))")
        }
        // Settings: the I32 tensors, checked against the metadata where it states them too.
        let stated = try wrapped { try file.integers("scale", shape: [1], path: path)[0] }
        if let text = file.metadata["scale"], Int(text) != stated {
            throw fail("its metadata says scale \(text) but its 'scale' tensor holds \(stated)")
        }
        guard stated == scale else {
            throw fail("it is the configuration for x\(stated), not x\(scale)")
        }
        let upsample = try wrapped { try file.integers("upsample_factor", shape: [1], path: path)[0] }
        let window = try wrapped { try file.integers("window", shape: [2], path: path) }
        let border = try wrapped { try file.integers("border", shape: [2], path: path) }
        let overlap = try wrapped { try file.integers("overlap", shape: [2], path: path) }
        guard upsample == scale, window == [3, 3], border == [1, 1], overlap == [2, 2] else {
            throw fail("its grid settings (upsample_factor \(upsample), window \(window), border \(border), overlap \(overlap)) are not the release's (\(scale), [3, 3], [1, 1], [2, 2]), which this port implements")
        }
        let w = 3 * scale, patch = w * w, feature = 4 * patch
        func matrix(_ name: String, rows: Int?, columns: Int?) throws -> Matrix<Double> {
            let chosen = names.contains(name + "_f64") ? name + "_f64" : name
            let t = try wrapped { try file.tensor(chosen, shape: [rows, columns], path: path) }
            return .fromRowMajor(rows: t.shape[0], columns: t.shape[1], t.values)
        }
        let pca = try matrix("V_pca", rows: feature, columns: nil)
        let d = pca.columns
        guard d >= 1, d <= feature else { throw fail("V_pca has \(d) columns; a PCA of \(feature)-long features keeps 1…\(feature)") }
        let low = try matrix("dict_lores", rows: d, columns: nil)
        let atoms = low.columns
        guard atoms >= 1 else { throw fail("dict_lores has no atoms") }
        let high = try matrix("dict_hires", rows: patch, columns: atoms)
        for (name, m) in [("V_pca", pca), ("dict_lores", low), ("dict_hires", high)] where !m.elements.allSatisfy(\.isFinite) {
            throw fail("\(name) holds values that are not finite numbers")
        }
        var filters: [[Double]] = []
        let expected = Self.recipeFilters(scale: scale)
        for (i, name) in Self.filterNames.enumerated() {
            let alongRows = i % 2 == 0
            let length = expected[i].count
            let taps = try wrapped { try file.tensor(name, shape: alongRows ? [1, length] : [length, 1], path: path).values }
            // The grid keeps every filter inside the image only for the recipe's kernels.
            guard taps == expected[i] else { throw fail("\(name) is \(taps), not the recipe's \(expected[i]) for x\(scale)") }
            filters.append(taps)
        }
        for k in 0..<atoms {
            var norm = 0.0
            for i in 0..<d { norm += low[i, k] * low[i, k] }
            guard abs(norm.squareRoot() - 1) <= 1e-4 else {
                throw fail("dict_lores atom \(k) has norm \(norm.squareRoot()); the release's OMP and anchors assume unit-norm atoms")
            }
        }
        for (name, m) in [("V_pca", pca), ("dict_lores", low), ("dict_hires", high)] {
            // With both precisions stored, the single one must be the double one rounded: a file
            // whose copies disagree is damaged, whichever copy a reader would take.
            guard names.contains(name), names.contains(name + "_f64") else { continue }
            let single = try wrapped { try file.tensor(name, shape: [m.rows, m.columns], path: path).values }
            let rowMajor = (0..<m.rows).flatMap { i in (0..<m.columns).map { m[i, $0] } }
            guard zip(single, rowMajor).allSatisfy({ abs($0 - $1) <= 1e-6 * max(1, abs($1)) }) else {
                throw fail("\(name) and \(name)_f64 disagree (the single-precision copy is not the double one rounded)")
            }
        }
        self.init(scale: scale, pca: pca, lowDictionary: low, highDictionary: high, filters: filters, path: path)
    }
}

/// The authors' A+ regressors, `Aplus_PPs` (K × P × d, F32): the regressor of atom k maps PCA
/// features to an HR detail patch.
public enum AnchoredRegressorFile {
    public static let tensorName = "Aplus_PPs"

    /// The `kind` of regressor files srlab writes (the authors' file has none).
    public static let fileKind = "aplus-regressors"
    /// The metadata key naming the configuration a regressor file was trained on, relative to the
    /// regressor file's folder.
    public static let dictionaryKey = "dictionary"

    /// Reads the regressors for `configuration`, each as a P × d matrix. The file must be of the
    /// right kind, for the same scale, and match the configuration's K, P and d.
    public static func load(contentsOf path: String, for configuration: ZeydeConfiguration) throws -> [Matrix<Double>] {
        try load(try SafeTensorsFile.readChecked(path), path: path, for: configuration)
    }

    /// The configuration a regressor file goes with: the file its metadata names (relative to its
    /// folder), else — the authors' release, which names none — `zeyde_conf_x<s>.safetensors`
    /// beside it. Errors name both files.
    public static func configurationPath(forRegressors path: String, metadata: [String: String], scale: Int) throws -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let named = metadata[dictionaryKey]
        let candidate = named.map { $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).path }
            ?? folder.appendingPathComponent("zeyde_conf_x\(scale).safetensors").path
        guard FileManager.default.fileExists(atPath: candidate) else {
            let why = named != nil ? "its metadata names its dictionary '\(named!)'" : "the authors' regressors go with zeyde_conf_x\(scale).safetensors beside them"
            throw ExampleBasedError.invalidFile(path: path, reason: "\(why), but \(candidate) does not exist")
        }
        return candidate
    }

    /// `configurationPath` of a regressor file not yet read.
    public static func configurationPath(forRegressors path: String, scale: Int) throws -> String {
        try configurationPath(forRegressors: path, metadata: SafeTensorsFile.readChecked(path).metadata, scale: scale)
    }

    /// `load` on a file already read.
    public static func load(_ file: SafeTensorsFile, path: String, for configuration: ZeydeConfiguration) throws -> [Matrix<Double>] {
        func fail(_ reason: String) -> ExampleBasedError { .invalidFile(path: path, reason: reason) }
        guard let found = file.tensors[tensorName] else {
            if ZeydeConfiguration.matrixNames.contains(where: { file.tensors[$0] != nil || file.tensors[$0 + "_f64"] != nil }) {
                throw fail("it is a Zeyde configuration (V_pca, dict_lores, dict_hires), not A+ regressors (\(tensorName))")
            }
            throw fail("it is not an A+ regressor file: it has no tensor \(tensorName) (found \(file.tensors.keys.sorted().joined(separator: ", ")))")
        }
        guard let text = file.metadata["scale"] else {
            throw fail("its metadata has no 'scale', so it cannot be checked against x\(configuration.scale)")
        }
        guard let stated = Int(text) else { throw fail("its metadata 'scale' is '\(text)', not a whole number") }
        guard stated == configuration.scale else {
            throw fail("its regressors are for x\(stated), not x\(configuration.scale)")
        }
        let (k, p, d) = (configuration.atoms, configuration.patchLength, configuration.pcaDimension)
        guard found.shape == [k, p, d] else {
            throw fail("\(tensorName) has shape \(found.shape); the configuration (\(configuration.path ?? "in memory")) needs [\(k), \(p), \(d)] (atoms, HR patch length, PCA dimension)")
        }
        let values: [Double]
        do { values = try file.tensor(tensorName, shape: [k, p, d], path: path).values } catch let error as SafeTensorsError {
            throw fail(error.reason(path: path))
        }
        guard values.allSatisfy(\.isFinite) else { throw fail("\(tensorName) holds values that are not finite numbers") }
        return (0..<k).map { atom in
            Matrix.fromRowMajor(rows: p, columns: d, Array(values[(atom * p * d)..<((atom + 1) * p * d)]))
        }
    }
}

public enum ExampleBasedError: Error, CustomStringConvertible, Equatable {
    case invalidFile(path: String, reason: String)
    case regressorsRequired(method: String)
    case regressorsUnused(method: String, path: String)

    public var description: String {
        switch self {
        case .invalidFile(let path, let reason): return "\(path): \(reason)"
        case .regressorsRequired(let method): return "\(method) needs a regressor file (the authors' Aplus_x{s}_….safetensors or one trained here)"
        case .regressorsUnused(let method, let path):
            return "\(path): \(method) derives its regressors from the dictionary and takes no regressor file"
        }
    }
}

extension SafeTensorsFile {
    /// Reads `path`, a read failure reported as this family's file error naming the file.
    static func readChecked(_ path: String) throws -> SafeTensorsFile {
        do { return try SafeTensorsFile(contentsOf: path) } catch let error as SafeTensorsError {
            throw ExampleBasedError.invalidFile(path: path, reason: error.reason(path: path))
        }
    }
}

extension SafeTensorsError {
    /// The message without the file's path in front (errors here name the file once).
    func reason(path: String) -> String {
        let text = description
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }
}
