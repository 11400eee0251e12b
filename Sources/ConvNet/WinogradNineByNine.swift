// SRCNN's 9×9 single-channel first layer by Winograd F(3×3, 3×3) on its nine 3×3 sub-kernels: the
// kernel in ConvKernels/Winograd9x9.c (which explains the algorithm), and what the streaming
// inference needs around it — the transformed weights, kept for a tile's run, and scratch.
// 25 multiply-adds per output and map instead of 81; float32 error about twice the direct sum's
// (experiments/winograd_f3x3.py). Inference only: training keeps the direct formulations.
import ConvKernels

enum WinogradNineByNine {
    /// The instruction set the kernel runs on this CPU: "avx512", "avx2" or "none".
    static var variant: String { String(cString: srlab_winograd9_variant()) }

    /// Whether a layer can run here: a 9×9 kernel on one input channel into a multiple of the
    /// kernel's register block of maps (64 with AVX-512, 16 with AVX2; SRCNN has 64).
    static func applies(kernel: Int, inChannels: Int, outChannels: Int) -> Bool {
        let multiple = Int(srlab_winograd9_map_multiple())
        return kernel == 9 && inChannels == 1 && multiple > 0 && outChannels % multiple == 0
    }

    /// V, the weights' transform (9 · 25 · channels floats), into `v`.
    static func transformKernels(_ weight: UnsafePointer<Float>, channels: Int, into v: UnsafeMutablePointer<Float>) {
        srlab_winograd9_kernels(v, weight, Int32(channels))
    }

    static func scratchCount(height: Int, width: Int, channels: Int) -> Int {
        Int(srlab_winograd9_scratch(Int32(height), Int32(width), Int32(channels)))
    }

    /// The valid convolution of `input` (height × width) into NHWC `output` (rows
    /// `outputRowStride` floats apart, by default (width − 8) · channels), plus bias and ReLU when
    /// asked; `phase`: how far past the first output row and column the 3×3 grid starts (see
    /// `srlab_winograd9`). `applies` must hold.
    static func forward(output: UnsafeMutablePointer<Float>, outputRowStride: Int? = nil, input: UnsafePointer<Float>,
                        kernels v: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                        phase: (rows: Int, columns: Int), bias: UnsafePointer<Float>?, relu: Bool,
                        scratch: UnsafeMutablePointer<Float>) {
        let rowStride = outputRowStride ?? (width - 8) * channels
        let ran = srlab_winograd9(output, rowStride, input, v, Int32(height), Int32(width), Int32(channels),
                                  Int32(phase.rows), Int32(phase.columns), bias, relu ? 1 : 0, scratch)
        precondition(ran == 1, "Winograd 9×9 kernel cannot run \(channels) maps of \(height)×\(width) here")
    }
}
