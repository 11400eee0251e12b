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
/// Both return 0, writing nothing, when they cannot run here: AVX-512 is missing or capped (with AVX2 only,
/// OpenBLAS's Haswell kernel runs the GEMM form faster than these blocks can), or the shape does not
/// fit the register blocks (planes: `channels` a multiple of 4 and output rows at least 64 pixels
/// wide; NHWC: `channels` a multiple of 32 and rows at least 4 pixels wide); the caller then takes
/// the GEMM form.
int srlab_conv1_planes(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                       int height, int width, int kernel, int channels, long planeStride,
                       const float *_Nullable bias, int relu);
int srlab_conv1_nhwc(float *_Nonnull out, const float *_Nonnull in, const float *_Nonnull weight,
                     int height, int width, int kernel, int channels);

/// Activations `srlab_conv1_nhwc_activated` applies as it stores.
enum { SRLAB_ACTIVATION_NONE = 0, SRLAB_ACTIVATION_RELU = 1, SRLAB_ACTIVATION_TANH = 2 };

/// `srlab_conv1_nhwc` followed by `bias` (per map; may be NULL) and the activation, in one pass:
/// the bias and activation are applied to the sums before they are stored. Output row i starts at
/// `out + i * outRowStride` (so rows can go straight into a padded window). tanh is Eigen's rational
/// form (Tanh.swift's `tanhVector`) with fused multiply-adds, within 5 ulp of libm's tanhf.
/// Runs with AVX-512 (maps a multiple of 32, rows at least 4 pixels wide) or else with AVX2 + FMA
/// (maps a multiple of 16, rows at least 6 wide), even where the bare `srlab_conv1_nhwc` does not:
/// with the activation fused the AVX2 blocks beat the GEMM form plus a separate pass. Returns 0,
/// writing nothing, when it cannot run here.
///
/// `isa` 0 takes the best blocks the CPU has under SRLAB_MAX_ISA; 512 or 256 asks for the AVX-512
/// or the AVX2 blocks, whatever the cap (the tests hold each variant to the naive loops), and they
/// run where the CPU has them (so also `srlab_bias_tanh`; 512 falls to AVX2 there for 8·odd maps).
int srlab_conv1_nhwc_activated(int isa, float *_Nonnull out, long outRowStride, const float *_Nonnull in,
                               const float *_Nonnull weight, int height, int width, int kernel, int channels,
                               const float *_Nullable bias, int activation);

/// Whether `srlab_conv1_nhwc_activated` runs with this `isa` for rows `width` wide (input), this kernel and map
/// count: 512 (its AVX-512 blocks), 256 (AVX2) or 0 (it returns 0).
int srlab_conv1_nhwc_activated_runs(int isa, int width, int kernel, int channels);

/// dst[p, c] = tanh(src[p, c] + bias[c]) over `pixels` pixels of `channels` (bias may be NULL), by
/// the tanh above: with AVX-512 for channels a multiple of 16, with AVX2 + FMA for a multiple of 8.
/// `dst` may be `src`. Returns 0, writing nothing, when it cannot run here.
int srlab_bias_tanh(int isa, float *_Nonnull dst, const float *_Nonnull src, long pixels, int channels,
                    const float *_Nullable bias);

/// The weight gradient of `srlab_conv1_nhwc` for one image, added to `dWeight` (HWIO
/// [k][k][1][channels]): dWeight[dy][dx][c] += Σ_{i,j} in[i + dy][j + dx] · dOut[i][j][c], each
/// sum over the pixels in row-major order (the same bits with AVX-512 and AVX2). Returns 0, writing
/// nothing, when the kernel is wider than 16 or `channels` not a multiple of 32 (AVX-512) or 16
/// (AVX2 + FMA), or without either. `isa` as for `srlab_conv1_nhwc_activated`.
int srlab_conv1_weight_gradient_nhwc(int isa, float *_Nonnull dWeight, const float *_Nonnull in, const float *_Nonnull dOut,
                                     int height, int width, int kernel, int channels);

/// Which instruction set the kernels above use on this CPU: "avx512" (all of them), "avx2" (only
/// `srlab_conv1_nhwc_activated`, `srlab_bias_tanh` and the weight gradient; the others return 0) or "none". The
/// environment variable SRLAB_MAX_ISA=avx2 keeps AVX-512 off (an AVX-512 machine standing in for
/// an AVX2 one).
const char *_Nonnull srlab_conv1_variant(void);

/// SRCNN's 9×9 single-channel first layer by Winograd F(3×3, 3×3) on its nine 3×3 sub-kernels
/// (Winograd9x9.c): the same valid convolution as `srlab_conv1_nhwc` for kernel 9, into NHWC
/// `out[(i * (width − 8) + j) * channels + c]`, plus `bias` and ReLU when asked, with 25 instead of
/// 81 multiply-adds per output. Output tiles of 3×3 lie on a grid whose first tile starts
/// `phaseRows`, `phaseColumns` (0…2) before output (0, 0) — 0 if the output's first row (column)
/// is on the grid, else 3 minus its offset — so a caller that anchors the grid in image
/// coordinates gets the same sums for a pixel in every tiling; tiles reaching past the input read
/// zeros there (only pixels outside the output are then affected in exact arithmetic).
/// `v`: the transformed weights from `srlab_winograd9_kernels` (9 · 25 · channels floats);
/// `scratch`: `srlab_winograd9_scratch(height, width, channels)` floats. Output rows are
/// `outRowStride` floats apart (at least outW · channels: a caller may write into a wider, padded
/// window). Returns 0, writing nothing, when it cannot run here: no AVX2 with FMA, `channels` not a
/// multiple of `srlab_winograd9_map_multiple()`, or rows that would overlap.
int srlab_winograd9(float *_Nonnull out, long outRowStride, const float *_Nonnull in, const float *_Nonnull v,
                    int height, int width, int channels, int phaseRows, int phaseColumns, const float *_Nullable bias,
                    int relu, float *_Nonnull scratch);
/// V_pq = G g_pq Gᵀ of the weights HWIO [9][9][1][channels], summed in double, into
/// `v[((p · 3 + q) · 25 + ξ) · channels + c]`.
void srlab_winograd9_kernels(float *_Nonnull v, const float *_Nonnull weight, int channels);
long srlab_winograd9_scratch(int height, int width, int channels);
/// "avx512", "avx2" or "none" (SRLAB_MAX_ISA=avx2 caps it at AVX2); and the map count the
/// variant needs a multiple of (0 for none).
const char *_Nonnull srlab_winograd9_variant(void);
int srlab_winograd9_map_multiple(void);

/// Winograd F(3×3, 5×5)'s tile transforms (WinogradTransforms.c), bit for bit those of
/// Sources/ConvNet/WinogradF3x5.swift run by the engine's transformInputTile / transformOutputTile,
/// in vectors of `lanes` channels: 16 (AVX-512), 8 (AVX2) or 0 (neither; SRLAB_MAX_ISA=avx2 caps
/// it at 8), from `srlab_winograd_transform_lanes`. `channels` must be a multiple of `lanes`.
/// Input: V = Bᵀ d B of a 7×7 tile d whose rows are `rowStride` floats apart, pixels `channels`
/// apart, into v[point · pointStride + c]; output: Y = Aᵀ M A of m[point · pointStride + c] into the
/// 3×3 tile y[(i · 3 + j) · channels + c]. `tmp`: 49 · channels floats (input), 21 · channels
/// (output). F(4×4, 3×3)'s are in WinogradKernels.h.
int srlab_winograd_transform_lanes(void);
void srlab_f3x5_input_tile(int lanes, const float *_Nonnull d, long rowStride, int channels, float *_Nonnull tmp,
                           float *_Nonnull v, long pointStride);
void srlab_f3x5_output_tile(int lanes, const float *_Nonnull m, long pointStride, int channels, float *_Nonnull tmp,
                            float *_Nonnull y);
/// `srlab_f3x5_input_tile` for `tiles` tiles side by side, their corners 3 columns apart from `d`,
/// tile t into v + t · tileStride: the same values, each of the 3 · (tiles − 1) + 7 columns'
/// first pass done once rather than by each tile it falls in. `columns`: (3 · (tiles − 1) + 7) · 7
/// · channels floats.
void srlab_f3x5_input_tiles(int lanes, const float *_Nonnull d, long rowStride, int channels, int tiles,
                            float *_Nonnull columns, float *_Nonnull v, long pointStride, long tileStride);

/// What the kernels of TanhKernels.h and WinogradKernels.h run on this CPU: 2 with AVX-512 (unless
/// SRLAB_MAX_ISA=avx2), 1 with AVX2, else 0. Each takes the level to run at (at most this; tests run
/// every level the CPU has).
int srlab_vector_level(void);

/// Batches of small products (SmallProducts.c: a Winograd layer's per point, a 1×1 layer's, SRCNN's
/// partial maps), at a `srlab_vector_level` of 1 or more: for p < points, C_p = A_p · B_p (+ C_p with
/// `accumulate`), where A_p is m × k with element (i, j) at a[p · aPoint + i · aRow + j · aDepth], B_p
/// is k × n with rows ldb apart from b + p · bPoint, and C_p has rows ldc apart from c + p · cPoint.
/// Each element is one chain of fused multiply-adds over j in order, so the bits depend on neither
/// the level nor m nor n. Fastest when n is a multiple of 32. Returns 0 (and does nothing) where it
/// cannot run.
int srlab_small_products(int level, long points, long m, long n, long k, const float *_Nonnull a, long aPoint,
                         long aRow, long aDepth, const float *_Nonnull b, long bPoint, long ldb, float *_Nonnull c,
                            long cPoint, long ldc, int accumulate);

/// planes[c · planeStride + x] = max(0, src[x · channels + c] + bias[c]) for x < pixels
/// (PixelsToPlanes.c). `channels` must be a multiple of 8; returns 0 (and does nothing) without AVX2.
int srlab_pixels_to_planes_bias_relu(float *_Nonnull planes, long planeStride, const float *_Nonnull src, long pixels,
                                     int channels, const float *_Nonnull bias);

// The training step's elementwise and Winograd kernels (at a `srlab_vector_level`).
#include "TanhKernels.h"
#include "WinogradKernels.h"

#endif
