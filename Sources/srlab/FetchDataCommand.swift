import ArgumentParser
import Foundation
import Harness
import Imaging

struct FetchDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-data",
        abstract: "Download Set5, Set14 and T91 from their public sources into the data root, checking each SHA-256.")

    @Option(help: "Data root to fill (default: $SRLAB_DATA, else ./data).") var data: String?
    @Option(help: "Manifest of files and checksums (default: the repository's \(DatasetFetcher.manifestInRepository), looked for above the current folder, then above the binary).") var manifest: String?
    @Option(help: "Base URL; {repo} and {commit} are filled in per file.") var baseURL = DatasetFetcher.defaultBaseURL

    func run() throws {
        try reportingErrors {
            let root = DataRoot(option: data).path
            let fetcher = try DatasetFetcher(manifest: DatasetFetcher.locateManifest(explicit: manifest))
            try ensureWritableFolder(root)
            let n = try fetcher.fetch(into: root, base: baseURL) { note("fetched \($0)") }
            print("\(root): \(fetcher.entries.count) files checked, \(n) downloaded")
        }
    }
}
