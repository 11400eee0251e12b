import Foundation
import Imaging

/// One image to upscale and where its result goes.
public struct UpscaleJob: Equatable, Sendable {
    public var input: String
    public var output: String
}

public enum UpscalePlanError: Error, CustomStringConvertible, Equatable {
    case outputFolderIsFile(String)
    case sameOutput(inputs: [String], output: String)
    case wouldOverwriteInput(input: String, output: String)
    case outputsExist([String])
    case noInputs

    public var description: String {
        switch self {
        case .outputFolderIsFile(let path): return "\(path): is a file, not a folder (several inputs need an output folder)"
        case .sameOutput(let inputs, let output):
            return "\(inputs.joined(separator: ", ")) would all be written to \(output); upscale them into different folders"
        case .wouldOverwriteInput(let input, let output):
            return "\(output): is the input \(input); choose another output"
        case .outputsExist(let paths):
            let shown = paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
            return "\(shown): already exist\(paths.count == 1 ? "s" : ""); pass --overwrite to replace"
        case .noInputs: return "no input images"
        }
    }
}

/// How inputs and an output (a file or a folder) become jobs.
public enum UpscalePlan {
    /// The output file name for an input in an output folder. Kept in one place so the output
    /// format can follow the input's once the writer supports several (it writes PNG).
    public static func outputName(forInput input: String) -> String {
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        return stem + ".png"
    }

    /// Whether `inputs` and `output` ask for a batch into a folder: several inputs, a folder among
    /// them, or an output that ends in `/` or is a folder already.
    public static func isBatch(inputs: [String], output: String) -> Bool {
        inputs.count > 1 || inputs.contains(where: isFolder) || output.hasSuffix("/") || isFolder(output)
    }

    /// Inputs with each folder replaced by its images (`ImageFolder.list`: by extension, hidden
    /// files and subfolders skipped, sorted by name). Files are kept as given: one that cannot be
    /// read fails on its own.
    public static func expand(_ inputs: [String]) throws -> [String] {
        var images: [String] = []
        for input in inputs {
            guard isFolder(input) else { images.append(input); continue }
            images += try ImageFolder.paths(input)
        }
        return images
    }

    /// The jobs of a batch into `folder`, checked before any work: the folder is not a file, no two
    /// inputs share an output, no output is one of the inputs, and no output exists unless
    /// `overwrite`.
    public static func batch(inputs: [String], into folder: String, overwrite: Bool) throws -> [UpscaleJob] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UpscalePlanError.outputFolderIsFile(folder)
        }
        let images = try expand(inputs)
        guard !images.isEmpty else { throw UpscalePlanError.noInputs }
        let jobs = images.map { UpscaleJob(input: $0, output: join(folder, outputName(forInput: $0))) }
        var byOutput: [String: [String]] = [:]
        for job in jobs { byOutput[canonical(job.output), default: []].append(job.input) }
        if let clash = jobs.first(where: { byOutput[canonical($0.output)]!.count > 1 }) {
            throw UpscalePlanError.sameOutput(inputs: byOutput[canonical(clash.output)]!, output: clash.output)
        }
        try checkNoInputOverwritten(jobs)
        if !overwrite {
            let existing = jobs.map(\.output).filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty { throw UpscalePlanError.outputsExist(existing) }
        }
        return jobs
    }

    /// A single input to an output file the user named (replaced if it exists, but never the input).
    public static func single(input: String, output: String) throws -> UpscaleJob {
        let job = UpscaleJob(input: input, output: output)
        try checkNoInputOverwritten([job])
        return job
    }

    static func checkNoInputOverwritten(_ jobs: [UpscaleJob]) throws {
        let inputs = Dictionary(jobs.map { (canonical($0.input), $0.input) }, uniquingKeysWith: { a, _ in a })
        for job in jobs {
            if let input = inputs[canonical(job.output)] {
                throw UpscalePlanError.wouldOverwriteInput(input: input, output: job.output)
            }
        }
    }

    /// The path with its folder's symlinks resolved, and the file itself followed when it is a
    /// symlink, so two spellings of one file compare equal.
    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return folder.appendingPathComponent(url.lastPathComponent).resolvingSymlinksInPath().path
    }

    /// `folder/name`, spelt as the user spelt the folder (relative stays relative) so messages
    /// show the paths they typed.
    static func join(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
