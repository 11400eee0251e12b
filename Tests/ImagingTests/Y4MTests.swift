import Foundation
import Testing
@testable import Imaging

/// Y4M streams read and written frame by frame, and every way a stream can be wrong refused with
/// the stream and the frame named.
@Suite struct Y4MTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("y4m-\(UUID())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A reader on `bytes` (through a file, as srlab reads standard input through a stdio stream).
    func withReader<T>(_ bytes: [UInt8], source: String = "standard input", _ body: (Y4MReader) throws -> T) throws -> T {
        let path = folder.appendingPathComponent("in-\(UUID()).y4m").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try #require(fopen(path, "rb"))
        defer { fclose(file) }
        return try body(try Y4MReader(file: file, source: source))
    }

    /// Everything a reader gives until the end or an error, and the error.
    func readAll(_ bytes: [UInt8]) throws -> (frames: [Y4MFrame], error: Y4MError?) {
        try withReader(bytes) { reader in
            var frames: [Y4MFrame] = []
            do { while let f = try reader.next() { frames.append(f) } } catch let e as Y4MError { return (frames, e) }
            return (frames, nil)
        }
    }

    func frame(_ header: Y4MHeader, seed: Int, parameters: String = "") -> Y4MFrame {
        Y4MFrame(planes: header.planeSizes.enumerated().map { p, size in
            (0..<(size.width * size.height)).map { UInt8(truncatingIfNeeded: $0 * 7 + seed * 31 + p * 50) }
        }, parameters: parameters)
    }

    func bytes(_ header: Y4MHeader, _ frames: [Y4MFrame]) -> [UInt8] {
        var out = Array(header.line.utf8)
        for f in frames {
            out += Array(("FRAME" + (f.parameters.isEmpty ? "" : " " + f.parameters) + "\n").utf8)
            for p in f.planes { out += p }
        }
        return out
    }

    @Test func aHeaderLineParsesAndIsWrittenBackAsItCame() throws {
        let line = "YUV4MPEG2 W426 H240 F30000:1001 It A128:117 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=LIMITED"
        let header = try Y4MHeader.parse(line, source: "s")
        #expect(header.width == 426 && header.height == 240)
        #expect(header.frameRate == Y4MRatio(numerator: 30000, denominator: 1001))
        #expect(header.interlacing == "t" && header.aspect == Y4MRatio(numerator: 128, denominator: 117))
        #expect(header.colourSpace == .c420mpeg2 && header.comments == ["YSCSS=420MPEG2", "COLORRANGE=LIMITED"])
        #expect(header.line == line + "\n")
        // Scaled: only the size changes.
        #expect(header.scaled(by: 3).line == line.replacingOccurrences(of: "W426 H240", with: "W1278 H720") + "\n")
    }

    @Test func planeSizesFollowTheLayout() throws {
        let bare = try Y4MHeader.parse("YUV4MPEG2 W5 H3", source: "s")
        // No C: 4:2:0, chroma half size rounded up.
        #expect(bare.layout == .c420jpeg && bare.colourSpace == nil && bare.line == "YUV4MPEG2 W5 H3\n")
        #expect(bare.planeSizes.map { [$0.width, $0.height] } == [[5, 3], [3, 2], [3, 2]])
        #expect(bare.frameBytes == 15 + 12)
        #expect(try Y4MHeader.parse("YUV4MPEG2 W5 H3 C444", source: "s").frameBytes == 45)
        #expect(try Y4MHeader.parse("YUV4MPEG2 W5 H3 Cmono", source: "s").frameBytes == 15)
    }

    /// Frames written, with and without FRAME parameters, read back unchanged; the end of the
    /// stream after the last frame is a clean end.
    @Test func framesRoundTripThroughWriterAndReader() throws {
        for space in Y4MColourSpace.allCases {
            let header = Y4MHeader(width: 7, height: 5, frameRate: Y4MRatio(numerator: 25, denominator: 1), interlacing: "p",
                                   colourSpace: space)
            let frames = [frame(header, seed: 1), frame(header, seed: 2, parameters: "Ib XFOO=1"), frame(header, seed: 3)]
            let path = folder.appendingPathComponent("out-\(space.rawValue).y4m").path
            let file = try #require(fopen(path, "wb"))
            let writer = try Y4MWriter(file: file, destination: path, header: header)
            for f in frames { try writer.write(f) }
            fclose(file)
            #expect(writer.framesWritten == 3)
            let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(written == bytes(header, frames))
            let (read, error) = try readAll(written)
            #expect(error == nil && read == frames, "\(space)")
            try withReader(written) { #expect($0.header == header) }
        }
    }

    @Test func aStreamThatIsNotY4MIsRefusedWithWhatItStartsWith() throws {
        for (text, word) in [("P6\n3 3\n255\n", "'P6'"), ("", "empty"), ("YUV4MPEG W4 H4\n", "'YUV4MPEG W4 H4'"), ("\u{1}\u{2}ab\n", "\\x01\\x02ab")] {
            #expect {
                try withReader(Array(text.utf8)) { _ in }
            } throws: { error in
                let message = "\(error)"
                return message.hasPrefix("standard input: ") && message.contains(word) && (text.isEmpty || message.contains("not a YUV4MPEG2"))
            }
        }
    }

    @Test func anUnsupportedColourSpaceIsNamed() throws {
        for space in ["422", "420p10", "444alpha", "mono16"] {
            #expect {
                try withReader(Array("YUV4MPEG2 W8 H8 C\(space)\n".utf8)) { _ in }
            } throws: { error in
                let message = "\(error)"
                return message.contains("standard input: Y4M colour space C\(space) is not supported") && message.contains("C420jpeg")
            }
        }
    }

    @Test func badHeaderFieldsAreRefused() throws {
        for (line, word) in [("YUV4MPEG2 W0 H8", "W0"), ("YUV4MPEG2 W8", "no height"), ("YUV4MPEG2 H8", "no width"),
                             ("YUV4MPEG2 W8 H8 F30", "F30"), ("YUV4MPEG2 W8 H8 Ix", "Ix"), ("YUV4MPEG2 W8 W9 H8", "W is given twice"),
                             ("YUV4MPEG2 W-3 H8", "W-3"), ("YUV4MPEG2 W8 H99999999999", "H99999999999")] {
            #expect {
                try withReader(Array((line + "\n").utf8)) { _ in }
            } throws: { error in "\(error)".hasPrefix("standard input: bad Y4M header: ") && "\(error)".contains(word) }
        }
        // A header without its newline, or a binary file's endless "line", ends as an error.
        let endless = Array("YUV4MPEG2 W8 H8 ".utf8) + [UInt8](repeating: 65, count: 10_000)
        for bytes in [Array("YUV4MPEG2 W8 H8".utf8), endless] {
            #expect(throws: Y4MError.self) { try withReader(bytes) { _ in } }
        }
    }

    /// A frame longer than the header declares leaves its extra bytes where the next FRAME should
    /// be: refused at that frame, the frames before it read.
    @Test func aWrongFrameMarkerNamesTheFrame() throws {
        let header = Y4MHeader(width: 6, height: 4)
        var stream = bytes(header, [frame(header, seed: 1)])
        stream += Array("FRAME\n".utf8) + frame(header, seed: 2).planes.flatMap { $0 } + [9, 9, 9]
        stream += bytes(header, [frame(header, seed: 3)]).dropFirst(header.line.utf8.count)
        let (frames, error) = try readAll(stream)
        #expect(frames.count == 2)
        let message = "\(try #require(error))"
        #expect(message.hasPrefix("standard input: frame 3: expected a FRAME header, found '\\x09\\x09\\x09FRAME'"), "\(message)")
        #expect(message.contains("6x4 C420jpeg"))
        let (none, garbage) = try readAll(Array(header.line.utf8) + Array("FRAMEX\n".utf8))
        let garbageMessage = "\(try #require(garbage))"
        #expect(none.isEmpty && garbageMessage.contains("frame 1: expected a FRAME header"))
    }

    /// The stream ends inside the last frame: its data, its FRAME line, or the FRAME word itself.
    @Test func aTruncatedFrameIsRefusedAfterTheWholeFramesBeforeIt() throws {
        let header = Y4MHeader(width: 6, height: 4, colourSpace: .c420paldv)
        let whole = bytes(header, [frame(header, seed: 1), frame(header, seed: 2), frame(header, seed: 3)])
        // Cuts counted from the start of frame 3's FRAME line ("FRAME\n" is 6 bytes).
        for (cut, got) in [(10, 4), (1, 0), (6, 0), (6 + header.frameBytes - 1, header.frameBytes - 1)] {
            let (frames, error) = try readAll(Array(whole.prefix(whole.count - (6 + header.frameBytes) + cut)))
            #expect(frames.count == 2, "cut \(cut)")
            #expect(error == .truncatedFrame(source: "standard input", frame: 3, got: got, expected: header.frameBytes), "cut \(cut)")
            #expect(error.map { "\($0)" } == "standard input: frame 3 is truncated: the stream ended after \(got) of its \(header.frameBytes) bytes")
        }
        // "FRAME" without its newline is cut too.
        let (_, cutWord) = try readAll(Array(whole.prefix(whole.count - header.frameBytes - 1)))
        #expect(cutWord == .truncatedFrame(source: "standard input", frame: 3, got: 0, expected: header.frameBytes))
    }

    /// Raw planar frames: the same planes, no header and no FRAME lines; a short last frame is
    /// still named.
    @Test func rawFramesRoundTripAndATruncatedOneIsNamed() throws {
        let header = Y4MHeader(width: 5, height: 3, colourSpace: .c420jpeg)
        let frames = [frame(header, seed: 1), frame(header, seed: 2)]
        let path = folder.appendingPathComponent("raw.yuv").path
        let file = try #require(fopen(path, "wb"))
        let writer = Y4MWriter(rawFile: file, destination: path, header: header)
        for f in frames { try writer.write(f) }
        fclose(file)
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == frames.flatMap { $0.planes.flatMap { $0 } })
        func readRaw(_ bytes: [UInt8]) throws -> ([Y4MFrame], Y4MError?) {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let file = try #require(fopen(path, "rb"))
            defer { fclose(file) }
            let reader = Y4MReader(rawFile: file, source: "standard input", header: header)
            var read: [Y4MFrame] = []
            do { while let f = try reader.next() { read.append(f) } } catch let e as Y4MError { return (read, e) }
            return (read, nil)
        }
        let (read, error) = try readRaw(written)
        #expect(read == frames && error == nil)
        let (cut, cutError) = try readRaw(Array(written.dropLast(4)))
        #expect(cut == [frames[0]])
        #expect(cutError == .truncatedFrame(source: "standard input", frame: 2, got: header.frameBytes - 4, expected: header.frameBytes))
    }
}
