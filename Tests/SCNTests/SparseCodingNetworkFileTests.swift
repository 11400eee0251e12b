import Foundation
import Testing
import Imaging
import TensorFile
@testable import Equivalence
@testable import SCN
import Training
import _TestSupport

/// SCN model files whose metadata cannot describe a network, and a network that loads but overflows.
@Suite struct SparseCodingNetworkFileTests {
    static func network() -> TrainableSparseCodingNetwork {
        TrainableSparseCodingNetwork(dictionary: randomDictionary(atoms: 8, seed: 2), iterations: 3)
    }

    static func refusal(_ file: SafeTensorsFile, prefix: String = "") -> String? {
        do { _ = try TrainableSparseCodingNetwork(file: file, path: "m.safetensors", tensorPrefix: prefix); return nil } catch {
            return "\(error)"
        }
    }

    /// The scale is part of an SCN file's configuration: without it there is no model to run.
    @Test func theScaleMustBeStatedAndMatch() throws {
        let file = Self.network().safeTensors()
        #expect(Self.refusal(file) == nil)
        #expect(try TrainableSparseCodingNetwork(file: file, path: "m", scale: 3).configuration.scale == 3)
        #expect(throws: ModelFileError.wrongScale(path: "m", kind: "scn", trained: 3, requested: 2)) { try TrainableSparseCodingNetwork(file: file, path: "m", scale: 2) }
        var unscaled = file
        unscaled.metadata["scale"] = nil
        #expect(Self.refusal(unscaled)?.contains("scale") == true)
        #expect(throws: SparseCodingNetworkError.self) { try TrainableSparseCodingNetwork(file: unscaled, path: "m", scale: 3) }
    }

    @Test func configurationNumbersAreChecked() {
        for (key, value) in [("lipschitz", "inf"), ("lipschitz", "nan"), ("lambda", "nan"), ("atoms", "-8"),
                             ("atoms", "9"), ("iterations", "1"), ("scale", "9")] {
            var file = Self.network().safeTensors()
            file.metadata[key] = value
            #expect(Self.refusal(file)?.hasPrefix("m.safetensors") == true, "\(key) = \(value) accepted")
        }
        // Atom counts whose tensor sizes overflow used to trap when sizing a checkpoint's flat tensors.
        var checkpoint = SafeTensorsFile(tensors: [:], metadata: Self.network().safeTensors().metadata)
        checkpoint.metadata["kind"] = TrainableSparseCodingNetwork.checkpointKindName
        for (name, values) in zip(Self.network().configuration.tensorShapes.map(\.name), Self.network().parameters) {
            checkpoint.tensors["param." + name] = Tensor(shape: [values.count], floats: values)
        }
        #expect(Self.refusal(checkpoint, prefix: "param.") == nil)
        for atoms in ["4294967296", "3037000500", "9223372036854775807"] {
            checkpoint.metadata["atoms"] = atoms
            #expect(Self.refusal(checkpoint, prefix: "param.")?.hasPrefix("m.safetensors") == true, "atoms \(atoms) accepted")
        }
    }

    /// Finite reconstruction weights that overflow float32 in use: the file loads, and the
    /// non-finite output is an error naming it instead of a black or white image.
    @Test func aNetworkThatOverflowsIsCaughtAtItsOutput() throws {
        var network = Self.network()
        let r = network.configuration.reconstructionIndex
        network.parameters[r] = network.parameters[r].map { $0 * 1e37 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scn-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.write(to: path)
        let loaded = try TrainableSparseCodingNetwork(contentsOf: path, scale: 3)
        let low = Plane(width: 10, height: 9, values: syntheticInputs(count: 1, side: 10, seed: 1).prefix(90).map { $0 })
        #expect(loaded.upscale(lowRes: low).values.contains { !$0.isFinite })
        do {
            _ = try loaded.checkedUpscale(lowRes: low, image: "synthetic")
            Issue.record("non-finite output accepted")
        } catch let error as SuperResolverError {
            #expect(error.description.hasPrefix(path) && error.description.contains("synthetic"))
        }
        let image = Image8.gray(eightBit: low.map { ($0 * 255).rounded() })
        #expect(throws: SuperResolverError.self) { try SRProtocol.upscale(image, with: loaded) }
        #expect(try Self.network().checkedUpscale(lowRes: low).values.allSatisfy(\.isFinite))
    }
}
