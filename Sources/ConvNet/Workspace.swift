import Foundation

/// Reusable scratch memory for the layers (im2col matrices, partial maps), so a training step or
/// an image tile allocates nothing once warm. Not thread-safe: give each thread its own.
public final class Workspace<T: BinaryFloatingPoint> {
    private var buffers: [(pointer: UnsafeMutablePointer<T>, capacity: Int)] = []

    public init() {}

    deinit { for b in buffers { b.pointer.deallocate() } }

    /// Scratch slot `slot` with room for at least `count` elements; contents are undefined.
    /// Growing a slot invalidates pointers it returned earlier; distinct slots never alias.
    public func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<T> {
        while buffers.count <= slot { buffers.append((UnsafeMutablePointer<T>.allocate(capacity: 1), 1)) }
        if buffers[slot].capacity < count {
            buffers[slot].pointer.deallocate()
            buffers[slot] = (UnsafeMutablePointer<T>.allocate(capacity: count), count)
        }
        return buffers[slot].pointer
    }
}

/// Idle inference workspaces kept for the next image, so repeated inference does not pay for
/// fresh pages (page faults and zeroing) every call. At most `limit` are kept.
final class WorkspacePool: @unchecked Sendable {
    static let shared = WorkspacePool()
    private let lock = NSLock()
    private var idle: [Workspace<Float>] = []
    let limit = 2

    func take() -> Workspace<Float> {
        lock.lock(); defer { lock.unlock() }
        return idle.popLast() ?? Workspace<Float>()
    }

    func give(_ workspace: Workspace<Float>) {
        lock.lock(); defer { lock.unlock() }
        if idle.count < limit { idle.append(workspace) }
    }
}

/// How many threads the module's own loops (im2col, partial-map sums, bias and ReLU passes) use.
/// BLAS threads are set separately, as a scope (`BLASThreads.with` in LinearAlgebra).
/// Results never depend on this number: every output element is computed by one thread in a
/// fixed order. Set it before starting work, not while layers run.
public enum ConvNetThreads {
    nonisolated(unsafe) public static var count: Int = min(2, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` with `threads` loop threads and puts the earlier count back afterwards.
    public static func with<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let saved = count
        count = max(1, threads)
        defer { count = saved }
        return try body()
    }

    /// Runs `body` over `0..<total` split into at most `count` contiguous ranges; serially when the
    /// work (`total × costPerItem`) is too small to pay for a thread hand-off.
    static func forEachRange(_ total: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(count, total, max(1, total * costPerItem / 16_384))
        if parts <= 1 {
            if total > 0 { body(0..<total) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // The ranges are disjoint and the callers write disjoint elements per range.
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                task.value((total * p / parts)..<(total * (p + 1) / parts))
            }
        }
    }
}

/// Carries a value the compiler cannot prove Sendable across a thread hop whose safety the caller
/// argues (disjoint writes).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
