import Foundation
import Testing
@testable import Harness

/// Notebook checks compare numbers within the tolerance a cell declares and text exactly, and run
/// in a scratch copy so that checking rewrites no file.
@Suite struct NotebookTests {
    @Test func lastDigitToleranceAcceptsOneUnitAndNoMore() {
        let t = NotebookTolerance.lastDigit
        #expect(t.mismatch(recorded: "mean            32.7487  0.9090", fresh: "mean            32.7488  0.9090") == nil)
        #expect(t.mismatch(recorded: "mean            32.7487  0.9090", fresh: "mean            32.7486  0.9091") == nil)
        #expect(t.mismatch(recorded: "mean            32.7487  0.9090", fresh: "mean            32.7489  0.9090") != nil)
        #expect(t.mismatch(recorded: "max diff 3.1e-12", fresh: "max diff 3.2e-12") == nil)
        #expect(t.mismatch(recorded: "max diff 3.1e-12", fresh: "max diff 3.3e-12") != nil)
    }

    @Test func exactIsTheDefaultAndTextMustMatch() throws {
        #expect(NotebookTolerance.exact.mismatch(recorded: "a 32.7487", fresh: "a 32.7488") != nil)
        #expect(NotebookTolerance.lastDigit.mismatch(recorded: "baby_GT 35.0111", fresh: "bird_GT 35.0111") != nil)
        // Integers and digits inside words are text: a count or a name must not drift.
        #expect(NotebookTolerance.absolute(10).mismatch(recorded: "5 images", fresh: "6 images") != nil)
        #expect(NotebookTolerance.absolute(10).mismatch(recorded: "set5_x3_K10 1.5", fresh: "set5_x3_K11 1.5") != nil)
        #expect(NotebookTolerance.lastDigit.mismatch(recorded: "a\nb", fresh: "a") != nil)
        #expect(NotebookTolerance.absolute(0.001).mismatch(recorded: "PSNR 29.2410", fresh: "PSNR 29.2419") == nil)
        #expect(NotebookTolerance.absolute(0.001).mismatch(recorded: "PSNR 29.2410", fresh: "PSNR 29.2421") != nil)
    }

    @Test func markersDeclareTheirTolerance() throws {
        #expect(try NotebookTolerance.parse(marker: "<!-- srlab:run quick -->") == nil)
        #expect(try NotebookTolerance.parse(marker: "<!-- srlab:run quick tolerance=last-digit -->") == .lastDigit)
        #expect(try NotebookTolerance.parse(marker: "<!-- srlab:run quick tolerance=0.002 -->") == .absolute(0.002))
        #expect(throws: HarnessError.self) { try NotebookTolerance.parse(marker: "<!-- srlab:run quick tolerance=some -->") }
    }

    @Test func checkUsesTheCellsToleranceAndRewritesNothing() throws {
        let fm = FileManager.default
        let project = fm.temporaryDirectory.appendingPathComponent("nbtest-\(UUID())/project")
        defer { try? fm.removeItem(at: project.deletingLastPathComponent()) }
        try fm.createDirectory(at: project.appendingPathComponent("nb/figures"), withIntermediateDirectories: true)
        try "kept".write(to: project.appendingPathComponent("nb/figures/f.txt"), atomically: true, encoding: .utf8)
        try "sibling".write(to: project.deletingLastPathComponent().appendingPathComponent("shared.txt"), atomically: true, encoding: .utf8)
        let text = """
        <!-- srlab:run quick tolerance=last-digit -->
        ```sh
        echo "mean 32.7488"; echo rewritten > nb/figures/f.txt; cat ../shared.txt
        ```

        <!-- srlab:output -->
        ```text
        mean 32.7487
        sibling
        ```

        <!-- srlab:run quick -->
        ```sh
        echo "mean 32.7488"
        ```

        <!-- srlab:output -->
        ```text
        mean 32.7487
        ```
        """
        let file = project.appendingPathComponent("nb/a.md")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let notebook = try Notebook(path: file.path)
        let failures = try notebook.check(in: project.path, binDirectory: "/usr/bin") { _ in }
        #expect(failures.count == 1)
        #expect(failures.first?.contains("tolerance: exact") == true)
        #expect(try String(contentsOf: project.appendingPathComponent("nb/figures/f.txt"), encoding: .utf8) == "kept")
        #expect(try String(contentsOf: file, encoding: .utf8) == text)
    }
}
