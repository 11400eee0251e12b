import Foundation
import Testing
@testable import Upscaling

/// A clock the test moves by hand, and the text the reporter wrote.
final class Recorder: @unchecked Sendable {
    var now = 100.0
    var written: [String] = []
    func reporter(_ style: ProgressReporter.Style, label: String = "a.png") -> ProgressReporter {
        ProgressReporter(label: label, style: style, clock: { self.now }, write: { self.written.append($0) })
    }
}

@Suite struct ProgressReporterTests {
    @Test func aRunShorterThanASecondShowsNothing() {
        let r = Recorder()
        let progress = r.reporter(.terminal)
        for i in 1...10 { r.now += 0.09; progress.update(done: i, total: 10) }
        progress.finish()
        #expect(r.written.isEmpty)
    }

    /// On a terminal: redrawn in place at most ten times a second, the line cleared at the end.
    @Test func aTerminalLineIsRedrawnAtMostTenTimesASecond() {
        let r = Recorder()
        let progress = r.reporter(.terminal)
        r.now += 1
        // 200 updates over two seconds, 100 a second.
        for i in 1...200 { r.now += 0.01; progress.update(done: i, total: 400) }
        #expect(r.written.count >= 19 && r.written.count <= 21, "\(r.written.count) redraws")
        #expect(r.written.allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") })
        // The last redraw is within about a tenth of a second (ten updates) of the end: 47–50%.
        let last = r.written.last ?? ""
        #expect(["47%", "48%", "49%", "50%"].contains { last.hasPrefix("\ra.png: \($0)") }, "\(last)")
        let redraws = r.written.count
        progress.finish()
        // Cleared: spaces over the line, the cursor back at its start.
        let clear = r.written.last ?? ""
        #expect(r.written.count == redraws + 1 && clear.count > 2 && clear.first == "\r" && clear.last == "\r"
                && clear.dropFirst().dropLast().allSatisfy { $0 == " " })
    }

    /// In a log: plain lines, the first after a second, then one every five seconds.
    @Test func aLogGetsALineEveryFewSeconds() {
        let r = Recorder()
        let progress = r.reporter(.lines)
        for i in 1...120 { r.now += 0.1; progress.update(done: i, total: 120) } // 12 s
        #expect(r.written.count == 3) // at 1 s, 6 s, 11 s
        #expect(r.written.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        progress.finish()
        #expect(r.written.count == 3)
    }

    @Test func theStatusGivesDoneTotalRateAndETA() {
        #expect(ProgressReporter.status(label: "x.png", done: 1_500_000, total: 6_000_000, elapsed: 10)
                == "x.png: 25% (1.5M/6.0M), 150k/s, ETA 30 s")
        #expect(ProgressReporter.status(label: "x", done: 0, total: 80, elapsed: 3) == "x: 0% (0/80)")
        #expect(ProgressReporter.status(label: "x", done: 30, total: 90, elapsed: 100) == "x: 33% (30/90), 0.3/s, ETA 3 min 20 s")
    }

    /// Frames from a pipe have no known total: the count and the rate only.
    @Test func anUnknownTotalGivesTheCountAndRate() {
        #expect(ProgressReporter.status(label: "frames of standard input", done: 120, total: 0, elapsed: 5)
                == "frames of standard input: 120, 24/s")
        #expect(ProgressReporter.status(label: "f", done: 0, total: 0, elapsed: 5) == "f: 0")
    }

    @Test func numbersAndDurationsAreShort() {
        #expect(ProgressReporter.compact(950) == "950")
        #expect(ProgressReporter.compact(12_345) == "12k")
        #expect(ProgressReporter.compact(3_400_000) == "3.4M")
        #expect(ProgressReporter.compact(2.5) == "2.5")
        #expect(ProgressReporter.duration(7.4) == "7 s")
        #expect(ProgressReporter.duration(185) == "3 min 05 s")
        #expect(ProgressReporter.duration(3720) == "1 h 02 min")
    }

    /// A line wider than the terminal would wrap, and `\r` would redraw only its last row.
    @Test func aTerminalLineFitsTheTerminal() {
        let r = Recorder()
        let progress = ProgressReporter(label: String(repeating: "long/", count: 20) + "a.png", style: .terminal, columns: 40,
                                        clock: { r.now }, write: { r.written.append($0) })
        r.now += 2
        progress.update(done: 1, total: 4)
        // 39 characters after the \r: one column to spare.
        #expect(r.written == ["\r…/long/a.png: 25% (1/4), 0.5/s, ETA 6 s"])
    }

    /// The hook a resolver calls drives the same display.
    @Test func theHookUpdatesTheReporter() {
        let r = Recorder()
        let progress = r.reporter(.lines)
        r.now += 2
        progress.hook(5, 10)
        #expect(r.written == ["a.png: 50% (5/10), 2.5/s, ETA 2 s\n"])
    }
}
