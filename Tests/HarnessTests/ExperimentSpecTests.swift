import Foundation
import Imaging
import Testing
@testable import Harness

/// Every spec mistake is refused when the spec is read, with the spec file and the field named.
@Suite struct ExperimentSpecTests: TinyExperiment {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID())")

    /// The error `load` gives for `json`, or "accepted".
    func refusal(_ json: String) throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("spec.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try ExperimentSpec.load(path, vocabulary: cliVocabulary); return "accepted" } catch {
            let message = "\(error)"
            #expect(message.hasPrefix(path + ": "), "\(message)")
            return message
        }
    }

    /// A valid spec with `change` applied to its JSON object.
    func spec(_ change: (inout [String: Any]) -> Void) throws -> String {
        var object: [String: Any] = [
            "name": "tiny", "datasets": ["Set5", "Set14"], "scales": [2, 3],
            "methods": [["label": "Bicubic", "method": "bicubic"],
                        ["label": "SRCNN", "method": "srcnn", "models": ["3": "m.safetensors"]]],
            "crops": ["dataset": "Set5", "scale": 3, "images": ["bird_GT"], "size": 48, "origins": ["bird_GT": [10, 20]]],
        ]
        change(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func method(_ index: Int, _ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
        { object in
            var methods = object["methods"] as! [[String: Any]]
            change(&methods[index])
            object["methods"] = methods
        }
    }

    func crops(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
        { object in
            var crops = object["crops"] as! [String: Any]
            change(&crops)
            object["crops"] = crops
        }
    }

    @Test func theBaseSpecIsAccepted() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try refusal(try spec { _ in }) == "accepted")
    }

    // Issue 12, item 1: a name of `../../x` wrote outside results/.
    @Test(arguments: ["../../x", "models/x", ".", "..", "", ".hidden", "a\nb"])
    func theNameMustBeAPlainFileName(_ name: String) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let message = try refusal(try spec { $0["name"] = name })
        #expect(message.contains("name") && message.contains("plain file name"), "\(message)")
    }

    // Issue 12, item 7: duplicate datasets or scales were accepted.
    @Test func duplicatesAreNamed() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try refusal(try spec { $0["datasets"] = ["Set5", "Set14", "Set5"] }).contains("dataset 'Set5' is listed twice"))
        #expect(try refusal(try spec { $0["scales"] = [2, 3, 2] }).contains("scale 2 is listed twice"))
        #expect(try refusal(try spec(method(1) { $0["label"] = "Bicubic" })).contains("'Bicubic' is used twice"))
        #expect(try refusal(try spec { $0["datasets"] = ["Set5", "../Set14"] }).contains("dataset '../Set14'"))
    }

    // Issue 12, item 7: crops entries were not checked (a one-number origin trapped).
    @Test func cropsAreChecked() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [((inout [String: Any]) -> Void, String)] = [
            ({ $0["size"] = 0 }, "crops.size 0"),
            ({ $0["size"] = -8 }, "crops.size -8"),
            ({ $0["size"] = 100_000 }, "crops.size 100000"),
            ({ $0["origins"] = ["bird_GT": [10]] }, "crops.origins.bird_GT must be [x, y]"),
            ({ $0["origins"] = ["bird_GT": [-1, 4]] }, "crops.origins.bird_GT must be [x, y]"),
            ({ $0["origins"] = ["baby_GT": [1, 4]] }, "'baby_GT', which is not in crops.images"),
            ({ $0["images"] = [String]() }, "crops.images is empty"),
            ({ $0["images"] = ["bird_GT", "bird_GT"] }, "lists 'bird_GT' twice"),
            ({ $0["dataset"] = "T91" }, "crops.dataset 'T91'"),
            ({ $0["scale"] = 4 }, "crops.scale 4"),
        ]
        for (change, words) in cases {
            let message = try refusal(try spec(crops(change)))
            #expect(message.contains(words), "\(words): \(message)")
        }
    }

    // Issue 12, item 7: a method with no model said "needs --model FILE", a command-line word.
    @Test func aMissingModelNamesTheSpecKey() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let none = try refusal(try spec(method(1) { $0["models"] = nil }))
        #expect(none.contains("'SRCNN' (srcnn) needs a model file") && none.contains("\"models\"") && none.contains("methods[1]")
                && !none.contains("--model"), "\(none)")
        let typo = try refusal(try spec(method(1) { $0["models"] = nil; $0["model"] = "m.safetensors" }))
        #expect(typo.contains("unknown field 'model' in methods[1]") && typo.contains("did you mean 'models'"), "\(typo)")
        #expect(try refusal(try spec { $0["dataset"] = ["Set5"] }).contains("unknown field 'dataset'"))
        #expect(try refusal(try spec(crops { $0["origin"] = [:] as [String: Any] })).contains("unknown field 'origin' in crops"))
    }

    @Test func modelsSolversAndPublishedValuesAreChecked() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [((inout [String: Any]) -> Void, String)] = [
            (method(0) { $0["models"] = ["2": "m.safetensors"] }, "takes no model file"),
            (method(1) { $0["models"] = ["x3": "m.safetensors"] }, "models key 'x3'"),
            (method(1) { $0["models"] = ["4": "m.safetensors"] }, "none of the spec's scales 2, 3"),
            (method(1) { $0["models"] = ["3": ""] }, "models.3 of 'SRCNN' is empty"),
            (method(1) { $0["solver"] = "homotopy" }, "takes no solver"),
            (method(1) { $0["method"] = "sc"; $0["solver"] = "lars" }, "unknown solver 'lars'"),
            (method(0) { $0["published"] = ["Set5": ["3": [Double]()]] }, "published.Set5.3 must be"),
            (method(0) { $0["published"] = ["Set5": ["3": [30.0, 0.9, 1.0]]] }, "published.Set5.3 must be"),
            (method(0) { $0["published"] = ["Set5": ["3": [30.0, 9.0]]] }, "published.Set5.3 must be"),
            (method(0) { $0["published"] = ["Set5": ["x3": [30.0]]] }, "key 'x3' is not a scale"),
            (method(0) { $0["published"] = ["Set5": ["3": [30.39]]] }, "published needs methods[0].published_in"),
            (method(0) { $0["published"] = ["Set5": ["3": [30.39]]]; $0["published_in"] = " " }, "published needs"),
            (method(0) { $0["curves"] = ["three": "c.csv"] }, "curves key 'three'"),
            (method(0) { $0["label"] = "" }, "label must be one non-empty line"),
        ]
        for (change, words) in cases {
            let message = try refusal(try spec(change))
            #expect(message.contains(words), "\(words): \(message)")
        }
        #expect(try refusal(try spec(method(1) { $0["method"] = "sc"; $0["solver"] = "feature-sign" })) == "accepted")
    }

    @Test func theCommittedSpecsAreValid() throws {
        let dir = packageRoot + "/experiments"
        let specs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        #expect(specs.count >= 3)
        for name in specs {
            let spec = try ExperimentSpec.load(dir + "/" + name, vocabulary: cliVocabulary)
            // Their committed results are srlab's, so `srlab compare` may write them again.
            let results = packageRoot + "/results/" + spec.name
            if FileManager.default.fileExists(atPath: results) { _ = try ResultsFolder(results) }
        }
    }

    @Test func aCropOfAnImageTheSetLacksStopsTheRunBeforeAnyWork() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try makeData()
        var s = spec()
        s.methods[1].models = nil
        s.crops?.images = ["b", "zebra"]
        final class Counter: @unchecked Sendable { var count = 0 }
        let built = Counter()
        do {
            _ = try Comparison.run(s, cells: allCells(), dataRoot: root, makeResolver: { cell in built.count += 1; return BicubicResolver(scale: cell.scale) },
                                   specPath: "tiny.json")
            Issue.record("a crop of a missing image was accepted")
        } catch {
            #expect("\(error)".contains("tiny.json: crops.images: 'zebra' is not an image of Tiny"), "\(error)")
        }
        #expect(built.count == 0)
    }
}
