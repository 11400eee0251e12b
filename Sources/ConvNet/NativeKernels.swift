/// Which of ConvKernels' C kernels run on this CPU, and on which instruction set, for the bench's
/// header: they are chosen at run time (and capped by SRLAB_MAX_ISA=avx2), so a table says which
/// ran beside its figures.
public var nativeKernelSummary: String {
    let lanes = WinogradNativeTransforms.lanes
    let products = SmallProducts.level.map { $0 >= 2 ? "avx512" : "avx2" } ?? "none (OpenBLAS)"
    return "direct single-channel convolution \(directConvolutionKernel), SRCNN's 9×9 first layer by Winograd "
        + "\(WinogradNineByNine.variant), Winograd tile transforms \(lanes == 0 ? "in Swift (SIMD4)" : "\(lanes) floats a vector"), "
        + "small products \(products)"
}
