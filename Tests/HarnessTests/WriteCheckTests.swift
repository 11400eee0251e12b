import Foundation
import Testing
@testable import Harness

/// The writability probe of output paths: checks of one folder at once in one process must not
/// collide (they did when the probe was named by the pid alone), and leave nothing behind.
@Suite struct WriteCheckTests {
    @Test func concurrentChecksOfOneFolderAllPass() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-write-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            do { try OutputPath.requireWritable(folder, display: folder) } catch { failures.add(1) }
        }
        #expect(failures.value == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}

private final class Locked: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int
    init(_ count: Int) { self.count = count }
    func add(_ n: Int) { lock.lock(); count += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
