import Foundation
import Methods
import Testing
@testable import Upscaling

func scratchFolder(_ tag: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func touch(_ folder: URL, _ names: [String]) {
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in names { FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data()) }
}

@Suite struct ShippedModelsTests {
    @Test func theBestModelFollowsTheRanking() {
        let folder = scratchFolder("models")
        touch(folder, ["sc_x2.safetensors", "sc_x3.safetensors", "scn_x3.safetensors",
                       "srcnn_x3_9-1-5.safetensors", "srcnn_x4_9-1-5.safetensors", "srcnn_x4_9-5-5.safetensors"])
        let models = ShippedModels(folders: [folder.path])
        #expect(models.best(scale: 2)?.label == "sc")
        #expect(models.best(scale: 3)?.label == "srcnn 9-1-5")
        #expect(models.best(scale: 4)?.label == "srcnn 9-5-5")
        #expect(models.best(scale: 4)?.path == folder.appendingPathComponent("srcnn_x4_9-5-5.safetensors").path)
        #expect(models.best(scale: 3, method: .scn)?.path == folder.appendingPathComponent("scn_x3.safetensors").path)
        #expect(models.best(scale: 3, method: .sc)?.method == .sc)
        #expect(models.best(scale: 2, method: .srcnn) == nil)
        #expect(models.best(scale: 5) == nil)
    }

    /// The first folder with a model for the scale wins, even over a better model further on.
    @Test func foldersAreSearchedInOrder() {
        let first = scratchFolder("first"), second = scratchFolder("second")
        touch(first, ["sc_x3.safetensors"])
        touch(second, ["srcnn_x3_9-5-5.safetensors", "srcnn_x2_9-1-5.safetensors"])
        let models = ShippedModels(folders: [first.path, second.path])
        #expect(models.best(scale: 3)?.path == first.appendingPathComponent("sc_x3.safetensors").path)
        #expect(models.best(scale: 2)?.path == second.appendingPathComponent("srcnn_x2_9-1-5.safetensors").path)
        #expect(models.best(scale: 3, method: .srcnn)?.path == second.appendingPathComponent("srcnn_x3_9-5-5.safetensors").path)
    }

    @Test func aFolderNamedLikeAModelIsNotOne() {
        let folder = scratchFolder("models")
        try? FileManager.default.createDirectory(at: folder.appendingPathComponent("srcnn_x3_9-5-5.safetensors"), withIntermediateDirectories: true)
        #expect(ShippedModels(folders: [folder.path]).best(scale: 3) == nil)
    }

    /// $SRLAB_MODELS, models/ beside the binary, results/models here, results/models in the
    /// repository above the binary.
    @Test func theSearchPathHasTheDocumentedOrder() throws {
        let repository = scratchFolder("repo")
        touch(repository, ["Package.swift"])
        let binary = repository.appendingPathComponent(".build/debug/srlab").path
        let work = scratchFolder("work"), custom = scratchFolder("custom")
        let folders = try ShippedModels.searchFolders(environment: ["SRLAB_MODELS": custom.path], executable: binary,
                                                      currentDirectory: work.path)
        #expect(folders == [custom.path, repository.appendingPathComponent(".build/debug/models").path,
                            work.appendingPathComponent("results/models").path,
                            repository.standardizedFileURL.appendingPathComponent("results/models").path])
        let without = try ShippedModels.searchFolders(environment: [:], executable: nil, currentDirectory: work.path)
        #expect(without == [work.appendingPathComponent("results/models").path])
    }

    @Test func aMissingModelsFolderInTheEnvironmentIsAnError() {
        #expect(throws: ModelSearchError.notAFolder(variable: "SRLAB_MODELS", path: "/nonexistent/models")) {
            try ShippedModels.searchFolders(environment: ["SRLAB_MODELS": "/nonexistent/models"], executable: nil, currentDirectory: "/")
        }
    }

    @Test func theSameFolderIsSearchedOnce() {
        #expect(ShippedModels(folders: ["/a/models", "/a/./models", "/b"]).folders == ["/a/models", "/b"])
    }
}

@Suite struct MethodChoiceTests {
    let models: ShippedModels = {
        let folder = scratchFolder("models")
        touch(folder, ["srcnn_x3_9-5-5.safetensors", "srcnn_x3_9-1-5.safetensors", "sc_x3.safetensors", "sc_x2.safetensors"])
        return ShippedModels(folders: [folder.path])
    }()

    @Test func noMethodTakesTheBestShippedModel() throws {
        let choice = try MethodChoice.resolve(method: nil, model: nil, scale: 3) { models }
        #expect(choice.method == .srcnn && choice.model?.hasSuffix("/srcnn_x3_9-5-5.safetensors") == true && choice.note == nil)
        #expect(try MethodChoice.resolve(method: nil, model: nil, scale: 2) { models }.method == .sc)
    }

    @Test func noShippedModelFallsBackToBicubicAndSaysSo() throws {
        let choice = try MethodChoice.resolve(method: nil, model: nil, scale: 5) { models }
        #expect(choice.method == .bicubic && choice.model == nil)
        #expect(choice.note?.contains("no shipped model for ×5") == true)
        #expect(choice.note?.contains(models.folders[0]) == true)
    }

    @Test func aMethodWithoutAModelTakesItsBestShippedModel() throws {
        #expect(try MethodChoice.resolve(method: .srcnn, model: nil, scale: 3) { models }.model?.hasSuffix("/srcnn_x3_9-5-5.safetensors") == true)
        #expect(try MethodChoice.resolve(method: .sc, model: nil, scale: 3) { models }.model?.hasSuffix("/sc_x3.safetensors") == true)
        #expect(throws: MethodChoiceError.noShippedModel(method: .srcnn, scale: 2, searched: models.folders)) {
            try MethodChoice.resolve(method: .srcnn, model: nil, scale: 2) { models }
        }
    }

    @Test func explicitChoicesAreKeptAndTheModelsAreNotSearched() throws {
        let unused: () throws -> ShippedModels = { Issue.record("searched"); return models }
        #expect(try MethodChoice.resolve(method: .scn, model: "m.safetensors", scale: 3, models: unused)
                == MethodChoice(method: .scn, model: "m.safetensors"))
        #expect(try MethodChoice.resolve(method: .bicubic, model: nil, scale: 3, models: unused) == MethodChoice(method: .bicubic, model: nil))
        #expect(throws: MethodChoiceError.modelWithoutMethod) { try MethodChoice.resolve(method: nil, model: "m", scale: 3, models: unused) }
        #expect(throws: MethodChoiceError.modelNotTaken(method: .bicubic)) { try MethodChoice.resolve(method: .bicubic, model: "m", scale: 3, models: unused) }
        #expect(throws: MethodChoiceError.modelNotTaken(method: .nearest)) { try MethodChoice.resolve(method: .nearest, model: "m", scale: 3, models: unused) }
        #expect(try MethodChoice.resolve(method: .nearest, model: nil, scale: 3, models: unused) == MethodChoice(method: .nearest, model: nil))
    }
}
