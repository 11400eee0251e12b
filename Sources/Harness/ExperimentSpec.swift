import Foundation
import Imaging
import Methods

/// A comparison to run, read from a JSON file in `experiments/`: which methods (with their model
/// file per scale), which image sets, which scales, and the published numbers to print beside
/// SRLab's. Everything is checked before any work starts.
public struct ExperimentSpec: Codable, Sendable {
    public struct Method: Codable, Sendable {
        /// The row label in tables, e.g. "SRCNN 9-1-5 (SRLab, T91)".
        public var label: String
        /// A method of the registry (`MethodName`): bicubic, nearest, sc, srcnn, scn, …
        public var method: String
        /// Model file per scale ("3": "results/models/sc_x3.safetensors"); `${VAR}` is expanded.
        public var models: [String: String]?
        /// When true a missing model file skips the method's cells instead of failing the spec
        /// (for files that only some machines have, like the authors' filters).
        public var optional: Bool?
        /// Published PSNR / SSIM per dataset and scale: `{"Set5": {"3": [32.39, 0.9033]}}`.
        public var published: [String: [String: [Double]]]?
        /// Where the published values were printed (paper and table): papers reprint each other's
        /// cells 0.01–0.03 dB apart, so a value means little without its source. Required with
        /// `published`.
        public var publishedIn: String?
        /// Training curve CSV (epoch, validation PSNR) per scale, drawn in the figures.
        public var curves: [String: String]?
        /// The sparse-coding solver for sc methods (homotopy or feature-sign; default homotopy).
        public var solver: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case label, method, models, optional, published, publishedIn = "published_in", curves, solver }
    }

    public struct Crops: Codable, Sendable {
        public var scale: Int
        public var dataset: String
        public var images: [String]
        /// Side of the square crop on the HR grid, and its top-left corner per image.
        public var size: Int
        public var origins: [String: [Int]]?

        enum CodingKeys: String, CodingKey, CaseIterable { case scale, dataset, images, size, origins }
    }

    /// The methods, model needs and solvers a spec may name (`registry`: those of the method
    /// registry), so a spec is checked against them before any work.
    public struct Vocabulary: Sendable {
        /// Every method name.
        public var methods: Set<String>
        /// Methods that run only with a model file.
        public var needingModel: Set<String>
        /// The solvers each method accepts (methods not listed take none).
        public var solvers: [String: Set<String>]

        public init(methods: Set<String>, needingModel: Set<String>, solvers: [String: Set<String>] = [:]) {
            self.methods = methods
            self.needingModel = needingModel
            self.solvers = solvers
        }

        /// The method registry's: every method, those that read a model, their solvers.
        public static let registry = Vocabulary(
            methods: Set(MethodName.allCases.map(\.rawValue)),
            needingModel: Set(MethodName.withModels.map(\.rawValue)),
            solvers: Dictionary(uniqueKeysWithValues: MethodName.allCases.filter { !$0.entry.solvers.isEmpty }
                .map { ($0.rawValue, Set($0.entry.solvers.map(\.rawValue))) }))
    }

    public var name: String
    public var description: String?
    public var methods: [Method]
    public var datasets: [String]
    public var scales: [Int]
    public var crops: Crops?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, description, methods, datasets, scales, crops }

    /// The largest crop side: the figure shows crops at 192 px and stores them inline, so a
    /// larger one only bloats the SVG.
    public static let maxCropSize = 1024

    public static func load(_ path: String, vocabulary: Vocabulary = .registry) throws -> ExperimentSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError.invalidSpec(path: path, reason: "cannot read the experiment file")
        }
        let spec: ExperimentSpec
        do { spec = try JSONDecoder().decode(ExperimentSpec.self, from: data) } catch let DecodingError.keyNotFound(key, context) {
            throw HarnessError.invalidSpec(path: path, reason: "missing field '\(field(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HarnessError.invalidSpec(path: path, reason: "wrong type at \(field(context.codingPath))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw HarnessError.invalidSpec(path: path, reason: "null at \(field(context.codingPath))")
        } catch {
            throw HarnessError.invalidSpec(path: path, reason: "not valid JSON")
        }
        try checkFieldNames(data, path: path)
        try spec.validate(path: path, vocabulary: vocabulary)
        return spec
    }

    /// `methods[1].models` for a decoding path.
    static func field(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// A misspelt field (`model` for `models`) would otherwise be dropped without a word.
    static func checkFieldNames(_ data: Data, path: String) throws {
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        func check(_ object: Any?, known: [String], at place: String) throws {
            guard let object = object as? [String: Any] else { return }
            for key in object.keys.sorted() where !known.contains(key) {
                let close = known.filter { $0.hasPrefix(key) || key.hasPrefix($0) }
                let hint = close.isEmpty ? "known: \(known.joined(separator: ", "))" : "did you mean '\(close[0])'?"
                throw HarnessError.invalidSpec(path: path, reason: "unknown field '\(key)'\(place.isEmpty ? "" : " in \(place)") (\(hint))")
            }
        }
        try check(top, known: CodingKeys.allCases.map(\.rawValue), at: "")
        for (i, m) in ((top["methods"] as? [Any]) ?? []).enumerated() {
            try check(m, known: Method.CodingKeys.allCases.map(\.rawValue), at: "methods[\(i)]")
        }
        try check(top["crops"], known: Crops.CodingKeys.allCases.map(\.rawValue), at: "crops")
    }

    /// The checks `load` makes after decoding; `merge` makes them on the spec inside shard files.
    public func validate(path: String, vocabulary: Vocabulary = .registry) throws {
        func fail(_ reason: String) -> HarnessError { .invalidSpec(path: path, reason: reason) }
        if let problem = OutputPath.nameProblem(name) {
            throw fail("name '\(name)' \(problem): it names the results folder results/<name>, so it must be a plain file name")
        }
        guard !methods.isEmpty, !datasets.isEmpty, !scales.isEmpty else {
            throw fail("methods, datasets and scales must not be empty")
        }
        for d in datasets {
            if let problem = OutputPath.nameProblem(d) { throw fail("dataset '\(d)' \(problem): datasets are folder names under the data root") }
        }
        if let d = Self.firstDuplicate(datasets) { throw fail("dataset '\(d)' is listed twice in datasets") }
        for s in scales where !SRProtocol.scales.contains(s) {
            throw fail("scale \(s) is not \(SRProtocol.scalesInWords)")
        }
        if let s = Self.firstDuplicate(scales) { throw fail("scale \(s) is listed twice in scales") }
        if let l = Self.firstDuplicate(methods.map(\.label)) { throw fail("method label '\(l)' is used twice; labels must be unique") }
        for (i, m) in methods.enumerated() { try validate(m, at: "methods[\(i)]", vocabulary: vocabulary, fail: fail) }
        if let crops { try validate(crops, fail: fail) }
    }

    func validate(_ m: Method, at place: String, vocabulary: Vocabulary, fail: (String) -> HarnessError) throws {
        guard !m.label.isEmpty, !m.label.contains(where: \.isNewline) else { throw fail("\(place).label must be one non-empty line") }
        guard vocabulary.methods.contains(m.method) else {
            throw fail("unknown method '\(m.method)' in '\(m.label)' (known: \(vocabulary.methods.sorted().joined(separator: ", ")))")
        }
        let example = "\"models\": {\"\(scales[0])\": \"results/models/FILE.safetensors\"}"
        if vocabulary.needingModel.contains(m.method) {
            guard let models = m.models, !models.isEmpty else {
                throw fail("method '\(m.label)' (\(m.method)) needs a model file per scale: add \(example) to \(place)")
            }
            for (key, file) in models.sorted(by: { $0.key < $1.key }) {
                guard let s = Int(key), SRProtocol.scales.contains(s) else {
                    throw fail("\(place).models key '\(key)' of '\(m.label)' is not a scale (\(SRProtocol.scalesInWords))")
                }
                guard !file.isEmpty else { throw fail("\(place).models.\(key) of '\(m.label)' is empty") }
            }
            guard models.keys.contains(where: { Int($0).map(scales.contains) ?? false }) else {
                throw fail("'\(m.label)' has models for scales \(models.keys.sorted().joined(separator: ", ")), none of the spec's scales \(scales.map(String.init).joined(separator: ", ")), so it would never run")
            }
        } else if m.models != nil {
            throw fail("method '\(m.label)' (\(m.method)) takes no model file; remove \(place).models")
        }
        if let solver = m.solver {
            let known = vocabulary.solvers[m.method] ?? []
            guard !known.isEmpty else { throw fail("method '\(m.label)' (\(m.method)) takes no solver; remove \(place).solver") }
            guard known.contains(solver) else {
                throw fail("unknown solver '\(solver)' in '\(m.label)' (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        for (dataset, byScale) in m.published ?? [:] {
            for (key, values) in byScale {
                guard Int(key).map(SRProtocol.scales.contains) ?? false else {
                    throw fail("\(place).published.\(dataset) key '\(key)' is not a scale (\(SRProtocol.scalesInWords))")
                }
                guard (1...2).contains(values.count), values[0].isFinite, values[0] > 0,
                      values.count == 1 || (values[1].isFinite && (-1...1).contains(values[1])) else {
                    throw fail("\(place).published.\(dataset).\(key) must be [PSNR] or [PSNR, SSIM] (PSNR > 0 dB, SSIM from -1 to 1)")
                }
            }
        }
        if m.published?.isEmpty == false, (m.publishedIn ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("\(place).published needs \(place).published_in: the paper and table the values come from")
        }
        for key in (m.curves ?? [:]).keys where !(Int(key).map(SRProtocol.scales.contains) ?? false) {
            throw fail("\(place).curves key '\(key)' is not a scale (\(SRProtocol.scalesInWords))")
        }
    }

    func validate(_ c: Crops, fail: (String) -> HarnessError) throws {
        guard datasets.contains(c.dataset) else {
            throw fail("crops.dataset '\(c.dataset)' is not one of the spec's datasets (\(datasets.joined(separator: ", ")))")
        }
        guard scales.contains(c.scale) else {
            throw fail("crops.scale \(c.scale) is not one of the spec's scales (\(scales.map(String.init).joined(separator: ", ")))")
        }
        guard (1...Self.maxCropSize).contains(c.size) else {
            throw fail("crops.size \(c.size) must be a side in pixels from 1 to \(Self.maxCropSize)")
        }
        guard !c.images.isEmpty else { throw fail("crops.images is empty; name the images to crop, or leave crops out") }
        if let image = Self.firstDuplicate(c.images) { throw fail("crops.images lists '\(image)' twice") }
        for (image, origin) in (c.origins ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard c.images.contains(image) else { throw fail("crops.origins names '\(image)', which is not in crops.images") }
            guard origin.count == 2, origin.allSatisfy({ $0 >= 0 }) else {
                throw fail("crops.origins.\(image) must be [x, y], the crop's top-left corner (whole numbers ≥ 0)")
            }
        }
    }

    static func firstDuplicate<T: Hashable>(_ values: [T]) -> T? {
        var seen = Set<T>()
        return values.first { !seen.insert($0).inserted }
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
