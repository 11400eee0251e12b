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

/// What the kernels below run on this CPU: 2 with AVX-512 (unless SRLAB_MAX_ISA=avx2), 1 with AVX2,
/// else 0. Each takes the level to run at (at most this; tests run every level the CPU has).
int srlab_vector_level(void);

/// tanh over `count` floats, and its gradient dInput = dOutput · (1 − output²), by the same
/// arithmetic as the Swift `tanhVector` and `tanhBackward` (the same bits), 16 lanes per instruction
/// at level 2, 8 at level 1. They do whole blocks of 16 and return how many values they did (0 at
/// level 0); the caller does the rest. `out` may be `in`, `dInput` `dOutput`.
long srlab_tanh(int level, float *_Nonnull out, const float *_Nonnull in, long count);
long srlab_tanh_backward(int level, float *_Nonnull dInput, const float *_Nonnull dOutput, const float *_Nonnull output,
                         long count);

/// Winograd F(4×4, 3×3)'s tile transforms over all `c` (or `o`) channels, a multiple of 4, in the
/// layouts of Winograd.swift's `transformInputTile`, `transformInputGradientTile`,
/// `transformOutputTile` and `transformOutputGradientTile` (same arithmetic, same bits), 16 channels
/// per instruction at level 2, 8 at level 1, 4 (SSE) for the rest and at level 0.
/// The input tile (6×6) is read from an image of `height` × `width` pixels (rows `rowStride` apart,
/// pixels `c` apart) at its corner (`top`, `left`), which may lie outside it: the convolution's input
/// is the image padded by `padding` on every side, with copies of the nearest edge pixel
/// (`replicate` 1) or zeros (0), and past that padded input the tile reads zeros. Only pixels of
/// the image are addressed. The output-gradient tile (4×4) at its corner `dy` is read only in its
/// rows rowsBegin..<rowsEnd and columns columnsBegin..<columnsEnd (inside the output), zeros elsewhere.
void srlab_f4x3_input_tile(int level, const float *_Nonnull image, long rowStride, long c, int top, int left, int height,
                           int width, int padding, int replicate, float *_Nonnull v, long pointStride);
void srlab_f4x3_input_adjoint_tile(int level, const float *_Nonnull dv, long pointStride, long c, float *_Nonnull dd);
/// `srlab_f4x3_input_adjoint_tile` added into the image pixels the same tile of
/// `srlab_f4x3_input_tile` reads (the overlap-add, and a padding's gradient into the edge pixel it
/// copies, or nowhere for zeros); nothing else is touched.
void srlab_f4x3_input_adjoint_add_tile(int level, const float *_Nonnull dv, long pointStride, long c,
                                       float *_Nonnull image, long rowStride, int top, int left, int height, int width,
                                       int padding, int replicate);
void srlab_f4x3_output_tile(int level, const float *_Nonnull m, long pointStride, long o, float *_Nonnull y);
/// `srlab_f4x3_output_tile` plus `bias` (per channel, when given; the same sum as a separate pass)
/// stored straight into the output at the tile's corner `y`, rows `rowStride` apart, pixels `o`
/// apart: the tile's rows 0..<rowsEnd and columns 0..<columnsEnd, the part inside the output.
void srlab_f4x3_output_tile_store(int level, const float *_Nonnull m, long pointStride, long o, const float *_Nullable bias,
                                  float *_Nonnull y, long rowStride, int rowsEnd, int columnsEnd);
void srlab_f4x3_output_adjoint_tile(int level, const float *_Nonnull dy, long rowStride, long o, int rowsBegin,
                                    int rowsEnd, int columnsBegin, int columnsEnd, float *_Nonnull dm, long pointStride);

#endif
