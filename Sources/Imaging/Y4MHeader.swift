import Foundation

/// The stream header of a YUV4MPEG2 (Y4M) video: `YUV4MPEG2 W640 H360 F30000:1001 Ip A1:1 C420jpeg\n`,
/// then frames, each `FRAME` (optional parameters) `\n` and its planes, 8 bits per sample, Y first.
/// Only 8-bit layouts are read: 4:2:0 (any chroma siting), 4:4:4 and mono.
public struct Y4MHeader: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// F, I, A and C as the stream gave them (nil: absent), so an output repeats them.
    public var frameRate: Y4MRatio?
    public var interlacing: Character?
    public var aspect: Y4MRatio?
    public var colourSpace: Y4MColourSpace?
    /// X parameters (application comments), kept verbatim without the X.
    public var comments: [String]

    public init(width: Int, height: Int, frameRate: Y4MRatio? = nil, interlacing: Character? = nil,
                aspect: Y4MRatio? = nil, colourSpace: Y4MColourSpace? = nil, comments: [String] = []) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.interlacing = interlacing
        self.aspect = aspect
        self.colourSpace = colourSpace
        self.comments = comments
    }

    public static let signature = "YUV4MPEG2"
    /// Interlacing modes the format defines: progressive, top or bottom field first, mixed, unknown.
    static let interlacingModes: Set<Character> = ["p", "t", "b", "m", "?"]

    /// The layout of the planes: a stream without C is 4:2:0 with JPEG siting.
    public var layout: Y4MColourSpace { colourSpace ?? .c420jpeg }

    /// Width and height of each plane, Y first.
    public var planeSizes: [(width: Int, height: Int)] { layout.planeSizes(width: width, height: height) }

    /// Bytes of one frame's planes (its FRAME line not counted).
    public var frameBytes: Int { planeSizes.reduce(0) { $0 + $1.width * $1.height } }

    /// The same stream at `scale` times the size; rate, interlacing, aspect and layout unchanged.
    public func scaled(by scale: Int) -> Y4MHeader {
        var out = self
        out.width = width * scale
        out.height = height * scale
        return out
    }

    /// The header line, newline included.
    public var line: String {
        var fields = [Self.signature, "W\(width)", "H\(height)"]
        if let frameRate { fields.append("F\(frameRate)") }
        if let interlacing { fields.append("I\(interlacing)") }
        if let aspect { fields.append("A\(aspect)") }
        if let colourSpace { fields.append("C\(colourSpace.rawValue)") }
        fields += comments.map { "X" + $0 }
        return fields.joined(separator: " ") + "\n"
    }

    /// Parses a header line (without its newline). `source` names the stream in errors.
    public static func parse(_ line: String, source: String) throws -> Y4MHeader {
        var fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.first.map(String.init) == signature else {
            throw Y4MError.notY4M(source: source, start: String(line.prefix(24)))
        }
        fields.removeFirst()
        var header = Y4MHeader(width: 0, height: 0)
        var seen: Set<Character> = []
        for field in fields {
            let tag = field.first!, value = String(field.dropFirst())
            if tag != "X" {
                guard seen.insert(tag).inserted else { throw Y4MError.badHeader(source: source, reason: "\(tag) is given twice") }
            }
            let bad = { (what: String) in Y4MError.badHeader(source: source, reason: "\(what) '\(field)'") }
            switch tag {
            case "W", "H":
                guard let n = Int(value), n > 0, n <= 1 << 20 else { throw bad("the \(tag == "W" ? "width" : "height") is not a positive whole number:") }
                if tag == "W" { header.width = n } else { header.height = n }
            case "F":
                guard let r = Y4MRatio(value) else { throw bad("the frame rate is not n:d:") }
                header.frameRate = r
            case "A":
                guard let r = Y4MRatio(value) else { throw bad("the pixel aspect is not n:d:") }
                header.aspect = r
            case "I":
                guard value.count == 1, let mode = value.first, interlacingModes.contains(mode) else {
                    throw bad("the interlacing is not p, t, b, m or ?:")
                }
                header.interlacing = mode
            case "C":
                guard let space = Y4MColourSpace(rawValue: value) else {
                    throw Y4MError.unsupportedColourSpace(source: source, found: value)
                }
                header.colourSpace = space
            case "X":
                header.comments.append(value)
            default:
                // The format reserves other letters; a reader skips what it does not know.
                break
            }
        }
        guard header.width > 0 else { throw Y4MError.badHeader(source: source, reason: "no width (W)") }
        guard header.height > 0 else { throw Y4MError.badHeader(source: source, reason: "no height (H)") }
        return header
    }
}

/// A Y4M ratio such as a frame rate `30000:1001` or a pixel aspect `1:1` (`0:0`: unknown).
public struct Y4MRatio: Sendable, Equatable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d >= 0 else { return nil }
        self.init(numerator: n, denominator: d)
    }

    public var description: String { "\(numerator):\(denominator)" }
}

/// The 8-bit layouts srlab reads. The 4:2:0 variants differ in where chroma is sited.
public enum Y4MColourSpace: String, Sendable, CaseIterable {
    case c420jpeg = "420jpeg", c420paldv = "420paldv", c420mpeg2 = "420mpeg2", c420 = "420"
    case c444 = "444", mono

    /// Where a chroma sample sits, in chroma samples from the centre of the luma it covers, as
    /// ffmpeg reads the tags: 420jpeg and 420 centred, 420mpeg2 beside the left luma column
    /// (MPEG-2, H.264), 420paldv on the top-left luma pixel.
    public var chromaSiting: (x: Double, y: Double) {
        switch self {
        case .c420mpeg2: return (-0.25, 0)
        case .c420paldv: return (-0.25, -0.25)
        case .c420jpeg, .c420, .c444, .mono: return (0, 0)
        }
    }

    /// Width and height of each plane of a `width`×`height` frame, Y first; 4:2:0 chroma is
    /// half size rounded up.
    public func planeSizes(width: Int, height: Int) -> [(width: Int, height: Int)] {
        switch self {
        case .mono: return [(width, height)]
        case .c444: return Array(repeating: (width, height), count: 3)
        case .c420jpeg, .c420paldv, .c420mpeg2, .c420:
            let chroma = ((width + 1) / 2, (height + 1) / 2)
            return [(width, height), chroma, chroma]
        }
    }

    /// "420jpeg, 420paldv, …": for messages.
    public static var supportedList: String { allCases.map { "C" + $0.rawValue }.joined(separator: ", ") }
}

/// Errors reading or writing a Y4M stream; each names the stream (a file, or "standard input") and,
/// past the header, the frame (counted from 1).
public enum Y4MError: Error, CustomStringConvertible, Equatable {
    case notY4M(source: String, start: String)
    case badHeader(source: String, reason: String)
    case unsupportedColourSpace(source: String, found: String)
    case badFrameHeader(source: String, frame: Int, found: String, width: Int, height: Int, colourSpace: String)
    case truncatedFrame(source: String, frame: Int, got: Int, expected: Int)
    case unreadable(source: String, reason: String)
    case unwritable(destination: String, reason: String)

    public var description: String {
        switch self {
        case .notY4M(let source, let start):
            return start.isEmpty ? "\(source): empty; expected a YUV4MPEG2 (Y4M) stream"
                                 : "\(source): not a YUV4MPEG2 (Y4M) stream: it starts with \(Self.shown(start))"
        case .badHeader(let source, let reason): return "\(source): bad Y4M header: \(reason)"
        case .unsupportedColourSpace(let source, let found):
            return "\(source): Y4M colour space C\(found) is not supported; srlab reads 8-bit \(Y4MColourSpace.supportedList) "
                + "(convert with ffmpeg -pix_fmt yuv420p)"
        case .badFrameHeader(let source, let frame, let found, let width, let height, let space):
            return "\(source): frame \(frame): expected a FRAME header, found \(Self.shown(found)); "
                + "the frames are not \(width)x\(height) C\(space) as the stream header declares"
        case .truncatedFrame(let source, let frame, let got, let expected):
            return "\(source): frame \(frame) is truncated: the stream ended after \(got) of its \(expected) bytes"
        case .unreadable(let source, let reason): return "\(source): cannot read: \(reason)"
        case .unwritable(let destination, let reason): return "\(destination): cannot write: \(reason)"
        }
    }

    /// Bytes from a stream quoted for a message, unprintable ones as `\xNN`.
    static func shown(_ text: String) -> String {
        let printable = text.unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? String($0) : String(format: "\\x%02X", $0.value) }
        return "'" + printable.joined() + "'"
    }
}
