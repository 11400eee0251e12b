import Foundation
import ExampleBased
import LinearAlgebra
import TensorFile

/// The files training writes, in the contracts the loaders check (`ZeydeConfiguration`,
/// `AnchoredRegressorFile`): the authors' tensor layout (row-major, MATLAB shapes), plus `kind`
/// and provenance in the metadata. Every write is atomic (`SafeTensorsFile.write`).
public enum TrainedModelFile {
    public static let configurationKind = "zeyde-configuration"
    public static let regressorKind = "aplus-regressors"
    /// The regressor file's metadata key naming its configuration, relative to its folder.
    public static let dictionaryKey = "dictionary"

    /// A configuration: V_pca, dict_lores, dict_hires in F32 and their exact F64 twins, the four
    /// filters, and the grid settings the release uses at test time (window [3, 3], border
    /// [1, 1], overlap [2, 2]).
    public static func configurationFile(_ c: ZeydeConfiguration, provenance: [String: String]) -> SafeTensorsFile {
        var tensors: [String: Tensor] = [:]
        for (name, m) in [("V_pca", c.pca), ("dict_lores", c.lowDictionary), ("dict_hires", c.highDictionary)] {
            let values = m.rowMajor
            tensors[name] = Tensor(dtype: .f32, shape: [m.rows, m.columns], values: values.map { Double(Float($0)) })
            tensors[name + "_f64"] = Tensor(dtype: .f64, shape: [m.rows, m.columns], values: values)
        }
        let names = ["filter_grad_row", "filter_grad_col", "filter_lap_row", "filter_lap_col"]
        for (i, taps) in c.filters.enumerated() {
            tensors[names[i]] = Tensor(dtype: .f32, shape: i % 2 == 0 ? [1, taps.count] : [taps.count, 1], values: taps)
        }
        tensors["window"] = Tensor(dtype: .i32, shape: [2], values: [3, 3])
        tensors["border"] = Tensor(dtype: .i32, shape: [2], values: [1, 1])
        tensors["overlap"] = Tensor(dtype: .i32, shape: [2], values: [2, 2])
        tensors["scale"] = Tensor(dtype: .i32, shape: [1], values: [Double(c.scale)])
        tensors["upsample_factor"] = Tensor(dtype: .i32, shape: [1], values: [Double(c.scale)])
        var metadata = provenance
        metadata["kind"] = configurationKind
        metadata["scale"] = String(c.scale)
        metadata["atoms"] = String(c.atoms)
        metadata["pca_dimension"] = String(c.pcaDimension)
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// A+ regressors: `Aplus_PPs` F32 [K, P, d], element [k, i, j] = PP_k(i, j).
    public static func regressorFile(_ regressors: [Matrix<Double>], scale: Int, dictionary: String,
                                     provenance: [String: String]) -> SafeTensorsFile {
        let p = regressors.first?.rows ?? 0, d = regressors.first?.columns ?? 0
        var values = [Double]()
        values.reserveCapacity(regressors.count * p * d)
        for r in regressors { values += r.rowMajor.map { Double(Float($0)) } }
        var metadata = provenance
        metadata["kind"] = regressorKind
        metadata["scale"] = String(scale)
        metadata[dictionaryKey] = dictionary
        return SafeTensorsFile(tensors: [AnchoredRegressorFile.tensorName: Tensor(dtype: .f32, shape: [regressors.count, p, d], values: values)],
                               metadata: metadata)
    }

    /// `dictionary` as the regressor file at `regressorPath` should name it: relative to that
    /// file's folder when it lies under it, else absolute.
    public static func relativeName(of dictionary: String, from regressorPath: String) -> String {
        let folder = URL(fileURLWithPath: regressorPath).standardizedFileURL.deletingLastPathComponent().path
        let target = URL(fileURLWithPath: dictionary).standardizedFileURL.path
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return target.hasPrefix(prefix) ? String(target.dropFirst(prefix.count)) : target
    }

    public enum OutputError: Error, CustomStringConvertible, Equatable {
        case notReplaceable(path: String, reason: String)
        public var description: String {
            switch self {
            case .notReplaceable(let path, let reason): return "\(path): \(reason); give another output file"
            }
        }
    }

    /// An output may be a new file or one srlab wrote earlier of the same kind; anything else (the
    /// authors' data, another model, a file of other contents) is refused before any work.
    public static func checkReplaceable(_ path: String, kind: String, option: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let file = try? SafeTensorsFile(contentsOf: path) else {
            throw OutputError.notReplaceable(path: path, reason: "\(option) names an existing file that is not a safetensors file srlab wrote, so srlab will not overwrite it")
        }
        guard let found = file.metadata["kind"] else {
            throw OutputError.notReplaceable(path: path, reason: "\(option) names an existing model file without srlab's 'kind' (e.g. the authors' data), so srlab will not overwrite it")
        }
        guard found == kind else {
            throw OutputError.notReplaceable(path: path, reason: "\(option) names an existing '\(found)' file, not a '\(kind)' file, so srlab will not overwrite it")
        }
    }
}
