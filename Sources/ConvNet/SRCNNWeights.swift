import TensorFile

public enum SRCNNError: Error, CustomStringConvertible {
    case invalidModel(path: String, reason: String)
    case invalidCheckpoint(path: String, reason: String)
    case invalidData(path: String, reason: String)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .invalidModel(let path, let reason): return "\(path): not a usable SRCNN model: \(reason)"
        case .invalidCheckpoint(let path, let reason): return "\(path): cannot resume from this checkpoint: \(reason)"
        case .invalidData(let path, let reason): return "\(path): \(reason)"
        case .invalidOptions(let reason): return "srcnn training: \(reason)"
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
    /// Loads a model in the authors' layout (`conv1.weight` [n1,1,f1,f1] … `conv3.bias` [1], OIHW,
    /// float32). The architecture comes from the shapes and must agree with an `arch` metadata
    /// entry if there is one. Every problem is reported with the file's path.
    public init(contentsOf path: String) throws {
        let file = try SafeTensorsFile(contentsOf: path)
        try self.init(file: file, path: path)
    }

    /// Loads a model for use at `scale`: a model trained for another scale (its `scale`
    /// metadata) is refused, since SRCNN's filters are specific to one factor.
    public init(contentsOf path: String, scale: Int) throws {
        try self.init(contentsOf: path)
        if let stated = metadata["scale"], Int(stated) != scale {
            throw SRCNNError.invalidModel(path: path, reason: "it was trained for scale \(stated), not \(scale)")
        }
    }

    public init(file: SafeTensorsFile, path: String = "<memory>") throws {
        func fail(_ reason: String) -> SRCNNError { .invalidModel(path: path, reason: reason) }
        let expected = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias"]
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
        let arch = SRCNNArchitecture(f1: w1[2], f2: w2[2], f3: w3[2], n1: w1[0], n2: w2[0])
        if let stated = file.metadata["arch"], SRCNNArchitecture(stated) != arch {
            throw fail("metadata says arch \(stated) but the tensors are \(arch)")
        }
        var params: [[Float]] = []
        for (i, (name, shape)) in arch.tensorShapes.enumerated() {
            let t = try file.tensor(name, shape: shape.map { $0 }, path: path) // checks shape and finiteness
            let values = t.floats
            if i % 2 == 0 {
                let l = arch.layers[i / 2]
                params.append(WeightLayout.hwio(fromOIHW: values, outChannels: l.outChannels,
                                                inChannels: l.inChannels, kernel: l.kernel))
            } else {
                params.append(values)
            }
        }
        self.init(architecture: arch, parameters: params, metadata: file.metadata)
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
        meta["arch"] = architecture.description
        meta["format"] = meta["format"] ?? "SRCNN OIHW cross-correlation, input Y in [0,1], 'same' output with edge-replication padding"
        return SafeTensorsFile(tensors: tensors, metadata: meta)
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        try safeTensors().write(to: path)
    }
}
