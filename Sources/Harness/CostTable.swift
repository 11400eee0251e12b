import ConvNet
import ExampleBased
import Foundation

/// Multiply-adds per HR pixel of every method at a scale, counted from the architectures and the
/// example-based configuration's sizes (`srlab bench macs`): why the LR-space networks are cheap.
public enum CostTable {
    public struct Row: Codable, Sendable {
        public var method: String
        public var multiplyAddsPerHRPixel: Double
        /// Where the work happens, in a few words.
        public var grid: String
    }

    /// The table at `scale`; the example-based rows take their sizes from `configuration` (none: left
    /// out); `kerasVariants` adds the Keras project's SRCNN variants (issue 16).
    public static func rows(scale: Int, configuration: ZeydeConfiguration?, kerasVariants: Bool = false) -> [Row] {
        var rows: [Row] = [
            Row(method: "SRCNN 9-5-5", multiplyAddsPerHRPixel: SRCNNArchitecture.srcnn955.multiplyAddsPerOutputPixel, grid: "HR (bicubic input)"),
            Row(method: "SRCNN 9-1-5", multiplyAddsPerHRPixel: SRCNNArchitecture.srcnn915.multiplyAddsPerOutputPixel, grid: "HR (bicubic input)"),
        ]
        if let c = configuration {
            let dims = "d = \(c.pcaDimension), K = \(c.atoms)"
            for method in ExampleBasedMethod.allCases {
                rows.append(Row(method: method.displayName, multiplyAddsPerHRPixel: ExampleBasedSR.multiplyAddsPerOutputPixel(method, configuration: c),
                                grid: "one patch per LR pixel (\(dims))"))
            }
        }
        for spec in [NetworkSpec.espcn(scale: scale), .fsrcnn(scale: scale), .fsrcnnSmall(scale: scale)] {
            rows.append(Row(method: spec.name.replacingOccurrences(of: " x\(scale)", with: ""),
                            multiplyAddsPerHRPixel: spec.multiplyAddsPerOutputPixel, grid: "LR, upscaled by the last layer"))
        }
        if kerasVariants {
            for spec in [NetworkSpec.expandedSRCNN(scale: scale), .denoisingSRCNN(scale: scale), .deepDenoisingSR(scale: scale),
                         .resNetSR(scale: scale), .distilledResNetSR(scale: scale)] {
                rows.append(Row(method: "Keras variant: " + spec.name.replacingOccurrences(of: " x\(scale)", with: ""),
                                multiplyAddsPerHRPixel: spec.multiplyAddsPerOutputPixel,
                                grid: spec.bicubicUpscale == nil ? "LR, upsampled inside (nearest)" : "HR (bicubic input)"))
            }
        }
        return rows.sorted { $0.multiplyAddsPerHRPixel > $1.multiplyAddsPerHRPixel }
    }

    public static func markdown(_ rows: [Row], scale: Int) -> String {
        var out = "| method (x\(scale)) | multiply-adds per HR pixel | runs on |\n|---|---:|---|\n"
        for r in rows {
            let value = r.multiplyAddsPerHRPixel >= 10_000 ? String(format: "%.1f K", r.multiplyAddsPerHRPixel / 1000)
                : String(format: "%.0f", r.multiplyAddsPerHRPixel)
            out += "| \(r.method) | \(value) | \(r.grid) |\n"
        }
        return out
    }
}
