import Foundation
import Imaging
import Methods
import TensorFile
import Testing
@testable import Harness

/// The harness builds methods from the registry itself: no factory is handed in, and a method
/// added to the registry is a method of specs at once.
@Suite struct RegistryComparisonTests: TinyExperiment {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("regcmp-\(UUID())")

    @Test func specsAreCheckedAgainstTheRegistry() {
        let vocabulary = ExperimentSpec.Vocabulary.registry
        #expect(vocabulary.methods == Set(MethodName.allCases.map(\.rawValue)))
        #expect(vocabulary.methods.contains("nearest") && !vocabulary.needingModel.contains("nearest"))
        #expect(vocabulary.needingModel == ["sc", "srcnn", "scn", "zeyde", "gr", "anr", "ne-lle", "aplus", "fsrcnn", "fsrcnn-s", "espcn", "expanded-srcnn", "denoising-srcnn", "resnet-sr", "distilled-resnet-sr", "deep-denoising-sr"])
        #expect(vocabulary.solvers == ["sc": ["homotopy", "feature-sign"]])
    }

    @Test func aComparisonRunsTheRegistrysMethods() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try makeData()
        let spec = ExperimentSpec(name: "tiny", description: nil, methods: [
            .init(label: "Bicubic", method: "bicubic", models: nil, optional: nil, published: nil, curves: nil, solver: nil),
            .init(label: "Nearest", method: "nearest", models: nil, optional: nil, published: nil, curves: nil, solver: nil),
        ], datasets: ["Tiny"], scales: [2, 3], crops: nil)
        try spec.validate(path: "tiny.json")
        let result = try Comparison.run(spec, cells: Cell.enumerate(spec), dataRoot: root)
        #expect(result.cells.map(\.report.method) == ["bicubic", "nearest", "bicubic", "nearest"])
        let images = try Evaluation.load(try root.dataset("Tiny"))
        for cell in result.cells {
            let direct = try Evaluation.run(try MethodName(rawValue: cell.cell.method)!.resolver(model: nil, scale: cell.cell.scale),
                                            images: images, dataset: "Tiny")
            #expect(cell.report.images.map(\.psnr) == direct.images.map(\.psnr))
            #expect(cell.report.scale == cell.cell.scale)
        }
        // Nearest-neighbour blocks score below bicubic on smooth images.
        #expect(result.cells[1].report.mean.psnr < result.cells[0].report.mean.psnr)
    }

    /// A model file of the wrong kind stops the run before any cell, with the loader's error.
    @Test func modelFilesGoThroughTheOneLoader() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try makeData()
        let notAModel = folder.appendingPathComponent("not-a-model.safetensors").path
        try Data("{}".utf8).write(to: URL(fileURLWithPath: notAModel))
        var spec = self.spec()
        spec.methods[1].models = ["2": notAModel]
        spec.crops = nil
        #expect(throws: (any Error).self) { try Comparison.run(spec, cells: Cell.enumerate(spec), dataRoot: root) }
        let cell = Cell(label: "x", method: "srcnn", dataset: "Tiny", scale: 2, model: nil, solver: nil)
        #expect(throws: ModelFileError.modelRequired(method: "srcnn", example: "results/models/srcnn_x2_9-5-5.safetensors")) {
            try Comparison.registryResolver(cell)
        }
    }
}
