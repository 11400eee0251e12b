import AtomicIO
import Foundation
import Imaging

/// What an upscaled video became.
public struct VideoOutcome: Sendable, Equatable {
    public var frames: Int
    public var inputWidth: Int, inputHeight: Int
    public var width: Int, height: Int
    public var seconds: Double
}

public enum VideoError: Error, CustomStringConvertible {
    /// The method failed on one frame (e.g. a model whose output overflows).
    case frame(source: String, number: Int, underlying: any Error)

    public var description: String {
        switch self {
        case .frame(let source, let number, let underlying): return "\(source): frame \(number): \(underlying)"
        }
    }
}

/// Upscaling a Y4M video frame by frame, as `upscale` does an image: Y by the method, chroma by
/// bicubic. One frame is held at a time, and each is written and flushed before the next is read.
public enum VideoUpscale {
    /// One frame made `method.scale` times larger. Video Y is already BT.601 studio-range luma,
    /// the lab's Y, so it goes the path of a gray image (`SRProtocol.upscale`): Y/255 to the
    /// method, rounded to 8 bits. Chroma planes are enlarged by bicubic by the same factor, keeping
    /// their siting: centred chroma (420jpeg, 444) is exactly the gray-image path; co-sited chroma
    /// (420mpeg2, 420paldv) is sampled where the output's chroma sits, ½(s−1) output pixels from
    /// where a centred resize would put it. An odd-sized frame's 4:2:0 chroma loses its extra
    /// output column or row rather than being stretched to the exact size.
    /// Chroma is upscaled beside Y, on a second thread: bicubic is single-threaded, and chroma was
    /// 16 of the 42 ms of CPU a bicubic ×3 frame to 1080p took (release, 4:2:0 against mono).
    public static func upscale(_ frame: Y4MFrame, header: Y4MHeader, with method: SuperResolver) throws -> Y4MFrame {
        let scale = method.scale
        let inSizes = header.planeSizes, outSizes = header.scaled(by: scale).planeSizes
        let siting = header.layout.chromaSiting
        // A chroma sample `o` from its block's centre lies −o(1 − 1/s) input samples from where a
        // centred resize samples it.
        let shiftX = -siting.x * (1 - 1 / Double(scale)), shiftY = -siting.y * (1 - 1 / Double(scale))
        let results = PlaneResults(count: frame.planes.count)
        let plane = { @Sendable (i: Int) in
            let (w, h) = inSizes[i]
            if i == 0 {
                let up = try SRProtocol.upscale(Image8(width: w, height: h, channels: 1, bytes: frame.planes[0]), with: method)
                results.set(0, up.bytes)
            } else {
                let lowRes = Plane(width: w, height: h, values: frame.planes[i].map { Double($0) / 255 })
                let up = Resize.bicubic(lowRes, scale: scale, width: outSizes[i].width, height: outSizes[i].height,
                                        shiftX: shiftX, shiftY: shiftY)
                results.set(i, up.values.map { Quantize.uint8($0 * 255) })
            }
        }
        if frame.planes.count == 1 {
            try plane(0)
        } else {
            // Part 0 is Y, part 1 the chroma planes one after the other.
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                do { for i in part == 0 ? [0] : Array(1..<frame.planes.count) { try plane(i) } } catch { results.fail(error) }
            }
        }
        return Y4MFrame(planes: try results.planes(), parameters: frame.parameters)
    }

    /// The planes of one frame as threads finish them, or the first error.
    final class PlaneResults: @unchecked Sendable {
        private let lock = NSLock()
        private var done: [[UInt8]]
        private var error: (any Error)?

        init(count: Int) { done = Array(repeating: [], count: count) }

        func set(_ i: Int, _ plane: [UInt8]) { lock.lock(); done[i] = plane; lock.unlock() }
        func fail(_ e: any Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }

        func planes() throws -> [[UInt8]] {
            lock.lock(); defer { lock.unlock() }
            if let error { throw error }
            return done
        }
    }

    /// Reads every frame of `reader`, upscales it and writes it to `writer` (whose header is the
    /// reader's scaled). `frameDone` hears the count of frames written. An error names the stream
    /// and the frame; the frames written before it are whole.
    @discardableResult
    public static func run(_ reader: Y4MReader, into writer: Y4MWriter, with method: SuperResolver,
                           frameDone: (Int) -> Void = { _ in }) throws -> Int {
        while let frame = try reader.next() {
            let upscaled: Y4MFrame
            do { upscaled = try upscale(frame, header: reader.header, with: method) } catch {
                throw VideoError.frame(source: reader.source, number: reader.framesRead, underlying: error)
            }
            try writer.write(upscaled)
            frameDone(writer.framesWritten)
        }
        return writer.framesWritten
    }
}

extension Upscaling {
    /// Upscales the video of `job`: from standard input or a file, to standard output (whole
    /// frames, flushed one by one) or a .y4m file (written atomically: nothing is left on an
    /// error). The header is checked before any frame: its frames must have at most `maxPixels`
    /// pixels and be large enough for the scale. `progress` hears frames done and the expected
    /// total (0 when unknown, as on a pipe).
    public static func upscaleVideo(_ job: VideoJob, resolver: SuperResolver, maxPixels: Int = ImageIO.defaultMaxPixels,
                                    progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                                    clock: () -> Double = { ProgressReporter.monotonicSeconds() }) throws -> VideoOutcome {
        let started = clock()
        let input = try open(job.input)
        defer { fclose(input) }
        let reader = try job.raw.map { Y4MReader(rawFile: input, source: job.input.description, header: $0.header) }
            ?? Y4MReader(file: input, source: job.input.description)
        let header = reader.header, scale = resolver.scale
        guard header.width * header.height <= maxPixels else {
            throw ImageError.tooLarge(path: reader.source, width: header.width, height: header.height, limit: maxPixels)
        }
        let side = minimumSide(scale: scale)
        guard header.width >= side, header.height >= side else {
            throw ImageError.tooSmall(path: reader.source, width: header.width, height: header.height, scale: scale)
        }
        let total = expectedFrames(input, bytesPerFrame: header.frameBytes + (reader.framed ? 6 : 0))
        let stream = { (file: UnsafeMutablePointer<FILE>) throws -> Int in
            let destination = job.output.description, scaled = header.scaled(by: scale)
            let writer = job.writesY4M ? try Y4MWriter(file: file, destination: destination, header: scaled)
                                       : Y4MWriter(rawFile: file, destination: destination, header: scaled)
            return try VideoUpscale.run(reader, into: writer, with: resolver) { progress?($0, total) }
        }
        let frames: Int
        switch job.output {
        case .file(let path):
            var count = 0
            do { try AtomicFile.write(to: path) { count = try stream($0) } } catch let e as AtomicWriteError {
                throw Y4MError.unwritable(destination: path, reason: e.reason)
            }
            frames = count
        case .standardOutput, .standardInput:
            guard let output = fdopen(dup(STDOUT_FILENO), "wb") else {
                throw Y4MError.unwritable(destination: job.output.description, reason: String(cString: strerror(errno)))
            }
            defer { fclose(output) }
            frames = try stream(output)
        }
        return VideoOutcome(frames: frames, inputWidth: header.width, inputHeight: header.height,
                            width: header.width * scale, height: header.height * scale, seconds: clock() - started)
    }

    /// A stdio stream on the input: standard input (a stream of its own, so srlab's other reads of
    /// it are untouched) or the file.
    static func open(_ endpoint: VideoEndpoint) throws -> UnsafeMutablePointer<FILE> {
        switch endpoint {
        case .file(let path):
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw Y4MError.unreadable(source: path, reason: "is a folder")
            }
            guard let file = fopen(path, "rb") else { throw Y4MError.unreadable(source: path, reason: String(cString: strerror(errno))) }
            return file
        case .standardInput, .standardOutput:
            guard let file = fdopen(dup(STDIN_FILENO), "rb") else {
                throw Y4MError.unreadable(source: endpoint.description, reason: String(cString: strerror(errno)))
            }
            return file
        }
    }

    /// Frames in the rest of a regular file (each at least `bytesPerFrame`); 0 for a pipe.
    static func expectedFrames(_ file: UnsafeMutablePointer<FILE>, bytesPerFrame: Int) -> Int {
        var status = stat()
        guard fstat(fileno(file), &status) == 0, status.st_mode & 0o170000 == 0o100000 else { return 0 } // S_ISREG
        let position = ftell(file)
        guard position >= 0 else { return 0 }
        return max(0, Int(status.st_size) - position) / bytesPerFrame
    }
}
