import AtomicIO
import Foundation

/// Writes a comparison into `results/<experiment>/`: summary.md, metrics.csv, metrics.json and the
/// figures. Everything goes into a temporary sibling folder first and replaces the old folder
/// only when complete, so a run that dies leaves the previous results in place.
public enum ResultsWriter {
    public static func write(_ result: ComparisonRun, to folder: String) throws {
        let fm = FileManager.default
        let parent = (folder as NSString).deletingLastPathComponent
        try ensureWritableFolder(parent.isEmpty ? "." : parent)
        let staging = folder + ".partial-\(getpid())"
        try? fm.removeItem(atPath: staging)
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        do {
            try AtomicFile.write(Summary.markdown(result), to: staging + "/summary.md")
            try AtomicFile.write(csv(result), to: staging + "/metrics.csv")
            try Evaluation.writeJSON(result, to: staging + "/metrics.json")
            for (name, svg) in Figures.all(result) { try AtomicFile.write(svg, to: staging + "/" + name) }
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        let old = folder + ".old-\(getpid())"
        if fm.fileExists(atPath: folder) { try fm.moveItem(atPath: folder, toPath: old) }
        try fm.moveItem(atPath: staging, toPath: folder)
        try? fm.removeItem(atPath: old)
    }

    public static func csv(_ result: ComparisonRun) -> String {
        var lines = ["method,label,dataset,scale,image,psnr,ssim,seconds"]
        for c in result.cells {
            for r in c.report.images {
                lines.append([c.cell.method, quote(c.cell.label), c.cell.dataset, String(c.cell.scale), r.name,
                              String(format: "%.4f", r.psnr), String(format: "%.4f", r.ssim), String(format: "%.4f", r.seconds)]
                    .joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
}
