import Foundation
import Imaging
import LinearAlgebra
import AtomicIO

public struct ImageResult: Codable, Sendable, Equatable {
    public var name: String
    public var psnr: Double
    public var ssim: Double
    public var seconds: Double
}

public struct MeanResult: Codable, Sendable, Equatable {
    public var psnr: Double
    public var ssim: Double
    public var seconds: Double
}

/// One method on one image set at one scale: what `srlab eval --json` writes.
public struct EvaluationReport: Codable, Sendable {
    public var method: String
    public var scale: Int
    public var dataset: String
    public var images: [ImageResult]
    public var mean: MeanResult
    public var environment: RunEnvironment
}

public enum Evaluation {
    /// PSNR is recorded at most this high. An output equal to the ground truth after rounding
    /// (MSE 0, e.g. a flat image) has PSNR +∞, which JSON cannot hold and which makes every mean
    /// +∞; 100 dB is far above any real result (one 8-bit level off in one pixel of a 256×256
    /// image is 96.3 dB), so capping changes no measured number.
    public static let psnrCap = 100.0

    /// The protocol's score with PSNR capped at `psnrCap`.
    public static func score(_ output: Plane, against image: PreparedImage) -> (score: Score, output8: Plane) {
        var (score, out8) = SRProtocol.score(output, against: image)
        score.psnr = min(score.psnr, psnrCap)
        return (score, out8)
    }

    /// Reads every image first so a corrupt file stops the run before any work or output.
    public static func load(_ urls: [URL]) throws -> [LoadedImage] {
        try ImageFolder.load(urls)
    }

    /// The files `eval --save` writes for these image names (`<name>.png`, `<name>_rgb.png`);
    /// refuses names whose files would overwrite one another (`a` and `a_rgb`).
    public static func savedFileNames(_ names: [String], folder: String) throws -> [String] {
        var owner: [String: String] = [:]
        for name in names {
            for file in [name + ".png", name + "_rgb.png"] {
                if let other = owner[file] {
                    throw HarnessError.refusedOutput(path: "--save \(folder)",
                                                     reason: "images '\(other)' and '\(name)' would both be saved as \(file)")
                }
                owner[file] = name
            }
        }
        return names.flatMap { [$0 + ".png", $0 + "_rgb.png"] }
    }

    /// Runs `method` on each image under the protocol, at the method's scale. `save` receives each
    /// scored 8-bit Y and the colour result; `progress` is told after each image.
    public static func run(_ method: SuperResolver, images: [LoadedImage], dataset: String,
                           save: ((PreparedImage, Plane, Image8) throws -> Void)? = nil,
                           progress: ((Int, ImageResult) -> Void)? = nil) throws -> EvaluationReport {
        var results: [ImageResult] = []
        let scale = method.scale
        let prepared = try images.map { try PreparedImage(image: $0.image, name: $0.name, scale: scale, path: $0.path) }
        for (i, p) in prepared.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            let output = method.upscale(lowRes: p.lowRes)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try method.requireFinite(output, image: p.name)
            let (score, out8) = Evaluation.score(output, against: p)
            let r = ImageResult(name: p.name, psnr: score.psnr, ssim: score.ssim, seconds: seconds)
            if let save { try save(p, out8, SRProtocol.colour(output, for: p)) }
            results.append(r)
            progress?(i, r)
        }
        let n = Double(results.count)
        let mean = MeanResult(psnr: results.map(\.psnr).reduce(0, +) / n,
                              ssim: results.map(\.ssim).reduce(0, +) / n,
                              seconds: results.map(\.seconds).reduce(0, +) / n)
        return EvaluationReport(method: method.name, scale: scale, dataset: dataset, images: results,
                                mean: mean, environment: .current())
    }

    /// What `eval --save` writes for each image into `folder`: the scored Y as `<name>.png` (its
    /// 8-bit values, so the PSNR recomputed from the file is the one reported) and the colour
    /// result as `<name>_rgb.png`.
    public static func saver(folder: String) -> (PreparedImage, Plane, Image8) throws -> Void {
        { prepared, y8, colour in
            let base = URL(fileURLWithPath: folder).appendingPathComponent(prepared.name).path
            try ImageIO.writePNG(Image8.gray(eightBit: y8), to: base + ".png")
            try ImageIO.writePNG(colour, to: base + "_rgb.png")
        }
    }

    /// A readable table: one row per image and the mean.
    /// `seconds: false` leaves the timing column out, for output that must repeat exactly.
    public static func table(_ report: EvaluationReport, seconds: Bool = true) -> String {
        let width = max(8, (report.images.map(\.name.count).max() ?? 0) + 2)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
        let machine = seconds ? "; BLAS \(report.environment.blas_kernel), \(report.environment.threads) threads" : ""
        var lines = ["\(report.method) ×\(report.scale) on \(report.dataset)  (Y, \(report.scale)-pixel shave\(machine))",
                     pad("image", width) + "    PSNR    SSIM" + (seconds ? "   seconds" : "")]
        for r in report.images {
            lines.append(pad(r.name, width) + " " + f(r.psnr, 4).leftPad(8) + " " + f(r.ssim, 4).leftPad(7) + (seconds ? " " + f(r.seconds, 3).leftPad(9) : ""))
        }
        let m = report.mean
        lines.append(pad("mean", width) + " " + f(m.psnr, 4).leftPad(8) + " " + f(m.ssim, 4).leftPad(7) + (seconds ? " " + f(m.seconds, 3).leftPad(9) : ""))
        if report.images.contains(where: { $0.psnr >= psnrCap }) { lines.append(psnrCapNote) }
        return lines.joined(separator: "\n")
    }

    /// Printed under a table where some PSNR reached the cap.
    public static let psnrCapNote = String(format: "PSNR is capped at %.0f dB: an output equal to the ground truth after rounding (MSE 0) is recorded as %.0f dB, not infinity.", psnrCap, psnrCap)

    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicFile.write(try json(value, for: path), to: path)
    }

    /// The JSON srlab writes, or an error naming the file and the value JSON cannot hold.
    public static func json<T: Encodable>(_ value: T, for path: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(value) } catch let EncodingError.invalidValue(bad, context) {
            let field = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            throw HarnessError.invalidSpec(path: path, reason: "cannot write \(bad) at \(field.isEmpty ? "the top" : field) as JSON")
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
