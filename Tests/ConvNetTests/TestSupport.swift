import SeededRandom
import Foundation
import Imaging
@testable import ConvNet

/// Deterministic test data in [-1, 1).
func randomValues<T: BinaryFloatingPoint>(_ count: Int, seed: UInt64, as: T.Type = T.self) -> [T] {
    var rng = Xoshiro256(seed: seed)
    return (0..<count).map { _ in T(rng.nextUniform() * 2 - 1) }
}

func maxAbsDifference<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
}

/// The package root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A data folder from `variable`, else `../shared/<fallback>` beside the package root, else nil
/// (tests that need it are then skipped).
func sharedFolder(env variable: String, fallback: String) -> URL? {
    if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty {
        return URL(fileURLWithPath: value)
    }
    let candidate = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/\(fallback)")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
}
let dataRoot = sharedFolder(env: DataRoot.environmentVariable, fallback: "datasets")
let referenceRoot = sharedFolder(env: "SRLAB_REFERENCE", fallback: "reference")
