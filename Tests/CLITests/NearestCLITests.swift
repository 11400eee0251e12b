import Foundation
import Testing

/// A method added through the registry is a method of the command line at once.
@Suite struct NearestCLITests {
    static let dataRoot: String? = {
        let root = ProcessInfo.processInfo.environment["SRLAB_DATA"]
            ?? HostileInputTests.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
        return FileManager.default.fileExists(atPath: root + "/Set5") ? root : nil
    }()

    /// `srlab eval --method nearest --dataset Set5 --scale 3` runs, scores every image, and
    /// scores below bicubic (30.39 dB, the protocol's baseline): the blocks are visible.
    @Test(.enabled(if: dataRoot != nil, "image sets not found: set SRLAB_DATA"))
    func evalRunsNearestOnSet5() throws {
        let process = Process()
        process.executableURL = HostileInputTests.findBinary()
        process.arguments = ["eval", "--method", "nearest", "--dataset", "Set5", "--scale", "3", "--no-timing"]
        var environment = ProcessInfo.processInfo.environment
        environment["SRLAB_DATA"] = Self.dataRoot
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("nearest ×3 on Set5") == true, "\(text)")
        #expect(lines.count == 2 + 5 + 1, "\(text)")
        let mean = try #require(lines.last?.split(separator: " ").compactMap { Double($0) }.first)
        #expect(mean > 20 && mean < 30.39, "nearest ×3 on Set5: \(mean) dB")
    }
}
