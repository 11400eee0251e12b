import TensorFile

/// A model file that is not a usable SRCNN. (Training's errors are `TrainingError`.)
public enum SRCNNError: Error, CustomStringConvertible {
    case invalidModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModel(let path, let reason): return "\(path): not a usable SRCNN model: \(reason)"
        }
    }
}

/// Weight layout conversions between the files' OIHW and the layers' HWIO.
enum WeightLayout {
    /// OIHW w[o][c][dy][dx] → HWIO w[dy][dx][c][o].
    static func hwio(fromOIHW w: [Float], outChannels o: Int, inChannels c: Int, kernel k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: w.count)
        for oi in 0..<o { for ci in 0..<c { for dy in 0..<k { for dx in 0..<k {
            out[((dy * k + dx) * c + ci) * o + oi] = w[((oi * c + ci) * k + dy) * k + dx]
        } } } }
        return out
    }

    static func oihw(fromHWIO w: [Float], outChannels o: Int, inChannels c: Int, kernel k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: w.count)
        for oi in 0..<o { for ci in 0..<c { for dy in 0..<k { for dx in 0..<k {
            out[((oi * c + ci) * k + dy) * k + dx] = w[((dy * k + dx) * c + ci) * o + oi]
        } } } }
        return out
    }
}

extension SRCNN {
    /// The `kind` of SRCNN model files, and their tensors (by which files without a kind, such as
    /// the authors' filters, are known).
    public static let fileKind = "srcnn"
    /// (The names do not depend on the architecture's sizes.)
    public static let tensorNames = Set(SRCNNArchitecture.srcnn915.tensorShapes.map(\.name))

    /// Loads a model in the authors' layout (`conv1.weight` [n1,1,f1,f1] … `conv3.bias` [1], OIHW,
    /// float32). The architecture comes from the shapes (odd kernels, every size ≥ 1) and must
    /// agree with an `arch` metadata entry if there is one; every weight must be finite and small
    /// enough that no activation can overflow float32 (`overflowingLayer`). Every problem is
    /// reported with the file's path. No scale is checked: for inspecting a file.
    public init(contentsOf path: String) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path), path: path)
        modelPath = path
    }

    /// Loads a model for use at `scale` (what fine-tuning reads; `srlab` goes through the registry
    /// in Methods, which makes the same check). SRCNN's filters are specific to one factor, so the
    /// file must say which: its `scale` metadata (every file SRLab writes has it, and so do the
    /// authors' ×3 filters in the reference folder) must be the whole number `scale`. A file
    /// without it is refused (`ModelFileError`) rather than run at a factor it was not trained for.
    public init(contentsOf path: String, scale: Int) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: path), path: path, scale: scale)
        modelPath = path
    }

    /// `init(file:path:)` plus the scale rule of `init(contentsOf:scale:)`.
    public init(file: SafeTensorsFile, path: String = "<memory>", scale: Int) throws {
        try file.requireScale(scale, kind: Self.fileKind, path: path)
        try self.init(file: file, path: path)
    }

    public init(file: SafeTensorsFile, path: String = "<memory>") throws {
        func fail(_ reason: String) -> SRCNNError { .invalidModel(path: path, reason: reason) }
        let expected = SRCNNArchitecture.srcnn915.tensorShapes.map(\.name)
        let missing = expected.filter { file.tensors[$0] == nil }
        guard missing.isEmpty else { throw fail("missing tensor(s) \(missing.joined(separator: ", "))") }
        let extra = file.tensors.keys.filter { !expected.contains($0) }.sorted()
        guard extra.isEmpty else { throw fail("unexpected tensor(s) \(extra.joined(separator: ", "))") }
        let w1 = file.tensors["conv1.weight"]!.shape, w2 = file.tensors["conv2.weight"]!.shape
        let w3 = file.tensors["conv3.weight"]!.shape
        guard w1.count == 4, w2.count == 4, w3.count == 4, w1[1] == 1, w1[2] == w1[3], w2[2] == w2[3],
              w3[0] == 1, w3[2] == w3[3], w2[1] == w1[0], w3[1] == w2[0] else {
            throw fail("weight shapes \(w1), \(w2), \(w3) do not chain as [n1,1,f1,f1], [n2,n1,f2,f2], [1,n2,f3,f3]")
        }
        // Same-size inference pads (k − 1)/2 on each side, so kernels must be odd.
        guard [w1[0], w2[0]].allSatisfy({ $0 >= 1 }), [w1[2], w2[2], w3[2]].allSatisfy({ $0 >= 1 && $0 % 2 == 1 }) else {
            throw fail("weight shapes \(w1), \(w2), \(w3) need n1, n2 ≥ 1 and odd kernel sizes f1, f2, f3")
        }
        let arch = SRCNNArchitecture(f1: w1[2], f2: w2[2], f3: w3[2], n1: w1[0], n2: w2[0])
        if let stated = file.metadata["arch"], SRCNNArchitecture(stated) != arch {
            throw fail("metadata says arch \(stated) but the tensors are \(arch)")
        }
        var params: [[Float]] = []
        for (i, (name, shape)) in arch.tensorShapes.enumerated() {
            let values = try file.floats(name, shape: shape.map { $0 }, path: path) // checks shape and finiteness
            if i % 2 == 0 {
                let l = arch.layers[i / 2]
                params.append(WeightLayout.hwio(fromOIHW: values, outChannels: l.outChannels,
                                                inChannels: l.inChannels, kernel: l.kernel))
            } else {
                params.append(values)
            }
        }
        if let layer = Self.overflowingLayer(arch, params) {
            throw fail("its weights are so large that layer \(layer) can overflow float32 (NaN or infinity, which the ReLUs would turn into a flat image)")
        }
        self.init(architecture: arch, parameters: params, metadata: file.metadata)
    }

    /// The first layer (1-based) whose activations can exceed float32's range for an input in
    /// [−1, 2] (bicubic overshoots [0, 1] a little), by the bound |b| + Σ|w|·(previous bound);
    /// nil if none can. Trained models stay many orders of magnitude below it.
    static func overflowingLayer(_ arch: SRCNNArchitecture, _ params: [[Float]]) -> Int? {
        var bound = 2.0
        for (l, layer) in arch.layers.enumerated() {
            var absoluteSums = [Double](repeating: 0, count: layer.outChannels)
            for (i, w) in params[2 * l].enumerated() { absoluteSums[i % layer.outChannels] += Double(abs(w)) } // HWIO: o fastest
            bound = zip(absoluteSums, params[2 * l + 1]).map { $0 * bound + Double(abs($1)) }.max() ?? 0
            if !(bound < Double(Float.greatestFiniteMagnitude) / 2) { return l + 1 }
        }
        return nil
    }

    /// The model as a safetensors file in the authors' layout, with `metadata` (plus `arch`).
    public func safeTensors() -> SafeTensorsFile {
        var tensors: [String: Tensor] = [:]
        for (i, (name, shape)) in architecture.tensorShapes.enumerated() {
            var values = parameters[i]
            if i % 2 == 0 {
                let l = architecture.layers[i / 2]
                values = WeightLayout.oihw(fromHWIO: values, outChannels: l.outChannels,
                                           inChannels: l.inChannels, kernel: l.kernel)
            }
            tensors[name] = Tensor(shape: shape, floats: values)
        }
        var meta = metadata
        meta[SafeTensorsFile.kindKey] = Self.fileKind
        meta["arch"] = architecture.description
        meta["format"] = meta["format"] ?? "SRCNN OIHW cross-correlation, input Y in [0,1], 'same' output with edge-replication padding"
        return SafeTensorsFile(tensors: tensors, metadata: meta)
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        try safeTensors().write(to: path)
    }
}
