import Foundation
import Imaging

/// What one upscaled image became.
public struct UpscaleOutcome: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    public var width: Int, height: Int
    /// The whole job, and the part of it spent encoding and writing the output file.
    public var seconds: Double
    public var writeSeconds: Double
    /// The input had alpha and the output format cannot keep it.
    public var droppedAlpha: Bool
}

public enum Upscaling {
    /// The smallest input side `upscale` accepts at `scale`: the protocol's minimum, so an image
    /// that can be upscaled can also be evaluated at that scale.
    public static func minimumSide(scale: Int) -> Int { ImageIO.minimumSide(scale: scale) }

    /// Reads `input`, upscales it by the resolver's scale (Y by the method, chroma by bicubic)
    /// and writes the result to `output` atomically. Errors name the file.
    public static func upscaleFile(input: String, output: String, resolver: SuperResolver,
                                   maxPixels: Int = ImageIO.defaultMaxPixels, options: ImageWriteOptions = .init(),
                                   progress: ProgressHook? = nil,
                                   clock: () -> Double = { ProgressReporter.monotonicSeconds() }) throws -> UpscaleOutcome {
        let started = clock()
        let format = try ImageFormat(outputPath: output)
        let image = try ImageIO.read(input, maxPixels: maxPixels)
        let scale = resolver.scale
        let side = minimumSide(scale: scale)
        guard image.width >= side, image.height >= side else {
            throw ImageError.tooSmall(path: input, width: image.width, height: image.height, scale: scale)
        }
        let result = try SRProtocol.upscale(image, with: resolver, progress: progress)
        let writing = clock()
        try ImageIO.write(result, to: output, options: options)
        let finished = clock()
        return UpscaleOutcome(inputWidth: image.width, inputHeight: image.height, width: result.width, height: result.height,
                              seconds: finished - started, writeSeconds: finished - writing,
                              droppedAlpha: image.hasAlpha && !format.keepsAlpha)
    }
}

extension Upscaling {
    /// What became of one job of a run.
    public enum JobResult {
        case written(UpscaleOutcome)
        case failed(any Error)
    }

    /// Runs `jobs` (all checked by `UpscalePlan`) into `folder`, made if missing. In a batch a job
    /// that fails is reported and the others go on, and a folder made here is removed again when
    /// every job failed; a single job's failure is thrown. `reporter` gives job i its progress
    /// display (nil: none); `finished` hears each job as it ends. Returns the inputs that failed.
    public static func run(_ jobs: [UpscaleJob], into folder: String, batch: Bool, resolver: SuperResolver,
                           maxPixels: Int = ImageIO.defaultMaxPixels, options: ImageWriteOptions = .init(),
                           reporter: (Int, UpscaleJob) -> ProgressReporter?,
                           finished: (Int, UpscaleJob, JobResult) -> Void) throws -> [String] {
        let folderExisted = FileManager.default.fileExists(atPath: folder)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ImageError.unwritable(path: folder, reason: "cannot create the folder")
        }
        var failed: [String] = []
        for (i, job) in jobs.enumerated() {
            let progress = reporter(i, job)
            do {
                let done = try upscaleFile(input: job.input, output: job.output, resolver: resolver, maxPixels: maxPixels,
                                           options: options, progress: progress?.hook)
                progress?.finish()
                finished(i, job, .written(done))
            } catch {
                progress?.finish()
                guard batch else { throw error }
                finished(i, job, .failed(error))
                failed.append(job.input)
            }
        }
        // A folder made for this run and left empty is not left behind.
        if batch && !folderExisted && !jobs.isEmpty && failed.count == jobs.count { rmdir(folder) }
        return failed
    }
}
