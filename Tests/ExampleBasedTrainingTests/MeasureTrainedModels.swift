import Foundation
import Testing
import ExampleBased
import Harness
import Imaging
import TensorFile

/// Not a check: measures model files on Set5 and Set14 when asked (until `srlab eval` runs the
/// example-based family from any file). SRLAB_MEASURE lists files (comma-separated): a
/// configuration runs SRLAB_MEASURE_METHODS (default zeyde,gr,anr,ne-lle), a regressor file
/// runs A+ over the configuration it names. Prints one line per method, set and file.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SRLAB_MEASURE"] != nil && dataRoot != nil, "set SRLAB_MEASURE to measure model files"))
struct MeasureTrainedModels {
    @Test func measure() throws {
        let environment = ProcessInfo.processInfo.environment
        let files = environment["SRLAB_MEASURE"]!.split(separator: ",").map(String.init)
        let methods = (environment["SRLAB_MEASURE_METHODS"] ?? "zeyde,gr,anr,ne-lle").split(separator: ",").compactMap { ExampleBasedMethod(rawValue: String($0)) }
        let sets = (environment["SRLAB_MEASURE_SETS"] ?? "Set5,Set14").split(separator: ",").map(String.init)
        for file in files {
            let contents = try SafeTensorsFile(contentsOf: file)
            let scale = try Int(contents.metadata["scale"] ?? "") ?? contents.integers("scale", shape: [1], path: file)[0]
            var runs: [(String, ExampleBasedSR)] = []
            if contents.tensors[AnchoredRegressorFile.tensorName] != nil {
                let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
                let named = contents.metadata["dictionary"] ?? "zeyde_conf_x\(scale).safetensors"
                let configuration = named.hasPrefix("/") ? URL(fileURLWithPath: named) : folder.appendingPathComponent(named)
                runs.append(("aplus", try ExampleBasedSR(method: .aplus, configuration: configuration,
                                                         regressors: URL(fileURLWithPath: file), scale: scale)))
            } else {
                for m in methods where m != .aplus {
                    runs.append((m.rawValue, try ExampleBasedSR(method: m, configuration: URL(fileURLWithPath: file), scale: scale)))
                }
            }
            for set in sets {
                let images = try Evaluation.load(try DataRoot(option: dataRoot!.path).dataset(set))
                for (name, sr) in runs {
                    let report = try Evaluation.run(sr, images: images, dataset: set)
                    print(String(format: "MEASURE %@ x%d %@ %@: PSNR %.4f SSIM %.4f", name, scale, set, file, report.mean.psnr, report.mean.ssim))
                }
            }
        }
    }
}
