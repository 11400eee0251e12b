import Foundation
import Imaging

/// Where the real image sets and reference files are for tests and notebooks: `SRLAB_DATA` /
/// `SRLAB_REFERENCE`, else `../shared/datasets` / `../shared/reference` beside the package
/// (CI's layout). nil when absent, so tests that need them are skipped on a fresh clone.
public enum TestData {
    public static func datasetRoot(packageRoot: String) -> String? {
        locate(ProcessInfo.processInfo.environment[DataRoot.environmentVariable], fallback: packageRoot + "/../shared/datasets")
    }

    public static func referenceRoot(packageRoot: String) -> String? {
        locate(ProcessInfo.processInfo.environment["SRLAB_REFERENCE"], fallback: packageRoot + "/../shared/reference")
    }

    static func locate(_ configured: String?, fallback: String) -> String? {
        let path = configured ?? fallback
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path : nil
    }
}
