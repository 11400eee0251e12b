import Foundation
import Imaging
import Testing
@testable import Upscaling

@Suite struct UpscaleRunTests {
    let folder = scratchFolder("run")

    func image(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try ImageIO.writePNG(Image8(width: 16, height: 16, channels: 3, bytes: (0..<768).map { UInt8($0 % 251) }), to: path)
        return path
    }

    func job(_ input: String, into out: String) -> UpscaleJob {
        UpscaleJob(input: input, output: (out as NSString).appendingPathComponent(UpscalePlan.outputName(forInput: input)))
    }

    /// A batch goes on past a failure and says which failed; the others are written.
    @Test func aBatchGoesOnAndReportsEachJob() throws {
        let good = try image("a.png"), broken = folder.appendingPathComponent("b.png").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: broken))
        let out = folder.appendingPathComponent("out").path
        var seen: [String] = []
        let failed = try Upscaling.run([job(broken, into: out), job(good, into: out)], into: out, batch: true,
                                       resolver: BicubicResolver(scale: 2), reporter: { _, _ in nil }) { i, job, result in
            switch result {
            case .written(let done): seen.append("\(i) written \(done.width)")
            case .failed(let error): seen.append("\(i) failed \("\(error)".hasPrefix(job.input))")
            }
        }
        #expect(failed == [broken])
        #expect(seen == ["0 failed true", "1 written 32"])
        #expect(FileManager.default.fileExists(atPath: out + "/a.png"))
    }

    /// A folder made for a batch that wrote nothing is removed; a single job's failure is thrown.
    @Test func nothingIsLeftWhenEverythingFails() throws {
        let broken = folder.appendingPathComponent("c.png").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: broken))
        let out = folder.appendingPathComponent("made").path
        let failed = try Upscaling.run([job(broken, into: out)], into: out, batch: true, resolver: BicubicResolver(scale: 2),
                                       reporter: { _, _ in nil }) { _, _, _ in }
        #expect(failed == [broken] && !FileManager.default.fileExists(atPath: out))
        #expect(throws: ImageError.self) {
            try Upscaling.run([job(broken, into: folder.path)], into: folder.path, batch: false, resolver: BicubicResolver(scale: 2),
                              reporter: { _, _ in nil }) { _, _, _ in }
        }
        #expect(FileManager.default.fileExists(atPath: folder.path))
    }
}
