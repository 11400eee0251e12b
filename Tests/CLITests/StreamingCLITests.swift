import Foundation
import Imaging
import SeededRandom
import Testing

/// `srlab upscale - … -o -` as a video pipeline runs it: Y4M piped into the built binary's
/// standard input, the upscaled stream read from its standard output while it runs.
@Suite(.serialized) struct StreamingCLITests {
    let work: URL
    let srlab = HostileInputTests.findBinary()
    static let srcnn3 = HostileInputTests.repositoryRoot.appendingPathComponent("results/models/srcnn_x3_9-1-5.safetensors").path

    init() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // A srlab that stops reading must not kill the test process on its next write.
        signal(SIGPIPE, SIG_IGN)
    }

    struct Ran {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// A srlab process with its three streams on pipes; stdout and stderr are collected as they come.
    final class Running: @unchecked Sendable {
        let process = Process()
        let input = Pipe(), output = Pipe(), errors = Pipe()
        private let lock = NSLock()
        private var out = Data(), err = Data()
        private let arrived = DispatchSemaphore(value: 0)
        /// Signalled once each pipe reaches its end: every chunk read is appended before `finish`
        /// collects.
        private let outputEnded = DispatchSemaphore(value: 0), errorsEnded = DispatchSemaphore(value: 0)

        init(_ srlab: URL, _ arguments: [String], in folder: URL) throws {
            process.executableURL = srlab
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            Self.readToEnd(output.fileHandleForReading, ended: outputEnded) { [self] chunk in
                lock.lock(); out.append(chunk); lock.unlock()
                arrived.signal()
            }
            Self.readToEnd(errors.fileHandleForReading, ended: errorsEnded) { [self] chunk in
                lock.lock(); err.append(chunk); lock.unlock()
            }
        }

        /// Reads `handle` on a thread of its own, chunk by chunk as data arrives, until its end.
        /// Blocking reads rather than `readabilityHandler`: under a loaded test run the handler
        /// once stopped being called with 2.8 KB of SRCNN's frame still in the pipe, and the test
        /// waited out its timeouts with a truncated stream.
        private static func readToEnd(_ handle: FileHandle, ended: DispatchSemaphore,
                                      _ append: @escaping @Sendable (Data) -> Void) {
            Thread.detachNewThread {
                while case let chunk = handle.availableData, !chunk.isEmpty { append(chunk) }
                ended.signal()
            }
        }

        var stdoutCount: Int { lock.lock(); defer { lock.unlock() }; return out.count }

        /// Waits until standard output holds `count` bytes; false after `timeout` seconds without.
        func waitForOutput(_ count: Int, timeout: Double = 60) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while stdoutCount < count {
                if arrived.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .timedOut { return stdoutCount >= count }
            }
            return true
        }

        /// Sends bytes to standard input; false when srlab has closed it.
        @discardableResult func send(_ bytes: [UInt8]) -> Bool {
            (try? input.fileHandleForWriting.write(contentsOf: Data(bytes))) != nil
        }

        func finish(timeout: Double = 300) -> Ran {
            try? input.fileHandleForWriting.close()
            let pid = process.processIdentifier
            let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
            process.waitUntilExit()
            watchdog.cancel()
            _ = outputEnded.wait(timeout: .now() + 30)
            _ = errorsEnded.wait(timeout: .now() + 30)
            lock.lock(); defer { lock.unlock() }
            return Ran(status: process.terminationStatus, stdout: [UInt8](out), stderr: String(decoding: err, as: UTF8.self))
        }
    }

    func run(_ arguments: [String], stdin: [UInt8]) throws -> Ran {
        try #require(FileManager.default.isExecutableFile(atPath: srlab.path), "build srlab first: \(srlab.path)")
        let running = try Running(srlab, arguments, in: work)
        running.send(stdin)
        return running.finish()
    }

    // MARK: - Streams

    static func frame(_ header: Y4MHeader, seed: Int) -> Y4MFrame {
        Y4MFrame(planes: header.planeSizes.enumerated().map { p, size in
            (0..<(size.width * size.height)).map { i in
                let x = Double(i % size.width), y = Double(i / size.width)
                return Quantize.uint8(128 + 90 * sin(x / (1.9 + Double(p)) + Double(seed)) * cos(y / 2.3 + Double(seed)))
            }
        })
    }

    static func bytes(_ header: Y4MHeader?, _ frames: [Y4MFrame]) -> [UInt8] {
        var out = header.map { Array($0.line.utf8) } ?? []
        for f in frames { out += Array("FRAME\n".utf8) + f.planes.flatMap { $0 } }
        return out
    }

    /// The stream in `bytes`, which must be valid Y4M through its last byte.
    func parse(_ bytes: [UInt8]) throws -> (header: Y4MHeader, frames: [Y4MFrame]) {
        let path = work.appendingPathComponent("parsed-\(UUID()).y4m").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try #require(fopen(path, "rb"))
        defer { fclose(file) }
        let reader = try Y4MReader(file: file, source: "srlab's output")
        var frames: [Y4MFrame] = []
        while let f = try reader.next() { frames.append(f) }
        return (reader.header, frames)
    }

    func bicubic(_ bytes: [UInt8], width: Int, height: Int, scale: Int) -> [UInt8] {
        Resize.bicubic(Plane(width: width, height: height, values: bytes.map { Double($0) / 255 }), scale: Double(scale))
            .values.map { Quantize.uint8($0 * 255) }
    }

    let header = Y4MHeader(width: 24, height: 16, frameRate: Y4MRatio(numerator: 25, denominator: 1), interlacing: "p",
                           aspect: Y4MRatio(numerator: 1, denominator: 1), colourSpace: .c420jpeg)
    let bicubic2 = ["upscale", "-", "--scale", "2", "--method", "bicubic", "-o", "-"]

    // MARK: - Tests

    /// Three 4:2:0 frames through a pipe: the output is Y4M with every plane bicubic ×2, and
    /// nothing but the video is on standard output.
    @Test func aPipedStreamComesOutUpscaled() throws {
        let frames = (1...3).map { Self.frame(header, seed: $0) }
        let ran = try run(bicubic2, stdin: Self.bytes(header, frames))
        #expect(ran.status == 0, "\(ran.stderr)")
        let (outHeader, outFrames) = try parse(ran.stdout)
        #expect(outHeader == header.scaled(by: 2) && outFrames.count == 3)
        for (lr, hr) in zip(frames, outFrames) {
            for (p, size) in header.planeSizes.enumerated() {
                #expect(hr.planes[p] == bicubic(lr.planes[p], width: size.width, height: size.height, scale: 2))
            }
        }
        #expect(ran.stderr.contains("standard input → standard output: 3 frames, 24x16 → 48x32, bicubic ×2"), "\(ran.stderr)")
        #expect(try run(bicubic2 + ["--quiet"], stdin: Self.bytes(header, frames)).stderr.isEmpty)
    }

    /// Through SRCNN, a frame's Y is what `upscale` makes of the same Y saved as a gray image.
    @Test func aStreamsYEqualsTheImagePathThroughSRCNN() throws {
        let header = Y4MHeader(width: 30, height: 27, colourSpace: .c420jpeg)
        let lr = Self.frame(header, seed: 5)
        let ran = try run(["upscale", "-", "--scale", "3", "--method", "srcnn", "--model", Self.srcnn3, "-o", "-"],
                          stdin: Self.bytes(header, [lr]))
        #expect(ran.status == 0, "\(ran.stderr)")
        let hr = try #require(try parse(ran.stdout).frames.first)
        let gray = work.appendingPathComponent("y.png").path, up = work.appendingPathComponent("y-x3.png").path
        try ImageIO.writePNG(Image8(width: 30, height: 27, channels: 1, bytes: lr.planes[0]), to: gray)
        let image = try run(["upscale", gray, "--scale", "3", "--method", "srcnn", "--model", Self.srcnn3, "-o", up], stdin: [])
        #expect(image.status == 0, "\(image.stderr)")
        #expect(hr.planes[0] == (try ImageIO.read(up)).bytes)
        // Chroma by bicubic, not the model: 15×14 made 45×42, of which the 45×41 the output needs.
        #expect(hr.planes[1] == Array(bicubic(lr.planes[1], width: 15, height: 14, scale: 3).prefix(45 * 41)))
    }

    /// Each frame is on standard output before the next is read: a consumer sees frames as they come.
    @Test func eachFrameComesOutBeforeTheNextGoesIn() throws {
        try #require(FileManager.default.isExecutableFile(atPath: srlab.path), "build srlab first: \(srlab.path)")
        let running = try Running(srlab, bicubic2, in: work)
        let out = header.scaled(by: 2)
        running.send(Self.bytes(header, [Self.frame(header, seed: 1)]))
        // Standard input stays open: frame 1 must come out all the same.
        #expect(running.waitForOutput(out.line.utf8.count + 6 + out.frameBytes), "frame 1 did not come out before frame 2 was sent")
        running.send(Self.bytes(nil, [Self.frame(header, seed: 2)]))
        let ran = running.finish()
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(try parse(ran.stdout).frames.count == 2)
    }

    /// The stream ends inside frame 3: an error naming standard input and the frame, and the two
    /// frames before it on standard output, whole and valid.
    @Test func aTruncatedStreamKeepsTheWholeFramesBeforeIt() throws {
        let frames = (1...3).map { Self.frame(header, seed: $0) }
        let ran = try run(bicubic2, stdin: Array(Self.bytes(header, frames).dropLast(100)))
        #expect(ran.status == 1)
        #expect(ran.stderr.contains("srlab: error: standard input: frame 3 is truncated: the stream ended after \(header.frameBytes - 100) of its \(header.frameBytes) bytes"), "\(ran.stderr)")
        let (outHeader, kept) = try parse(ran.stdout)
        #expect(outHeader == header.scaled(by: 2) && kept.count == 2)
        #expect(kept[1].planes[0] == bicubic(frames[1].planes[0], width: 24, height: 16, scale: 2))
    }

    /// Frames larger than the header says: the leftover bytes stand where frame 2's FRAME should.
    @Test func framesOfAnotherSizeAreRefusedAtTheFirstMismatch() throws {
        let real = Y4MHeader(width: 24, height: 18, colourSpace: .c420jpeg)
        let stream = Array(header.line.utf8) + Self.bytes(nil, (1...3).map { Self.frame(real, seed: $0) })
        let ran = try run(bicubic2, stdin: stream)
        #expect(ran.status == 1)
        #expect(ran.stderr.contains("srlab: error: standard input: frame 2: expected a FRAME header"), "\(ran.stderr)")
        #expect(ran.stderr.contains("the frames are not 24x16 C420jpeg as the stream header declares"))
        #expect(try parse(ran.stdout).frames.count == 1)
    }

    /// Streams refused at the header write nothing to standard output.
    @Test func aStreamRefusedAtItsHeaderWritesNothing() throws {
        let png = try ImageIO.encode(Image8(width: 16, height: 16, channels: 1, bytes: [UInt8](repeating: 90, count: 256)), as: .png)
        for (stdin, words) in [(Array("YUV4MPEG2 W24 H16 C422\nFRAME\n".utf8), ["standard input: Y4M colour space C422 is not supported"]),
                               ([UInt8](png), ["standard input: not a YUV4MPEG2 (Y4M) stream"]),
                               ([], ["standard input: empty"]),
                               (Array("YUV4MPEG2 W8 H8\n".utf8), ["standard input: 8x8 is too small for scale 3"])] {
            let ran = try run(["upscale", "-", "--scale", "3", "--method", "bicubic", "-o", "-"], stdin: stdin)
            #expect(ran.status == 1 && ran.stdout.isEmpty)
            for w in words { #expect(ran.stderr.contains("srlab: error: " + w), "\(ran.stderr)") }
        }
    }

    @Test func streamsAndImagesDoNotMix() throws {
        try ImageIO.writePNG(Image8(width: 16, height: 16, channels: 1, bytes: [UInt8](repeating: 90, count: 256)), to: work.appendingPathComponent("a.png").path)
        for (arguments, word) in [(["a.png", "-o", "-"], "-o - writes a Y4M video to standard output"),
                                  (["-", "-o", "b.png"], "standard input is a Y4M video"),
                                  (["a.png", "-o", "b.y4m"], "b.y4m: a .y4m output needs a Y4M input"),
                                  (["-", "a.png", "-o", "-"], "a video is upscaled on its own")] {
            let ran = try run(["upscale"] + arguments + ["--scale", "2", "--method", "bicubic"], stdin: [])
            #expect(ran.status == 1 && ran.stdout.isEmpty && ran.stderr.contains(word), "\(arguments): \(ran.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("b.y4m").path))
    }

    /// .y4m files as input and output: the output written atomically (nothing left when the input
    /// is truncated), the summary on standard output as for images.
    @Test func y4mFilesWorkAsInputAndOutput() throws {
        let frames = (1...2).map { Self.frame(header, seed: $0) }
        try Data(Self.bytes(header, frames)).write(to: work.appendingPathComponent("in.y4m"))
        let ran = try run(["upscale", "in.y4m", "--scale", "2", "--method", "bicubic", "-o", "out.y4m"], stdin: [])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(String(decoding: ran.stdout, as: UTF8.self).hasPrefix("in.y4m → out.y4m: 2 frames, 24x16 → 48x32, bicubic ×2"))
        let written = [UInt8](try Data(contentsOf: work.appendingPathComponent("out.y4m")))
        #expect(try parse(written).frames.count == 2)
        // The same video piped gives the same bytes.
        #expect(try run(bicubic2, stdin: Self.bytes(header, frames)).stdout == written)

        try Data(Self.bytes(header, frames).dropLast(7)).write(to: work.appendingPathComponent("cut.y4m"))
        let cut = try run(["upscale", "cut.y4m", "--scale", "2", "--method", "bicubic", "-o", "cut-x2.y4m"], stdin: [])
        #expect(cut.status == 1 && cut.stderr.contains("cut.y4m: frame 2 is truncated"), "\(cut.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path)
        #expect(!left.contains { $0.contains("cut-x2") }, "\(left)")
    }

    /// Streams with a few bits flipped, mostly in the headers: each ends as a success or a clean
    /// error, and standard output holds whole frames of a valid stream either way.
    @Test func mutatedStreamsEndCleanlyWithWholeFramesOut() throws {
        let whole = Self.bytes(header, (1...2).map { Self.frame(header, seed: $0) })
        var rng = Xoshiro256(seed: 56)
        for i in 0..<30 {
            var copy = whole
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let position = rng.next() % 4 == 0 ? Int(rng.next() % UInt64(copy.count)) : Int(rng.next() % 60)
                copy[position] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
            let ran = try run(bicubic2, stdin: copy)
            #expect(ran.status == 0 || (ran.status == 1 && ran.stderr.contains("srlab: error: ")), "mutant \(i): \(ran.status) \(ran.stderr)")
            if !ran.stdout.isEmpty {
                #expect(throws: Never.self, "mutant \(i): standard output is not a valid stream") { _ = try parse(ran.stdout) }
            }
        }
    }

    /// Raw yuv420p frames in, raw frames out: the planes of the Y4M path, without headers.
    @Test func rawFramesGoThroughAsTheY4MOnes() throws {
        let frames = (1...2).map { Self.frame(header, seed: $0) }
        let raw = ["upscale", "-", "--raw-size", "24x16", "--pix-fmt", "yuv420p", "--scale", "2", "--method", "bicubic", "-o", "-"]
        let ran = try run(raw, stdin: frames.flatMap { $0.planes.flatMap { $0 } })
        #expect(ran.status == 0, "\(ran.stderr)")
        let viaY4M = try parse(try run(bicubic2, stdin: Self.bytes(header, frames)).stdout).frames
        #expect(ran.stdout == viaY4M.flatMap { $0.planes.flatMap { $0 } })
        let cut = try run(raw, stdin: Array(frames.flatMap { $0.planes.flatMap { $0 } }.dropLast(1)))
        #expect(cut.status == 1 && cut.stderr.contains("standard input: frame 2 is truncated"), "\(cut.stderr)")
        #expect(cut.stdout == viaY4M[0].planes.flatMap { $0 })
        for arguments in [["--pix-fmt", "gray"], ["--raw-size", "24"], ["--raw-size", "24x16", "--pix-fmt", "nv12"]] {
            let bad = try run(["upscale", "-", "--scale", "2", "-o", "-"] + arguments, stdin: [])
            #expect(bad.status == 64 && bad.stdout.isEmpty && bad.stderr.contains(arguments.count == 2 && arguments[0] == "--pix-fmt" ? "needs --raw-size" : "expected WxH"),
                    "\(arguments): \(bad.stderr)")
        }
    }

    static let ffmpeg: String? = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The pipeline of the issue, when ffmpeg is installed: ffmpeg's Y4M in, srlab's Y4M decoded by ffmpeg.
    @Test(.enabled(if: ffmpeg != nil, "ffmpeg is not installed")) func ffmpegPipesThroughSrlab() throws {
        let ffmpeg = try #require(Self.ffmpeg)
        let out = work.appendingPathComponent("out.y4m").path
        let script = "set -o pipefail; '\(ffmpeg)' -v error -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 4 -pix_fmt yuv420p -f yuv4mpegpipe - "
            + "| '\(srlab.path)' upscale - --scale 3 --method srcnn --model '\(Self.srcnn3)' -o - --quiet "
            + "| '\(ffmpeg)' -v error -f yuv4mpegpipe -i - -f yuv4mpegpipe -y '\(out)'"
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", script]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        let (decoded, frames) = try parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(decoded.width == 192 && decoded.height == 144 && frames.count == 4)
    }
}
