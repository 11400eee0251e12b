import Foundation
import Testing
import TensorFile
@testable import SparseCoding

/// Dictionary files that are valid safetensors but no usable dictionary at the requested scale.
@Suite struct DictionaryFileTests {
    static func withoutScale() -> SafeTensorsFile {
        var file = smallDictionary().safeTensors()
        file.metadata["scale"] = nil
        return file
    }

    /// A dictionary is trained for one factor; one that does not say which is refused rather than
    /// assumed to be ×2 (the release's converted files say so with `upscale`). The scale asked of
    /// a dictionary is checked by the registry's loader (MethodsTests).
    @Test func theScaleMustBeStated() throws {
        let path = temporaryPath("unscaled.safetensors")
        try Self.withoutScale().write(to: path)
        #expect(throws: ModelFileError.missingScale(path: path, kind: "sc-dictionary")) { _ = try CoupledDictionary(contentsOf: path) }
        #expect(ModelFileError.missingScale(path: path, kind: "sc-dictionary").description.hasPrefix(path))

        var release = Self.withoutScale()
        release.metadata["upscale"] = "2"
        try release.write(to: path)
        let loaded = try ScSR(file: try SafeTensorsFile(contentsOf: path), path: path)
        #expect(loaded.scale == 2 && loaded.modelPath == path)
    }

    @Test(.enabled(if: referenceRoot() != nil, "needs SRLAB_REFERENCE (or ../shared/reference)"))
    func releasedDictionariesStateScale2() throws {
        for name in ["D_512_0.15_5.safetensors", "D_1024_0.15_5.safetensors"] {
            #expect(try CoupledDictionary(contentsOf: referenceRoot()! + "/" + name).metadata.scale == 2)
        }
    }

    @Test func shapesAndValuesTheCoderCannotUseAreRefused() throws {
        func refusal(_ edit: (inout SafeTensorsFile) -> Void) -> String? {
            var file = smallDictionary().safeTensors()
            edit(&file)
            do { _ = try ScSR(file: file, path: "d.safetensors"); return nil } catch { return "\(error)" }
        }
        #expect(refusal { _ in } == nil)
        // No atoms but 2^62 rows: the row check multiplied 4 · 2^62 and trapped.
        let noAtoms = refusal {
            $0.tensors["Dh"] = Tensor(dtype: .f64, shape: [1 << 62, 0], values: [])
            $0.tensors["Dl"] = Tensor(dtype: .f64, shape: [1 << 62, 0], values: [])
        }
        #expect(noAtoms?.hasPrefix("d.safetensors") == true && noAtoms?.contains("atoms") == true)
        // 3×3 patches are smaller than the default overlap of 4: used to trap in ScSR's precondition.
        let small = refusal {
            $0.tensors["Dh"] = Tensor(dtype: .f64, shape: [9, 2], values: [Double](repeating: 1, count: 18))
            $0.tensors["Dl"] = Tensor(dtype: .f64, shape: [36, 2], values: [Double](repeating: 1, count: 72))
            $0.metadata["patch_size"] = "3"
        }
        #expect(small?.contains("too small for the patch overlap") == true)
        let zeroColumn = refusal { f in for i in 0..<100 { f.tensors["Dl"]!.values[i * 8 + 5] = 0 } } // [100, 8] row-major
        #expect(zeroColumn?.contains("Dl atom 5 is all zeros") == true)
        let huge = refusal { $0.tensors["Dl"]!.values[3] = 1e200 }
        #expect(huge?.contains("Dl atom 3 is too large") == true)
        #expect(refusal { $0.metadata["lambda"] = "nan" }?.contains("lambda") == true)
        #expect(refusal { $0.metadata["scale"] = "0" } != nil)
    }
}
