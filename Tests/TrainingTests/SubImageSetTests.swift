import Foundation
import Testing
import Imaging
@testable import Training

@Suite struct SubImageSetTests {
    /// The authors' generate_train.m gives 21,884 sub-images from T91 at ×3 (33×33, stride 14).
    @Test(.enabled(if: dataRoot != nil, "needs SRLAB_DATA or ../shared/datasets"))
    func t91GivesTheReleasedScriptsCount() throws {
        let files = try SubImageSet.imageFiles(in: dataRoot!.appendingPathComponent("T91").path)
        #expect(files.count == 91)
        let set = try SubImageSet(imageFiles: files, scale: 3)
        #expect(set.count == 21_884)
        #expect(set.inputs.count == 21_884 * 33 * 33)
    }

    /// The training folder is listed as every other image folder is: a hidden file (an editor's or
    /// macOS's `._a.png`) or a subfolder named like an image is not a training image.
    @Test func theTrainingFolderIsListedByTheOneLister() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainlist-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("old.png"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["b.bmp", "a.PNG", "._a.png", "notes.txt"] {
            FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data())
        }
        let files = try SubImageSet.imageFiles(in: dir.path)
        #expect(files == ["a.PNG", "b.bmp"].map { dir.appendingPathComponent($0).path })
        #expect(files == (try ImageFolder.list(dir.path)).map(\.path))
        #expect(throws: ImageSetError.notAFolder(path: dir.path + "/none")) { try SubImageSet.imageFiles(in: dir.path + "/none") }
    }

    @Test func subImagesComeFromTheBicubicAndOriginalPlanes() {
        // A 47×61 plane at ×3 is modcropped to 45×60: rows 0, 14 and columns 0, 14, 28 fit 33×33.
        let plane = Plane(width: 47, height: 61, values: (0..<(47 * 61)).map { Double($0 % 251) / 255 })
        let set = SubImageSet(lumaPlanes: [plane], scale: 3)
        #expect(set.count == 2 * 1)
        #expect(set.sources.map(\.y) == [0, 14] && set.sources.map(\.x) == [0, 0])
        var input = [Float](repeating: 0, count: 33 * 33), label = [Float](repeating: 0, count: 21 * 21)
        set.copy(1, labelSize: 21, input: &input, label: &label)
        // Label pixel (0,0) is original (14 + 6, 0 + 6).
        #expect(label[0] == Float(plane[6, 20]))
    }

    @Test func downscaledCopiesFollowEachImage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("downscales-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes: [UInt8] = (0..<(80 * 70 * 3)).map { (i: Int) -> UInt8 in UInt8((i * 7 + i / 240 * 13) % 256) }
        let path = dir.appendingPathComponent("a.png").path
        try ImageIO.writePNG(Image8(width: 80, height: 70, channels: 3, bytes: bytes), to: path)
        let plain = try SubImageSet(imageFiles: [path], scale: 3)
        let augmented = try SubImageSet(imageFiles: [path], scale: 3, downscales: [0.8, 0.6])
        let luma = Color.luma(try ImageIO.read(path)).map { $0 / 255 }
        let expected = SubImageSet(lumaPlanes: [luma, Resize.bicubic(luma, scale: 0.8), Resize.bicubic(luma, scale: 0.6)], scale: 3)
        // 80×70 → 78×69: 4×3; ×0.8 → 64×56 → 63×54: 3×2; ×0.6 → 48×42: 2×1 sub-images.
        #expect(plain.count == 12 && augmented.count == 12 + 6 + 2)
        #expect(augmented.inputs == expected.inputs && augmented.originals == expected.originals)
        #expect(augmented.sources.map(\.image) == [Int](repeating: 0, count: 12) + [Int](repeating: 1, count: 6) + [2, 2])
    }

    @Test func dihedralTransformsArePermutationsThatKeepTheCentre() {
        let plane = Plane(width: 33, height: 33, values: (0..<(33 * 33)).map { Double($0) / 2000 })
        let set = SubImageSet(lumaPlanes: [plane], scale: 3)
        var seen = Set<[Float]>()
        for t in 0..<8 {
            var input = [Float](repeating: 0, count: 33 * 33), label = [Float](repeating: 0, count: 1)
            set.copy(0, transform: t, labelSize: 1, input: &input, label: &label)
            #expect(label[0] == Float(plane[16, 16]))
            var hr = [Float](repeating: 0, count: 33 * 33)
            set.copy(0, transform: t, labelSize: 33, input: &input, label: &hr)
            #expect(Set(hr) == Set(plane.values.map(Float.init)))
            seen.insert(hr)
        }
        #expect(seen.count == 8)
    }
}
