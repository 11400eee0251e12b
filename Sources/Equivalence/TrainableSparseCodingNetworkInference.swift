import Foundation
import ConvNet
import Imaging

extension TrainableSparseCodingNetwork: SuperResolver {
    public var name: String { "scn \(configuration.atoms) atoms, K = \(configuration.iterations)" }

    /// Bicubic upscaling (MATLAB imresize) followed by the network, same size, values not rounded.
    public func upscale(lowRes: Plane, scale: Int) -> Plane {
        apply(to: Resize.bicubic(lowRes, scale: Double(scale)))
    }

    /// The network on a whole plane (values on [0, 1]): the input replicated by 6 pixels at the
    /// border (the network's valid convolutions shrink it by 12), run a band of `bandRows` output
    /// rows at a time so the n-channel code maps stay small; bands read 12 rows of overlap, so the
    /// result does not depend on the band height.
    public func apply(to input: Plane, bandRows: Int? = nil) -> Plane {
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
        let backprop = SparseCodingNetworkBackprop<Float>(configuration: configuration, batchCapacity: 1)
        var y0 = 0
        while y0 < h {
            let band = min(rows, h - y0)
            let out = padded.withUnsafeBufferPointer { p in
                backprop.forward(parameters: parameters, inputs: p.baseAddress! + y0 * pw, batch: 1,
                                 height: band + 2 * halo, width: pw)
            }
            for i in 0..<(band * w) { output.values[y0 * w + i] = Double(out[i]) }
            y0 += band
        }
        return output
    }
}
