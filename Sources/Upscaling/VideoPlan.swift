import Foundation
import Imaging

/// Where a video comes from or goes: standard input or output (`-` on the command line), or a
/// `.y4m` file.
public enum VideoEndpoint: Equatable, Sendable, CustomStringConvertible {
    case standardInput, standardOutput
    case file(String)

    /// What an error names: the path, or "standard input" / "standard output".
    public var description: String {
        switch self {
        case .standardInput: return "standard input"
        case .standardOutput: return "standard output"
        case .file(let path): return path
        }
    }
}

/// A video to upscale: one Y4M stream in, one out; or raw planar frames in (`raw`), and out
/// unless the output is a .y4m file.
public struct VideoJob: Equatable, Sendable {
    public var input: VideoEndpoint
    public var output: VideoEndpoint
    public var raw: RawVideoFormat?

    public init(input: VideoEndpoint, output: VideoEndpoint, raw: RawVideoFormat? = nil) {
        self.input = input
        self.output = output
        self.raw = raw
    }

    /// Whether the output is a Y4M stream (or raw frames).
    public var writesY4M: Bool {
        guard raw != nil else { return true }
        if case .file(let path) = output { return VideoPlan.isY4MFile(path) }
        return false
    }
}

/// Raw planar frames as ffmpeg's `-f rawvideo -pix_fmt F -s WxH` carries them: the planes of a
/// Y4M frame with no headers.
public struct RawVideoFormat: Equatable, Sendable {
    public var width: Int, height: Int
    public var layout: Y4MColourSpace

    /// ffmpeg's names for the layouts raw frames can have.
    public static let pixelFormats: [(name: String, layout: Y4MColourSpace)] = [("yuv420p", .c420jpeg), ("yuv444p", .c444), ("gray", .mono)]

    /// From `--raw-size WxH` and `--pix-fmt`; nil when either is not understood.
    public init?(size: String, pixelFormat: String) {
        let parts = size.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 1 << 20, h <= 1 << 20,
              let layout = Self.pixelFormats.first(where: { $0.name == pixelFormat })?.layout else { return nil }
        width = w
        height = h
        self.layout = layout
    }

    /// The header the frames would have as Y4M.
    public var header: Y4MHeader { Y4MHeader(width: width, height: height, colourSpace: layout) }
}

public enum VideoPlanError: Error, CustomStringConvertible, Equatable {
    case severalInputs(count: Int)
    case imageToStream(input: String)
    case videoToImage(input: String, output: String)
    case imageToVideo(input: String, output: String)
    case terminal(VideoEndpoint)
    case rawFromY4M(input: String)
    case outputIsFolder(String)

    public var description: String {
        switch self {
        case .severalInputs(let count):
            return "a video is upscaled on its own: give one input (- for Y4M on standard input, or a .y4m file), not \(count)"
        case .imageToStream(let input):
            return "-o - writes a Y4M video to standard output; its input must be - (Y4M on standard input) or a .y4m file, not \(input)"
        case .videoToImage(let input, let output):
            return "\(input == VideoPlan.standardStream ? "standard input" : input) is a Y4M video: write it to -o - (standard output) or a .y4m file, not \(output)"
        case .imageToVideo(let input, let output):
            return "\(output): a .y4m output needs a Y4M input (- or a .y4m file); \(input) is an image"
        case .outputIsFolder(let path): return "\(path): is a folder; a video is written to one file (or -o - for standard output)"
        case .rawFromY4M(let input):
            return "\(input) is a Y4M file, which says its own size and layout; drop --raw-size and --pix-fmt"
        case .terminal(.standardOutput):
            return "standard output is a terminal, not the place for video: pipe it on (srlab upscale - … -o - | ffmpeg -i - out.mp4) or write a .y4m file"
        case .terminal(let endpoint):
            return "\(endpoint) is a terminal: pipe a Y4M stream into srlab (ffmpeg -i in.mp4 -f yuv4mpegpipe - | srlab upscale - …) or give a .y4m file"
        }
    }
}

/// How the command line's inputs and output become a video job.
public enum VideoPlan {
    /// The argument that stands for standard input (as an input) or standard output (as `-o`).
    public static let standardStream = "-"

    static func isVideo(_ argument: String) -> Bool {
        argument == standardStream || isY4MFile(argument)
    }

    static func isY4MFile(_ path: String) -> Bool { (path as NSString).pathExtension.lowercased() == "y4m" }

    /// Whether the arguments ask for a video: an input or the output is `-` or a `.y4m` file.
    public static func isVideo(inputs: [String], output: String) -> Bool {
        inputs.contains(where: isVideo) || isVideo(output)
    }

    /// The video job, checked before any frame is read: one input, video in and video out, and the
    /// output file is not the input.
    /// With `raw`, the input is raw frames (- or any file but a .y4m) and so is the output
    /// (- or a file), except a .y4m output file.
    public static func job(inputs: [String], output: String, raw: RawVideoFormat? = nil) throws -> VideoJob {
        guard inputs.count == 1 else { throw VideoPlanError.severalInputs(count: inputs.count) }
        let input = inputs[0]
        if raw != nil && isY4MFile(input) { throw VideoPlanError.rawFromY4M(input: input) }
        switch (raw != nil || isVideo(input), raw != nil || isVideo(output)) {
        case (true, true): break
        case (true, false): throw VideoPlanError.videoToImage(input: input, output: output)
        case (false, _) where output == standardStream: throw VideoPlanError.imageToStream(input: input)
        case (false, _): throw VideoPlanError.imageToVideo(input: input, output: output)
        }
        if output != standardStream && UpscalePlan.isFolder(output) { throw VideoPlanError.outputIsFolder(output) }
        if input != standardStream && output != standardStream {
            try UpscalePlan.checkNoInputOverwritten([UpscaleJob(input: input, output: output)])
        }
        return VideoJob(input: input == standardStream ? .standardInput : .file(input),
                        output: output == standardStream ? .standardOutput : .file(output), raw: raw)
    }

    /// Refuses to read video typed at a terminal (srlab would wait for it) or to print it on one.
    public static func checkNoTerminal(_ job: VideoJob, isTerminal: (Int32) -> Bool = { isatty($0) != 0 }) throws {
        if job.input == .standardInput, isTerminal(STDIN_FILENO) { throw VideoPlanError.terminal(.standardInput) }
        if job.output == .standardOutput, isTerminal(STDOUT_FILENO) { throw VideoPlanError.terminal(.standardOutput) }
    }
}
