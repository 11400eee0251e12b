import Foundation

/// How far a re-run cell's numbers may drift from the notebook's and still match. OpenBLAS picks
/// a different kernel on each CPU (Zen, Cooperlake, SkylakeX, Haswell …), so sums run in another
/// order and the last printed digit of a PSNR can change; text must still match exactly.
///
/// A cell declares it in its marker: `<!-- srlab:run quick tolerance=last-digit -->` (one unit in
/// the last digit the notebook printed, so `32.7487` accepts 32.7486…32.7488) or
/// `tolerance=0.001` (an absolute bound). Only numbers with a decimal point are measured values;
/// integers (counts, sizes, scales, epochs) and digits inside words (`set5_x3_K10`) are text.
public enum NotebookTolerance: Equatable, Sendable, CustomStringConvertible {
    case exact
    case lastDigit
    case absolute(Double)

    /// Parses the `tolerance=` word of a marker line; nil when the marker has none.
    public static func parse(marker: String) throws -> NotebookTolerance? {
        guard let word = marker.split(separator: " ").first(where: { $0.hasPrefix("tolerance=") }) else { return nil }
        let value = word.dropFirst("tolerance=".count)
        if value == "last-digit" { return .lastDigit }
        if let bound = Double(value), bound.isFinite, bound >= 0 { return .absolute(bound) }
        throw HarnessError.invalidSpec(path: marker, reason: "tolerance must be 'last-digit' or a non-negative number, not '\(value)'")
    }

    public var description: String {
        switch self {
        case .exact: return "exact"
        case .lastDigit: return "one unit in the last printed digit"
        case .absolute(let bound): return "±\(bound)"
        }
    }

    /// A decimal number standing alone (not part of a word such as `x3_K1.5`).
    private static let decimal = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z_0-9.])[-+]?[0-9]+\.[0-9]+(?:[eE][-+]?[0-9]+)?(?![A-Za-z_0-9])"#)

    /// Splits a line into its text (numbers replaced by a placeholder) and its decimal numbers,
    /// each with the number as printed.
    static func split(_ line: String) -> (text: String, numbers: [String]) {
        let ns = line as NSString
        var text = "", numbers: [String] = [], last = 0
        for match in decimal.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
            text += ns.substring(with: NSRange(location: last, length: match.range.location - last)) + "\u{1}"
            numbers.append(ns.substring(with: match.range))
            last = match.range.location + match.range.length
        }
        text += ns.substring(from: last)
        return (text, numbers)
    }

    /// One unit in the last printed digit: 32.7487 → 1e-4, 3.1e-12 → 1e-13.
    static func lastDigitUnit(_ printed: String) -> Double {
        let lower = printed.lowercased()
        let mantissa = lower.split(separator: "e").first.map(String.init) ?? lower
        let exponent = lower.contains("e") ? Int(lower.split(separator: "e")[1]) ?? 0 : 0
        let fractionDigits = mantissa.split(separator: ".").dropFirst().first?.count ?? 0
        return pow(10, Double(exponent - fractionDigits))
    }

    /// Whether a number printed now matches the one the notebook recorded.
    func accepts(recorded: String, fresh: String) -> Bool {
        if recorded == fresh { return true }
        guard let a = Double(recorded), let b = Double(fresh) else { return false }
        switch self {
        case .exact: return false
        // A small relative slack so that the bound itself is not lost to the decimal's rounding.
        case .lastDigit: return abs(a - b) <= Self.lastDigitUnit(recorded) * (1 + 1e-9)
        case .absolute(let bound): return abs(a - b) <= bound * (1 + 1e-9)
        }
    }

    /// The first line where `fresh` differs from `recorded` beyond this tolerance, as a message;
    /// nil when they match.
    public func mismatch(recorded: String, fresh: String) -> String? {
        let a = recorded.components(separatedBy: "\n"), b = fresh.components(separatedBy: "\n")
        for index in 0..<max(a.count, b.count) {
            let old = index < a.count ? a[index] : "<end>", new = index < b.count ? b[index] : "<end>"
            if old == new { continue }
            let (oldText, oldNumbers) = Self.split(old), (newText, newNumbers) = Self.split(new)
            let same = oldText == newText && oldNumbers.count == newNumbers.count
                && zip(oldNumbers, newNumbers).allSatisfy { accepts(recorded: $0, fresh: $1) }
            if !same {
                return "output differs at its line \(index + 1) (tolerance: \(self)): now '\(new)', notebook '\(old)'"
            }
        }
        return nil
    }
}
