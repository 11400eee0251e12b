import AtomicIO
import Foundation
import Imaging
import LinearAlgebra
import Methods

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
    /// Set when `merge --partial` combined fewer than all shards: which ones are missing.
    /// Absent from complete results.
    public var partial: MissingShards?

    public init(spec: ExperimentSpec, shard: String?, seed: Int, environment: RunEnvironment, cells: [CellReport],
                partial: MissingShards? = nil) {
        self.spec = spec
        self.shard = shard
        self.seed = seed
        self.environment = environment
        self.cells = cells
        self.partial = partial
    }
}

/// The shards a partial merge lacks: `missing` (1-based) of `count`.
public struct MissingShards: Codable, Sendable, Equatable {
    public var count: Int
    public var missing: [Int]
}

/// "shard-I-of-N", the label `compare --shard I/N` gives its results and its file.
public struct ShardLabel: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "shard", parts[2] == "of", let i = Int(parts[1]), let n = Int(parts[3]),
              n >= 1, (1...n).contains(i) else { return nil }
        self.init(index: i, count: n)
    }

    public var text: String { "shard-\(index)-of-\(count)" }

    /// `compare --shard I/N`'s argument, with 1 ≤ I ≤ N; `spec` names the experiment in the error.
    public init(argument: String, spec: String) throws {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (1...n).contains(i) else {
            throw HarnessError.invalidSpec(path: spec, reason: "--shard must be I/N with 1 ≤ I ≤ N, got '\(argument)'")
        }
        self.init(index: i, count: n)
    }
}

public enum Comparison {
    /// Builds the method for a cell.
    public typealias ResolverFactory = @Sendable (Cell) throws -> SuperResolver

    /// The registry's method for a cell: its method, model file (checked by the one loader) and
    /// scale, with its solver.
    public static let registryResolver: ResolverFactory = { cell in
        guard let method = MethodName(rawValue: cell.method) else {
            throw HarnessError.unavailableMethod("unknown method '\(cell.method)'")
        }
        let solver = try cell.solver.map { name in
            guard let s = SolverName(rawValue: name) else {
                throw HarnessError.unavailableMethod("unknown solver '\(name)' for '\(cell.label)' (known: \(SolverName.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return s
        }
        return try method.resolver(model: cell.model, scale: cell.scale, solver: solver)
    }

    /// Cells of shard `index` (1-based) of `count`: every count-th cell, so shards stay balanced.
    public static func shard(_ cells: [Cell], index: Int, count: Int) -> [Cell] {
        cells.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// Checks every input — datasets, model files, crop images, method construction — before any
    /// work, then runs the cells. `specPath` names the spec in errors; `makeResolver` is the
    /// registry's unless a test gives its own.
    public static func run(_ spec: ExperimentSpec, cells requested: [Cell], dataRoot: DataRoot,
                           makeResolver: ResolverFactory = registryResolver, shard: String? = nil, specPath: String = "the experiment spec",
                           progress: (String) -> Void = { _ in }) throws -> ComparisonRun {
        var cells: [Cell] = []
        for cell in requested {
            if let model = cell.model, !FileManager.default.fileExists(atPath: model) {
                let optional = spec.methods.first { $0.label == cell.label }?.optional ?? false
                if optional { progress("skipping \(cell.label) \(cell.dataset) x\(cell.scale): \(model) not found"); continue }
                throw HarnessError.invalidSpec(path: model, reason: "model file not found (models.\(cell.scale) of '\(cell.label)' in \(specPath))")
            }
            cells.append(cell)
        }
        var images: [String: [LoadedImage]] = [:]
        for d in Set(cells.map(\.dataset)).sorted() { images[d] = try Evaluation.load(try dataRoot.dataset(d)) }
        if let crops = spec.crops, let loaded = images[crops.dataset] {
            let names = loaded.map(\.name)
            for image in crops.images where !names.contains(image) {
                throw HarnessError.invalidSpec(path: specPath, reason: "crops.images: '\(image)' is not an image of \(crops.dataset) (its images: \(names.joined(separator: ", ")))")
            }
        }
        let resolvers = try cells.map { try makeResolver($0) }
        var reports: [CellReport] = []
        for (i, (cell, resolver)) in zip(cells, resolvers).enumerated() {
            let cropSpec = spec.crops.flatMap { $0.dataset == cell.dataset && $0.scale == cell.scale ? $0 : nil }
            var crops: [CropSample] = []
            let report = try Evaluation.run(resolver, images: images[cell.dataset]!, dataset: cell.dataset,
                                            save: cropSpec.map { c in { prepared, out8, _ in
                guard c.images.contains(prepared.name) else { return }
                let score = Evaluation.score(out8.map { $0 / 255 }, against: prepared).score
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

    /// Reads the shard files `srlab compare --shard` wrote, naming the file that is not one.
    public static func readShards(_ paths: [String]) throws -> [ComparisonRun] {
        try paths.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HarnessError.invalidSpec(path: path, reason: "cannot read the shard file")
            }
            do { return try JSONDecoder().decode(ComparisonRun.self, from: data) } catch {
                throw HarnessError.invalidSpec(path: path, reason: "not a shard file written by srlab compare")
            }
        }
    }

    /// Combines the shard results of one spec. Fails when a part is not a shard, when shards
    /// disagree on the spec or on N, when one is given twice, and — unless `allowPartial` — when
    /// any of the N is missing, naming the missing ones; a partial merge records them in
    /// `partial`. `paths` (one per part) name the files in errors.
    public static func merge(_ parts: [ComparisonRun], paths: [String] = [], allowPartial: Bool = false) throws -> ComparisonRun {
        guard let first = parts.first else { throw HarnessError.invalidSpec(path: "merge", reason: "no shard files given") }
        func source(_ i: Int) -> String { i < paths.count ? paths[i] : parts[i].shard ?? "part \(i + 1)" }
        let firstSpec = try Evaluation.json(first.spec, for: source(0))
        var labels: [Int: Int] = [:] // shard index → part
        var count: Int?
        for (i, part) in parts.enumerated() {
            guard let label = part.shard.flatMap(ShardLabel.init) else {
                throw HarnessError.invalidSpec(path: source(i), reason: "not a shard: merge combines the shard-I-of-N.json files of `srlab compare --shard I/N`")
            }
            guard part.spec.name == first.spec.name else {
                throw HarnessError.invalidSpec(path: source(i), reason: "belongs to experiment '\(part.spec.name)', not '\(first.spec.name)'")
            }
            guard try Evaluation.json(part.spec, for: source(i)) == firstSpec else {
                throw HarnessError.invalidSpec(path: source(i), reason: "was run from a different version of experiment '\(first.spec.name)' than \(source(0))")
            }
            if let count, count != label.count {
                throw HarnessError.invalidSpec(path: source(i), reason: "is shard \(label.index) of \(label.count), but \(source(0)) is one of \(count)")
            }
            count = label.count
            if let other = labels[label.index] {
                throw HarnessError.invalidSpec(path: source(i), reason: "shard \(label.index) of \(label.count) is given twice (also \(source(other)))")
            }
            labels[label.index] = i
        }
        let total = count!
        let missing = (1...total).filter { labels[$0] == nil }
        if !missing.isEmpty && !allowPartial {
            let files = missing.map { ShardLabel(index: $0, count: total).text + ".json" }.joined(separator: ", ")
            let folder = (source(0) as NSString).deletingLastPathComponent
            throw HarnessError.invalidSpec(path: folder.isEmpty ? "merge" : folder, reason: """
                \(missing.count) of \(total) shards missing: \(files); run them (srlab compare SPEC --shard \(missing[0])/\(total)), \
                or merge without them with --partial
                """)
        }
        let order = Cell.enumerate(first.spec)
        var byCell: [Cell: CellReport] = [:]
        for (i, part) in parts.enumerated() {
            for c in part.cells {
                guard byCell[c.cell] == nil else {
                    throw HarnessError.invalidSpec(path: source(i), reason: "cell \(c.cell.label) \(c.cell.dataset) x\(c.cell.scale) appears twice")
                }
                byCell[c.cell] = c
            }
        }
        let cells = order.compactMap { byCell[$0] }
        return ComparisonRun(spec: first.spec, shard: nil, seed: first.seed, environment: first.environment, cells: cells,
                             partial: missing.isEmpty ? nil : MissingShards(count: total, missing: missing))
    }
}
