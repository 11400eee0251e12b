import Foundation
import Testing
@testable import Harness

/// A spec's training curves are read when its figures are drawn, and a missing file only drops
/// its curve, so the committed specs must name files that exist (the run folders in
/// experiments/runs/ hold the logs).
@Suite struct CommittedSpecCurvesTests {
    @Test func everyCurveACommittedSpecNamesExists() throws {
        let dir = packageRoot + "/experiments"
        let specs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        var curves: [String] = []
        for name in specs {
            let spec = try ExperimentSpec.load(dir + "/" + name, vocabulary: cliVocabulary)
            curves += spec.methods.flatMap { ($0.curves ?? [:]).values }
        }
        #expect(curves.count >= 5)
        for path in curves {
            #expect(FileManager.default.fileExists(atPath: packageRoot + "/" + path), "\(path)")
            #expect(path.hasPrefix("experiments/runs/"), "training logs live in the run folders: \(path)")
        }
    }
}
