import Foundation
import Imaging
import Testing
@testable import ConvNet

/// The (done, total) reports a run made, collected from whichever thread made them.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(done: Int, total: Int)] = []
    var reports: [(done: Int, total: Int)] { lock.lock(); defer { lock.unlock() }; return entries }
    var hook: ProgressHook { { done, total in self.lock.lock(); self.entries.append((done, total)); self.lock.unlock() } }
}

@Suite struct SRCNNProgressTests {
    /// Every output pixel is counted once, in non-decreasing reports, across tiles and threads,
    /// and watching the run does not change its result.
    @Test(arguments: [SRCNNArchitecture(f1: 5, f2: 3, f3: 3, n1: 8, n2: 4), SRCNNModelTests.oneByOneArchitecture])
    func progressCountsEachOutputPixelOnce(_ architecture: SRCNNArchitecture) {
        var model = SRCNN(architecture: architecture, seed: 7, standardDeviation: 0.3)
        model.tileSize = 8
        let input = SRCNNModelTests.randomPlane(width: 37, height: 29, seed: 4)
        let log = ProgressLog()
        let watched = model.apply(to: input, progress: log.hook)
        let reports = log.reports
        #expect(reports.count > 1)
        #expect(reports.allSatisfy { $0.total == 37 * 29 })
        #expect(reports.last?.done == 37 * 29)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.done < $1.done })
        #expect(watched.values == model.apply(to: input).values)
    }
}
