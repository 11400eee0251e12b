import Foundation
import Testing
@testable import Imaging

/// The one rule for where image sets are, and the one folder lister every command uses.
@Suite struct ImageSetsTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("imagesets-\(UUID())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func touch(_ names: [String], in sub: String = "") {
        let dir = sub.isEmpty ? folder : folder.appendingPathComponent(sub)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in names { FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data()) }
    }

    @Test func theDataRootIsTheOptionThenTheVariableThenData() {
        #expect(DataRoot(option: "/x", environment: ["SRLAB_DATA": "/y"]).path == "/x")
        #expect(DataRoot(option: nil, environment: ["SRLAB_DATA": "/y"]).path == "/y")
        #expect(DataRoot(option: nil, environment: [:]).path == "data")
        // An empty variable is an unset one, not the current folder.
        #expect(DataRoot(option: nil, environment: ["SRLAB_DATA": ""]).path == "data")
        #expect(DataRoot(option: "/x", environment: [:]).folder("T91") == "/x/T91")
    }

    /// Images by extension in any case, sorted; hidden files, other files and subfolders (even one
    /// named like an image) are not images.
    @Test func aFolderListsItsVisibleImageFilesOnly() throws {
        touch(["b.PNG", "a.jpg", ".hidden.png", "notes.txt", "c.bmp", "d.jpeg"])
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub.png"), withIntermediateDirectories: true)
        #expect(try ImageFolder.list(folder.path).map(\.lastPathComponent) == ["a.jpg", "b.PNG", "c.bmp", "d.jpeg"])
    }

    @Test func aFolderWithoutImagesOrNoFolderIsAnErrorNamingIt() {
        touch(["readme.txt", ".x.png"], in: "empty")
        let empty = folder.appendingPathComponent("empty").path
        #expect(throws: ImageSetError.noImages(folder: empty)) { try ImageFolder.list(empty) }
        #expect("\(ImageSetError.noImages(folder: empty))".hasPrefix(empty + ": no images"))
        let missing = folder.appendingPathComponent("missing").path
        #expect(throws: ImageSetError.notAFolder(path: missing)) { try ImageFolder.list(missing) }
    }

    /// An unknown set names the sets the root does have (folders holding images), not its other folders.
    @Test func anUnknownDatasetListsTheKnownOnes() throws {
        touch(["a.bmp"], in: "Set5")
        touch(["notes.txt"], in: "misc")
        touch(["a.bmp"], in: ".cache")
        let root = DataRoot(option: folder.path, environment: [:])
        #expect(try root.dataset("Set5").map(\.lastPathComponent) == ["a.bmp"])
        #expect(throws: ImageSetError.unknownDataset(name: "Set14", root: folder.path, known: ["Set5"])) {
            try root.dataset("Set14")
        }
    }

    @Test func theSupportedScalesAreTwoToEight() {
        #expect(SRProtocol.scales == 2...8)
        #expect(SRProtocol.scalesInWords == "a whole number from 2 to 8")
    }
}

@Suite struct TileGridTests {
    /// Five 2×2 tiles at zoom 3: a 3×2 grid of 6-pixel squares with 2-pixel white gaps; each
    /// tile stretched to its own range, a flat tile mid-gray.
    @Test func tilesAreLaidOutAndStretched() {
        let ramp = Tile(size: 2, values: [0, 1, 2, 3]), flat = Tile(size: 2, values: [5, 5, 5, 5])
        let image = TileGrid.image([ramp, flat, ramp, ramp, ramp], zoom: 3)
        #expect(image.width == 3 * 8 + 2 && image.height == 2 * 8 + 2 && image.channels == 1)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { image.bytes[y * image.width + x] }
        #expect(pixel(0, 0) == 255 && pixel(1, 5) == 255)                      // gap
        #expect(pixel(2, 2) == 0 && pixel(7, 2) == 85 && pixel(2, 7) == 170 && pixel(7, 7) == 255) // ramp: 0, 1/3, 2/3, 1
        #expect(pixel(10, 2) == 127)                                             // flat tile: 0.5
        #expect(pixel(18 + 2, 10 + 2) == 255)                                    // no sixth tile: white
    }
}

@Suite struct CentreCropTests {
    @Test func theCentreIsKeptAndAShortSideWhole() {
        let image = Image8(width: 5, height: 3, channels: 2, bytes: (0..<30).map { UInt8($0) })
        let crop = image.centreCropped(side: 3)
        #expect(crop.width == 3 && crop.height == 3 && crop.channels == 2)
        // Columns 1…3 of each row: bytes (y·5 + x)·2 + c.
        #expect(crop.bytes == [2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 22, 23, 24, 25, 26, 27])
        #expect(image.centreCropped(side: 9) == image)
    }
}
