import Foundation
import Imaging
import LinearAlgebra
import SeededRandom
import SparseCoding

// Synthetic inputs shared by the test targets of the sparse-coding methods (EquivalenceTests,
// SCNTests): a test-only module, as swift-numerics keeps `_TestSupport`.

/// A random coupled dictionary (Gaussian atoms) for the given scale: small, so tests are fast.
public func randomDictionary(atoms: Int, seed: UInt64) -> CoupledDictionary {
    var rng = Xoshiro256(seed: seed)
    var high = Matrix<Double>(rows: 25, columns: atoms), low = Matrix<Double>(rows: 100, columns: atoms)
    for i in high.elements.indices { high.elements[i] = rng.nextGaussian() }
    for i in low.elements.indices { low.elements[i] = rng.nextGaussian() }
    return CoupledDictionary(high: high, low: low, metadata: DictionaryMetadata(scale: 3))
}

/// A mid-res-like image on the 0–255 scale: smooth waves plus noise, with a flat block (zero
/// features, so the "divide by the norm when > 1" branch is skipped there) and a faint ramp (norm
/// between 0 and 1).
public func syntheticImage(width: Int, height: Int, seed: UInt64) -> Plane {
    var rng = Xoshiro256(seed: seed)
    var p = Plane(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            p[x, y] = 128 + 60 * sin(Double(x) * 0.7) * cos(Double(y) * 0.4) + 10 * rng.nextGaussian()
        }
    }
    for y in 0..<8 { for x in 0..<9 { p[x, y] = 90 } }
    for y in (height - 8)..<height { for x in (width - 9)..<width { p[x, y] = 40 + 0.01 * Double(x) } }
    return p
}
