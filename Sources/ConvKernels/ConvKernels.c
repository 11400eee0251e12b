// Direct convolution of a single-channel plane into many maps (ConvKernels.h). The GEMM form
// (patch matrix [k² × pixels] times weights) spends about a third of its time copying: building the
// patch matrix, then OpenBLAS packing it again, since with only 32–64 maps each packed value serves
// few multiply-adds. Here each block of 2 vectors of output pixels × 4 maps stays in 8 registers
// while the k² taps stream through: per tap 2 unaligned input loads, 4 weight broadcasts and 8
// FMAs, nothing copied. One source, two widths: the GCC/Clang vector type below compiles to AVX2
// or AVX-512 by the function's target attribute, and the widest the CPU has is chosen at run time.
#include "ConvKernels.h"
#include <stdlib.h>
#include <string.h>

#define DEFINE_CONV1(NAME, TARGET, LANES)                                                                   \
typedef float NAME##_vector __attribute__((vector_size(LANES * 4), aligned(4)));                            \
                                                                                                            \
/* Output pixels [0, 2·LANES) of one row, maps c0 … c0+3. */                                                 \
__attribute__((target(TARGET), always_inline)) static inline void                                           \
NAME##_block(float *out, long mapStride, const float *in, int width, const float *weight, int kernel,       \
             int channels, int c0) {                                                                        \
    NAME##_vector a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0}, a10 = {0}, a11 = {0}, a12 = {0}, a13 = {0};   \
    for (int dy = 0; dy < kernel; dy++) {                                                                   \
        const float *row = in + (long)dy * width;                                                           \
        const float *w = weight + (long)dy * kernel * channels + c0;                                        \
        for (int dx = 0; dx < kernel; dx++, w += channels) {                                                \
            NAME##_vector x0, x1, b;                                                                        \
            memcpy(&x0, row + dx, sizeof x0);                                                               \
            memcpy(&x1, row + dx + LANES, sizeof x1);                                                       \
            b = (NAME##_vector){0} + w[0]; a00 += x0 * b; a10 += x1 * b;                                    \
            b = (NAME##_vector){0} + w[1]; a01 += x0 * b; a11 += x1 * b;                                    \
            b = (NAME##_vector){0} + w[2]; a02 += x0 * b; a12 += x1 * b;                                    \
            b = (NAME##_vector){0} + w[3]; a03 += x0 * b; a13 += x1 * b;                                    \
        }                                                                                                   \
    }                                                                                                       \
    memcpy(out + (c0 + 0) * mapStride, &a00, sizeof a00); memcpy(out + (c0 + 0) * mapStride + LANES, &a10, sizeof a10); \
    memcpy(out + (c0 + 1) * mapStride, &a01, sizeof a01); memcpy(out + (c0 + 1) * mapStride + LANES, &a11, sizeof a11); \
    memcpy(out + (c0 + 2) * mapStride, &a02, sizeof a02); memcpy(out + (c0 + 2) * mapStride + LANES, &a12, sizeof a12); \
    memcpy(out + (c0 + 3) * mapStride, &a03, sizeof a03); memcpy(out + (c0 + 3) * mapStride + LANES, &a13, sizeof a13); \
}                                                                                                           \
                                                                                                            \
/* Output pixels [0, LANES) of one row, maps c0 … c0+3: the end of a row. */                                  \
__attribute__((target(TARGET), always_inline)) static inline void                                           \
NAME##_block1(float *out, long mapStride, const float *in, int width, const float *weight, int kernel,      \
              int channels, int c0) {                                                                       \
    NAME##_vector a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                                                   \
    for (int dy = 0; dy < kernel; dy++) {                                                                   \
        const float *row = in + (long)dy * width;                                                           \
        const float *w = weight + (long)dy * kernel * channels + c0;                                        \
        for (int dx = 0; dx < kernel; dx++, w += channels) {                                                \
            NAME##_vector x;                                                                                \
            memcpy(&x, row + dx, sizeof x);                                                                 \
            a0 += x * ((NAME##_vector){0} + w[0]); a1 += x * ((NAME##_vector){0} + w[1]);                   \
            a2 += x * ((NAME##_vector){0} + w[2]); a3 += x * ((NAME##_vector){0} + w[3]);                   \
        }                                                                                                   \
    }                                                                                                       \
    memcpy(out + (c0 + 0) * mapStride, &a0, sizeof a0); memcpy(out + (c0 + 1) * mapStride, &a1, sizeof a1); \
    memcpy(out + (c0 + 2) * mapStride, &a2, sizeof a2); memcpy(out + (c0 + 3) * mapStride, &a3, sizeof a3); \
}                                                                                                           \
                                                                                                            \
/* One output row into `channels` rows `mapStride` apart: blocks of two vectors, then one-vector blocks, */ \
/* the last of which may overlap the one before (those pixels are computed twice, identically). */          \
__attribute__((target(TARGET))) static void                                                                 \
NAME##_row(float *out, long mapStride, const float *in, int width, const float *weight, int kernel, int channels) { \
    int outW = width - kernel + 1;                                                                          \
    for (int c0 = 0; c0 < channels; c0 += 4) {                                                              \
        int j = 0;                                                                                          \
        for (; j + 2 * LANES <= outW; j += 2 * LANES)                                                       \
            NAME##_block(out + j, mapStride, in + j, width, weight, kernel, channels, c0);                  \
        for (; j < outW; j += LANES) {                                                                      \
            int at = j + LANES <= outW ? j : outW - LANES;                                                  \
            NAME##_block1(out + at, mapStride, in + at, width, weight, kernel, channels, c0);               \
        }                                                                                                   \
    }                                                                                                       \
}                                                                                                           \
                                                                                                            \
/* NHWC: output pixels j … j+3 of one row, maps c0 … c0 + 2·LANES − 1, vectors along the maps. */          \
__attribute__((target(TARGET), always_inline)) static inline void                                           \
NAME##_pixels(float *out, const float *in, int width, const float *weight, int kernel, int channels, int c0) { \
    NAME##_vector a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};   \
    for (int dy = 0; dy < kernel; dy++) {                                                                   \
        const float *row = in + (long)dy * width;                                                           \
        const float *w = weight + (long)dy * kernel * channels + c0;                                        \
        for (int dx = 0; dx < kernel; dx++, w += channels) {                                                \
            NAME##_vector w0, w1, x;                                                                        \
            memcpy(&w0, w, sizeof w0);                                                                      \
            memcpy(&w1, w + LANES, sizeof w1);                                                              \
            x = (NAME##_vector){0} + row[dx + 0]; a00 += x * w0; a01 += x * w1;                             \
            x = (NAME##_vector){0} + row[dx + 1]; a10 += x * w0; a11 += x * w1;                             \
            x = (NAME##_vector){0} + row[dx + 2]; a20 += x * w0; a21 += x * w1;                             \
            x = (NAME##_vector){0} + row[dx + 3]; a30 += x * w0; a31 += x * w1;                             \
        }                                                                                                   \
    }                                                                                                       \
    float *o = out + c0;                                                                                    \
    memcpy(o, &a00, sizeof a00); memcpy(o + LANES, &a01, sizeof a01); o += channels;                        \
    memcpy(o, &a10, sizeof a10); memcpy(o + LANES, &a11, sizeof a11); o += channels;                        \
    memcpy(o, &a20, sizeof a20); memcpy(o + LANES, &a21, sizeof a21); o += channels;                        \
    memcpy(o, &a30, sizeof a30); memcpy(o + LANES, &a31, sizeof a31);                                       \
}                                                                                                           \
                                                                                                            \
/* One NHWC output row; a row that is not a whole number of 4-pixel blocks ends with an overlapping one. */ \
__attribute__((target(TARGET))) static void                                                                 \
NAME##_row_nhwc(float *out, const float *in, int width, const float *weight, int kernel, int channels) {    \
    int outW = width - kernel + 1;                                                                          \
    for (int c0 = 0; c0 < channels; c0 += 2 * LANES) {                                                      \
        int j = 0;                                                                                          \
        for (; j + 4 <= outW; j += 4)                                                                       \
            NAME##_pixels(out + (long)j * channels, in + j, width, weight, kernel, channels, c0);           \
        if (j < outW)                                                                                       \
            NAME##_pixels(out + (long)(outW - 4) * channels, in + outW - 4, width, weight, kernel, channels, c0); \
    }                                                                                                       \
}

DEFINE_CONV1(conv1_avx2, "avx2,fma", 8)
DEFINE_CONV1(conv1_avx512, "avx512f", 16)

typedef void (*conv1_row_fn)(float *, long, const float *, int, const float *, int, int);
typedef void (*conv1_row_nhwc_fn)(float *, const float *, int, const float *, int, int);

typedef struct { conv1_row_fn planes; conv1_row_nhwc_fn nhwc; int lanes; const char *name; } conv1_variant;

/// The widest variant this CPU runs, capped at AVX2 when SRLAB_MAX_ISA=avx2 (`srlab bench
/// --instruction-set avx2`); lanes 0 when it has no AVX2 and FMA.
static conv1_variant chosen(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    int avx512Allowed = cap == 0 || strcmp(cap, "avx2") != 0;
    if (avx512Allowed && __builtin_cpu_supports("avx512f")) return (conv1_variant){conv1_avx512_row, conv1_avx512_row_nhwc, 16, "avx512"};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (conv1_variant){conv1_avx2_row, conv1_avx2_row_nhwc, 8, "avx2"};
    return (conv1_variant){0, 0, 0, "none"};
}

const char *srlab_conv1_variant(void) { return chosen().name; }

int srlab_conv1_planes(float *out, const float *in, const float *weight, int height, int width, int kernel,
                       int channels, long planeStride) {
    conv1_variant v = chosen();
    int outH = height - kernel + 1, outW = width - kernel + 1;
    // Narrower rows waste too much of their last block: there the GEMM form is faster.
    if (v.lanes == 0 || channels % 4 != 0 || outH < 1 || outW < 4 * v.lanes) return 0;
    for (int i = 0; i < outH; i++) v.planes(out + (long)i * outW, planeStride, in + (long)i * width, width, weight, kernel, channels);
    return 1;
}

int srlab_conv1_nhwc(float *out, const float *in, const float *weight, int height, int width, int kernel, int channels) {
    conv1_variant v = chosen();
    int outH = height - kernel + 1, outW = width - kernel + 1;
    if (v.lanes == 0 || channels % (2 * v.lanes) != 0 || outH < 1 || outW < 4) return 0;
    for (int i = 0; i < outH; i++) v.nhwc(out + (long)i * outW * channels, in + (long)i * width, width, weight, kernel, channels);
    return 1;
}
