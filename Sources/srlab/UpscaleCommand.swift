import ArgumentParser
import Foundation
import Harness
import Imaging

struct UpscaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscale",
        abstract: "Super-resolve one low-resolution image (Y by the method, chroma and alpha by bicubic).")

    @Argument(help: "The low-resolution image (BMP, PNG, JPEG).") var input: String
    @Option(help: "Scale factor, a whole number from 2 to 8.") var scale: ScaleOption
    @Option(help: "bicubic, sc, srcnn or scn.") var method: MethodName = .bicubic
    @Option(help: "Model file (safetensors) for sc and srcnn.") var model: String?
    @Option(name: .shortAndLong, help: "Output image: .png, .jpg/.jpeg or .bmp.") var output: String
    @OptionGroup var files: ImageFileOptions

    func run() throws {
        try reportingErrors {
            let format = try ImageFormat(outputPath: output)
            let resolver = try makeResolver(method, model: model, scale: scale.value)
            let image = try ImageIO.read(input, maxPixels: files.maxPixels)
            guard image.width >= 4, image.height >= 4 else {
                throw ImageError.tooSmall(path: input, width: image.width, height: image.height, scale: 1)
            }
            try ensureWritableFolder(URL(fileURLWithPath: output).deletingLastPathComponent().path)
            if image.hasAlpha && !format.keepsAlpha { note("\(output): JPEG has no alpha channel; the alpha is dropped") }
            let result = try SRProtocol.upscale(image, scale: scale.value, with: resolver)
            try ImageIO.write(result, to: output, options: files.writeOptions)
            note("\(output): \(result.width)x\(result.height), \(resolver.name) ×\(scale.value)")
        }
    }
}
