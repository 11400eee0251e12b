import ArgumentParser
import Harness
import Imaging

enum MethodName: String, ExpressibleByArgument, CaseIterable {
    case bicubic, sc, srcnn
}

/// Builds the method named on the command line, with its model file where it needs one.
func makeResolver(_ method: MethodName, model: String?, scale: Int) throws -> SuperResolver {
    switch method {
    case .bicubic:
        return BicubicResolver()
    case .sc, .srcnn:
        throw HarnessError.unavailableMethod("method '\(method.rawValue)' is not available in this build yet (available: bicubic)")
    }
}
