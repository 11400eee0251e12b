import Foundation
import Imaging
import Testing

/// `srlab equivalence aplus`: ANR / A+ as a network against the patch pipeline from the command
/// line; bad files and wrong combinations refused before any work, nothing written.
extension HostileInputTests {
    /// The authors' converted ANR / A+ data, if this machine has it.
    static let aplusRoot: String? = {
        let root = ProcessInfo.processInfo.environment["SRLAB_REFERENCE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/reference").path
        let folder = root + "/aplus"
        return FileManager.default.fileExists(atPath: folder + "/zeyde_conf_x3.safetensors") ? folder : nil
    }()

    @Test func equivalenceAplusRefusesBadInput() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        try ImageIO.writePNG(photo(width: 48, height: 42, channels: 3), to: path("images/a.png"))
        let sc3 = Self.repositoryRoot.appendingPathComponent("results/models/sc_x3.safetensors").path
        let notAConfiguration = try run(["equivalence", "aplus", "--scale", "3", "--dictionary", sc3, "--images", path("images"),
                                         "--json", path("out.json")])
        #expect(notAConfiguration.outcome == .cleanError
                && notAConfiguration.stderr.contains("sc_x3.safetensors: it is not a Zeyde/ANR/A+ configuration"), "\(notAConfiguration)")
        let both = try run(["equivalence", "aplus", "--scale", "3", "--dictionary", sc3, "--images", path("images"), "--dataset", "Set5"])
        #expect(both.outcome == .usageError, "\(both)")
        let method = try run(["equivalence", "aplus", "--scale", "3", "--dictionary", sc3, "--images", path("images"), "--method", "zeyde"])
        #expect(method.outcome == .usageError, "\(method)")
        #expect(leftovers().isEmpty, "\(leftovers())")
    }

    @Test(.enabled(if: aplusRoot != nil, "needs SRLAB_REFERENCE with aplus/"))
    func equivalenceAplusProvesANRAndRefusesWrongCombinations() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let root = Self.aplusRoot!
        try FileManager.default.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        try ImageIO.writePNG(photo(width: 60, height: 51, channels: 3), to: path("images/a.png"))
        let anr = try run(["equivalence", "aplus", "--scale", "3", "--dictionary", root + "/zeyde_conf_x3.safetensors",
                           "--images", path("images"), "--json", path("anr.json")])
        #expect(anr.outcome == .success && anr.stderr.contains("ANR x3 as a network: 15×15 conv stride 3 (1 → 30)"), "\(anr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("anr.json")))) as? [String: Any])
        #expect((report["max_abs_diff"] as? Double ?? 1) <= 1e-4 && report["composed_kernel"] as? Int == 15)

        let regressors = root + "/aplus_x2_1024atoms2048nn_5mil.safetensors"
        let wrongScale = try run(["equivalence", "aplus", "--scale", "3", "--dictionary", root + "/zeyde_conf_x3.safetensors",
                                  "--regressors", regressors, "--images", path("images")])
        #expect(wrongScale.outcome == .cleanError && wrongScale.stderr.contains("its regressors are for x2, not x3"), "\(wrongScale)")
        let swapped = try run(["equivalence", "aplus", "--scale", "2", "--dictionary", regressors, "--images", path("images")])
        #expect(swapped.outcome == .cleanError && swapped.stderr.contains("it holds A+ regressors"), "\(swapped)")
        let anrWithRegressors = try run(["equivalence", "aplus", "--scale", "2", "--method", "anr", "--dictionary", root + "/zeyde_conf_x2.safetensors",
                                         "--regressors", regressors, "--images", path("images")])
        #expect(anrWithRegressors.outcome == .cleanError && anrWithRegressors.stderr.contains("takes no regressor file"), "\(anrWithRegressors)")
        let aplusWithout = try run(["equivalence", "aplus", "--scale", "2", "--method", "aplus", "--dictionary", root + "/zeyde_conf_x2.safetensors",
                                    "--images", path("images")])
        #expect(aplusWithout.outcome == .cleanError && aplusWithout.stderr.contains("A+ needs a regressor file"), "\(aplusWithout)")
    }

    /// The seed's check stays `srlab equivalence` without a subcommand name.
    @Test func equivalenceWithoutASubcommandIsTheSparseCodingCheck() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(atPath: path("images"), withIntermediateDirectories: true)
        try ImageIO.writePNG(photo(width: 48, height: 42, channels: 1), to: path("images/a.png"))
        let sc3 = Self.repositoryRoot.appendingPathComponent("results/models/sc_x3.safetensors").path
        let check = try run(["equivalence", "--model", sc3, "--images", path("images"), "--scale", "3", "--iterations", "1", "--crop", "24"])
        #expect(check.outcome == .success, "\(check)")
    }
}
