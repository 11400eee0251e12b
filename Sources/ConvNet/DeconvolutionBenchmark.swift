import SeededRandom
import Foundation
import LinearAlgebra

/// Speed only, on synthetic inputs: the transposed convolution's two fast paths side by side, for
/// `srlab bench` to report (issue 15: "measure which is faster"). Single-thread CPU time (loop and
/// BLAS threads 1), median and minimum, so other processes on the shared machine matter little.
/// Not called by tests: no timed unit tests.
public enum DeconvolutionBenchmark {
    public struct Timing: Sendable, CustomStringConvertible {
        public var algorithm: DeconvolutionAlgorithm
        /// Milliseconds of the forward pass and of the backward pass (with dInput), median and min.
        public var forward: (median: Double, min: Double)
        public var backward: (median: Double, min: Double)
        /// Multiply-adds of one pass (k²·C·O per LR pixel) per forward-median second, in G.
        public var forwardGMACs: Double

        public var description: String {
            String(format: "%@: forward %.2f ms (min %.2f, %.1f GMAC/s), backward %.2f ms (min %.2f)",
                   algorithm.rawValue, forward.median, forward.min, forwardGMACs, backward.median, backward.min)
        }
    }

    /// Both paths on `batch` LR maps of height × width × inChannels to `stride`× the size with
    /// FSRCNN's padding. The default is FSRCNN's deconvolution for ×3 from 426×240 to 1278×720.
    public static func compare(height: Int = 240, width: Int = 426, batch: Int = 1, inChannels: Int = 56,
                               outChannels: Int = 1, kernel: Int = 9, stride: Int = 3, repeats: Int = 9) -> [Timing] {
        let padding = fsrcnnDeconvolutionPadding(kernel: kernel, stride: stride)
        var rng = Xoshiro256(seed: 3)
        let x = (0..<(batch * height * width * inChannels)).map { _ in Float(rng.nextUniform()) }
        let w = (0..<(inChannels * kernel * kernel * outChannels)).map { _ in Float(rng.nextGaussian() * 0.01) }
        let b = [Float](repeating: 0.1, count: outChannels)
        let outCount = batch * stride * height * stride * width * outChannels
        let dy = (0..<outCount).map { _ in Float(rng.nextUniform() - 0.5) }
        var y = [Float](repeating: 0, count: outCount), dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: outChannels)
        let macs = Double(batch * height * width * inChannels * kernel * kernel * outChannels)
        let workspace = Workspace<Float>()
        return ConvNetThreads.with(1) { BLASThreads.with(1) {
            DeconvolutionAlgorithm.allCases.map { algorithm in
                func forward() {
                    switch algorithm {
                    case .gemm:
                        conv2dTransposeForward(output: &y, input: x, weight: w, bias: b, batch: batch, inChannels: inChannels,
                                               outChannels: outChannels, height: height, width: width, kernel: kernel,
                                               stride: stride, padding: padding, workspace: workspace)
                    case .subPixel:
                        conv2dTransposeForwardSubPixel(output: &y, input: x, weight: w, bias: b, batch: batch,
                                                       inChannels: inChannels, outChannels: outChannels, height: height,
                                                       width: width, kernel: kernel, stride: stride, padding: padding,
                                                       workspace: workspace)
                    }
                }
                func backward() {
                    switch algorithm {
                    case .gemm:
                        conv2dTransposeBackward(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: dy, input: x, weight: w,
                                                batch: batch, inChannels: inChannels, outChannels: outChannels,
                                                height: height, width: width, kernel: kernel, stride: stride,
                                                padding: padding, workspace: workspace)
                    case .subPixel:
                        conv2dTransposeBackwardSubPixel(dInput: &dx, dWeight: &dw, dBias: &db, dOutput: dy, input: x,
                                                        weight: w, batch: batch, inChannels: inChannels,
                                                        outChannels: outChannels, height: height, width: width,
                                                        kernel: kernel, stride: stride, padding: padding,
                                                        workspace: workspace)
                    }
                }
                forward(); backward()   // warm-up: workspace pages
                let f = (0..<repeats).map { _ in SRCNNBenchmark.threadCPUMilliseconds(forward) }
                let g = (0..<repeats).map { _ in SRCNNBenchmark.threadCPUMilliseconds(backward) }
                let fm = SRCNNBenchmark.median(f)
                return Timing(algorithm: algorithm, forward: (fm, f.min()!), backward: (SRCNNBenchmark.median(g), g.min()!),
                              forwardGMACs: macs / fm / 1e6)
            }
        } }
    }
}
