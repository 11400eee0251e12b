import Foundation
import ConvNet
import LinearAlgebra

/// A 1×1 convolution whose input is mostly zeros (ISTA's codes after soft-thresholding). For each
/// block of pixels it keeps only the input channels nonzero somewhere in the block, and the matching
/// rows of the HWIO weight matrix, and calls ConvNet's `conv2dForward` on that: the dropped terms are
/// exact zeros, so the result is the dense convolution's (up to summation order).
enum SparsePointwise {
    /// Pixels per block: small enough that the union of their active channels stays small once the
    /// codes are sparse, large enough for a GEMM rather than a matrix-vector product.
    static let block = 32

    /// output[p, o] = Σ_c input[p, c] · weight[c, o] for `pixels` rows of `channels` (= outputs).
    static func forward<T: BLASScalar>(output: inout [T], input: [T], weight: [T], pixels: Int, channels k: Int) {
        let blocks = (pixels + block - 1) / block
        let workers = max(1, min(ConvNetThreads.count, blocks))
        let savedThreads = ConvNetThreads.count
        // Blocks are independent; each worker owns whole blocks and one BLAS thread.
        if workers > 1 { ConvNetThreads.count = 1 }
        func computeBlocks() {
            output.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBufferPointer { inp in
                    weight.withUnsafeBufferPointer { wt in
                        let o = UncheckedPointers(out: out.baseAddress!, input: inp.baseAddress!, weight: wt.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workers) { worker in
                            let ws = Workspace<T>()
                            var used = [Bool](repeating: false, count: k)
                            var channels: [Int] = []
                            var x = [T](), w = [T]()
                            for b in stride(from: worker, to: blocks, by: workers) {
                                let p0 = b * block, n = min(block, pixels - p0)
                                channels.removeAll(keepingCapacity: true)
                                for p in p0..<(p0 + n) {
                                    for c in 0..<k where o.input[p * k + c] != 0 && !used[c] {
                                        used[c] = true; channels.append(c)
                                    }
                                }
                                let dst = o.out + p0 * k
                                if channels.isEmpty { dst.update(repeating: 0, count: n * k); continue }
                                for c in channels { used[c] = false }
                                let m = channels.count
                                if m * 4 >= k {
                                    // Dense enough that gathering weight rows (m·k copies) would cost more
                                    // than the zero products it saves: the block's rows as they are.
                                    conv2dForward(output: dst, input: o.input + p0 * k, weight: o.weight, bias: nil,
                                                  batch: 1, inChannels: k, outChannels: k, height: 1, width: n,
                                                  kernel: 1, workspace: ws)
                                    continue
                                }
                                channels.sort()
                                x.removeAll(keepingCapacity: true); w.removeAll(keepingCapacity: true)
                                for p in p0..<(p0 + n) { for c in channels { x.append(o.input[p * k + c]) } }
                                for c in channels { w.append(contentsOf: UnsafeBufferPointer(start: o.weight + c * k, count: k)) }
                                x.withUnsafeBufferPointer { xs in
                                    w.withUnsafeBufferPointer { wts in
                                        conv2dForward(output: dst, input: xs.baseAddress!, weight: wts.baseAddress!,
                                                      bias: nil, batch: 1, inChannels: m, outChannels: k,
                                                      height: 1, width: n, kernel: 1, workspace: ws)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if workers > 1 { BLASThreads.with(1, computeBlocks) } else { computeBlocks() }
        ConvNetThreads.count = savedThreads
    }
}

/// Raw pointers handed to worker threads that write disjoint blocks of `out`.
private struct UncheckedPointers<T>: @unchecked Sendable {
    let out: UnsafeMutablePointer<T>
    let input: UnsafePointer<T>
    let weight: UnsafePointer<T>
}
