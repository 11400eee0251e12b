import AtomicIO
import Foundation

/// Writes a comparison into `results/<experiment>/`: summary.md, metrics.csv, metrics.json and the
/// figures. The files replace srlab's earlier ones only once all are ready (see `ResultsFolder`),
/// so a run that dies leaves the previous results in place, and nothing srlab did not write —
/// the shard files among them — is removed.
public enum ResultsWriter {
    public static func write(_ result: ComparisonRun, to folder: ResultsFolder) throws {
        var files: [(name: String, data: Data)] = [
            ("summary.md", Data(Summary.markdown(result).utf8)),
            ("metrics.csv", Data(csv(result).utf8)),
            ("metrics.json", try Evaluation.json(result, for: folder.path + "/metrics.json")),
        ]
        files += Figures.all(result).map { ($0.0, Data($0.1.utf8)) }
        try folder.replaceFiles(files)
    }

    /// Writes one shard's results as `<folder>/shards/shard-I-of-N.json`, for `merge`; returns
    /// the file's path. The folder is marked as srlab's; the shard files are never replaced by
    /// `write`, so a merge keeps its inputs.
    @discardableResult
    public static func writeShard(_ result: ComparisonRun, label: ShardLabel, to folder: ResultsFolder) throws -> String {
        let file = folder.path + "/shards/\(label.text).json"
        let data = try Evaluation.json(result, for: file)
        try folder.claim([])
        try ensureWritableFolder(folder.path + "/shards")
        try AtomicFile.write(data, to: file)
        return file
    }

    /// Checks `folder` (see `ResultsFolder.init`) and writes into it.
    public static func write(_ result: ComparisonRun, to folder: String) throws {
        try write(result, to: ResultsFolder(folder))
    }

    public static func csv(_ result: ComparisonRun) -> String {
        var lines = ["method,label,dataset,scale,image,psnr,ssim,seconds"]
        for c in result.cells {
            for r in c.report.images {
                lines.append([c.cell.method, quote(c.cell.label), c.cell.dataset, String(c.cell.scale), quote(r.name),
                              String(format: "%.4f", r.psnr), String(format: "%.4f", r.ssim), String(format: "%.4f", r.seconds)]
                    .joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
}
