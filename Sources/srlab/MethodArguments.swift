import ArgumentParser
import Methods

// The registry's names, as command-line values.
extension MethodName: ExpressibleByArgument {}
extension SolverName: ExpressibleByArgument {}
