import COpenBLAS
import Foundation

/// OpenBLAS's thread count as a scope: `BLASThreads.with(1) { … }` runs the body with OpenBLAS on
/// one thread and puts the earlier count back afterwards. Nothing else in the lab sets the count.
///
/// Why a scope and not a setter: the count is one process-wide setting, and results depend on it.
/// OpenBLAS 0.3.21 splits sums differently on two threads than on one (measured with the Cooperlake
/// and SkylakeX kernels): dgemm of 1089×64×81 or 200×300×400, sgemm of 7×1000×1000 and sgemv of
/// 1089×81 differ in the last bits.
/// A training run that must resume bit-identically, or code that runs its own worker threads with
/// one BLAS thread each, needs the count to stay put for as long as it runs, even while other
/// threads of the process (parallel tests, another image) use BLAS too.
///
/// The rules, kept by one process-wide lock:
/// - Scopes asking for the count already in force share it: any number of threads may be inside.
/// - A scope asking for another count waits until every other thread has left its scopes. So the
///   count never changes under a running scope. (No fairness: a stream of scopes sharing one count
///   can keep a scope asking for another waiting.)
/// - Scopes nest on one thread. An inner scope asking for the outer count just runs; one asking for
///   another steps out of the outer scope while it waits and runs, and steps back in (waiting again
///   if need be) when it ends. A thread waiting therefore holds no scope, and two threads nesting
///   scopes cannot wait for each other.
/// - When the last scope ends, the count from before the first one is restored.
///
/// Work fanned out from inside a scope (e.g. `DispatchQueue.concurrentPerform`) runs under it: its
/// workers may open scopes of the same count, but not of another, which would wait for the scope
/// that waits for them. BLAS calls outside any scope run at whatever count is in force, so results
/// that must be reproducible to the bit are computed inside a scope.
public enum BLASThreads {
    /// The count OpenBLAS runs on now.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS on `threads` threads (at least one).
    public static func with<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        try openBLAS.with(threads, body)
    }

    static let openBLAS = ThreadCountScopes(get: { Int(openblas_get_num_threads()) },
                                            set: { openblas_set_num_threads(Int32($0)) })
}

/// The scope rules of `BLASThreads` over any process-wide count (`get`/`set`), so that tests can
/// check them on a count of their own.
final class ThreadCountScopes: @unchecked Sendable {
    private let get: @Sendable () -> Int
    private let set: @Sendable (Int) -> Void
    private let condition = NSCondition()
    /// Threads inside at least one scope, and the count they run on.
    private var holders = 0
    private var inForce = 0
    /// The count before the first scope, put back when the last one ends.
    private var outside = 0
    /// Each thread's open scopes, innermost last.
    private var scopes: [ThreadID: [Int]] = [:]
    /// Called (under the lock) when a thread starts waiting for another count: a hook for tests.
    var onWait: (@Sendable () -> Void)?

    init(get: @escaping @Sendable () -> Int, set: @escaping @Sendable (Int) -> Void) {
        self.get = get
        self.set = set
    }

    func with<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        enter(max(1, threads))
        defer { leave() }
        return try body()
    }

    private func enter(_ n: Int) {
        condition.lock(); defer { condition.unlock() }
        let me = ThreadID.current
        var open = scopes[me] ?? []
        if let outer = open.last {
            if outer != n { release(); acquire(n) }
        } else {
            acquire(n)
        }
        open.append(n)
        scopes[me] = open
    }

    private func leave() {
        condition.lock(); defer { condition.unlock() }
        let me = ThreadID.current
        var open = scopes[me]!
        let n = open.removeLast()
        if let outer = open.last {
            if outer != n { release(); acquire(outer) }
            scopes[me] = open
        } else {
            release()
            scopes[me] = nil
        }
    }

    /// Joins the holders of `n`, waiting while other threads hold another count. Under the lock.
    private func acquire(_ n: Int) {
        if holders > 0 && inForce != n {
            onWait?()
            repeat { condition.wait() } while holders > 0 && inForce != n
        }
        if holders == 0 {
            outside = get()
            if outside != n { set(n) }
            inForce = n
        }
        holders += 1
    }

    /// Leaves the holders; the last one out restores the count and wakes the waiters. Under the lock.
    private func release() {
        holders -= 1
        if holders == 0 {
            if inForce != outside { set(outside) }
            condition.broadcast()
        }
    }
}

/// The calling thread, as a dictionary key (only live threads are keys: a scope ends on its thread).
private struct ThreadID: Hashable {
    let raw: UInt

    static var current: ThreadID {
        #if canImport(Darwin)
        ThreadID(raw: UInt(bitPattern: pthread_self()))
        #else
        ThreadID(raw: UInt(pthread_self()))
        #endif
    }
}
