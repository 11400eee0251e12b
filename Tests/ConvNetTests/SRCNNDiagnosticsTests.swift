import Foundation
import Testing
import Imaging
import Training
@testable import ConvNet

@Suite struct SRCNNDiagnosticsTests {
    static func set() -> SubImageSet {
        let plane = Plane(width: 61, height: 61, values: (0..<(61 * 61)).map { (i: Int) -> Double in
            let x = Double(i % 61), y = Double(i / 61)
            return 0.5 + 0.4 * sin(x / 3) * cos(y / 4)
        })
        return SubImageSet(lumaPlanes: [plane, plane], scale: 3)
    }

    @Test func aMapWhoseBiasKeepsItBelowZeroIsDead() {
        let arch = SRCNNArchitecture(f1: 5, f2: 1, f3: 3, n1: 4, n2: 3)
        var model = SRCNN(architecture: arch, seed: 3, standardDeviation: 0.2)
        model.parameters[0] = model.parameters[0].map(abs)   // positive inputs: every layer-1 map fires
        #expect(SRCNNDiagnostics.deadMaps(model: model, set: Self.set()).layer1 == 0)
        model.parameters[1][2] = -1000
        #expect(SRCNNDiagnostics.deadMaps(model: model, set: Self.set()).layer1 == 1)
    }

    /// The error is over whole batches, and a network that outputs the bicubic input's centre
    /// (a 1×1 identity) has bicubic's error.
    @Test func anIdentityNetworkHasTheBicubicError() {
        let arch = SRCNNArchitecture(f1: 1, f2: 1, f3: 1, n1: 1, n2: 1)
        let model = SRCNN(architecture: arch, parameters: [[1], [0], [1], [0], [1], [0]])
        let e = SRCNNDiagnostics.trainingSetError(model: model, set: Self.set(), batch: 3)
        #expect(e.subImages == 6 && e.bicubicMSE > 0)
        #expect(abs(e.mse - e.bicubicMSE) <= 1e-12 * e.bicubicMSE)
    }
}
