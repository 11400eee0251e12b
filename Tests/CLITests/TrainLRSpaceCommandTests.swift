import Foundation
import Imaging
import TensorFile
import Testing

extension HostileInputTests {
    /// `srlab train fsrcnn-s` end to end: a run folder's config, a model that `eval` and `upscale`
    /// take with `--method fsrcnn-s`, refused at another scale or by another method, naming the
    /// file; a resume by another network's command is refused.
    @Test func trainFSRCNNSmallThenEvaluateAndUpscale() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        for k in 0..<2 { try ImageIO.writePNG(photo(width: 48, height: 45, channels: 3, seed: Double(k)), to: path("images/\(k).png")) }
        try fm.createDirectory(atPath: path("runs/tiny"), withIntermediateDirectories: true)
        try #"{"scale": 3, "batchSize": 4, "epochs": 1, "lowResolutionPatchSize": 7, "lowResolutionStride": 3, "trainingFolder": "images", "validationFolder": "images"}"#
            .write(toFile: path("runs/tiny/config.json"), atomically: true, encoding: .utf8)
        let fresh = try run(["train", "fsrcnn-s", "--config", "runs/tiny/config.json", "--threads", "1"])
        #expect(fresh.outcome == .success, "\(fresh)")
        let checkpoint = try SafeTensorsFile(contentsOf: path("runs/tiny/checkpoint.safetensors"))
        let options = try #require(try JSONSerialization.jsonObject(with: Data((checkpoint.metadata["options"] ?? "").utf8)) as? [String: Any])
        #expect(options["lowResolutionPatchSize"] as? Int == 7 && options["lowResolutionStride"] as? Int == 3 && options["lossMargin"] as? Int == 3)
        #expect(checkpoint.metadata["kind"] == "sequential-training-checkpoint" && checkpoint.metadata["seed"] == "1")
        let model = path("runs/tiny/best.safetensors")
        #expect(try SafeTensorsFile(contentsOf: model).metadata["kind"] == "fsrcnn-s")

        let eval = try run(["eval", "--method", "fsrcnn-s", "--model", model, "--images", "images", "--scale", "3", "--no-timing"])
        #expect(eval.outcome == .success, "\(eval)")
        let upscale = try run(["upscale", path("images/0.png"), "--scale", "3", "--method", "fsrcnn-s", "--model", model, "-o", path("out.png")])
        #expect(upscale.outcome == .success, "\(upscale)")
        let out = try ImageIO.read(path("out.png"))
        #expect(out.width == 144 && out.height == 135)

        let wrongScale = try run(["eval", "--method", "fsrcnn-s", "--model", model, "--images", "images", "--scale", "2"])
        #expect(wrongScale.outcome == .cleanError && wrongScale.stderr.contains(model), "\(wrongScale)")
        let wrongMethod = try run(["upscale", path("images/0.png"), "--scale", "3", "--method", "espcn", "--model", model, "-o", path("out2.png")])
        #expect(wrongMethod.outcome == .cleanError && wrongMethod.stderr.contains(model), "\(wrongMethod)")
        #expect(!fm.fileExists(atPath: path("out2.png")))
        let otherNetwork = try run(["train", "espcn", "--resume", "runs/tiny/checkpoint.safetensors", "--epochs", "2"])
        #expect(otherNetwork.outcome == .cleanError && otherNetwork.stderr.contains("FSRCNN-s"), "\(otherNetwork)")
        #expect(try SafeTensorsFile(contentsOf: path("runs/tiny/checkpoint.safetensors")).metadata["epoch"] == "1")
        #expect(leftovers().isEmpty, "\(leftovers())")
    }
}

extension HostileInputTests {
    /// `srlab train denoising-srcnn` end to end: SRCNN's 33×33 bicubic sub-images, a model that
    /// `upscale --method denoising-srcnn` takes, refused by `--method expanded-srcnn` and by
    /// `--method srcnn`, naming the file, with nothing written.
    @Test func trainAKerasVariantThenUpscale() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        for k in 0..<2 { try ImageIO.writePNG(photo(width: 48, height: 45, channels: 3, seed: Double(k)), to: path("images/\(k).png")) }
        try fm.createDirectory(atPath: path("runs/keras"), withIntermediateDirectories: true)
        try #"{"scale": 2, "batchSize": 4, "epochs": 1, "trainingFolder": "images", "validationFolder": "images"}"#
            .write(toFile: path("runs/keras/config.json"), atomically: true, encoding: .utf8)
        let fresh = try run(["train", "denoising-srcnn", "--config", "runs/keras/config.json", "--threads", "1"])
        #expect(fresh.outcome == .success && fresh.stderr.contains("33x33 bicubic-upscaled sub-images at stride 14, loss on the centre 21x21"), "\(fresh)")
        let model = path("runs/keras/best.safetensors")
        #expect(try SafeTensorsFile(contentsOf: model).metadata["kind"] == "denoising-srcnn")
        let upscale = try run(["upscale", path("images/0.png"), "--scale", "2", "--method", "denoising-srcnn", "--model", model, "-o", path("out.png")])
        #expect(upscale.outcome == .success, "\(upscale)")
        #expect(try ImageIO.read(path("out.png")).width == 96)
        for method in ["expanded-srcnn", "srcnn"] {
            let wrong = try run(["upscale", path("images/0.png"), "--scale", "2", "--method", method, "--model", model, "-o", path("out2.png")])
            #expect(wrong.outcome == .cleanError && wrong.stderr.contains(model) && wrong.stderr.contains("denoising-srcnn"), "\(wrong)")
        }
        #expect(!fm.fileExists(atPath: path("out2.png")))
        let badPatch = try run(["train", "denoising-srcnn", "--config", "runs/keras/config.json", "--patch", "11", "-o", path("runs/bad")])
        #expect(badPatch.outcome == .cleanError && badPatch.stderr.contains("a loss margin of 6 leaves nothing"), "\(badPatch)")
        #expect(leftovers().isEmpty, "\(leftovers())")
    }
}
