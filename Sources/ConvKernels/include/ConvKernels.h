#ifndef SRLAB_CONV_KERNELS_H
#define SRLAB_CONV_KERNELS_H

/// The single-channel first layer of SRCNN, FSRCNN and ESPCN as a direct convolution: a valid
/// k×k convolution of one input plane (`height` × `width`, row-major) into `channels` maps, no
/// bias, weights HWIO [k][k][1][channels]. Output row i, column j of map c goes to
/// `out[c * planeStride + i * (width − k + 1) + j]` (`srlab_conv1_planes`), or to
/// `out[(i * (width − k + 1) + j) * channels + c]` (`srlab_conv1_nhwc`). Each output is summed over (dy, dx) in row-major order,
/// one fused multiply-add per tap, as OpenBLAS's kernels sum the GEMM form.
///
/// Both return 0, writing nothing, when they cannot run here: the CPU lacks AVX2 and FMA, or the
/// shape does not fit the register blocks (planes: `channels` a multiple of 4 and output rows at
/// least four vectors, 32 or 64 pixels, wide; NHWC: `channels` a multiple of two vectors, 16 or 32,
/// and rows at least 4 pixels wide); the caller then takes the GEMM form.
int srlab_conv1_planes(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                       int height, int width, int kernel, int channels, long planeStride);
int srlab_conv1_nhwc(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                     int height, int width, int kernel, int channels);

/// Which instruction set the kernels above use on this CPU: "avx512", "avx2" or "none". The
/// environment variable SRLAB_MAX_ISA=avx2 keeps them off AVX-512.
const char *_Nonnull srlab_conv1_variant(void);

#endif
