import ArgumentParser
import ConvNet
import SCN
import Harness
import Imaging
import SparseCoding

enum MethodName: String, ExpressibleByArgument, CaseIterable {
    case bicubic, sc, srcnn, scn
}

/// The sparse-coding solvers behind one interface: the exact reference and the fast one.
enum SolverName: String, ExpressibleByArgument, CaseIterable {
    case homotopy, featureSign = "feature-sign"

    var solver: any SparseSolver {
        switch self {
        case .homotopy: return LassoHomotopy()
        case .featureSign: return FeatureSign()
        }
    }
}

/// Builds the method named on the command line, with its model file where it needs one. Model
/// files are checked here (shape, scale, finiteness), before any image is touched.
func makeResolver(_ method: MethodName, model: String?, scale: Int, solver: SolverName = .homotopy) throws -> SuperResolver {
    switch method {
    case .bicubic:
        return BicubicResolver()
    case .sc:
        guard let model else { throw HarnessError.unavailableMethod("method 'sc' needs --model FILE (a dictionary, e.g. results/models/sc_x\(scale).safetensors)") }
        return try ScSR(contentsOf: model, scale: scale, solver: solver.solver)
    case .srcnn:
        guard let model else { throw HarnessError.unavailableMethod("method 'srcnn' needs --model FILE (e.g. results/models/srcnn_x\(scale)_9-1-5.safetensors)") }
        return try SRCNN(contentsOf: model, scale: scale)
    case .scn:
        guard let model else { throw HarnessError.unavailableMethod("method 'scn' needs --model FILE (e.g. results/models/scn_x\(scale).safetensors)") }
        return try TrainableSparseCodingNetwork(contentsOf: model, scale: scale)
    }
}

/// The harness's view of the same factory.
let comparisonResolver: Comparison.ResolverFactory = { cell in
    guard let method = MethodName(rawValue: cell.method) else {
        throw HarnessError.unavailableMethod("unknown method '\(cell.method)'")
    }
    let solver = try cell.solver.map { name in
        guard let s = SolverName(rawValue: name) else {
            throw HarnessError.unavailableMethod("unknown solver '\(name)' for '\(cell.label)' (known: homotopy, feature-sign)")
        }
        return s
    } ?? .homotopy
    return try makeResolver(method, model: cell.model, scale: cell.scale, solver: solver)
}
