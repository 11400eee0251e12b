import Foundation
import Testing
@testable import LinearAlgebra

/// The thread-count scope: first on OpenBLAS itself (inside scopes only, since other tests of this
/// process open scopes of their own meanwhile), then its rules on a count of the test's own.
@Suite struct BLASThreadsTests {
    @Test func nestedScopesSetTheirCountAndPutTheOuterOneBack() {
        BLASThreads.with(1) {
            #expect(BLASThreads.count == 1)
            BLASThreads.with(2) { #expect(BLASThreads.count == 2) }
            #expect(BLASThreads.count == 1)
            BLASThreads.with(1) { #expect(BLASThreads.count == 1) }
            BLASThreads.with(0) { #expect(BLASThreads.count == 1, "a count below one means one") }
            #expect(BLASThreads.count == 1)
        }
    }

    @Test func aThrowingBodyStillEndsItsScope() {
        struct Stop: Error {}
        BLASThreads.with(2) {
            #expect(throws: Stop.self) { try BLASThreads.with(1) { throw Stop() } }
            #expect(BLASThreads.count == 2)
        }
    }

    /// Eight threads open scopes of 1, 2 and 3 threads, nested and not, each doing BLAS work: every
    /// body sees its own count before and after its work.
    @Test func concurrentScopesEachSeeTheirOwnCountThroughout() {
        let wrong = Counter()
        let size = 96
        let a: [Float] = testValues(size * size, seed: 21), b: [Float] = testValues(size * size, seed: 22)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var c = [Float](repeating: 0, count: size * size)
            func work() {
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            Float.gemm(false, true, size, size, size, 1, pa.baseAddress!, size, pb.baseAddress!, size,
                                       0, pc.baseAddress!, size)
                        }
                    }
                }
            }
            for round in 0..<40 {
                let n = 1 + (worker + round) % 3, inner = round % 2 == 0 ? n : 1 + n % 3
                BLASThreads.with(n) {
                    if BLASThreads.count != n { wrong.add() }
                    work()
                    if BLASThreads.count != n { wrong.add() }
                    BLASThreads.with(inner) {
                        work()
                        if BLASThreads.count != inner { wrong.add() }
                    }
                    work()
                    if BLASThreads.count != n { wrong.add() }
                }
            }
        }
        #expect(wrong.value == 0)
    }

    /// The same on a count of the test's own, where the bodies only look at the count, with
    /// hand-offs to other threads in between.
    @Test func concurrentScopesOnACountOfTheirOwn() {
        let count = FakeCount(8)
        let scopes = count.scopes()
        let wrong = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<200 {
                let n = 1 + (worker + round) % 3, inner = round % 2 == 0 ? n : 1 + n % 3
                scopes.with(n) {
                    for _ in 0..<3 {
                        if count.value != n { wrong.add() }
                        sched_yield()
                    }
                    scopes.with(inner) {
                        sched_yield()
                        if count.value != inner { wrong.add() }
                    }
                    if count.value != n { wrong.add() }
                }
            }
        }
        #expect(wrong.value == 0)
        #expect(count.value == 8)
    }

    // MARK: - The rules, on a count of the test's own

    @Test func theLastScopeOutRestoresTheCountFromBefore() {
        let count = FakeCount(8)
        let scopes = count.scopes()
        scopes.with(1) {
            #expect(count.value == 1)
            scopes.with(4) { #expect(count.value == 4) }
            #expect(count.value == 1)
        }
        #expect(count.value == 8)
        let sets = count.history.count
        scopes.with(8) { #expect(count.value == 8) }
        #expect(count.history.count == sets, "asking for the count in force sets nothing")
    }

    /// A scope asking for another count waits until the scope in force has ended.
    @Test func aScopeAskingForAnotherCountWaitsForTheOneInForce() {
        let count = FakeCount(8)
        let scopes = count.scopes()
        let waiting = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        scopes.onWait = { waiting.signal() }
        let seenByOther = Counter()
        scopes.with(1) {
            Thread.detachNewThread {
                scopes.with(2) { seenByOther.set(count.value) }
                done.signal()
            }
            #expect(waiting.wait(timeout: .now() + 60) == .success, "the other scope never waited")
            #expect(seenByOther.value == 0 && count.value == 1)
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(seenByOther.value == 2 && count.value == 8)
    }

    /// Two threads share a scope of 1 and both nest a scope of 2: each steps out of the outer scope
    /// while it waits, so neither waits for the other forever, and both get 1 back afterwards.
    @Test func threadsNestingAnotherCountDoNotWaitForEachOther() {
        let count = FakeCount(8)
        let scopes = count.scopes()
        let bothInside = DispatchGroup(), finished = DispatchGroup()
        let inner = Counter(), after = Counter()
        bothInside.enter(); bothInside.enter()
        for _ in 0..<2 {
            finished.enter()
            Thread.detachNewThread {
                scopes.with(1) {
                    bothInside.leave()
                    bothInside.wait()
                    scopes.with(2) { if count.value == 2 { inner.add() } }
                    if count.value == 1 { after.add() }
                }
                finished.leave()
            }
        }
        #expect(finished.wait(timeout: .now() + 60) == .success, "the nesting threads waited for each other")
        #expect(inner.value == 2 && after.value == 2 && count.value == 8)
    }
}

/// A process-wide count stand-in that records what it was set to.
final class FakeCount: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int
    private(set) var history: [Int]

    init(_ value: Int) { current = value; history = [value] }

    var value: Int { lock.withLock { current } }

    func scopes() -> ThreadCountScopes {
        ThreadCountScopes(get: { self.value }, set: { n in self.lock.withLock { self.current = n; self.history.append(n) } })
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
    func set(_ value: Int) { lock.withLock { count = value } }
}
