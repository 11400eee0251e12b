import Foundation
import Imaging

/// The comparison's figures as self-contained SVG: the speed/quality plot of the SRCNN paper's
/// Figure 1 per dataset and scale, the training curves of the models used, and side-by-side crops.
public enum Figures {
    static let palette = ["#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]

    public static func all(_ r: ComparisonRun) -> [(String, String)] {
        var out: [(String, String)] = []
        for (d, s) in Summary.columnKeys(r) {
            out.append(("fig_psnr_vs_seconds_\(d)_x\(s).svg", speedQuality(r, dataset: d, scale: s)))
        }
        for (scale, curves) in trainingCurves(r) { out.append(("fig_training_curves_x\(scale).svg", curves)) }
        let crops = r.cells.flatMap(\.crops)
        for image in Array(Set(crops.map(\.image))).sorted() {
            out.append(("fig_crops_\(image).svg", cropStrip(crops.filter { $0.image == image }, image: image)))
        }
        return out
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    struct Axes {
        let x0 = 70.0, y0 = 40.0, w = 520.0, h = 300.0
        var xmin: Double, xmax: Double, ymin: Double, ymax: Double
        var logX: Bool
        func px(_ x: Double) -> Double {
            let t = logX ? (log10(x) - log10(xmin)) / (log10(xmax) - log10(xmin)) : (x - xmin) / (xmax - xmin)
            return x0 + t * w
        }
        func py(_ y: Double) -> Double { y0 + h - (y - ymin) / (ymax - ymin) * h }
        func frame(title: String, xLabel: String, yLabel: String) -> String {
            var s = "<rect x='\(x0)' y='\(y0)' width='\(w)' height='\(h)' fill='white' stroke='#333'/>\n"
            s += "<text x='\(x0 + w / 2)' y='24' text-anchor='middle' font-size='15' font-weight='bold'>\(esc(title))</text>\n"
            s += "<text x='\(x0 + w / 2)' y='\(y0 + h + 42)' text-anchor='middle' font-size='13'>\(esc(xLabel))</text>\n"
            s += "<text transform='translate(18 \(y0 + h / 2)) rotate(-90)' text-anchor='middle' font-size='13'>\(esc(yLabel))</text>\n"
            for t in ticks(ymin, ymax, log: false) {
                s += "<line x1='\(x0)' x2='\(x0 + w)' y1='\(py(t))' y2='\(py(t))' stroke='#ddd'/>"
                s += "<text x='\(x0 - 6)' y='\(py(t) + 4)' text-anchor='end' font-size='11'>\(fmt(t))</text>\n"
            }
            for t in ticks(xmin, xmax, log: logX) {
                s += "<line x1='\(px(t))' x2='\(px(t))' y1='\(y0)' y2='\(y0 + h)' stroke='#eee'/>"
                s += "<text x='\(px(t))' y='\(y0 + h + 16)' text-anchor='middle' font-size='11'>\(fmt(t))</text>\n"
            }
            return s
        }
        func fmt(_ v: Double) -> String {
            if v != 0 && abs(v) < 0.01 { return String(format: "%.0e", v) }
            return v == v.rounded() ? String(format: "%.0f", v) : (abs(v) < 1 ? String(format: "%.3g", v) : String(format: "%.1f", v))
        }
        func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
            if log {
                return (Int(floor(log10(lo)))...Int(ceil(log10(hi)))).map { pow(10, Double($0)) }.filter { $0 >= lo && $0 <= hi }
            }
            let raw = (hi - lo) / 6, mag = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw }!
            return stride(from: (lo / step).rounded(.up) * step, through: hi, by: step).map { $0 }
        }
    }

    static func svg(_ body: String, width: Int = 640, height: Int = 400) -> String {
        "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='\(width)' height='\(height)' font-family='Helvetica, Arial, sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n\(body)</svg>\n"
    }

    /// PSNR against seconds per image (log scale), one point per method.
    static func speedQuality(_ r: ComparisonRun, dataset: String, scale: Int) -> String {
        let cells = r.cells.filter { $0.cell.dataset == dataset && $0.cell.scale == scale }
        let secs = cells.map { max($0.report.mean.seconds, 1e-4) }, psnrs = cells.map(\.report.mean.psnr)
        let axes = Axes(xmin: pow(10, floor(log10(secs.min()!))), xmax: pow(10, ceil(log10(secs.max()! * 1.01))),
                        ymin: floor(psnrs.min()! - 0.5), ymax: ceil(psnrs.max()! + 0.5), logX: true)
        var body = axes.frame(title: "\(dataset) x\(scale): quality against speed", xLabel: "seconds per image (log scale)", yLabel: "mean PSNR on Y (dB)")
        for (i, c) in cells.enumerated() {
            let x = axes.px(secs[i]), y = axes.py(psnrs[i]), color = palette[i % palette.count]
            // Labels right of the point, or left of it near the right edge, so none is clipped.
            let leftward = x > axes.x0 + axes.w * 0.55
            body += "<circle cx='\(x)' cy='\(y)' r='6' fill='\(color)'/>"
            body += "<text x='\(leftward ? x - 9 : x + 9)' y='\(y - 8)' text-anchor='\(leftward ? "end" : "start")' font-size='12' fill='\(color)'>\(esc(c.cell.label)) \(String(format: "%.2f", psnrs[i]))</text>\n"
        }
        return svg(body)
    }

    /// Validation PSNR per epoch from each method's curve file (CSV with `epoch` and a PSNR column),
    /// one figure per scale: the scales' PSNRs lie several dB apart, so one axis would flatten them.
    static func trainingCurves(_ r: ComparisonRun) -> [(scale: String, svg: String)] {
        let scales = Set(r.spec.methods.flatMap { ($0.curves ?? [:]).keys }).sorted()
        return scales.compactMap { scale in trainingCurves(r, scale: scale).map { (scale, $0) } }
    }

    static func trainingCurves(_ r: ComparisonRun, scale: String) -> String? {
        var series: [(String, [(Double, Double)])] = []
        for m in r.spec.methods {
            if let path = m.curves?[scale] {
                guard let text = try? String(contentsOfFile: ExperimentSpec.expand(path), encoding: .utf8) else { continue }
                let rows = text.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
                guard let header = rows.first, let e = header.firstIndex(of: "epoch"),
                      let p = header.firstIndex(where: { $0.lowercased().contains("psnr") }) else { continue }
                let pts = rows.dropFirst().compactMap { row -> (Double, Double)? in
                    guard row.count > max(e, p), let x = Double(row[e]), let y = Double(row[p]) else { return nil }
                    return (x, y)
                }
                if !pts.isEmpty { series.append(("\(m.label) x\(scale)", pts)) }
            }
        }
        guard !series.isEmpty else { return nil }
        let xs = series.flatMap { $0.1.map(\.0) }, ys = series.flatMap { $0.1.map(\.1) }
        let axes = Axes(xmin: 0, xmax: max(1, xs.max()!), ymin: floor(ys.min()! - 0.2), ymax: ceil(ys.max()! + 0.2), logX: false)
        var body = axes.frame(title: "Training curves ×\(scale): validation PSNR (Set5)", xLabel: "epoch", yLabel: "PSNR (dB)")
        for (i, (label, pts)) in series.enumerated() {
            let color = palette[(i + 1) % palette.count]
            body += "<polyline fill='none' stroke='\(color)' stroke-width='2' points='" + pts.map { "\(axes.px($0.0)),\(axes.py($0.1))" }.joined(separator: " ") + "'/>\n"
            // Bottom right: validation curves rise towards the top, so the legend stays clear of them.
            let row = Double(series.count - 1 - i)
            body += "<text x='\(axes.x0 + axes.w - 10)' y='\(axes.y0 + axes.h - 10 - 16 * row)' text-anchor='end' font-size='12' fill='\(color)'>\(esc(label))</text>\n"
        }
        return svg(body)
    }

    /// HR and each method's crop side by side, PSNR of the whole image under each.
    static func cropStrip(_ crops: [CropSample], image: String) -> String {
        var seen = Set<String>()
        let unique = crops.filter { seen.insert($0.label).inserted }
        let ordered = unique.filter { $0.label == "HR" } + unique.filter { $0.label != "HR" }
        let display = 192.0, gap = 12.0
        let width = Int(Double(ordered.count) * (display + gap) + gap), height = Int(display + 84)
        var body = "<text x='\(gap)' y='20' font-size='14' font-weight='bold'>\(esc(image)): \(Int(ordered.first?.size ?? 0))×\(Int(ordered.first?.size ?? 0)) crop of Y, shown ×\(String(format: "%.1f", display / Double(ordered.first?.size ?? 1)))</text>\n"
        for (i, c) in ordered.enumerated() {
            guard let bytes = Data(base64Encoded: c.pixels),
                  let png = ImageIO.pngData(Image8(width: c.size, height: c.size, channels: 1, bytes: [UInt8](bytes))) else { continue }
            let x = gap + Double(i) * (display + gap)
            body += "<image x='\(x)' y='30' width='\(display)' height='\(display)' style='image-rendering:pixelated' xlink:href='data:image/png;base64,\(png.base64EncodedString())'/>\n"
            // Method name, then its parenthetical, then the dB, each on its own line.
            let parts = c.label.components(separatedBy: " (")
            var lines = [parts[0]] + parts.dropFirst().map { "(" + $0 }
            if let p = c.psnr { lines.append(String(format: "%.2f dB", p)) }
            for (k, line) in lines.enumerated() {
                body += "<text x='\(x + display / 2)' y='\(30 + display + 16 + 15 * Double(k))' text-anchor='middle' font-size='12'>\(esc(line))</text>\n"
            }
        }
        return svg(body, width: width, height: height)
    }
}
