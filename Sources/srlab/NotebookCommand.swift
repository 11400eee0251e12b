import ArgumentParser
import AtomicIO
import Foundation
import Harness
import Imaging

struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Run or check the Markdown notebooks' commands (notebooks-md/).",
        subcommands: [Run.self, Check.self])

    /// Where this srlab binary lives, so notebook commands call the same build.
    static var binDirectory: String {
        ProgramLocation.folder ?? "."
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Execute the commands and rewrite their outputs.")
        @Argument(help: "A notebook or a folder of notebooks.") var path: String
        @Flag(help: "Also run the long commands, not only those marked quick.") var all = false

        func run() throws {
            try reportingErrors {
                for file in try Notebook.files(path) {
                    var nb = try Notebook(path: file)
                    try nb.run(all: all, in: FileManager.default.currentDirectoryPath, binDirectory: NotebookCommand.binDirectory, progress: note)
                }
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-run the quick commands in a scratch copy; fail when an output no longer matches (numbers within the cell's tolerance).")
        @Argument(help: "A notebook or a folder of notebooks.") var path: String
        @Option(help: "Data root holding Set5/ and Set14/ (default: $SRLAB_DATA, else ./data).") var data: String?

        func run() throws {
            try reportingErrors {
                let (checked, failures) = try Notebook.checkAll(path, dataRoot: DataRoot(option: data),
                                                                in: FileManager.default.currentDirectoryPath,
                                                                binDirectory: NotebookCommand.binDirectory, progress: note)
                for f in failures { note(f) }
                print("\(checked - failures.count) passed, \(failures.count) failed")
                if !failures.isEmpty { throw ExitCode.failure }
            }
        }
    }
}
