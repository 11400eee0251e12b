import Foundation
import Testing
import SeededRandom
@testable import ConvNet
import Imaging
import SparseCoding
import TensorFile
@testable import SCN
import Methods
import ExampleBased

/// Seeded mutants of the real model files (results/models/*.safetensors, and the reference
/// folder's SRCNN and ScSR files when present), each loaded as every method's model through the
/// registry's one loader and the method's parser. A trap
/// would end the test process, so finishing is the first check; beyond that every mutant must
/// either throw one of the library's errors or load as the original model or another valid one,
/// and mutants that break the format (or make the model unusable) must be refused.
@Suite struct ModelFileMutationTests {
    static let seed: UInt64 = 20_261_130
    static let mutantsPerFile = 32

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var modelFiles: [URL] {
        var folders = [packageRoot.appendingPathComponent("results/models")]
        let reference = ProcessInfo.processInfo.environment["SRLAB_REFERENCE"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
        folders += [reference, reference.appendingPathComponent("scsr_original")]
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { $0.hasSuffix(".safetensors") }.sorted().map { folder.appendingPathComponent($0) }
        }
    }

    enum Loader: String, CaseIterable {
        case srcnn, scsr, scn, zeyde, aplus, fsrcnn, fsrcnnSmall, espcn, expandedSRCNN, denoisingSRCNN, resNetSR, distilledResNetSR, deepDenoisingSR

        /// The registry's method for a network described as data (`SequentialModel`).
        var sequentialMethod: MethodName? {
            switch self {
            case .srcnn, .scsr, .scn, .zeyde, .aplus: return nil
            case .fsrcnn: return .fsrcnn
            case .fsrcnnSmall: return .fsrcnnSmall
            case .espcn: return .espcn
            case .expandedSRCNN: return .expandedSRCNN
            case .denoisingSRCNN: return .denoisingSRCNN
            case .resNetSR: return .resNetSR
            case .distilledResNetSR: return .distilledResNetSR
            case .deepDenoisingSR: return .deepDenoisingSR
            }
        }
    }

    /// A loaded model reduced to what the comparison needs: its parameters and whether it is valid.
    struct Loaded: Equatable {
        var parameters: [[Double]]
        var valid: Bool
    }

    /// Loads as one method's model at `scale`, as `srlab` does (`ModelFile`, then the method):
    /// nil for one of the library's errors; any other error is recorded as an issue.
    static func load(_ loader: Loader, _ file: SafeTensorsFile, path: String, scale: Int) -> Loaded? {
        do {
            switch loader {
            case .srcnn:
                let model = try ModelFile(contents: file, path: path, as: .srcnn, scale: scale)
                let m = try #require(try MethodName.srcnn.resolver(file: model) as? SRCNNResolver).network
                let counts = m.architecture.tensorShapes.map { $0.shape.reduce(1, *) }
                let valid = m.parameters.map(\.count) == counts && m.parameters.allSatisfy { $0.allSatisfy(\.isFinite) }
                    && m.architecture.layers.allSatisfy { $0.kernel % 2 == 1 } && m.metadata["scale"] == "\(scale)"
                    && SRCNN.overflowingLayer(m.architecture, m.parameters) == nil
                return Loaded(parameters: m.parameters.map { $0.map(Double.init) }, valid: valid)
            case .scsr:
                let model = try ModelFile(contents: file, path: path, as: .scDictionary, scale: scale)
                let d = try #require(try MethodName.sc.resolver(file: model) as? ScSR).dictionary
                let valid = d.metadata.scale == scale && d.atoms > 0 && d.low.rows == 4 * d.high.rows
                    && d.metadata.patchSize > 4 && (d.high.elements + d.low.elements).allSatisfy(\.isFinite)
                return Loaded(parameters: [d.high.elements, d.low.elements], valid: valid)
            case .scn:
                let model = try ModelFile(contents: file, path: path, as: .scn, scale: scale)
                let n = try #require(try MethodName.scn.resolver(file: model) as? TrainableSparseCodingNetwork)
                let valid = n.configuration.scale == scale && n.parameters.map(\.count) == n.configuration.parameterCounts
                    && n.parameters.allSatisfy { $0.allSatisfy(\.isFinite) }
                return Loaded(parameters: n.parameters.map { $0.map(Double.init) }, valid: valid)
            case .zeyde:
                let model = try ModelFile(contents: file, path: path, as: .zeydeConfiguration, scale: scale)
                let c = try #require(try MethodName.zeyde.resolver(file: model) as? ExampleBasedSR).configuration
                let matrices = [c.pca.elements, c.lowDictionary.elements, c.highDictionary.elements]
                let valid = c.scale == scale && c.featureLength == 4 * c.patchLength && c.lowDictionary.rows == c.pcaDimension
                    && c.highDictionary.columns == c.atoms && matrices.allSatisfy { $0.allSatisfy(\.isFinite) }
                return Loaded(parameters: matrices, valid: valid)
            case .aplus:
                let model = try ModelFile(contents: file, path: path, as: .aplusRegressors, scale: scale)
                let sr = try #require(try MethodName.aplus.resolver(file: model) as? ExampleBasedSR)
                guard case .anchored(let a) = sr.mapping else { return Loaded(parameters: [], valid: false) }
                let regressors = (0..<a.anchors.columns).flatMap { a.regressor($0).elements.map(Double.init) }
                let valid = sr.scale == scale && a.patchLength == sr.configuration.patchLength && regressors.allSatisfy(\.isFinite)
                return Loaded(parameters: [regressors], valid: valid)
            case .fsrcnn, .fsrcnnSmall, .espcn, .expandedSRCNN, .denoisingSRCNN, .resNetSR, .distilledResNetSR, .deepDenoisingSR:
                let method = try #require(loader.sequentialMethod)
                let kind = try #require(method.entry.model)
                let model = try ModelFile(contents: file, path: path, as: kind, scale: scale)
                let m = try #require(try method.resolver(file: model) as? SequentialModel)
                let valid = m.scale == scale && m.parameters.map(\.count) == m.spec.parameterTensors.map(\.count)
                    && m.parameters.allSatisfy { $0.allSatisfy(\.isFinite) }
                return Loaded(parameters: m.parameters.map { $0.map(Double.init) }, valid: valid)
            }
        } catch is SafeTensorsError, is ModelFileError, is SRCNNError, is DictionaryError, is SparseCodingNetworkError,
                is ExampleBasedError, is SequentialModelError {
            return nil
        } catch {
            Issue.record("\(path) via \(loader): error outside the library's types: \(error)")
            return nil
        }
    }

    struct Counts {
        var mutants = 0, loaderRuns = 0, formatErrors = 0, loaderErrors = 0, loadedIdentical = 0, loadedOther = 0
        var byKind: [String: (tried: Int, refused: Int)] = [:]
    }

    @Test func mutatedModelFilesNeverTrapAndLoadOnlyAsValidModels() throws {
        let files = Self.modelFiles
        #expect(files.count >= 10, "results/models should hold the shipped models")
        var rng = Xoshiro256(seed: Self.seed)
        var counts = Counts()
        for url in files {
            let path = url.path
            let data = try Data(contentsOf: url)
            let parsed = try SafeTensorsFile(data: data, path: path)
            let m = parsed.metadata
            let scale = try #require(Int(m["scale"] ?? m["upscale"] ?? ""), "\(path) states no scale")
            // The file's own loader, found by loading the unmutated file.
            let originals = Dictionary(uniqueKeysWithValues: Loader.allCases.compactMap { l in
                Self.load(l, parsed, path: path, scale: scale).map { (l, $0) }
            })
            let own = try #require(originals.first, "\(path) loads through no loader")
            #expect(originals.count == 1 && own.value.valid, "\(path)")
            let wrongScale = scale == 2 ? 3 : 2
            #expect(Self.load(own.key, parsed, path: path, scale: wrongScale) == nil, "\(path) ran at x\(wrongScale)")

            let mutator = SafeTensorsMutator(data, scale: scale)
            let rerendered = try SafeTensorsFile(data: mutator.rerendered, path: path)
            #expect(Self.load(own.key, rerendered, path: path, scale: scale) == own.value, "the mutator's re-rendered \(path) differs")

            for i in 0..<Self.mutantsPerFile {
                let mutant = mutator.mutant(i, rng: &rng)
                let label = "\(url.lastPathComponent) mutant \(i) (\(mutant.kind))"
                counts.mutants += 1
                var refused = false
                defer {
                    let k = counts.byKind[mutant.kind] ?? (0, 0)
                    counts.byKind[mutant.kind] = (k.tried + 1, k.refused + (refused ? 1 : 0))
                }
                let file: SafeTensorsFile
                do {
                    file = try SafeTensorsFile(data: mutant.bytes, path: path)
                } catch let error as SafeTensorsError {
                    #expect(error.description.hasPrefix(path), "\(label): \(error)")
                    counts.formatErrors += 1
                    refused = true
                    continue
                }
                #expect(!mutant.breaksFormat, "\(label) breaks the format but parsed")
                refused = true
                for loader in Loader.allCases {
                    counts.loaderRuns += 1
                    guard let loaded = Self.load(loader, file, path: path, scale: scale) else {
                        counts.loaderErrors += 1
                        continue
                    }
                    refused = false
                    if loaded.parameters == originals[loader]?.parameters {
                        counts.loadedIdentical += 1
                    } else {
                        counts.loadedOther += 1
                        #expect(loaded.valid, "\(label) loaded through \(loader) as an invalid model")
                    }
                    #expect(!(mutant.unusableModel && loader == own.key), "\(label) should be refused by \(loader)")
                }
            }
        }
        let refusedByAll = counts.byKind.values.reduce(0) { $0 + $1.refused }
        print("""
            model-file mutation test (seed \(Self.seed)): \(files.count) files, \(counts.mutants) mutants, \
            \(counts.mutants + counts.loaderRuns) cases (\(counts.mutants) parses + \(counts.loaderRuns) loader runs); \
            clean errors: \(counts.formatErrors) at parse + \(counts.loaderErrors) in loaders; \
            loaded: \(counts.loadedIdentical) identical + \(counts.loadedOther) other valid; traps: 0; \
            mutants refused by every loader: \(refusedByAll) of \(counts.mutants)
            """)
        for (kind, k) in counts.byKind.sorted(by: { $0.key < $1.key }) {
            print("  \(kind): \(k.tried) tried, \(k.refused) refused")
        }
        #expect(counts.mutants >= 300)
        #expect(counts.formatErrors > 0 && counts.loaderErrors > 0 && counts.loadedIdentical > 0)
    }
}
