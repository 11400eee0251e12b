import Foundation

/// What a long computation reports as it goes: `done` of `total` units of its own choosing (output
/// pixels, patches), non-decreasing, from whichever thread finished the work.
public typealias ProgressHook = @Sendable (_ done: Int, _ total: Int) -> Void

/// Adds up the work parallel workers finish and hands the running sum to a `ProgressHook`, one
/// call at a time so the reports arrive in order. `nil` without a hook, so an unobserved run
/// pays for a nil check only.
public final class WorkCounter: @unchecked Sendable {
    public let total: Int
    private var done = 0
    private let lock = NSLock()
    private let hook: ProgressHook

    public init?(total: Int, hook: ProgressHook?) {
        guard let hook else { return nil }
        self.total = total
        self.hook = hook
    }

    public func add(_ units: Int) {
        guard units > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        done = min(total, done + units)
        hook(done, total)
    }
}
