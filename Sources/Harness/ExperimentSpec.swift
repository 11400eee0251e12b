import Foundation

/// A comparison to run, read from a JSON file in `experiments/`: which methods (with their model
/// file per scale), which image sets, which scales, and the published numbers to print beside
/// SRLab's. Everything is checked before any work starts.
public struct ExperimentSpec: Codable, Sendable {
    public struct Method: Codable, Sendable {
        /// The row label in tables, e.g. "SRCNN 9-1-5 (SRLab, T91)".
        public var label: String
        /// bicubic, sc, srcnn or scn.
        public var method: String
        /// Model file per scale ("3": "results/models/sc_x3.safetensors"); `${VAR}` is expanded.
        public var models: [String: String]?
        /// When true a missing model file skips the method's cells instead of failing the spec
        /// (for files that only some machines have, like the authors' filters).
        public var optional: Bool?
        /// Published PSNR / SSIM per dataset and scale: `{"Set5": {"3": [32.39, 0.9033]}}`.
        public var published: [String: [String: [Double]]]?
        /// Training curve CSV (epoch, validation PSNR) per scale, drawn in the figures.
        public var curves: [String: String]?
        /// The sparse-coding solver for sc methods (homotopy or feature-sign; default homotopy).
        public var solver: String?
    }

    public struct Crops: Codable, Sendable {
        public var scale: Int
        public var dataset: String
        public var images: [String]
        /// Side of the square crop on the HR grid, and its top-left corner per image.
        public var size: Int
        public var origins: [String: [Int]]?
    }

    public var name: String
    public var description: String?
    public var methods: [Method]
    public var datasets: [String]
    public var scales: [Int]
    public var crops: Crops?

    public static func load(_ path: String, knownMethods: Set<String>) throws -> ExperimentSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError.invalidSpec(path: path, reason: "cannot read the experiment file")
        }
        let spec: ExperimentSpec
        do { spec = try JSONDecoder().decode(ExperimentSpec.self, from: data) } catch let DecodingError.keyNotFound(key, _) {
            throw HarnessError.invalidSpec(path: path, reason: "missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HarnessError.invalidSpec(path: path, reason: "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw HarnessError.invalidSpec(path: path, reason: "not valid JSON")
        }
        guard !spec.methods.isEmpty, !spec.datasets.isEmpty, !spec.scales.isEmpty else {
            throw HarnessError.invalidSpec(path: path, reason: "methods, datasets and scales must not be empty")
        }
        for m in spec.methods where !knownMethods.contains(m.method) {
            throw HarnessError.invalidSpec(path: path, reason: "unknown method '\(m.method)' in '\(m.label)' (known: \(knownMethods.sorted().joined(separator: ", ")))")
        }
        for s in spec.scales where !(2...8).contains(s) {
            throw HarnessError.invalidSpec(path: path, reason: "scale \(s) is not a whole number from 2 to 8")
        }
        guard Set(spec.methods.map(\.label)).count == spec.methods.count else {
            throw HarnessError.invalidSpec(path: path, reason: "method labels must be unique")
        }
        return spec
    }

    /// `${NAME}` replaced by the environment variable NAME (empty when unset); `${NAME:-default}`
    /// falls back to `default`, as in the shell.
    public static func expand(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var out = path
        while let open = out.range(of: "${"), let close = out.range(of: "}", range: open.upperBound..<out.endIndex) {
            let inner = String(out[open.upperBound..<close.lowerBound])
            let parts = inner.components(separatedBy: ":-")
            let value = environment[parts[0]].flatMap { $0.isEmpty ? nil : $0 } ?? (parts.count > 1 ? parts[1] : "")
            out.replaceSubrange(open.lowerBound..<close.upperBound, with: value)
        }
        return out
    }
}

/// One method × dataset × scale of a spec, the unit that shards are made of.
public struct Cell: Codable, Sendable, Hashable {
    public var label: String
    public var method: String
    public var dataset: String
    public var scale: Int
    public var model: String?
    public var solver: String?

    /// The spec's cells in a fixed order (datasets, then scales, then methods as listed); a method
    /// with models runs only at the scales it has one for.
    public static func enumerate(_ spec: ExperimentSpec) -> [Cell] {
        var cells: [Cell] = []
        for d in spec.datasets {
            for s in spec.scales {
                for m in spec.methods {
                    if let models = m.models {
                        guard let path = models[String(s)] else { continue }
                        cells.append(Cell(label: m.label, method: m.method, dataset: d, scale: s, model: ExperimentSpec.expand(path), solver: m.solver))
                    } else {
                        cells.append(Cell(label: m.label, method: m.method, dataset: d, scale: s, model: nil, solver: m.solver))
                    }
                }
            }
        }
        return cells
    }
}
