import ArgumentParser
import ExampleBased
import Foundation
import Harness
import Imaging

/// `srlab bench macs`: multiply-adds per HR pixel of every method at a scale (no timing).
struct BenchMacsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "macs",
        abstract: "Multiply-adds per HR pixel of every method at a scale, counted from the architectures (no timing).")

    @Option(help: "Scale (\(SRProtocol.scalesInWords)).") var scale = 3
    @Option(help: "A Zeyde configuration whose sizes (d, K) the example-based rows use (default: results/models/zeyde_x<scale>.safetensors, else the authors' under $SRLAB_REFERENCE/aplus; none: those rows are left out).")
    var dictionary: String?
    @Flag(help: "Add the Keras project's SRCNN variants (expanded, denoising, deep denoising, ResNet SR and its distilled student).")
    var kerasVariants = false

    func validate() throws {
        guard SRProtocol.scales.contains(scale) else { throw ValidationError("--scale must be \(SRProtocol.scalesInWords)") }
    }

    func run() throws {
        try reportingErrors {
            let reference = TestData.referenceRoot(packageRoot: FileManager.default.currentDirectoryPath).map { $0 + "/aplus/zeyde_conf_x\(scale).safetensors" }
            let path = dictionary ?? ["results/models/zeyde_x\(scale).safetensors", reference].compactMap { $0 }
                .first { FileManager.default.fileExists(atPath: $0) }
            let configuration = try path.map { try ZeydeConfiguration(contentsOf: $0, scale: scale) }
            print(CostTable.markdown(CostTable.rows(scale: scale, configuration: configuration, kerasVariants: kerasVariants), scale: scale), terminator: "")
            // The file's name only: the notebooks print this, and the folder differs between machines.
            if let path { print("\nExample-based sizes from \(URL(fileURLWithPath: path).lastPathComponent).") }
        }
    }
}
