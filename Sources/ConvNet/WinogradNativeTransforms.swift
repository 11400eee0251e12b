import ConvKernels

/// Winograd F(3×3, 5×5)'s tile transforms in C, 8 or 16 channels a vector
/// (ConvKernels/WinogradTransforms.c), where the CPU has AVX2 and the channel count is a multiple
/// of the vector: bit for bit the Swift transforms, which run four channels at a time on the
/// x86-64 baseline. F(4×4, 3×3) has its own in ConvKernels/WinogradKernels.c (the engine's
/// `wideTransforms`); F(2×2, 3×3) and F(3×3, 5×5)'s adjoints keep the Swift ones.
enum WinogradNativeTransforms {
    /// Channels per vector here: 16, 8, or 0 (no AVX2).
    static let lanes = Int(srlab_winograd_transform_lanes())

    /// The vector width to run `F`'s transforms of `channels` channels with natively, if any.
    @inline(__always)
    static func lanes<F: WinogradTransform, T>(for _: F.Type, _: T.Type, channels: Int) -> Int32? {
        guard F.self == WinogradF3x5.self, T.self == Float.self, lanes > 0, channels % lanes == 0 else { return nil }
        return Int32(lanes)
    }
}

