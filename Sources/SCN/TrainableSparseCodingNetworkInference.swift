import Foundation
import ConvNet
import Imaging
import LinearAlgebra

extension TrainableSparseCodingNetwork: SuperResolver {
    public var name: String { "scn \(configuration.atoms) atoms, K = \(configuration.iterations)" }
    /// The valid convolutions shrink the input by `shrink` pixels: half of it on each side.
    public var contextRadius: Int? { SparseCodingNetworkConfiguration.shrink / 2 }
    /// The factor of the dictionary it was initialised from, part of its configuration.
    public var scale: Int { configuration.scale }

    /// Bicubic upscaling (MATLAB imresize) followed by the network, same size, values not rounded.
    public func upscale(lowRes: Plane) -> Plane {
        upscale(lowRes: lowRes, progress: nil)
    }

    public func upscale(lowRes: Plane, progress: ProgressHook?) -> Plane {
        apply(to: Resize.bicubic(lowRes, scale: Double(scale)), progress: progress)
    }

    /// The network on a whole plane (values on [0, 1]): the input replicated by 6 pixels at the
    /// border (the network's valid convolutions shrink it by 12), run a band of `bandRows` output
    /// rows at a time so the n-channel code maps stay small; bands read 12 rows of overlap, so the
    /// result does not depend on the band height. Bands run in parallel on `ConvNetThreads.count`
    /// threads, one BLAS thread each. `progress` counts output pixels.
    public func apply(to input: Plane, bandRows: Int? = nil, progress: ProgressHook? = nil) -> Plane {
        let h = input.height, w = input.width, halo = SparseCodingNetworkConfiguration.shrink / 2
        var output = Plane(width: w, height: h)
        guard h > 0, w > 0 else { return output }
        let pw = w + 2 * halo
        var padded = [Float](repeating: 0, count: (h + 2 * halo) * pw)
        let source = input.values.map { Float($0) }
        source.withUnsafeBufferPointer { src in
            padded.withUnsafeMutableBufferPointer { dst in
                replicatePad(output: dst.baseAddress!, input: src.baseAddress!, batch: 1, height: h, width: w,
                             channels: 1, top: halo, bottom: halo, left: halo, right: halo)
            }
        }
        // ~16k code positions per band: 2K + 2 maps of n channels each, ~64 MB at n = 128, K = 3.
        let rows = max(1, bandRows ?? 16_384 / (w + 4))
        let starts = Array(stride(from: 0, to: h, by: rows))
        let threads = max(1, min(ConvNetThreads.count, starts.count))
        let network = self
        let counter = WorkCounter(total: h * w, hook: progress)
        output.values.withUnsafeMutableBufferPointer { out in
            padded.withUnsafeBufferPointer { p in
                let target = UncheckedSendable((out.baseAddress!, p.baseAddress!))
                // Bands are independent: workers take every threads-th band, one BLAS thread each.
                let work = { (worker: Int) in
                    let backprop = SparseCodingNetworkBackprop<Float>(configuration: network.configuration, batchCapacity: 1)
                    for y0 in stride(from: starts[worker], to: h, by: rows * threads) {
                        let band = min(rows, h - y0)
                        let result = backprop.forward(parameters: network.parameters, inputs: target.value.1 + y0 * pw,
                                                      batch: 1, height: band + 2 * halo, width: pw)
                        for i in 0..<(band * w) { target.value.0[y0 * w + i] = Double(result[i]) }
                        counter?.add(band * w)
                    }
                }
                if threads == 1 { work(0); return }
                let task = UncheckedSendable(work)
                ConvNetThreads.with(1) {
                    BLASThreads.with(1) { DispatchQueue.concurrentPerform(iterations: threads) { task.value($0) } }
                }
            }
        }
        return output
    }
}
