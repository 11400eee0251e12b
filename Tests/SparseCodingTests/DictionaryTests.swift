import SeededRandom
import Foundation
import Testing
import LinearAlgebra
import TensorFile
@testable import SparseCoding

func smallDictionary(atoms: Int = 8, seed: UInt64 = 1, scale: Int = 3) -> CoupledDictionary {
    var rng = Xoshiro256(seed: seed)
    var high = Matrix<Double>(rows: 25, columns: atoms), low = Matrix<Double>(rows: 100, columns: atoms)
    for i in high.elements.indices { high.elements[i] = rng.nextGaussian() }
    for i in low.elements.indices { low.elements[i] = rng.nextGaussian() }
    return CoupledDictionary(high: high, low: low, metadata: DictionaryMetadata(scale: scale, seed: seed, trainingSet: "test"))
}

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sc-\(UUID())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Suite struct DictionaryTests {
    @Test func roundTripKeepsMatricesAndMetadata() throws {
        let d = smallDictionary()
        let path = temporaryPath("d.safetensors")
        try d.write(to: path)
        let back = try CoupledDictionary(contentsOf: path)
        #expect(back.high == d.high && back.low == d.low)
        #expect(back.metadata == d.metadata)
        #expect(try SafeTensorsFile(contentsOf: path).kind == CoupledDictionary.fileKind)
    }

    @Test func wrongShapesAreRejectedNamingTheFile() throws {
        let path = temporaryPath("bad.safetensors")
        for (dh, dl) in [([25, 8], [99, 8]), ([24, 8], [96, 8]), ([25, 8], [100, 7]), ([25], [100, 8])] {
            let file = SafeTensorsFile(tensors: [
                "Dh": Tensor(dtype: .f64, shape: dh, values: [Double](repeating: 1, count: dh.reduce(1, *))),
                "Dl": Tensor(dtype: .f64, shape: dl, values: [Double](repeating: 1, count: dl.reduce(1, *)))])
            try file.write(to: path)
            do {
                _ = try CoupledDictionary(contentsOf: path)
                Issue.record("shapes \(dh), \(dl) were accepted")
            } catch let error as DictionaryError {
                #expect(error.description.hasPrefix(path))
            }
        }
    }

    @Test func missingTensorNaNAndCorruptHeaderAreRejected() throws {
        let path = temporaryPath("nan.safetensors")
        var file = smallDictionary().safeTensors()
        file.tensors["Dl"]!.values[5] = .nan
        try file.write(to: path)
        do {
            _ = try CoupledDictionary(contentsOf: path)
            Issue.record("NaN accepted")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("NaN"))
        }

        file.tensors["Dl"] = nil
        try file.write(to: path)
        #expect(throws: SafeTensorsError.self) { _ = try CoupledDictionary(contentsOf: path) }

        var bytes = smallDictionary().safeTensors().serialized()
        bytes[8] = UInt8(ascii: "[")
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try CoupledDictionary(contentsOf: path)
            Issue.record("corrupt header accepted")
        } catch {
            #expect("\(error)".contains(path))
        }

        var meta = smallDictionary().safeTensors()
        meta.metadata["scale"] = "three"
        try meta.write(to: path)
        #expect(throws: ModelFileError.badScale(path: path, key: "scale", value: "three")) {
            _ = try CoupledDictionary(contentsOf: path)
        }
    }

    @Test func releasedDictionaryLoadsWithReleaseDefaults() throws {
        guard let root = referenceRoot() else { return } // reference files not present: skip
        let d = try CoupledDictionary(contentsOf: root + "/D_512_0.15_5.safetensors")
        #expect(d.atoms == 512 && d.metadata.scale == 2 && d.metadata.patchSize == 5)
        #expect(d.metadata.lambda == 0.15)
        // Dh atoms are mean-free patches
        for j in 0..<8 { #expect(abs(d.high.column(j).reduce(0, +)) < 1e-9) }
    }
}

@Suite struct AtomTilesTests {
    /// Atom j's tile at row r, column c is Dh[r + p·c, j] (MATLAB's column-major patch order).
    @Test func tilesAreTheAtomsInPatchOrder() {
        let d = smallDictionary()
        let p = d.metadata.patchSize
        let tiles = d.highAtomTiles(count: 3)
        #expect(tiles.count == 3 && tiles.allSatisfy { $0.size == p })
        for (j, tile) in tiles.enumerated() {
            for r in 0..<p { for c in 0..<p { #expect(tile.values[r * p + c] == d.high[r + p * c, j]) } }
        }
        #expect(d.highAtomTiles(count: 100).count == d.atoms)
    }
}
