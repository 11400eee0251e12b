#ifndef SRLAB_CONV_KERNELS_H
#define SRLAB_CONV_KERNELS_H

/// The single-channel first layer of SRCNN, FSRCNN and ESPCN as a direct convolution: a valid
/// k×k convolution of one input plane (`height` × `width`, row-major) into `channels` maps, no
/// bias, weights HWIO [k][k][1][channels]. Output row i, column j of map c goes to
/// `out[c * planeStride + i * (width − k + 1) + j]` (`srlab_conv1_planes`), or to
/// `out[(i * (width − k + 1) + j) * channels + c]` (`srlab_conv1_nhwc`). Each output is summed over (dy, dx) in row-major order,
/// one fused multiply-add per tap, as OpenBLAS's kernels sum the GEMM form.
///
/// `srlab_conv1_planes` also adds `bias` (per map, after the sum) and applies ReLU when asked, in
/// the same pass, as SRCNN's first layer needs; the results are those of a separate pass.
///
/// Both return 0, writing nothing, when they cannot run here: the CPU lacks AVX-512 (with AVX2 only,
/// OpenBLAS's Haswell kernel runs the GEMM form faster than these blocks can), or the shape does not
/// fit the register blocks (planes: `channels` a multiple of 4 and output rows at least 64 pixels
/// wide; NHWC: `channels` a multiple of 32 and rows at least 4 pixels wide); the caller then takes
/// the GEMM form.
int srlab_conv1_planes(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                       int height, int width, int kernel, int channels, long planeStride,
                       const float *_Nullable bias, int relu);
int srlab_conv1_nhwc(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                     int height, int width, int kernel, int channels);

/// The weight gradient of `srlab_conv1_nhwc` for one image, added to `dWeight` (HWIO
/// [k][k][1][channels]): dWeight[dy][dx][c] += Σ_{i,j} in[i + dy][j + dx] · dOut[i][j][c], each
/// sum over the pixels in row-major order. Returns 0, writing nothing, without AVX-512 or when
/// `channels` is not a multiple of 32 or the kernel wider than 16.
int srlab_conv1_weight_gradient_nhwc(float *_Nonnull dWeight, const float *_Nonnull in, const float *_Nonnull dOut,
                                     int height, int width, int kernel, int channels);

/// Which instruction set the kernels above use on this CPU: "avx512" or "none". The environment
/// variable SRLAB_MAX_ISA=avx2 keeps them off (an AVX-512 machine standing in for an AVX2 one).
const char *_Nonnull srlab_conv1_variant(void);

/// What the kernels of TanhKernels.h and WinogradKernels.h run on this CPU: 2 with AVX-512 (unless
/// SRLAB_MAX_ISA=avx2), 1 with AVX2, else 0. Each takes the level to run at (at most this; tests run
/// every level the CPU has).
int srlab_vector_level(void);

// The training step's elementwise and Winograd kernels (at a `srlab_vector_level`).
#include "TanhKernels.h"
#include "WinogradKernels.h"

#endif
