import Foundation
import Testing
import TensorFile
@testable import ExampleBased

/// Files of the wrong kind, scale or dimensions are refused before any work, naming the file.
@Suite(.enabled(if: aplusRoot != nil, "needs SRLAB_REFERENCE with aplus/"))
struct FileCheckTests {
    static func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    static func temporaryFile(_ file: SafeTensorsFile) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eb-\(UUID()).safetensors")
        try file.write(to: url.path)
        return url
    }

    @Test func wrongScaleIsRefused() {
        let m = Self.message { _ = try ExampleBasedSR(method: .anr, configuration: configurationURL(scale: 3), scale: 2) }
        #expect(m?.contains("zeyde_conf_x3.safetensors") == true && m?.contains("for x3, not x2") == true, "\(m ?? "accepted")")
        let r = Self.message {
            _ = try ExampleBasedSR(method: .aplus, configuration: configurationURL(scale: 3), regressors: aplusRegressorsURL, scale: 3)
        }
        #expect(r?.contains("aplus_x2_1024atoms2048nn_5mil.safetensors") == true && r?.contains("for x2, not x3") == true, "\(r ?? "accepted")")
    }

    @Test func wrongKindIsRefused() {
        let swapped = Self.message { _ = try ExampleBasedSR(method: .zeyde, configuration: aplusRegressorsURL!, scale: 2) }
        #expect(swapped?.contains("holds A+ regressors") == true, "\(swapped ?? "accepted")")
        let asRegressors = Self.message {
            _ = try ExampleBasedSR(method: .aplus, configuration: configurationURL(scale: 2), regressors: configurationURL(scale: 2), scale: 2)
        }
        #expect(asRegressors?.contains("not A+ regressors") == true, "\(asRegressors ?? "accepted")")
        let srcnn = aplusRoot!.deletingLastPathComponent().appendingPathComponent("srcnn_x3_9-1-5.safetensors")
        if FileManager.default.fileExists(atPath: srcnn.path) {
            let m = Self.message { _ = try ExampleBasedSR(method: .gr, configuration: srcnn, scale: 3) }
            #expect(m?.contains("srcnn_x3_9-1-5.safetensors") == true && m?.contains("not a Zeyde/ANR/A+ configuration") == true, "\(m ?? "accepted")")
        }
        #expect(Self.message { _ = try ExampleBasedSR(method: .aplus, configuration: configurationURL(scale: 2), scale: 2) } != nil)
        let unused = Self.message {
            _ = try ExampleBasedSR(method: .anr, configuration: configurationURL(scale: 2), regressors: aplusRegressorsURL, scale: 2)
        }
        #expect(unused?.contains("takes no regressor file") == true, "\(unused ?? "accepted")")
    }

    /// A regressor file whose atom count or PCA dimension does not fit the configuration.
    @Test func wrongRegressorDimensionsAreRefused() throws {
        let original = try SafeTensorsFile(contentsOf: aplusRegressorsURL!.path)
        let t = original.tensors["Aplus_PPs"]!
        for shape in [[512, 36, 28], [1024, 36, 14]] {
            let count = shape.reduce(1, *)
            var file = original
            file.tensors["Aplus_PPs"] = Tensor(dtype: .f32, shape: shape, values: Array(t.values.prefix(count)))
            let url = try Self.temporaryFile(file)
            defer { try? FileManager.default.removeItem(at: url) }
            let m = Self.message { _ = try ExampleBasedSR(method: .aplus, configuration: configurationURL(scale: 2), regressors: url, scale: 2) }
            #expect(m?.contains(url.lastPathComponent) == true && m?.contains("needs [1024, 36, 28]") == true, "\(m ?? "accepted")")
        }
    }

    /// A configuration with a wrong feature length, atom count mismatch, non-recipe settings or
    /// non-unit atoms.
    @Test func wrongConfigurationDimensionsAreRefused() throws {
        let original = try SafeTensorsFile(contentsOf: configurationURL(scale: 2).path)
        func variant(_ edit: (inout SafeTensorsFile) -> Void) throws -> String? {
            var file = original
            edit(&file)
            let url = try Self.temporaryFile(file)
            defer { try? FileManager.default.removeItem(at: url) }
            let m = Self.message { _ = try ExampleBasedSR(method: .gr, configuration: url, scale: 2) }
            #expect(m?.contains(url.lastPathComponent) == true, "\(m ?? "accepted")")
            return m
        }
        let shortFeatures = try variant { f in
            let v = f.tensors["V_pca_f64"]!
            f.tensors["V_pca_f64"] = Tensor(dtype: .f64, shape: [100, 28], values: Array(v.values.prefix(2800)))
        }
        #expect(shortFeatures?.contains("V_pca_f64") == true && shortFeatures?.contains("[144, -1]") == true, "\(shortFeatures ?? "")")
        let fewerHighAtoms = try variant { f in
            let v = f.tensors["dict_hires_f64"]!
            f.tensors["dict_hires_f64"] = Tensor(dtype: .f64, shape: [36, 512], values: Array(v.values.prefix(36 * 512)))
        }
        #expect(fewerHighAtoms?.contains("dict_hires_f64") == true, "\(fewerHighAtoms ?? "")")
        let window = try variant { $0.tensors["window"] = Tensor(dtype: .i32, shape: [2], values: [5, 5]) }
        #expect(window?.contains("grid settings") == true, "\(window ?? "")")
        let metadataScale = try variant { $0.metadata["scale"] = "3" }
        #expect(metadataScale?.contains("metadata says scale 3") == true, "\(metadataScale ?? "")")
        let scaled = try variant { f in
            var v = f.tensors["dict_lores_f64"]!
            v.values[5] *= 2
            f.tensors["dict_lores_f64"] = v
        }
        #expect(scaled?.contains("unit-norm") == true, "\(scaled ?? "")")
        let notANumber = try variant { f in
            var v = f.tensors["dict_hires_f64"]!
            v.values[7] = .nan
            f.tensors["dict_hires_f64"] = v
        }
        #expect(notANumber?.contains("'dict_hires_f64' contains NaN") == true, "\(notANumber ?? "")")
        #expect(notANumber.map { $0.components(separatedBy: ".safetensors").count } == 2, "the file is named once: \(notANumber ?? "")")
        let twins = try variant { f in
            var v = f.tensors["V_pca"]!
            v.values[3] += 0.01
            f.tensors["V_pca"] = v
        }
        #expect(twins?.contains("V_pca and V_pca_f64 disagree") == true, "\(twins ?? "")")
        let missingFile = Self.message { _ = try ExampleBasedSR(method: .gr, configuration: URL(fileURLWithPath: "/nonexistent/conf.safetensors"), scale: 2) }
        #expect(missingFile?.contains("/nonexistent/conf.safetensors") == true)
        // Named once, not "path: path: …".
        #expect(missingFile?.components(separatedBy: "/nonexistent/conf.safetensors").count == 2, "\(missingFile ?? "")")
    }
}
