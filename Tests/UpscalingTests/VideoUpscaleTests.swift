import Foundation
import Imaging
import Testing
@testable import Upscaling

/// A Y4M video upscaled frame by frame gives, plane by plane, what the image path gives.
@Suite struct VideoUpscaleTests {
    let folder = scratchFolder("video")

    /// Planes with texture in both directions, different per frame and plane.
    static func frame(_ header: Y4MHeader, seed: Int) -> Y4MFrame {
        Y4MFrame(planes: header.planeSizes.enumerated().map { p, size in
            (0..<(size.width * size.height)).map { i in
                let x = Double(i % size.width), y = Double(i / size.width)
                return Quantize.uint8(128 + 90 * sin(x / (2.1 + Double(p)) + Double(seed)) * cos(y / 1.7 - Double(seed)))
            }
        }, parameters: seed == 1 ? "Ip" : "")
    }

    func stream(_ header: Y4MHeader, _ frames: [Y4MFrame], name: String) throws -> String {
        var bytes = Array(header.line.utf8)
        for f in frames {
            bytes += Array(("FRAME" + (f.parameters.isEmpty ? "" : " " + f.parameters) + "\n").utf8)
            for p in f.planes { bytes += p }
        }
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ path: String) throws -> (header: Y4MHeader, frames: [Y4MFrame]) {
        let file = try #require(fopen(path, "rb"))
        defer { fclose(file) }
        let reader = try Y4MReader(file: file, source: path)
        var frames: [Y4MFrame] = []
        while let f = try reader.next() { frames.append(f) }
        return (reader.header, frames)
    }

    /// `uint8(imresize(plane/255, s, 'bicubic')·255)`, computed directly.
    func bicubic(_ bytes: [UInt8], width: Int, height: Int, scale: Int) -> [UInt8] {
        let plane = Plane(width: width, height: height, values: bytes.map { Double($0) / 255 })
        return Resize.bicubic(plane, scale: Double(scale)).values.map { Quantize.uint8($0 * 255) }
    }

    /// Three 4:2:0 frames (centred chroma) through bicubic ×2: Y and both chroma planes equal
    /// bicubic on each plane, which is also what `upscale` writes for the plane as a gray image;
    /// the header keeps rate, interlacing, aspect and colour space, and each frame its parameters.
    @Test func threeFramesEqualThePerFrameImagePath() throws {
        let header = Y4MHeader(width: 24, height: 16, frameRate: Y4MRatio(numerator: 30000, denominator: 1001), interlacing: "p",
                               aspect: Y4MRatio(numerator: 1, denominator: 1), colourSpace: .c420jpeg, comments: ["COLORRANGE=LIMITED"])
        let frames = (1...3).map { Self.frame(header, seed: $0) }
        let input = try stream(header, frames, name: "in.y4m"), output = folder.appendingPathComponent("out.y4m").path
        var heard: [[Int]] = []
        let done = try Upscaling.upscaleVideo(VideoJob(input: .file(input), output: .file(output)), resolver: BicubicResolver(scale: 2),
                                              progress: { heard.append([$0, $1]) })
        #expect(done.frames == 3 && done.width == 48 && done.height == 32)
        #expect(heard == [[1, 3], [2, 3], [3, 3]])
        let (outHeader, outFrames) = try read(output)
        #expect(outHeader == header.scaled(by: 2) && outHeader.line.hasPrefix("YUV4MPEG2 W48 H32 F30000:1001 Ip A1:1 C420jpeg XCOLORRANGE"))
        #expect(outFrames.count == 3)
        for (f, (lr, hr)) in zip(frames, outFrames).enumerated() {
            #expect(hr.parameters == lr.parameters)
            for (p, size) in header.planeSizes.enumerated() {
                let expected = bicubic(lr.planes[p], width: size.width, height: size.height, scale: 2)
                #expect(hr.planes[p] == expected, "frame \(f + 1) plane \(p)")
                let gray = Image8(width: size.width, height: size.height, channels: 1, bytes: lr.planes[p])
                #expect(try SRProtocol.upscale(gray, with: BicubicResolver(scale: 2)).bytes == hr.planes[p])
            }
        }
    }

    /// The method sees Y only (Y/255, as the lab's Y); chroma goes to bicubic whatever the method.
    @Test func yGoesToTheMethodAndChromaToBicubic() throws {
        struct Flat: SuperResolver {
            let scale = 3
            var name: String { "flat" }
            // Every output pixel is the mean of the input: nothing bicubic would give.
            func upscale(lowRes: Plane) -> Plane {
                Plane(width: lowRes.width * 3, height: lowRes.height * 3, repeating: lowRes.values.reduce(0, +) / Double(lowRes.values.count))
            }
        }
        let header = Y4MHeader(width: 12, height: 12, colourSpace: .c444)
        let lr = Self.frame(header, seed: 4)
        let hr = try VideoUpscale.upscale(lr, header: header, with: Flat())
        let mean = Double(lr.planes[0].reduce(0) { $0 + Int($1) }) / 144 / 255
        #expect(hr.planes[0] == [UInt8](repeating: Quantize.uint8(mean * 255), count: 36 * 36))
        #expect(hr.planes[1] == bicubic(lr.planes[1], width: 12, height: 12, scale: 3))
        #expect(hr.planes[2] == bicubic(lr.planes[2], width: 12, height: 12, scale: 3))
        let mono = Y4MHeader(width: 12, height: 12, colourSpace: .mono)
        #expect(try VideoUpscale.upscale(Self.frame(mono, seed: 1), header: mono, with: Flat()).planes.count == 1)
    }

    /// Chroma stays where its tag sites it. Linear ramps across the frame, sampled where each
    /// layout puts its chroma, come out (bicubic reproduces a line) as the same ramps sampled where
    /// the output's chroma sits; a centred resize of co-sited chroma would be off by 8/3 levels.
    @Test func chromaKeepsItsSiting() throws {
        let s = 3
        for space in [Y4MColourSpace.c420jpeg, .c420, .c420mpeg2, .c420paldv] {
            let header = Y4MHeader(width: 24, height: 24, colourSpace: space)
            let o = space.chromaSiting
            // A chroma sample's luma coordinate (0 at the first luma pixel's centre): 2j + ½ + 2o.
            let ramp = { (j: Int, offset: Double) in 40 + 8 * (2 * Double(j) + 0.5 + 2 * offset) }
            let cb = (0..<144).map { UInt8(ramp($0 % 12, o.x)) }, cr = (0..<144).map { UInt8(ramp($0 / 12, o.y)) }
            let lr = Y4MFrame(planes: [[UInt8](repeating: 100, count: 576), cb, cr])
            let hr = try VideoUpscale.upscale(lr, header: header, with: BicubicResolver(scale: s))
            // Output chroma m sits at output luma 2m + ½ + 2o, input luma (2m + 1 + 2o)/s − ½.
            let expected = { (m: Int, offset: Double) in 40 + 8 * ((2 * Double(m) + 1 + 2 * offset) / Double(s) - 0.5) }
            var worst = 0.0
            for y in 6..<30 { for x in 6..<30 {
                worst = max(worst, abs(Double(hr.planes[1][y * 36 + x]) - expected(x, o.x)), abs(Double(hr.planes[2][y * 36 + x]) - expected(y, o.y)))
            } }
            #expect(worst <= 0.5 + 1e-9, "\(space): off by \(worst)")
        }
    }

    /// An odd-sized 4:2:0 frame: chroma is upscaled by the scale and cut to the output's chroma
    /// size, so it stays aligned with Y.
    @Test func oddSizedChromaIsUpscaledByTheScaleAndCut() throws {
        let header = Y4MHeader(width: 13, height: 15)
        let lr = Self.frame(header, seed: 2)
        let hr = try VideoUpscale.upscale(lr, header: header, with: BicubicResolver(scale: 3))
        // 13×15 has 7×8 chroma; ×3 is 39×45 with 20×23 chroma, cut from 21×24.
        #expect(hr.planes.map(\.count) == [39 * 45, 20 * 23, 20 * 23])
        let full = bicubic(lr.planes[1], width: 7, height: 8, scale: 3)
        let cut = (0..<23).flatMap { y in full[(y * 21)..<(y * 21 + 20)] }
        #expect(hr.planes[1] == cut)
    }

    /// A stream that ends inside frame 3: the error names the stream and the frame, the two whole
    /// frames are written (a valid stream), and a .y4m output file is not left at all.
    @Test func aTruncatedStreamKeepsTheWholeFramesWrittenBeforeIt() throws {
        let header = Y4MHeader(width: 12, height: 12)
        let frames = (1...3).map { Self.frame(header, seed: $0) }
        let whole = try stream(header, frames, name: "whole.y4m")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = folder.appendingPathComponent("cut.y4m").path
        try bytes.prefix(bytes.count - 50).write(to: URL(fileURLWithPath: cut))

        let partial = folder.appendingPathComponent("partial.y4m").path
        let inFile = try #require(fopen(cut, "rb")), outFile = try #require(fopen(partial, "wb"))
        let reader = try Y4MReader(file: inFile, source: "standard input")
        let writer = try Y4MWriter(file: outFile, destination: "standard output", header: header.scaled(by: 2))
        #expect {
            try VideoUpscale.run(reader, into: writer, with: BicubicResolver(scale: 2))
        } throws: { error in
            "\(error)" == "standard input: frame 3 is truncated: the stream ended after \(header.frameBytes - 50) of its \(header.frameBytes) bytes"
        }
        fclose(inFile); fclose(outFile)
        let (written, kept) = try read(partial)
        #expect(written == header.scaled(by: 2) && kept.count == 2)
        #expect(kept[1].planes[0] == bicubic(frames[1].planes[0], width: 12, height: 12, scale: 2))

        let output = folder.appendingPathComponent("never.y4m").path
        #expect(throws: Y4MError.self) {
            try Upscaling.upscaleVideo(VideoJob(input: .file(cut), output: .file(output)), resolver: BicubicResolver(scale: 2))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("never") }.isEmpty)
    }

    /// A method that fails on a frame is reported with the frame's number.
    @Test func aFailingFrameIsNamed() throws {
        struct Overflowing: SuperResolver {
            let scale = 2
            var name: String { "overflowing" }
            func upscale(lowRes: Plane) -> Plane {
                // Frames are told apart by their first pixel; the second frame overflows.
                Plane(width: lowRes.width * 2, height: lowRes.height * 2, repeating: lowRes.values[0] == 0 ? .infinity : 0.5)
            }
        }
        let header = Y4MHeader(width: 8, height: 8, colourSpace: .mono)
        let first = Y4MFrame(planes: [[UInt8](repeating: 9, count: 64)]), second = Y4MFrame(planes: [[UInt8](repeating: 0, count: 64)])
        let input = try stream(header, [first, second], name: "two.y4m")
        #expect {
            try Upscaling.upscaleVideo(VideoJob(input: .file(input), output: .file(folder.appendingPathComponent("o.y4m").path)),
                                       resolver: Overflowing())
        } throws: { error in
            "\(error)".hasPrefix("\(input): frame 2: overflowing: the output has 256 of 256 values NaN or infinite")
        }
    }

    /// The header is checked before any frame: size limits, and frames too small for the scale.
    @Test func theFrameSizeIsCheckedAgainstLimits() throws {
        let input = try stream(Y4MHeader(width: 40, height: 30), [], name: "empty.y4m")
        let job = VideoJob(input: .file(input), output: .file(folder.appendingPathComponent("e.y4m").path))
        #expect(throws: ImageError.tooLarge(path: input, width: 40, height: 30, limit: 1000)) {
            try Upscaling.upscaleVideo(job, resolver: BicubicResolver(scale: 2), maxPixels: 1000)
        }
        #expect(throws: ImageError.tooSmall(path: input, width: 40, height: 30, scale: 8)) {
            try Upscaling.upscaleVideo(job, resolver: BicubicResolver(scale: 8))
        }
        // No frames at all is a valid (empty) video.
        #expect(try Upscaling.upscaleVideo(job, resolver: BicubicResolver(scale: 2)).frames == 0)
        #expect(try read(folder.appendingPathComponent("e.y4m").path).header.width == 80)
    }

    @Test func thePlanTakesOneVideoInAndOneOut() throws {
        #expect(VideoPlan.isVideo(inputs: ["-"], output: "x.png") && VideoPlan.isVideo(inputs: ["a.png"], output: "-")
                && VideoPlan.isVideo(inputs: ["clip.Y4M"], output: "o") && !VideoPlan.isVideo(inputs: ["a.png", "b"], output: "out/"))
        #expect(try VideoPlan.job(inputs: ["-"], output: "-") == VideoJob(input: .standardInput, output: .standardOutput))
        #expect(try VideoPlan.job(inputs: ["a.y4m"], output: "b.y4m") == VideoJob(input: .file("a.y4m"), output: .file("b.y4m")))
        #expect(throws: VideoPlanError.imageToStream(input: "a.png")) { try VideoPlan.job(inputs: ["a.png"], output: "-") }
        #expect(throws: VideoPlanError.imageToVideo(input: "a.png", output: "b.y4m")) { try VideoPlan.job(inputs: ["a.png"], output: "b.y4m") }
        #expect(throws: VideoPlanError.videoToImage(input: "-", output: "b.png")) { try VideoPlan.job(inputs: ["-"], output: "b.png") }
        #expect(throws: VideoPlanError.severalInputs(count: 2)) { try VideoPlan.job(inputs: ["-", "a.y4m"], output: "-") }
        #expect(throws: UpscalePlanError.self) { try VideoPlan.job(inputs: ["a.y4m"], output: "./a.y4m") }
        // A folder as the output is refused before any frame, not when the finished file is renamed.
        let made = folder.appendingPathComponent("made.y4m").path
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        #expect(throws: VideoPlanError.outputIsFolder(made)) { try VideoPlan.job(inputs: ["-"], output: made) }
        #expect("\(VideoPlanError.videoToImage(input: "-", output: "b.png"))".hasPrefix("standard input is a Y4M video"))
        let both = VideoJob(input: .standardInput, output: .standardOutput)
        #expect(throws: VideoPlanError.terminal(.standardInput)) { try VideoPlan.checkNoTerminal(both) { $0 == STDIN_FILENO } }
        #expect(throws: VideoPlanError.terminal(.standardOutput)) { try VideoPlan.checkNoTerminal(both) { $0 == STDOUT_FILENO } }
        try VideoPlan.checkNoTerminal(VideoJob(input: .file("a.y4m"), output: .file("b.y4m"))) { _ in true }
    }

    /// Raw frames: --raw-size and --pix-fmt in ffmpeg's words; raw out unless the output is a .y4m file.
    @Test func rawFramesArePlannedAndUpscaled() throws {
        let raw = try #require(RawVideoFormat(size: "12x10", pixelFormat: "yuv420p"))
        #expect(raw.header == Y4MHeader(width: 12, height: 10, colourSpace: .c420jpeg))
        #expect(RawVideoFormat(size: "12X10", pixelFormat: "gray")?.layout == .mono)
        for (size, format) in [("12", "gray"), ("0x10", "gray"), ("12x10", "yuv422p"), ("axb", "gray"), ("12x10x1", "gray")] {
            #expect(RawVideoFormat(size: size, pixelFormat: format) == nil, "\(size) \(format)")
        }
        #expect(try !VideoPlan.job(inputs: ["-"], output: "-", raw: raw).writesY4M)
        #expect(try !VideoPlan.job(inputs: ["clip.yuv"], output: "big.yuv", raw: raw).writesY4M)
        #expect(try VideoPlan.job(inputs: ["-"], output: "big.y4m", raw: raw).writesY4M)
        #expect(throws: VideoPlanError.rawFromY4M(input: "a.y4m")) { try VideoPlan.job(inputs: ["a.y4m"], output: "-", raw: raw) }

        let frames = (1...2).map { Self.frame(raw.header, seed: $0) }
        let input = folder.appendingPathComponent("in.yuv").path, output = folder.appendingPathComponent("out.yuv").path
        try Data(frames.flatMap { $0.planes.flatMap { $0 } }).write(to: URL(fileURLWithPath: input))
        var heard: [[Int]] = []
        let done = try Upscaling.upscaleVideo(VideoJob(input: .file(input), output: .file(output), raw: raw),
                                              resolver: BicubicResolver(scale: 2), progress: { heard.append([$0, $1]) })
        #expect(done.frames == 2 && heard == [[1, 2], [2, 2]])
        let expected = try frames.flatMap { try VideoUpscale.upscale($0, header: raw.header, with: BicubicResolver(scale: 2)).planes.flatMap { $0 } }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))) == expected)
    }
}
