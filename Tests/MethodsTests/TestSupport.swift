import ConvNet
import Foundation
import LinearAlgebra
import SCN
import SeededRandom
import SparseCoding
import TensorFile

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The authors' reference files, if this machine has them (`SRLAB_REFERENCE`, else ../shared/reference).
let referenceRoot: URL? = {
    let configured = ProcessInfo.processInfo.environment["SRLAB_REFERENCE"].flatMap { $0.isEmpty ? nil : $0 }
    let url = configured.map { URL(fileURLWithPath: $0) }
        ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}()

func scratch(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("methods-\(UUID())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

func dictionary(scale: Int = 3, atoms: Int = 8) -> CoupledDictionary {
    var rng = Xoshiro256(seed: 1)
    var high = Matrix<Double>(rows: 25, columns: atoms), low = Matrix<Double>(rows: 100, columns: atoms)
    for i in high.elements.indices { high.elements[i] = rng.nextGaussian() }
    for i in low.elements.indices { low.elements[i] = rng.nextGaussian() }
    return CoupledDictionary(high: high, low: low, metadata: DictionaryMetadata(scale: scale))
}

/// A small SRCNN model file for `scale`.
func srcnnFile(scale: Int?) -> SafeTensorsFile {
    let network = SRCNN(architecture: SRCNNArchitecture(f1: 3, f2: 1, f3: 3, n1: 4, n2: 2), seed: 7)
    var file = network.safeTensors()
    file.metadata["scale"] = scale.map(String.init)
    return file
}

func scnFile() -> SafeTensorsFile {
    TrainableSparseCodingNetwork(dictionary: dictionary(scale: 3), iterations: 2).safeTensors()
}

/// `file` written to a scratch path, with `edit` applied first.
func written(_ file: SafeTensorsFile, _ name: String, edit: (inout SafeTensorsFile) -> Void = { _ in }) throws -> String {
    var file = file
    edit(&file)
    let path = scratch(name)
    try file.write(to: path)
    return path
}
