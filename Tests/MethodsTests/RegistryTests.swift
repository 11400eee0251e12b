import Foundation
import Imaging
import NearestNeighbour
import SparseCoding
import TensorFile
import Testing
@testable import Methods

@Suite struct RegistryTests {
    /// A resolver carries the scale it was built for, and upscales by it.
    @Test func everyResolverKnowsItsScale() throws {
        let low = Plane(width: 7, height: 5, values: (0..<35).map { Double($0) / 35 })
        for method in [MethodName.bicubic, .nearest] {
            for scale in SRProtocol.scales {
                let resolver = try method.resolver(model: nil, scale: scale)
                let out = resolver.upscale(lowRes: low)
                #expect(resolver.scale == scale && out.width == 7 * scale && out.height == 5 * scale, "\(method) x\(scale)")
            }
        }
        let srcnn = try MethodName.srcnn.resolver(model: try written(srcnnFile(scale: 4), "m.safetensors"), scale: 4)
        #expect(srcnn.upscale(lowRes: low).width == 28)
    }

    @Test func theModelMustFitTheMethod() throws {
        #expect(throws: ModelFileError.modelRequired(method: "srcnn", example: "results/models/srcnn_x3_9-5-5.safetensors")) {
            try MethodName.srcnn.resolver(model: nil, scale: 3)
        }
        #expect(throws: ModelFileError.modelRequired(method: "sc", example: "results/models/sc_x2.safetensors")) {
            try MethodName.sc.resolver(model: nil, scale: 2)
        }
        #expect(throws: ModelFileError.modelNotTaken(method: "nearest", path: "m.safetensors")) {
            try MethodName.nearest.resolver(model: "m.safetensors", scale: 3)
        }
    }

    /// The table's own consistency: names unique, the model kinds read by the methods that list
    /// them, shipped names of methods that read models.
    @Test func theTableIsConsistent() {
        #expect(Set(MethodName.allCases.map(\.rawValue)).count == MethodName.allCases.count)
        #expect(MethodName.withModels == [.sc, .srcnn, .scn, .zeyde, .gr, .anr, .neLLE, .aplus, .fsrcnn, .fsrcnnSmall, .espcn, .expandedSRCNN, .denoisingSRCNN, .resNetSR, .distilledResNetSR, .deepDenoisingSR])
        #expect(MethodName.sc.entry.solvers == [.homotopy, .featureSign])
        #expect(MethodName.allCases.filter { $0 != .sc }.allSatisfy { $0.entry.solvers.isEmpty })
        #expect(MethodName.shippedRanking.allSatisfy { $0.method.entry.model != nil })
        #expect(MethodName.shippedRanking.map { $0.file(scale: 3) }
                == ["fsrcnn_x3.safetensors", "srcnn_x3_9-5-5.safetensors", "espcn_x3.safetensors", "srcnn_x3_9-1-5.safetensors", "scn_x3.safetensors", "sc_x3.safetensors"])
    }

    @Test func theSolverReachesScSR() throws {
        let path = try written(dictionary().safeTensors(), "d.safetensors")
        let exact = try #require(try MethodName.sc.resolver(model: path, scale: 3, solver: .featureSign) as? ScSR)
        #expect(exact.solver.name == FeatureSign().name)
        let fast = try #require(try MethodName.sc.resolver(model: path, scale: 3) as? ScSR)
        #expect(fast.solver.name == LassoHomotopy().name)
    }
}
