import Foundation
import LinearAlgebra

/// Data parallelism for training: the batch is cut into a fixed number of shards, each run by
/// its own backprop (in parallel when threads allow, each with one BLAS thread, which is where
/// small convolution GEMMs run best), and the shard gradients are summed in shard order.
/// The shard count, not the thread count, fixes the arithmetic, so 1 or 2 threads give the same bytes.
public final class ShardedBackprop<Shard: BatchBackprop> {
    public let shards: [Shard]
    public let batchCapacity: Int
    public private(set) var gradients: [[Float]]
    /// The shards' `updatedStatistics` after a step, averaged with the shards' sizes as weights
    /// (each moved the same running values toward its own batch's).
    public private(set) var updatedStatistics: [Int: [Float]] = [:]

    /// `makeShard` is called with each shard's batch capacity.
    public init(batchCapacity: Int, shards: Int = 2, makeShard: (Int) -> Shard) {
        let count = max(1, min(shards, batchCapacity))
        self.batchCapacity = batchCapacity
        self.shards = (0..<count).map { _ in makeShard((batchCapacity + count - 1) / count) }
        gradients = self.shards[0].gradients
    }

    public var labelSize: Int { shards[0].labelSize }

    /// Like `BatchBackprop.step` on the whole batch; `threads` > 1 runs shards concurrently.
    @discardableResult
    public func step(parameters: [[Float]], inputs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                     batch: Int, threads: Int) -> Double {
        precondition(batch <= batchCapacity, "batch \(batch) exceeds capacity \(batchCapacity)")
        let n = shards.count, p = shards[0].inputSize, l = labelSize
        var errors = [Double](repeating: 0, count: n)
        let bounds = (0...n).map { $0 * batch / n }
        let run = { (k: Int) -> Double in
            let size = bounds[k + 1] - bounds[k]
            guard size > 0 else { return 0 }
            return self.shards[k].step(parameters: parameters, inputs: inputs + bounds[k] * p * p,
                                       labels: labels + bounds[k] * l * l, batch: size, lossBatch: batch)
                * Double(size)
        }
        // Each shard on its own thread runs its own loops on one.
        Shard.withLoopThreads(1) {
            if threads > 1 && n > 1 {
                errors.withUnsafeMutableBufferPointer { e in
                    let task = UncheckedSendable((run, e.baseAddress!))
                    DispatchQueue.concurrentPerform(iterations: n) { k in task.value.1[k] = task.value.0(k) }
                }
            } else {
                for k in 0..<n { errors[k] = run(k) }
            }
        }
        for t in gradients.indices {
            gradients[t] = shards[0].gradients[t]
            for k in 1..<n where bounds[k + 1] > bounds[k] {
                let g = shards[k].gradients[t]
                gradients[t].withUnsafeMutableBufferPointer { sum in
                    for i in sum.indices { sum[i] += g[i] }
                }
            }
        }
        updatedStatistics = [:]
        for k in 0..<n where bounds[k + 1] > bounds[k] {
            let weight = Float(bounds[k + 1] - bounds[k]) / Float(batch)
            for (t, values) in shards[k].updatedStatistics {
                var sum = updatedStatistics[t] ?? [Float](repeating: 0, count: values.count)
                for i in sum.indices { sum[i] += weight * values[i] }
                updatedStatistics[t] = sum
            }
        }
        return errors.reduce(0, +) / Double(batch)
    }
}

/// Carries a value across the shards' thread hop; safe because each shard writes only its own
/// slot and reads what no thread writes.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
