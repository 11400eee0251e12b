import ArgumentParser
import Harness
import Imaging

/// Pictures of what the methods learned: dictionary atoms and first-layer filters as image grids.
struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Draw learned dictionary atoms or SRCNN first-layer filters as a PNG grid.")

    @Argument(help: "atoms (HR atoms of an sc dictionary) or filters (conv1 of an SRCNN model).") var kind: WeightFigure
    @Option(help: "The model file.") var model: String
    @Option(help: "How many to draw (the first N).") var count = 64
    @Option(help: "Pixels per filter tap.") var zoom = 4
    @Option(name: .shortAndLong, help: "Output image: .png, .jpg/.jpeg or .bmp.") var output: String

    func run() throws {
        try reportingErrors {
            _ = try ImageFormat(outputPath: output)
            try OutputPath.prepareFile(output, option: "-o")
            let figure = try kind.draw(model: model, count: count, zoom: zoom)
            try ImageIO.write(figure.image, to: output)
            note("\(output): \(figure.count) \(kind.rawValue)")
        }
    }
}

extension WeightFigure: ExpressibleByArgument {}
