import Foundation
import Harness
import Imaging
import LinearAlgebra
import TensorFile
@testable import ExampleBased

/// The package root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

// The data roots as every test target finds them (`Harness.TestData`): nil when absent, and the
// tests that need them are then skipped.
let dataRoot = TestData.datasetRoot(packageRoot: packageRoot.path).map { URL(fileURLWithPath: $0) }
/// The authors' converted data (`reference/aplus`), nil when absent.
let aplusRoot: URL? = TestData.referenceRoot(packageRoot: packageRoot.path)
    .map { URL(fileURLWithPath: $0).appendingPathComponent("aplus") }
    .flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }

func configurationURL(scale: Int) -> URL { aplusRoot!.appendingPathComponent("zeyde_conf_x\(scale).safetensors") }
let aplusRegressorsURL: URL? = aplusRoot?.appendingPathComponent("aplus_x2_1024atoms2048nn_5mil.safetensors")

func configuration(scale: Int) throws -> ZeydeConfiguration {
    try ZeydeConfiguration(contentsOf: configurationURL(scale: scale).path, scale: scale)
}

/// The reference's unit-test data for a scale (`derived_x{s}.safetensors`).
func derived(scale: Int) throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: aplusRoot!.appendingPathComponent("derived_x\(scale).safetensors").path)
}

/// A row-major tensor of the derived file as a matrix of its stated shape.
func derivedMatrix(_ file: SafeTensorsFile, _ name: String) throws -> Matrix<Double> {
    let t = try file.tensor(name)
    return .fromRowMajor(rows: t.shape[0], columns: t.shape[1], t.values)
}

/// max |a − b| / max |b|.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = b.map(abs).max() ?? 0
    let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    return scale == 0 ? diff : diff / scale
}

/// The images of a set, prepared under the lab's protocol at `scale`.
func preparedImages(_ set: String, scale: Int) throws -> [PreparedImage] {
    let folder = dataRoot!.appendingPathComponent(set)
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bmp") }.sorted()
    return try files.map { name in
        let path = folder.appendingPathComponent(name).path
        return try PreparedImage(image: try ImageIO.read(path), name: name, scale: scale, path: path)
    }
}
