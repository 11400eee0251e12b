import ArgumentParser
import AtomicIO
import Foundation
import Imaging
import Methods
import Upscaling

struct UpscaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscale",
        abstract: "Super-resolve low-resolution images (Y by the method, chroma and alpha by bicubic) into PNG, JPEG or BMP files, or a Y4M video frame by frame.",
        discussion: """
            Without --method, the best shipped model for the scale is used (\(MethodName.shippedRanking.map(\.label).joined(separator: ", then "))), \
            looked for in $SRLAB_MODELS, a models folder beside srlab, results/models here, then \
            results/models in the repository srlab was built in; bicubic when there is none. A method \
            without --model takes its best shipped model.

            Several inputs, or a folder of images, are written into the folder -o names, as <stem>.png; \
            an image that fails is reported and the others go on (exit status 1 if any failed).

            Video: with - as the input, srlab reads a YUV4MPEG2 (Y4M) stream on standard input, 8-bit \
            4:2:0, 4:4:4 or mono, and with -o - writes the upscaled stream to standard output, frame by \
            frame: ffmpeg -i in.mp4 -f yuv4mpegpipe - | srlab upscale - --scale 3 -o - | ffmpeg -i - out.mp4. \
            A .y4m file works as the input or output too. Progress and the summary go to stderr. Raw \
            planar frames (ffmpeg -f rawvideo) are read with --raw-size WxH [--pix-fmt], and written raw \
            unless the output is a .y4m file.
            """)

    @Argument(help: "Low-resolution images (BMP, PNG, JPEG), or folders of them; or one Y4M video: - (standard input) or a .y4m file.") var inputs: [String]
    @Option(help: "Scale factor, \(SRProtocol.scalesInWords).") var scale: ScaleOption
    @Option(help: "\(MethodName.allCases.map(\.rawValue).joined(separator: ", ")) (default: the best shipped model for the scale).") var method: MethodName?
    @Option(help: "Model file (safetensors) for \(MethodName.withModels.map(\.rawValue).joined(separator: ", ")) (default: the method's best shipped model).") var model: String?
    @Option(name: .shortAndLong, help: "Output image (.png, .jpg/.jpeg or .bmp); for several inputs a folder (existing, or ending in /); for a video - (standard output) or a .y4m file.") var output: String
    @OptionGroup var files: ImageFileOptions
    @Option(help: "The input is raw planar video frames of this size (WxH), not Y4M.") var rawSize: String?
    @Option(help: "The layout of raw frames: \(RawVideoFormat.pixelFormats.map(\.name).joined(separator: ", ")) (default yuv420p).") var pixFmt: String?
    @Flag(help: "Replace images that already exist in the output folder.") var overwrite = false
    @Flag(help: "Show progress on stderr even when it is not a terminal.") var progress = false
    @Flag(help: "Show no progress.") var quiet = false

    func validate() throws {
        if progress && quiet { throw ValidationError("--progress and --quiet contradict each other") }
        if output.isEmpty { throw ValidationError("-o needs an output file or folder") }
        if inputs.isEmpty || inputs.contains("") { throw ValidationError("give one or more input images or folders") }
        if pixFmt != nil && rawSize == nil { throw ValidationError("--pix-fmt describes raw frames: it needs --raw-size") }
        if let rawSize, rawFormat == nil {
            throw ValidationError("--raw-size \(rawSize) --pix-fmt \(pixFmt ?? "yuv420p"): expected WxH (e.g. 426x240) and one of "
                                  + RawVideoFormat.pixelFormats.map(\.name).joined(separator: ", "))
        }
    }

    var rawFormat: RawVideoFormat? {
        rawSize.flatMap { RawVideoFormat(size: $0, pixelFormat: pixFmt ?? "yuv420p") }
    }

    func run() throws {
        // Interrupted, srlab removes its temporaries and dies of the signal, whatever mask the parent gave it.
        TemporaryFiles.handleInterrupts()
        try reportingErrors {
            let s = scale.value
            if rawSize != nil || VideoPlan.isVideo(inputs: inputs, output: output) { return try runVideo(scale: s) }
            // Every path and the model are checked before any image is read.
            let batch = UpscalePlan.isBatch(inputs: inputs, output: output)
            let jobs = batch ? try UpscalePlan.batch(inputs: inputs, into: output, overwrite: overwrite)
                             : [try UpscalePlan.single(input: inputs[0], output: output)]
            for job in jobs { _ = try ImageFormat(outputPath: job.output) }
            let choice = try MethodChoice.resolve(method: method, model: model, scale: s, models: ShippedModels.located)
            if let message = choice.note { note(message) }
            let resolver = try choice.method.resolver(model: choice.model, scale: s)
            let methodText = "\(resolver.name)" + (choice.model.map { " (\($0))" } ?? "") + " ×\(s)"
            let folder = batch ? output : URL(fileURLWithPath: output).deletingLastPathComponent().path
            let failed = try Upscaling.run(jobs, into: folder, batch: batch, resolver: resolver, maxPixels: files.maxPixels,
                                           options: files.writeOptions, reporter: { i, job in
                let label = (jobs.count > 1 ? "[\(i + 1)/\(jobs.count)] " : "") + URL(fileURLWithPath: job.input).lastPathComponent
                return ProgressReporter.standardError(label: label, forced: progress, quiet: quiet)
            }) { _, job, result in
                switch result {
                case .written(let done):
                    if done.droppedAlpha { note("\(job.output): JPEG has no alpha channel; the alpha is dropped") }
                    // Unbuffered, so each line shows as its image is done even through a pipe.
                    FileHandle.standardOutput.write(Data(("\(job.input) → \(job.output): \(done.inputWidth)x\(done.inputHeight) → "
                        + "\(done.width)x\(done.height), \(methodText), \(String(format: "%.2f s (writing %.2f s)", done.seconds, done.writeSeconds))\n").utf8))
                case .failed(let error):
                    note("srlab: error: \(error)")
                }
            }
            guard failed.isEmpty else {
                note("srlab: \(failed.count) of \(jobs.count) images failed: \(failed.joined(separator: ", "))")
                throw ExitCode.failure
            }
        }
    }

    /// A Y4M video, frame by frame. Standard output carries only the video, so the summary goes to
    /// stderr when it does.
    func runVideo(scale s: Int) throws {
        let job = try VideoPlan.job(inputs: inputs, output: output, raw: rawFormat)
        try VideoPlan.checkNoTerminal(job)
        let choice = try MethodChoice.resolve(method: method, model: model, scale: s, models: ShippedModels.located)
        if let message = choice.note { note(message) }
        let resolver = try choice.method.resolver(model: choice.model, scale: s)
        // A consumer that stops reading makes the next write fail with a message, not kill srlab silently.
        signal(SIGPIPE, SIG_IGN)
        let reporter = ProgressReporter.standardError(label: "frames of \(job.input)", forced: progress, quiet: quiet)
        let done = try Upscaling.upscaleVideo(job, resolver: resolver, maxPixels: files.maxPixels,
                                              progress: reporter.map { r in { r.update(done: $0, total: $1) } })
        reporter?.finish()
        let methodText = "\(resolver.name)" + (choice.model.map { " (\($0))" } ?? "") + " ×\(s)"
        let rate = done.seconds > 0 ? String(format: ", %.1f frames/s", Double(done.frames) / done.seconds) : ""
        let summary = "\(job.input) → \(job.output): \(done.frames) frames, \(done.inputWidth)x\(done.inputHeight) → "
            + "\(done.width)x\(done.height), \(methodText), \(String(format: "%.2f s", done.seconds))\(rate)\n"
        if job.output == .standardOutput {
            if !quiet { FileHandle.standardError.write(Data(summary.utf8)) }
        } else {
            FileHandle.standardOutput.write(Data(summary.utf8))
        }
    }
}
