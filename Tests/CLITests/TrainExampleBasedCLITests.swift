import Foundation
import Imaging
import Testing

/// `srlab train zeyde` and `srlab train aplus` on bad input: each refused before any work, with
/// an error naming the problem, and nothing written.
extension HostileInputTests {
    /// The authors' converted data, if the reference folder is there.
    static var authorsData: URL? {
        let configured = ProcessInfo.processInfo.environment["SRLAB_REFERENCE"].flatMap { $0.isEmpty ? nil : $0 }
        let root = URL(fileURLWithPath: configured ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/reference").path)
        let folder = root.appendingPathComponent("aplus")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }

    @Test func trainZeydeAndAplusRefuseBadInput() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: path("data/T91"), withIntermediateDirectories: true)
        try ImageIO.writePNG(photo(width: 60, height: 45, channels: 3), to: path("data/T91/a.png"))

        let scale = try run(["train", "zeyde", "--scale", "5", "-o", "z.safetensors"])
        #expect(scale.outcome != .success && scale.stderr.contains("x2, x3 or x4"), "\(scale)")

        let few = try run(["train", "zeyde", "--scale", "3", "-o", "z.safetensors"])
        #expect(few.outcome == .cleanError && few.stderr.contains("give 48 patches") && few.stderr.contains("needs at least 1024"), "\(few)")
        #expect(!fm.fileExists(atPath: path("z.safetensors")))

        try Data("not mine".utf8).write(to: URL(fileURLWithPath: path("notes.safetensors")))
        let foreign = try run(["train", "zeyde", "--scale", "3", "-o", "notes.safetensors"])
        #expect(foreign.outcome == .cleanError && foreign.stderr.contains("will not overwrite"), "\(foreign)")
        #expect(try String(contentsOfFile: path("notes.safetensors"), encoding: .utf8) == "not mine")

        let folder = try run(["train", "aplus", "--scale", "3", "--dictionary", "nowhere.safetensors", "-o", "a.safetensors"])
        #expect(folder.outcome == .cleanError && folder.stderr.contains("nowhere.safetensors"), "\(folder)")

        let samples = try run(["train", "aplus", "--scale", "3", "--samples", "100", "-o", "a.safetensors"])
        #expect(samples.outcome != .success && samples.stderr.contains("2048"), "\(samples)")

        if let authors = Self.authorsData {
            let x2 = authors.appendingPathComponent("zeyde_conf_x2.safetensors").path
            let wrongScale = try run(["train", "aplus", "--scale", "3", "--dictionary", x2, "-o", "a.safetensors"])
            #expect(wrongScale.outcome == .cleanError && wrongScale.stderr.contains("x2, not x3"), "\(wrongScale)")
            let regressors = authors.appendingPathComponent("aplus_x2_1024atoms2048nn_5mil.safetensors").path
            let wrongKind = try run(["train", "aplus", "--scale", "2", "--dictionary", regressors, "-o", "a.safetensors"])
            #expect(wrongKind.outcome == .cleanError && wrongKind.stderr.contains("holds A+ regressors"), "\(wrongKind)")
            // The authors' file is not srlab's to overwrite.
            try fm.copyItem(atPath: x2, toPath: path("authors_x2.safetensors"))
            let overwrite = try run(["train", "zeyde", "--scale", "2", "-o", "authors_x2.safetensors"])
            #expect(overwrite.outcome == .cleanError && overwrite.stderr.contains("will not overwrite"), "\(overwrite)")
            // Too few samples for A+ over a good dictionary: 30×24 at x2 gives 88 per level, about 1000 in all.
            try fm.createDirectory(atPath: path("data/Small"), withIntermediateDirectories: true)
            try ImageIO.writePNG(photo(width: 30, height: 24, channels: 3), to: path("data/Small/a.png"))
            let small = try run(["train", "aplus", "--scale", "2", "--dataset", "Small", "--dictionary", x2, "-o", "a.safetensors"])
            #expect(small.outcome == .cleanError && small.stderr.contains("needs at least 2048"), "\(small)")
        }
        #expect(!fm.fileExists(atPath: path("a.safetensors")))
        #expect(leftovers().isEmpty)
    }
}
