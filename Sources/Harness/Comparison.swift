import AtomicIO
import Foundation
import Imaging

/// A crop of one image's 8-bit Y, kept so the side-by-side figure can be drawn after a run
/// (and carried through shard files).
public struct CropSample: Codable, Sendable {
    public var image: String
    public var label: String
    public var size: Int
    /// The crop's 8-bit values, row-major, base64.
    public var pixels: String
    /// PSNR of the whole image (the figure prints it under the crop).
    public var psnr: Double?
}

public struct CellReport: Codable, Sendable {
    public var cell: Cell
    public var report: EvaluationReport
    public var crops: [CropSample]
}

/// All results of a spec (or of one shard of it) and what produced them.
public struct ComparisonRun: Codable, Sendable {
    public var spec: ExperimentSpec
    public var shard: String?
    public var seed: Int
    public var environment: RunEnvironment
    public var cells: [CellReport]
}

public enum Comparison {
    /// Builds the method for a cell; the command-line tool supplies it so the harness does not
    /// depend on the method modules.
    public typealias ResolverFactory = @Sendable (Cell) throws -> SuperResolver

    /// Cells of shard `index` (1-based) of `count`: every count-th cell, so shards stay balanced.
    public static func shard(_ cells: [Cell], index: Int, count: Int) -> [Cell] {
        cells.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// Checks every input — datasets, model files, method construction — before any work, then
    /// runs the cells.
    public static func run(_ spec: ExperimentSpec, cells requested: [Cell], dataRoot: DataRoot,
                           makeResolver: ResolverFactory, shard: String? = nil,
                           progress: (String) -> Void = { _ in }) throws -> ComparisonRun {
        var cells: [Cell] = []
        for cell in requested {
            if let model = cell.model, !FileManager.default.fileExists(atPath: model) {
                let optional = spec.methods.first { $0.label == cell.label }?.optional ?? false
                if optional { progress("skipping \(cell.label) \(cell.dataset) x\(cell.scale): \(model) not found"); continue }
                throw HarnessError.invalidSpec(path: model, reason: "model file for '\(cell.label)' not found")
            }
            cells.append(cell)
        }
        var images: [String: [LoadedImage]] = [:]
        for d in Set(cells.map(\.dataset)).sorted() { images[d] = try Evaluation.load(try dataRoot.dataset(d)) }
        let resolvers = try cells.map { try makeResolver($0) }
        var reports: [CellReport] = []
        for (i, (cell, resolver)) in zip(cells, resolvers).enumerated() {
            let cropSpec = spec.crops.flatMap { $0.dataset == cell.dataset && $0.scale == cell.scale ? $0 : nil }
            var crops: [CropSample] = []
            let report = try Evaluation.run(resolver, images: images[cell.dataset]!, scale: cell.scale, dataset: cell.dataset,
                                            save: cropSpec.map { c in { prepared, out8, _ in
                guard c.images.contains(prepared.name) else { return }
                let score = SRProtocol.score(out8.map { $0 / 255 }, against: prepared).score
                crops.append(cropSample(prepared.groundTruth, image: prepared.name, label: "HR", spec: c, psnr: nil))
                crops.append(cropSample(out8, image: prepared.name, label: cell.label, spec: c, psnr: score.psnr))
            } })
            reports.append(CellReport(cell: cell, report: report, crops: crops))
            progress(String(format: "[%d/%d] %@ %@ x%d: %.2f dB / %.4f, %.3f s per image", i + 1, cells.count,
                            cell.label, cell.dataset, cell.scale, report.mean.psnr, report.mean.ssim, report.mean.seconds))
        }
        return ComparisonRun(spec: spec, shard: shard, seed: 0, environment: .current(), cells: reports)
    }

    static func cropSample(_ plane: Plane, image: String, label: String, spec: ExperimentSpec.Crops, psnr: Double?) -> CropSample {
        let size = min(spec.size, plane.width, plane.height)
        let origin = spec.origins?[image] ?? [(plane.width - size) / 2, (plane.height - size) / 2]
        let x = min(max(0, origin[0]), plane.width - size), y = min(max(0, origin[1]), plane.height - size)
        let crop = plane.cropped(x: x, y: y, width: size, height: size)
        return CropSample(image: image, label: label, size: size,
                          pixels: Data(crop.values.map { UInt8(max(0, min(255, $0))) }).base64EncodedString(), psnr: psnr)
    }

    /// Combines shard results of one spec; fails when shards disagree on the spec or overlap.
    public static func merge(_ parts: [ComparisonRun]) throws -> ComparisonRun {
        guard let first = parts.first else { throw HarnessError.invalidSpec(path: "merge", reason: "no shard files given") }
        let order = Cell.enumerate(first.spec)
        var byCell: [Cell: CellReport] = [:]
        for part in parts {
            guard part.spec.name == first.spec.name else {
                throw HarnessError.invalidSpec(path: part.shard ?? "shard", reason: "belongs to experiment '\(part.spec.name)', not '\(first.spec.name)'")
            }
            for c in part.cells {
                guard byCell[c.cell] == nil else {
                    throw HarnessError.invalidSpec(path: part.shard ?? "shard", reason: "cell \(c.cell.label) \(c.cell.dataset) x\(c.cell.scale) appears twice")
                }
                byCell[c.cell] = c
            }
        }
        let cells = order.compactMap { byCell[$0] }
        return ComparisonRun(spec: first.spec, shard: nil, seed: first.seed, environment: first.environment, cells: cells)
    }
}
