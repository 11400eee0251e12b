import Foundation
import Testing
@testable import Harness

/// The speed table's readers of the peers' output and its FMA-peak column.
@Suite struct SpeedTableTests {
    /// fma_peak prints one line per vector width; the ceiling is the best of them, and output
    /// without a figure gives none (the column is then left empty, not zero).
    @Test func fmaPeakIsTheBestWidth() {
        let text = """
        avx512 (zmm) fp32 FMA, 2 thread(s): best of 5 = 232.1 GFLOP/s (sink 19.2043)
        avx2 (ymm) fp32 FMA, 2 thread(s): best of 5 = 230.5 GFLOP/s (sink 2.40053)
        """
        #expect(FMAPeak.parse(text) == 232.1)
        #expect(FMAPeak.parse("avx512 (zmm): not supported by this CPU\navx2 (ymm) fp32 FMA, 2 thread(s): best of 5 = 198.0 GFLOP/s (sink 1)") == 198.0)
        #expect(FMAPeak.parse("no figures here") == nil)
    }

    /// The markdown shows the share as a percentage on the rows that have one, blank elsewhere.
    @Test func markdownShowsTheShareOfThePeak() {
        var rate = SpeedTable.Row(group: "BLAS", name: "sgemm", value: 205, unit: "GFLOP/s", peer: nil, peerValue: nil, ratio: nil)
        rate.fmaShare = 205.0 / 234.0
        let time = SpeedTable.Row(group: "methods", name: "A+ x3", value: 0.0234, unit: "s/image", peer: nil, peerValue: nil, ratio: nil)
        let md = SpeedTable.markdown(SpeedTable.Report(rows: [rate, time], environment: .current(), command: "test"))
        #expect(md.contains("| BLAS | sgemm | 205 | GFLOP/s |  |  |  | 88% |"))
        #expect(md.contains("| methods | A+ x3 | 0.0234 | s/image |  |  |  |  |"))
    }
}
