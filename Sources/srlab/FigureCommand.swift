import ArgumentParser
import ConvNet
import Foundation
import Harness
import Imaging
import SparseCoding

/// Pictures of what the methods learned: dictionary atoms and first-layer filters as image grids.
struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Draw learned dictionary atoms or SRCNN first-layer filters as a PNG grid.")

    enum Kind: String, ExpressibleByArgument { case atoms, filters }

    @Argument(help: "atoms (HR atoms of an sc dictionary) or filters (conv1 of an SRCNN model).") var kind: Kind
    @Option(help: "The model file.") var model: String
    @Option(help: "How many to draw (the first N).") var count = 64
    @Option(help: "Pixels per filter tap.") var zoom = 4
    @Option(name: .shortAndLong, help: "Output image: .png, .jpg/.jpeg or .bmp.") var output: String

    func run() throws {
        try reportingErrors {
            _ = try ImageFormat(outputPath: output)
            try OutputPath.prepareFile(output, option: "-o")
            let tiles: [(size: Int, values: [Double])]
            switch kind {
            case .atoms:
                let d = try CoupledDictionary(contentsOf: model)
                let p = d.metadata.patchSize
                // Column-major patch order (MATLAB): element r + p·c is row r, column c.
                tiles = (0..<min(count, d.atoms)).map { j in
                    (p, (0..<(p * p)).map { i in d.high[(i % p) * p + i / p, j] })
                }
            case .filters:
                let net = try SRCNN(contentsOf: model)
                let f = net.architecture.f1
                let w = net.parameters[0]
                tiles = (0..<min(count, net.architecture.n1)).map { o in (f, (0..<(f * f)).map { Double(w[o * f * f + $0]) }) }
            }
            try ImageIO.write(Self.grid(tiles, zoom: zoom), to: output)
            note("\(output): \(tiles.count) \(kind.rawValue)")
        }
    }

    /// Tiles in a square-ish grid, each stretched to its own min…max (gray), 1-pixel gaps.
    static func grid(_ tiles: [(size: Int, values: [Double])], zoom: Int) -> Image8 {
        let columns = Int(Double(tiles.count).squareRoot().rounded(.up)), rows = (tiles.count + columns - 1) / columns
        let side = (tiles.first?.size ?? 1) * zoom, gap = 2
        let width = columns * (side + gap) + gap, height = rows * (side + gap) + gap
        var bytes = [UInt8](repeating: 255, count: width * height)
        for (t, tile) in tiles.enumerated() {
            let lo = tile.values.min() ?? 0, hi = tile.values.max() ?? 1
            let x0 = gap + (t % columns) * (side + gap), y0 = gap + (t / columns) * (side + gap)
            for y in 0..<side { for x in 0..<side {
                let v = tile.values[(y / zoom) * tile.size + x / zoom]
                bytes[(y0 + y) * width + x0 + x] = UInt8(max(0, min(255, (hi > lo ? (v - lo) / (hi - lo) : 0.5) * 255)))
            } }
        }
        return Image8(width: width, height: height, channels: 1, bytes: bytes)
    }
}
