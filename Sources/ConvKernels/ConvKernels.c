// Direct convolution of a single-channel plane into many maps (ConvKernels.h). The GEMM form
// (patch matrix [k² × pixels] times weights) spends about a third of its time copying: building the
// patch matrix, then OpenBLAS's AVX-512 kernels packing it again, since with only 32–64 maps each
// packed value serves few multiply-adds. Here a block of output pixels × 4 maps stays in registers
// while the k² taps stream through: per tap a few unaligned input loads, 4 weight broadcasts and
// the FMAs, nothing copied. AVX-512 only: with AVX2's 16 registers the blocks that fit ran slower
// (83 GFLOP/s on one core of an AMD EPYC) than OpenBLAS's Haswell kernel on the GEMM form (95),
// so there the GEMM form stays; with AVX-512's 32 registers, 3 vectors × 4 maps run at 116 against
// the GEMM form's 73–82 under its SkylakeX/Cooperlake kernels.
#include "ConvKernels.h"
#include "KernelsInternal.h"
#include <stdlib.h>

static inline TARGET vector16 broadcast(float x) { return (vector16){0} + x; }
static inline TARGET vector16 load(const float *p) { vector16 v; memcpy(&v, p, sizeof v); return v; }
static inline TARGET void store(float *p, vector16 v) { memcpy(p, &v, sizeof v); }

/// Adds the bias and applies ReLU as asked, then stores one vector of map c.
static inline TARGET void finish(float *out, vector16 v, const float *bias, int c, int relu) {
    if (bias) v += bias[c];
    if (relu) v = __builtin_elementwise_max(v, (vector16){0});
    store(out, v);
}

/// Output pixels [0, 3·LANES) of one row into maps c0 … c0+3 (`mapStride` apart).
static inline TARGET __attribute__((always_inline)) void
block3(float *out, long mapStride, const float *in, int width, const float *weight, int kernel, int channels,
       int c0, const float *bias, int relu) {
    vector16 a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0}, a10 = {0}, a11 = {0}, a12 = {0}, a13 = {0},
             a20 = {0}, a21 = {0}, a22 = {0}, a23 = {0};
    for (int dy = 0; dy < kernel; dy++) {
        const float *row = in + (long)dy * width;
        const float *w = weight + (long)dy * kernel * channels + c0;
        for (int dx = 0; dx < kernel; dx++, w += channels) {
            vector16 x0 = load(row + dx), x1 = load(row + dx + LANES), x2 = load(row + dx + 2 * LANES), b;
            b = broadcast(w[0]); a00 += x0 * b; a10 += x1 * b; a20 += x2 * b;
            b = broadcast(w[1]); a01 += x0 * b; a11 += x1 * b; a21 += x2 * b;
            b = broadcast(w[2]); a02 += x0 * b; a12 += x1 * b; a22 += x2 * b;
            b = broadcast(w[3]); a03 += x0 * b; a13 += x1 * b; a23 += x2 * b;
        }
    }
    vector16 a[3][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}};
    for (int v = 0; v < 3; v++)
        for (int m = 0; m < 4; m++) finish(out + (c0 + m) * mapStride + v * LANES, a[v][m], bias, c0 + m, relu);
}

/// Output pixels [0, LANES) of one row into maps c0 … c0+3: the end of a row.
static inline TARGET __attribute__((always_inline)) void
block1(float *out, long mapStride, const float *in, int width, const float *weight, int kernel, int channels,
       int c0, const float *bias, int relu) {
    vector16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int dy = 0; dy < kernel; dy++) {
        const float *row = in + (long)dy * width;
        const float *w = weight + (long)dy * kernel * channels + c0;
        for (int dx = 0; dx < kernel; dx++, w += channels) {
            vector16 x = load(row + dx);
            a0 += x * broadcast(w[0]); a1 += x * broadcast(w[1]); a2 += x * broadcast(w[2]); a3 += x * broadcast(w[3]);
        }
    }
    finish(out + (c0 + 0) * mapStride, a0, bias, c0 + 0, relu);
    finish(out + (c0 + 1) * mapStride, a1, bias, c0 + 1, relu);
    finish(out + (c0 + 2) * mapStride, a2, bias, c0 + 2, relu);
    finish(out + (c0 + 3) * mapStride, a3, bias, c0 + 3, relu);
}

/// One output row into `channels` rows `mapStride` apart: blocks of three vectors, then one-vector
/// blocks, the last of which may overlap the one before (those pixels are computed twice, identically).
static TARGET void row_planes(float *out, long mapStride, const float *in, int width, const float *weight, int kernel,
                              int channels, const float *bias, int relu) {
    int outW = width - kernel + 1;
    for (int c0 = 0; c0 < channels; c0 += 4) {
        int j = 0;
        for (; j + 3 * LANES <= outW; j += 3 * LANES) block3(out + j, mapStride, in + j, width, weight, kernel, channels, c0, bias, relu);
        for (; j < outW; j += LANES) {
            int at = j + LANES <= outW ? j : outW - LANES;
            block1(out + at, mapStride, in + at, width, weight, kernel, channels, c0, bias, relu);
        }
    }
}

/// NHWC: output pixels j … j+3 of one row, maps c0 … c0 + 2·LANES − 1, vectors along the maps.
static inline TARGET __attribute__((always_inline)) void
pixels4(float *out, const float *in, int width, const float *weight, int kernel, int channels, int c0) {
    vector16 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};
    for (int dy = 0; dy < kernel; dy++) {
        const float *row = in + (long)dy * width;
        const float *w = weight + (long)dy * kernel * channels + c0;
        for (int dx = 0; dx < kernel; dx++, w += channels) {
            vector16 w0 = load(w), w1 = load(w + LANES), x;
            x = broadcast(row[dx + 0]); a00 += x * w0; a01 += x * w1;
            x = broadcast(row[dx + 1]); a10 += x * w0; a11 += x * w1;
            x = broadcast(row[dx + 2]); a20 += x * w0; a21 += x * w1;
            x = broadcast(row[dx + 3]); a30 += x * w0; a31 += x * w1;
        }
    }
    float *o = out + c0;
    store(o, a00); store(o + LANES, a01); o += channels;
    store(o, a10); store(o + LANES, a11); o += channels;
    store(o, a20); store(o + LANES, a21); o += channels;
    store(o, a30); store(o + LANES, a31);
}

/// One NHWC output row; a row that is not a whole number of 4-pixel blocks ends with an overlapping one.
static TARGET void row_nhwc(float *out, const float *in, int width, const float *weight, int kernel, int channels) {
    int outW = width - kernel + 1;
    for (int c0 = 0; c0 < channels; c0 += 2 * LANES) {
        int j = 0;
        for (; j + 4 <= outW; j += 4) pixels4(out + (long)j * channels, in + j, width, weight, kernel, channels, c0);
        if (j < outW) pixels4(out + (long)(outW - 4) * channels, in + outW - 4, width, weight, kernel, channels, c0);
    }
}

/// Weight gradient of the NHWC kernel's convolution for one image, added to `dWeight`: for 32 maps
/// at a time and one kernel row dy, the k taps × 2 vectors stay in registers while the output
/// pixels stream through (per pixel two gradient loads and k broadcasts of the input row).
static inline TARGET __attribute__((always_inline)) void
weight_gradient_nhwc(float *dWeight, const float *in, const float *dOut, int height, int width, int kernel, int channels) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    for (int c0 = 0; c0 < channels; c0 += 2 * LANES) {
        for (int dy = 0; dy < kernel; dy++) {
            vector16 a0[16], a1[16];
            for (int dx = 0; dx < kernel; dx++) { a0[dx] = (vector16){0}; a1[dx] = (vector16){0}; }
            for (int i = 0; i < outH; i++) {
                const float *row = in + (long)(i + dy) * width;
                const float *g = dOut + (long)i * outW * channels + c0;
                for (int j = 0; j < outW; j++, g += channels) {
                    vector16 g0 = load(g), g1 = load(g + LANES);
                    for (int dx = 0; dx < kernel; dx++) {
                        vector16 x = broadcast(row[j + dx]);
                        a0[dx] += x * g0; a1[dx] += x * g1;
                    }
                }
            }
            for (int dx = 0; dx < kernel; dx++) {
                float *w = dWeight + (long)(dy * kernel + dx) * channels + c0;
                store(w, load(w) + a0[dx]); store(w + LANES, load(w + LANES) + a1[dx]);
            }
        }
    }
}

int srlab_avx512_available(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    if (cap && strcmp(cap, "avx2") == 0) return 0;
    return __builtin_cpu_supports("avx512f");
}

const char *srlab_conv1_variant(void) { return srlab_avx512_available() ? "avx512" : "none"; }

int srlab_conv1_planes(float *out, const float *in, const float *weight, int height, int width, int kernel,
                       int channels, long planeStride, const float *bias, int relu) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    // Narrower rows waste too much of their last block: there the GEMM form is faster.
    if (!srlab_avx512_available() || channels % 4 != 0 || outH < 1 || outW < 4 * LANES) return 0;
    for (int i = 0; i < outH; i++)
        row_planes(out + (long)i * outW, planeStride, in + (long)i * width, width, weight, kernel, channels, bias, relu);
    return 1;
}

/// The kernel sides the networks use as constants, so that the tap loop unrolls and the
/// accumulators live in registers.
static TARGET void weight_gradient_nhwc_sized(float *dWeight, const float *in, const float *dOut, int height, int width,
                                             int kernel, int channels) {
    switch (kernel) {
    case 3: weight_gradient_nhwc(dWeight, in, dOut, height, width, 3, channels); break;
    case 5: weight_gradient_nhwc(dWeight, in, dOut, height, width, 5, channels); break;
    case 9: weight_gradient_nhwc(dWeight, in, dOut, height, width, 9, channels); break;
    default: weight_gradient_nhwc(dWeight, in, dOut, height, width, kernel, channels);
    }
}

int srlab_conv1_weight_gradient_nhwc(float *dWeight, const float *in, const float *dOut, int height, int width,
                                     int kernel, int channels) {
    if (!srlab_avx512_available() || channels % (2 * LANES) != 0 || kernel > 16 || height < kernel || width < kernel) return 0;
    weight_gradient_nhwc_sized(dWeight, in, dOut, height, width, kernel, channels);
    return 1;
}

int srlab_conv1_nhwc(float *out, const float *in, const float *weight, int height, int width, int kernel, int channels) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    if (!srlab_avx512_available() || channels % (2 * LANES) != 0 || outH < 1 || outW < 4) return 0;
    for (int i = 0; i < outH; i++) row_nhwc(out + (long)i * outW * channels, in + (long)i * width, width, weight, kernel, channels);
    return 1;
}

int srlab_vector_level(void) {
    if (srlab_avx512_available()) return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}
