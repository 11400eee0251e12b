import Foundation

/// A progress line on a terminal or in a log: `label: 45% (2.7M/6.0M), 310k/s, ETA 11 s`.
///
/// Silent for the first `delay` seconds, so quick runs print nothing. On a terminal the line is
/// redrawn in place (`\r`) at most every `redrawInterval`; elsewhere (a log file, a pipe) a
/// plain line is written every `lineInterval`. The clock and the output are injected so tests
/// can drive it.
public final class ProgressReporter: @unchecked Sendable {
    public enum Style: Sendable { case terminal, lines }

    public let label: String
    public let style: Style
    /// The terminal's width: a longer line would wrap, and `\r` would redraw only its last row.
    let columns: Int?
    let delay: Double, redrawInterval: Double, lineInterval: Double
    private let clock: @Sendable () -> Double
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let start: Double
    private var lastDrawn: Double?
    private var latest: (done: Int, total: Int) = (0, 0)
    private var lineLength = 0

    public init(label: String, style: Style, columns: Int? = nil, delay: Double = 1, redrawInterval: Double = 0.1, lineInterval: Double = 5,
                clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds,
                write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.style = style
        self.columns = columns
        self.delay = delay
        self.redrawInterval = redrawInterval
        self.lineInterval = lineInterval
        self.clock = clock
        self.write = write
        start = clock()
    }

    /// A reporter on standard error, or nil when nothing should be shown: `quiet`, or stderr is
    /// not a terminal and progress was not asked for (`forced`).
    public static func standardError(label: String, forced: Bool, quiet: Bool) -> ProgressReporter? {
        let terminal = isatty(STDERR_FILENO) != 0
        guard !quiet, terminal || forced else { return nil }
        var size = winsize()
        let columns = terminal && ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
        return ProgressReporter(label: label, style: terminal ? .terminal : .lines, columns: columns) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// The hook to hand to a resolver.
    public var hook: @Sendable (Int, Int) -> Void { { [self] in update(done: $0, total: $1) } }

    public func update(done: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        latest = (done, total)
        let now = clock()
        guard now - start >= delay else { return }
        let interval = style == .terminal ? redrawInterval : lineInterval
        if let lastDrawn, now - lastDrawn < interval { return }
        lastDrawn = now
        draw(at: now)
    }

    /// Ends the display: on a terminal the line is cleared (the caller prints its result in its
    /// place); in a log nothing more is written. Nothing happens when nothing was shown.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        guard lastDrawn != nil, style == .terminal else { return }
        write("\r" + String(repeating: " ", count: lineLength) + "\r")
        lastDrawn = nil
    }

    private func draw(at now: Double) {
        let text = Self.status(label: label, done: latest.done, total: latest.total, elapsed: now - start)
        switch style {
        case .terminal:
            let text = Self.fit(text, columns: columns)
            // Pad with spaces over a longer previous line rather than a terminal escape.
            let padding = String(repeating: " ", count: max(0, lineLength - text.count))
            write("\r" + text + padding)
            lineLength = text.count
        case .lines:
            write(text + "\n")
        }
    }

    /// The status text; rate and ETA once some work is done. A total of 0 is unknown (frames
    /// from a pipe): the count and rate only.
    public static func status(label: String, done: Int, total: Int, elapsed: Double) -> String {
        guard total > 0 else {
            return "\(label): \(compact(done))" + (done > 0 && elapsed > 0 ? ", \(compact(Double(done) / elapsed))/s" : "")
        }
        let percent = 100 * done / total
        var text = "\(label): \(percent)% (\(compact(done))/\(compact(total)))"
        if done > 0, elapsed > 0 {
            let rate = Double(done) / elapsed
            text += ", \(compact(rate))/s, ETA \(duration(Double(total - done) / rate))"
        }
        return text
    }

    /// The text cut to stay within `columns − 1` characters, keeping its end (the figures).
    static func fit(_ text: String, columns: Int?) -> String {
        guard let columns, columns > 10, text.count > columns - 1 else { return text }
        return "…" + text.suffix(columns - 2)
    }

    /// 950, 12k, 3.4M: three significant digits at most.
    public static func compact(_ value: Double) -> String {
        let v = max(0, value)
        for (limit, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where v >= limit {
            let scaled = v / limit
            return (scaled < 10 ? String(format: "%.1f", scaled) : String(format: "%.0f", scaled)) + suffix
        }
        return v < 10 && v != v.rounded() ? String(format: "%.1f", v) : String(format: "%.0f", v)
    }

    public static func compact(_ value: Int) -> String { compact(Double(value)) }

    /// 7 s, 3 min 05 s, 1 h 02 min.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(String(format: "%02d", s % 60)) s" }
        return "\(s / 3600) h \(String(format: "%02d", (s % 3600) / 60)) min"
    }

    public static let monotonicSeconds: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}
