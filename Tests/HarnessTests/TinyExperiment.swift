import ConvNet
import Foundation
import Imaging
@testable import Harness

/// The vocabulary `srlab compare` checks specs against: the registry's.
let cliVocabulary = ExperimentSpec.Vocabulary.registry

/// A tiny experiment for tests: three synthetic PNGs in a set "Tiny", bicubic and a tiny random
/// SRCNN at x2 and x3, all under `folder` (a fresh temporary folder per test).
protocol TinyExperiment {
    var folder: URL { get }
}

extension TinyExperiment {
    func makeData() throws -> DataRoot {
        let set = folder.appendingPathComponent("data/Tiny")
        try FileManager.default.createDirectory(at: set, withIntermediateDirectories: true)
        for (i, name) in ["a", "b", "c"].enumerated() {
            var bytes: [UInt8] = []
            for y in 0..<30 { for x in 0..<36 {
                let v = 128 + 60 * sin(Double(x + 3 * i) / 3) * cos(Double(y) / 4)
                bytes += [UInt8(v), UInt8(255 - v), UInt8(v / 2)]
            } }
            try ImageIO.writePNG(Image8(width: 36, height: 30, channels: 3, bytes: bytes), to: set.appendingPathComponent("\(name).png").path)
        }
        return DataRoot(option: folder.appendingPathComponent("data").path)
    }

    func spec() -> ExperimentSpec {
        ExperimentSpec(name: "tiny", description: "test", methods: [
            .init(label: "Bicubic", method: "bicubic", models: nil, optional: nil, published: ["Tiny": ["2": [99.0, 0.5]]], curves: nil, solver: nil),
            .init(label: "Tiny CNN", method: "srcnn", models: ["2": "in-memory", "3": "in-memory"], optional: nil, published: nil, curves: nil, solver: nil),
        ], datasets: ["Tiny"], scales: [2, 3], crops: .init(scale: 2, dataset: "Tiny", images: ["b"], size: 16, origins: nil))
    }

    var factory: Comparison.ResolverFactory { { cell in
        if cell.method == "bicubic" { return BicubicResolver(scale: cell.scale) }
        return SRCNN(architecture: SRCNNArchitecture(f1: 3, f2: 1, f3: 3, n1: 4, n2: 2), seed: 7).resolver(scale: cell.scale)
    } }

    func run(_ cells: [Cell], root: DataRoot, shard: ShardLabel? = nil) throws -> ComparisonRun {
        var s = spec()
        s.methods[1].models = nil // no file to check: the factory builds the model
        return try Comparison.run(s, cells: cells, dataRoot: root, makeResolver: factory, shard: shard?.text)
    }

    /// The spec's cells with the factory building the model (no file to check).
    func allCells() -> [Cell] { Cell.enumerate(spec()).map { var c = $0; c.model = nil; return c } }

    /// A file of the user's in `dir`, which srlab must never remove or change.
    @discardableResult
    func userFile(_ name: String, in dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try Data("the user's own file \(name)".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func isIntact(_ path: String) -> Bool {
        FileManager.default.contents(atPath: path) == Data("the user's own file \((path as NSString).lastPathComponent)".utf8)
    }
}
