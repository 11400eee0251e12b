import Foundation

/// One Y4M frame: its planes (Y, then Cb and Cr unless mono), 8-bit, row-major, sized as the
/// stream header's `planeSizes`, and the parameters of its FRAME line, kept verbatim.
public struct Y4MFrame: Sendable, Equatable {
    public var planes: [[UInt8]]
    public var parameters: String

    public init(planes: [[UInt8]], parameters: String = "") {
        self.planes = planes
        self.parameters = parameters
    }
}

/// Reads a Y4M stream one frame at a time from a stdio stream (a file, or standard input), so a
/// video of any length needs the memory of one frame. Raw planar video (the same planes with no
/// stream header and no FRAME lines; ffmpeg's `-f rawvideo`) is read with a header the caller gives.
public final class Y4MReader {
    public let header: Y4MHeader
    /// Names the stream in errors: a path or "standard input".
    public let source: String
    public private(set) var framesRead = 0
    private let file: UnsafeMutablePointer<FILE>
    /// Whether frames start with a FRAME line (Y4M) or follow one another bare (raw).
    public let framed: Bool

    /// Header and FRAME lines longer than this are not Y4M (ffmpeg writes under 100 bytes), and
    /// reading a binary file's "line" must stop somewhere.
    static let longestLine = 4096

    /// Reads and checks the stream header. `file` stays the caller's to close.
    public init(file: UnsafeMutablePointer<FILE>, source: String) throws {
        self.file = file
        self.source = source
        framed = true
        let (bytes, ended) = try Self.readLine(file, source: source)
        let text = Self.latin1(bytes)
        guard text.hasPrefix(Y4MHeader.signature + " ") || text == Y4MHeader.signature else {
            throw Y4MError.notY4M(source: source, start: String(text.prefix(24)))
        }
        guard ended else {
            throw Y4MError.badHeader(source: source, reason: bytes.count >= Self.longestLine
                ? "no end of line in its first \(Self.longestLine) bytes" : "the stream ends inside it")
        }
        header = try Y4MHeader.parse(text, source: source)
    }

    /// A reader of raw planar frames laid out as `header` says.
    public init(rawFile file: UnsafeMutablePointer<FILE>, source: String, header: Y4MHeader) {
        self.file = file
        self.source = source
        self.header = header
        framed = false
    }

    /// The next frame, or nil at the end of the stream (which must fall between frames).
    public func next() throws -> Y4MFrame? {
        let number = framesRead + 1
        let first = getc(file)
        if first == EOF {
            if ferror(file) != 0 { throw Y4MError.unreadable(source: source, reason: String(cString: strerror(errno))) }
            return nil
        }
        ungetc(first, file)
        let parameters = framed ? try frameLine(number) : ""
        var planes: [[UInt8]] = []
        var got = 0
        for size in header.planeSizes {
            var plane = [UInt8](repeating: 0, count: size.width * size.height)
            let count = plane.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            got += count
            guard count == plane.count else {
                if ferror(file) != 0 { throw Y4MError.unreadable(source: source, reason: String(cString: strerror(errno))) }
                throw Y4MError.truncatedFrame(source: source, frame: number, got: got, expected: header.frameBytes)
            }
            planes.append(plane)
        }
        framesRead = number
        return Y4MFrame(planes: planes, parameters: parameters)
    }

    /// Reads frame `number`'s FRAME line and returns its parameters.
    private func frameLine(_ number: Int) throws -> String {
        let (bytes, ended) = try Self.readLine(file, source: source)
        let text = Self.latin1(bytes)
        let marker = "FRAME"
        guard text == marker || text.hasPrefix(marker + " ") else {
            // The start of a FRAME line cut off by the end of the stream is a truncated frame.
            if !ended, bytes.count < Self.longestLine, marker.hasPrefix(text) {
                throw Y4MError.truncatedFrame(source: source, frame: number, got: 0, expected: header.frameBytes)
            }
            throw Y4MError.badFrameHeader(source: source, frame: number, found: String(text.prefix(24)),
                                          width: header.width, height: header.height, colourSpace: header.layout.rawValue)
        }
        guard ended else {
            if bytes.count >= Self.longestLine {
                throw Y4MError.badFrameHeader(source: source, frame: number, found: String(text.prefix(24)),
                                              width: header.width, height: header.height, colourSpace: header.layout.rawValue)
            }
            throw Y4MError.truncatedFrame(source: source, frame: number, got: 0, expected: header.frameBytes)
        }
        return String(text.dropFirst(marker.count).drop(while: { $0 == " " }))
    }

    /// Bytes up to a newline (not included) and whether the newline came, reading at most
    /// `longestLine` bytes.
    static func readLine(_ file: UnsafeMutablePointer<FILE>, source: String) throws -> (bytes: [UInt8], ended: Bool) {
        var bytes: [UInt8] = []
        while bytes.count < longestLine {
            let c = getc(file)
            if c == EOF {
                if ferror(file) != 0 { throw Y4MError.unreadable(source: source, reason: String(cString: strerror(errno))) }
                return (bytes, false)
            }
            if c == 10 { return (bytes, true) }
            bytes.append(UInt8(c))
        }
        return (bytes, false)
    }

    /// Each byte as the character of the same code (ISO 8859-1): any bytes make a string, and
    /// messages can show the unprintable ones.
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}

/// Writes a Y4M stream frame by frame to a stdio stream, flushing after the header and after each
/// frame so a reader at the other end of a pipe sees whole frames as they are made; or raw planar
/// frames (no header, no FRAME lines).
public final class Y4MWriter {
    public let header: Y4MHeader
    /// Names the stream in errors: a path or "standard output".
    public let destination: String
    public private(set) var framesWritten = 0
    private let file: UnsafeMutablePointer<FILE>
    public let framed: Bool

    /// Writes the stream header. `file` stays the caller's to close.
    public init(file: UnsafeMutablePointer<FILE>, destination: String, header: Y4MHeader) throws {
        self.file = file
        self.destination = destination
        self.header = header
        framed = true
        try put(Array(header.line.utf8))
        try flush()
    }

    /// A writer of raw planar frames laid out as `header` says.
    public init(rawFile file: UnsafeMutablePointer<FILE>, destination: String, header: Y4MHeader) {
        self.file = file
        self.destination = destination
        self.header = header
        framed = false
    }

    public func write(_ frame: Y4MFrame) throws {
        let sizes = header.planeSizes
        precondition(frame.planes.count == sizes.count && zip(frame.planes, sizes).allSatisfy { $0.count == $1.width * $1.height },
                     "a frame's planes must match the stream header")
        if framed { try put(Array(("FRAME" + (frame.parameters.isEmpty ? "" : " " + frame.parameters) + "\n").utf8)) }
        for plane in frame.planes { try put(plane) }
        try flush()
        framesWritten += 1
    }

    private func put(_ bytes: [UInt8]) throws {
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else { throw Y4MError.unwritable(destination: destination, reason: String(cString: strerror(errno))) }
    }

    private func flush() throws {
        guard fflush(file) == 0 else { throw Y4MError.unwritable(destination: destination, reason: String(cString: strerror(errno))) }
    }
}
