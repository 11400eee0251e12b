import ConvNet
import Foundation
import Imaging
@testable import Methods
import SCN
import SparseCoding
import TensorFile
import Testing

/// The one loader: kind (stated, or recognised by the tensors), tensors and scale, with one error type.
@Suite struct ModelFileTests {
    /// Every writer states its file's kind.
    @Test func everyModelFileSRLabWritesStatesItsKind() {
        #expect(srcnnFile(scale: 3).kind == "srcnn")
        #expect(dictionary().safeTensors().kind == "sc-dictionary")
        #expect(scnFile().kind == "scn")
        #expect(ModelKind.all.map(\.name) == ["sc-dictionary", "srcnn", "scn", "zeyde-configuration", "aplus-regressors", "fsrcnn", "fsrcnn-s", "espcn", "expanded-srcnn", "denoising-srcnn", "resnet-sr", "distilled-resnet-sr", "deep-denoising-sr"])
    }

    /// Files without `kind` (the authors' filters, older files) are recognised by their tensors.
    @Test func aFileWithoutAKindIsRecognisedByItsTensors() throws {
        let srcnn = try written(srcnnFile(scale: 3), "old-srcnn.safetensors") { $0.metadata["kind"] = nil }
        let loaded = try ModelFile.load(srcnn, as: .srcnn, scale: 3)
        #expect(loaded.kind == .srcnn && loaded.recognisedByTensors && loaded.scale == 3)
        let sc = try written(dictionary().safeTensors(), "old-sc.safetensors") { $0.metadata["kind"] = nil }
        #expect(try ModelFile.inspect(sc).kind == .scDictionary)
        #expect(try ModelFile.load(srcnn, as: .srcnn, scale: 3).recognisedByTensors)
        #expect(try !ModelFile.load(try written(srcnnFile(scale: 3), "new.safetensors"), as: .srcnn, scale: 3).recognisedByTensors)
    }

    @Test func aModelOfAnotherKindIsRefusedNamingBoth() throws {
        let sc = try written(dictionary().safeTensors(), "sc.safetensors")
        #expect(throws: ModelFileError.wrongKind(path: sc, kind: "sc-dictionary", expected: "srcnn", byTensors: false)) {
            try MethodName.srcnn.resolver(model: sc, scale: 3)
        }
        let oldSC = try written(dictionary().safeTensors(), "old-sc.safetensors") { $0.metadata["kind"] = nil }
        #expect(throws: ModelFileError.wrongKind(path: oldSC, kind: "sc-dictionary", expected: "scn", byTensors: true)) {
            try MethodName.scn.resolver(model: oldSC, scale: 3)
        }
        #expect("\(ModelFileError.wrongKind(path: "m", kind: "scn", expected: "srcnn", byTensors: false))" == "m: is a model of kind 'scn', not 'srcnn'")
    }

    /// A kind whose tensors are another network's ("architecture"), a kind SRLab does not read, and
    /// tensors of nothing known.
    @Test func tensorsMustBeThoseOfTheKind() throws {
        let mislabelled = try written(dictionary().safeTensors(), "mislabelled.safetensors") { $0.metadata["kind"] = "srcnn" }
        #expect(throws: ModelFileError.wrongTensors(path: mislabelled, kind: "srcnn",
                                                    missing: SRCNN.tensorNames.sorted(), unexpected: ["Dh", "Dl"])) {
            try ModelFile.load(mislabelled, as: .srcnn, scale: 3)
        }
        let short = try written(srcnnFile(scale: 3), "short.safetensors") { $0.metadata["kind"] = nil; $0.tensors["conv3.bias"] = nil }
        #expect(throws: ModelFileError.wrongTensors(path: short, kind: "srcnn", missing: ["conv3.bias"], unexpected: [])) {
            try ModelFile.load(short, as: .srcnn, scale: 3)
        }
        let checkpoint = try written(srcnnFile(scale: 3), "checkpoint.safetensors") { $0.metadata["kind"] = "srcnn-training-checkpoint" }
        #expect(throws: ModelFileError.self) { try ModelFile.inspect(checkpoint) }
        do { _ = try ModelFile.inspect(checkpoint) } catch {
            #expect("\(error)".contains("training checkpoint") && "\(error)".hasPrefix(checkpoint))
        }
        let other = try written(SafeTensorsFile(tensors: ["w": Tensor(shape: [1], floats: [1])]), "other.safetensors")
        #expect(throws: ModelFileError.unrecognised(path: other, tensors: ["w"], known: ["sc-dictionary", "srcnn", "scn", "zeyde-configuration", "aplus-regressors", "fsrcnn", "fsrcnn-s", "espcn", "expanded-srcnn", "denoising-srcnn", "resnet-sr", "distilled-resnet-sr", "deep-denoising-sr"])) {
            try ModelFile.inspect(other)
        }
    }

    /// ResNet SR trained with batch norm keeps the batch norms' tensors in its file: the registry
    /// reads it as a "resnet-sr" model, and a file with only some of them is refused.
    @Test func resNetSRWithBatchNormLoads() throws {
        let spec = NetworkSpec.resNetSR(scale: 3, batchNorm: true)
        let path = try written(SequentialModel(spec: spec, parameters: spec.initialParameters(seed: 3)).safeTensors(), "bn.safetensors")
        #expect(try ModelFile.load(path, as: .resNetSR, scale: 3).kind == .resNetSR)
        #expect(try MethodName.resNetSR.resolver(model: path, scale: 3).scale == 3)
        let name = "layers.2.block.0.block.1.running_var"
        let partial = try written(SequentialModel(spec: spec, parameters: spec.initialParameters(seed: 3)).safeTensors(), "partial.safetensors") {
            $0.tensors[name] = nil
        }
        #expect(throws: ModelFileError.self) { try ModelFile.load(partial, as: .resNetSR, scale: 3) }
    }

    /// A model runs only at the factor it was trained for, whichever method reads it.
    @Test func theScaleMustBeStatedAndMatch() throws {
        let sc = try written(dictionary(scale: 3).safeTensors(), "sc.safetensors")
        let srcnn = try written(srcnnFile(scale: 3), "srcnn.safetensors")
        let scn = try written(scnFile(), "scn.safetensors")
        for (method, path, kind) in [(MethodName.sc, sc, "sc-dictionary"), (.srcnn, srcnn, "srcnn"), (.scn, scn, "scn")] {
            #expect(throws: ModelFileError.wrongScale(path: path, kind: kind, trained: 3, requested: 2)) {
                try method.resolver(model: path, scale: 2)
            }
            #expect(try method.resolver(model: path, scale: 3).scale == 3)
        }
        let unscaled = try written(srcnnFile(scale: nil), "unscaled.safetensors")
        #expect(throws: ModelFileError.missingScale(path: unscaled, kind: "srcnn")) { try MethodName.srcnn.resolver(model: unscaled, scale: 3) }
        #expect(try ModelFile.inspect(unscaled).scale == nil) // figures need no scale
        let words = try written(srcnnFile(scale: 3), "words.safetensors") { $0.metadata["scale"] = "three" }
        #expect(throws: ModelFileError.badScale(path: words, key: "scale", value: "three")) { try ModelFile.inspect(words) }
    }

    /// The release's converted dictionaries state `upscale`, not `scale`; a dictionary stating
    /// neither is refused rather than assumed to be ×2.
    @Test func dictionariesMayStateUpscale() throws {
        let unscaled = try written(dictionary().safeTensors(), "unscaled.safetensors") { $0.metadata["scale"] = nil }
        #expect(throws: ModelFileError.missingScale(path: unscaled, kind: "sc-dictionary")) { try MethodName.sc.resolver(model: unscaled, scale: 3) }
        #expect(throws: ModelFileError.missingScale(path: unscaled, kind: "sc-dictionary")) { try CoupledDictionary(contentsOf: unscaled) }
        let release = try written(dictionary().safeTensors(), "release.safetensors") { $0.metadata["scale"] = nil; $0.metadata["upscale"] = "2" }
        let resolver = try MethodName.sc.resolver(model: release, scale: 2)
        #expect(resolver.scale == 2 && resolver.modelPath == release)
        #expect(throws: ModelFileError.wrongScale(path: release, kind: "sc-dictionary", trained: 2, requested: 3)) {
            try MethodName.sc.resolver(model: release, scale: 3)
        }
    }

    @Test(.enabled(if: referenceRoot != nil, "needs SRLAB_REFERENCE (or ../shared/reference)"))
    func theAuthorsFilesLoadByTheirTensors() throws {
        for name in ["D_512_0.15_5.safetensors", "D_1024_0.15_5.safetensors"] {
            let path = referenceRoot!.appendingPathComponent("scsr_original/" + name).path
            #expect(try MethodName.sc.resolver(model: path, scale: 2).scale == 2)
            #expect(throws: ModelFileError.self) { try MethodName.sc.resolver(model: path, scale: 3) }
        }
        let filters = referenceRoot!.appendingPathComponent("srcnn_x3_9-1-5.safetensors").path
        let loaded = try ModelFile.load(filters, as: .srcnn, scale: 3)
        #expect(loaded.recognisedByTensors)
        #expect(try MethodName.srcnn.resolver(model: filters, scale: 3).name == "srcnn 9-1-5")
        // Timofte et al.'s release: the configuration serves four methods, the regressors A+ with
        // the configuration beside them.
        let aplus = referenceRoot!.appendingPathComponent("aplus")
        let configuration = aplus.appendingPathComponent("zeyde_conf_x3.safetensors").path
        #expect(try ModelFile.load(configuration, as: .zeydeConfiguration, scale: 3).recognisedByTensors)
        for method in [MethodName.zeyde, .gr, .anr, .neLLE] {
            #expect(try method.resolver(model: configuration, scale: 3).scale == 3)
            #expect(throws: ModelFileError.wrongScale(path: configuration, kind: "zeyde-configuration", trained: 3, requested: 2)) {
                try method.resolver(model: configuration, scale: 2)
            }
        }
        let regressors = aplus.appendingPathComponent("aplus_x2_1024atoms2048nn_5mil.safetensors").path
        let resolver = try MethodName.aplus.resolver(model: regressors, scale: 2)
        #expect(resolver.name == "A+" && resolver.modelPath == regressors)
        #expect(throws: ModelFileError.wrongKind(path: configuration, kind: "zeyde-configuration", expected: "aplus-regressors", byTensors: true)) {
            try MethodName.aplus.resolver(model: configuration, scale: 3)
        }
        #expect(throws: ModelFileError.wrongKind(path: regressors, kind: "aplus-regressors", expected: "zeyde-configuration", byTensors: true)) {
            try MethodName.anr.resolver(model: regressors, scale: 2)
        }
    }

    /// A+ regressors find their configuration: the one their metadata names, relative to them, or
    /// the authors' name beside them; a missing one is named.
    @Test func regressorsFindTheirConfiguration() throws {
        let aplus = referenceRoot!.appendingPathComponent("aplus")
        let folder = URL(fileURLWithPath: try written(SafeTensorsFile(tensors: [:]), "placeholder.safetensors")).deletingLastPathComponent()
        let authors = try SafeTensorsFile(contentsOf: aplus.appendingPathComponent("aplus_x2_1024atoms2048nn_5mil.safetensors").path)
        var named = authors
        named.metadata["kind"] = "aplus-regressors"
        named.metadata["dictionary"] = "own-dictionary.safetensors"
        let regressors = folder.appendingPathComponent("own-aplus.safetensors").path
        try named.write(to: regressors)
        do {
            _ = try MethodName.aplus.resolver(model: regressors, scale: 2)
            Issue.record("a missing configuration was not reported")
        } catch {
            #expect("\(error)".hasPrefix(regressors) && "\(error)".contains("own-dictionary.safetensors") && "\(error)".contains("does not exist"))
        }
        try FileManager.default.copyItem(atPath: aplus.appendingPathComponent("zeyde_conf_x2.safetensors").path,
                                         toPath: folder.appendingPathComponent("own-dictionary.safetensors").path)
        #expect(try MethodName.aplus.resolver(model: regressors, scale: 2).scale == 2)
        // The configuration of another scale is refused, naming it.
        named.metadata["dictionary"] = aplus.appendingPathComponent("zeyde_conf_x3.safetensors").path
        try named.write(to: regressors)
        #expect(throws: (any Error).self) { try MethodName.aplus.resolver(model: regressors, scale: 2) }
    }

    /// Every model SRLab ships loads through the registry at its scale (none has a `kind`: they
    /// were written before the key, and their tensors must stay as they are).
    @Test func everyShippedModelLoads() throws {
        let folder = packageRoot.appendingPathComponent("results/models")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        #expect(files.count >= 10)
        for name in files {
            let path = folder.appendingPathComponent(name).path
            let file = try ModelFile.inspect(path)
            let method = MethodName.allCases.first { $0.entry.model == file.kind }!
            let resolver = try method.resolver(model: path, scale: try #require(file.scale))
            #expect(resolver.scale == file.scale && resolver.modelPath == path, "\(name)")
        }
    }
}
