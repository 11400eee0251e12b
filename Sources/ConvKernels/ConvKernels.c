// Direct convolution of a single-channel plane into many maps (ConvKernels.h). The GEMM form
// (patch matrix [k² × pixels] times weights) spends about a third of its time copying: building the
// patch matrix, then OpenBLAS's AVX-512 kernels packing it again, since with only 32–64 maps each
// packed value serves few multiply-adds. Here a block of output pixels × 4 maps stays in registers
// while the k² taps stream through: per tap a few unaligned input loads, 4 weight broadcasts and
// the FMAs, nothing copied. For the bare convolution AVX-512 only: with AVX2's 16 registers the
// blocks that fit ran slower (83 GFLOP/s on one core of an AMD EPYC) than OpenBLAS's Haswell kernel
// on the GEMM form (95), so there the GEMM form stays; with AVX-512's 32 registers, 3 vectors × 4
// maps run at 116 against the GEMM form's 73–82 under its SkylakeX/Cooperlake kernels. The NHWC
// form with its bias and activation fused (below, ESPCN's first layer) has an AVX2 twin, written
// with intrinsics so the pixels are broadcast from memory (~98 GFLOP/s bare on one Zen 4 core in a
// C harness; the 83 above was measured before, on blocks the compiler broadcast from registers),
// and a training step's first layer takes it too (bias and activation then per image, in cache), as
// it takes the AVX2 twin of the weight gradient: FSRCNN-s's 5×5 1 → 32 on a 64-image shard ran 0.29 +
// 0.28 ms by im2col, 0.18 + 0.14 this way (SRLAB_MAX_ISA=avx2 on Zen 4).
#include "ConvKernels.h"
#include "KernelsInternal.h"
#include <immintrin.h>
#include <stdlib.h>

// Not `(vector16){0} + x`: that is a scalar addition of +0 (it turns −0 into +0, so the compiler
// keeps it) and a broadcast from a register, per pixel and tap.
static inline TARGET vector16 broadcast(float x) { return (vector16)_mm512_set1_ps(x); }
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

// MARK: - tanh, and the NHWC first layer with its bias and activation (ESPCN's conv 5×5 1→64 + tanh)
//
// Streaming ESPCN spent most of its first step outside the multiply-adds: the tanh of 64 maps per
// pixel in Swift's SIMD16 (compiled for the baseline SSE2: four 4-lane chains, no FMA), and a pass
// that read the convolution's output back to add the bias. Here the bias and activation are applied
// to the accumulators before they are stored, and tanh is the rational form of Tanh.swift's
// `tanhVector` (Eigen's generic_fast_tanh_float) in full-width vectors with fused multiply-adds:
// its results may differ from the Swift form's by float rounding (within 5 ulp of libm, as that one).
// The same block exists for AVX2. ESPCN ×3's first step per 426×240 frame (`srlab bench lrspace`,
// 2 threads): 4.2 → 2.6 ms with AVX-512, 4.6 → 2.9 ms with AVX2 against the GEMM form + Swift pass.

/// Eigen's x·P(x²)/Q(x²), |x| clamped at 7.905 (see Tanh.swift), for a vector type V.
#define TANH_RATIONAL(V, x)                                                                         \
    ({                                                                                              \
        const float clampAt = 7.90531110763549805f;                                                 \
        V y = __builtin_elementwise_min(__builtin_elementwise_max((x), (V){0} - clampAt), (V){0} + clampAt); \
        V z = y * y;                                                                                \
        V p = (V){0} + -2.76076847742355e-16f;                                                      \
        p = p * z + 2.00018790482477e-13f;                                                          \
        p = p * z + -8.60467152213735e-11f;                                                         \
        p = p * z + 5.12229709037114e-08f;                                                          \
        p = p * z + 1.48572235717979e-05f;                                                          \
        p = p * z + 6.37261928875436e-04f;                                                          \
        p = p * z + 4.89352455891786e-03f;                                                          \
        V q = (V){0} + 1.19825839466702e-06f;                                                       \
        q = q * z + 1.18534705686654e-04f;                                                          \
        q = q * z + 2.26843463243900e-03f;                                                          \
        q = q * z + 4.89352518554385e-03f;                                                          \
        p * y / q;                                                                                  \
    })

static inline TARGET vector16 tanh16(vector16 x) { return TANH_RATIONAL(vector16, x); }

/// bias (per map, a vector of them at `bias`) and the activation, then the store.
static inline TARGET void finish16(float *out, vector16 v, const float *bias, int activation) {
    if (bias) v += load(bias);
    if (activation == SRLAB_ACTIVATION_RELU) v = __builtin_elementwise_max(v, (vector16){0});
    if (activation == SRLAB_ACTIVATION_TANH) v = tanh16(v);
    store(out, v);
}

/// `pixels4` (4 pixels × 2·LANES maps) with the bias and activation applied as it stores.
static inline TARGET __attribute__((always_inline)) void
pixels4_activated(float *out, const float *in, int width, const float *weight, int kernel, int channels, int c0,
                  const float *bias, int activation) {
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
    const float *b = bias ? bias + c0 : 0, *b1 = bias ? bias + c0 + LANES : 0;
    float *o = out + c0;
    finish16(o, a00, b, activation); finish16(o + LANES, a01, b1, activation); o += channels;
    finish16(o, a10, b, activation); finish16(o + LANES, a11, b1, activation); o += channels;
    finish16(o, a20, b, activation); finish16(o + LANES, a21, b1, activation); o += channels;
    finish16(o, a30, b, activation); finish16(o + LANES, a31, b1, activation);
}

static TARGET void row_nhwc_activated512(float *out, const float *in, int width, const float *weight, int kernel,
                                         int channels, const float *bias, int activation) {
    int outW = width - kernel + 1;
    for (int c0 = 0; c0 < channels; c0 += 2 * LANES) {
        int j = 0;
        for (; j + 4 <= outW; j += 4)
            pixels4_activated(out + (long)j * channels, in + j, width, weight, kernel, channels, c0, bias, activation);
        if (j < outW)
            pixels4_activated(out + (long)(outW - 4) * channels, in + outW - 4, width, weight, kernel, channels, c0, bias,
                              activation);
    }
}

static TARGET void bias_tanh512(float *dst, const float *src, long pixels, int channels, const float *bias) {
    for (long p = 0; p < pixels; p++)
        for (int c = 0; c < channels; c += LANES) {
            vector16 v = load(src + p * channels + c);
            if (bias) v += load(bias + c);
            store(dst + p * channels + c, tanh16(v));
        }
}

// The AVX2 twins: 8 lanes, 16 registers.
#define LANES8 8
#define TARGET2 __attribute__((target("avx2,fma")))

static inline TARGET2 vector8 load8(const float *p) { vector8 v; memcpy(&v, p, sizeof v); return v; }
static inline TARGET2 void store8(float *p, vector8 v) { memcpy(p, &v, sizeof v); }
static inline TARGET2 vector8 tanh8(vector8 x) { return TANH_RATIONAL(vector8, x); }

static inline TARGET2 void finish8(float *out, vector8 v, const float *bias, int activation) {
    if (bias) v += load8(bias);
    if (activation == SRLAB_ACTIVATION_RELU) v = __builtin_elementwise_max(v, (vector8){0});
    if (activation == SRLAB_ACTIVATION_TANH) v = tanh8(v);
    store8(out, v);
}

/// NHWC: output pixels j … j+5 of one row, maps c0 … c0+15: 12 accumulators and the two weight
/// vectors in 14 of the 16 registers, the pixels broadcast from memory as FMA operands' partners
/// (intrinsics: with vector arithmetic the compiler broadcast from registers and spilled).
static inline TARGET2 __attribute__((always_inline)) void
pixels6_activated(float *out, const float *in, int width, const float *weight, int kernel, int channels, int c0,
                  const float *bias, int activation) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00,
           a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (int dy = 0; dy < kernel; dy++) {
        const float *row = in + (long)dy * width;
        const float *w = weight + (long)dy * kernel * channels + c0;
        for (int dx = 0; dx < kernel; dx++, w += channels) {
            __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + LANES8), x;
            const float *r = row + dx;
            x = _mm256_broadcast_ss(r + 0); a00 = _mm256_fmadd_ps(x, w0, a00); a01 = _mm256_fmadd_ps(x, w1, a01);
            x = _mm256_broadcast_ss(r + 1); a10 = _mm256_fmadd_ps(x, w0, a10); a11 = _mm256_fmadd_ps(x, w1, a11);
            x = _mm256_broadcast_ss(r + 2); a20 = _mm256_fmadd_ps(x, w0, a20); a21 = _mm256_fmadd_ps(x, w1, a21);
            x = _mm256_broadcast_ss(r + 3); a30 = _mm256_fmadd_ps(x, w0, a30); a31 = _mm256_fmadd_ps(x, w1, a31);
            x = _mm256_broadcast_ss(r + 4); a40 = _mm256_fmadd_ps(x, w0, a40); a41 = _mm256_fmadd_ps(x, w1, a41);
            x = _mm256_broadcast_ss(r + 5); a50 = _mm256_fmadd_ps(x, w0, a50); a51 = _mm256_fmadd_ps(x, w1, a51);
        }
    }
    const float *b = bias ? bias + c0 : 0, *b1 = bias ? bias + c0 + LANES8 : 0;
    float *o = out + c0;
    finish8(o, (vector8)a00, b, activation); finish8(o + LANES8, (vector8)a01, b1, activation); o += channels;
    finish8(o, (vector8)a10, b, activation); finish8(o + LANES8, (vector8)a11, b1, activation); o += channels;
    finish8(o, (vector8)a20, b, activation); finish8(o + LANES8, (vector8)a21, b1, activation); o += channels;
    finish8(o, (vector8)a30, b, activation); finish8(o + LANES8, (vector8)a31, b1, activation); o += channels;
    finish8(o, (vector8)a40, b, activation); finish8(o + LANES8, (vector8)a41, b1, activation); o += channels;
    finish8(o, (vector8)a50, b, activation); finish8(o + LANES8, (vector8)a51, b1, activation);
}

static TARGET2 void row_nhwc_activated256(float *out, const float *in, int width, const float *weight, int kernel,
                                          int channels, const float *bias, int activation) {
    int outW = width - kernel + 1;
    for (int c0 = 0; c0 < channels; c0 += 2 * LANES8) {
        int j = 0;
        for (; j + 6 <= outW; j += 6)
            pixels6_activated(out + (long)j * channels, in + j, width, weight, kernel, channels, c0, bias, activation);
        if (j < outW)
            pixels6_activated(out + (long)(outW - 6) * channels, in + outW - 6, width, weight, kernel, channels, c0, bias,
                              activation);
    }
}

static TARGET2 void bias_tanh256(float *dst, const float *src, long pixels, int channels, const float *bias) {
    for (long p = 0; p < pixels; p++)
        for (int c = 0; c < channels; c += LANES8) {
            vector8 v = load8(src + p * channels + c);
            if (bias) v += load8(bias + c);
            store8(dst + p * channels + c, tanh8(v));
        }
}

/// Weight gradient of the NHWC kernel's convolution for one image, added to `dWeight`: for 2·W maps
/// at a time and one kernel row dy, the k taps × 2 vectors stay in registers while the output
/// pixels stream through (per pixel two gradient loads and k broadcasts of the input row). Defined
/// for AVX-512 (W = 16) and AVX2 (W = 8: ESPCN's 5×5 in 10 of its 16 registers); each lane's sums
/// are the same, in the same order, so the bits are too. `_sized` passes the kernel sides the
/// networks use as constants, so that the tap loop unrolls and the accumulators live in registers.
#define DEFINE_WEIGHT_GRADIENT(NAME, V, W, ATTR, LOADV, STOREV, SPLAT)                                \
    static inline ATTR __attribute__((always_inline)) void                                           \
    NAME(float *dWeight, const float *in, const float *dOut, int height, int width, int kernel, int channels) { \
        int outH = height - kernel + 1, outW = width - kernel + 1;                                    \
        for (int c0 = 0; c0 < channels; c0 += 2 * (W)) {                                              \
            for (int dy = 0; dy < kernel; dy++) {                                                     \
                V a0[16], a1[16];                                                                     \
                for (int dx = 0; dx < kernel; dx++) { a0[dx] = (V){0}; a1[dx] = (V){0}; }             \
                for (int i = 0; i < outH; i++) {                                                      \
                    const float *row = in + (long)(i + dy) * width;                                   \
                    const float *g = dOut + (long)i * outW * channels + c0;                           \
                    for (int j = 0; j < outW; j++, g += channels) {                                   \
                        V g0 = LOADV(g), g1 = LOADV(g + (W));                                         \
                        for (int dx = 0; dx < kernel; dx++) {                                         \
                            V x = SPLAT(row[j + dx]);                                                 \
                            a0[dx] += x * g0; a1[dx] += x * g1;                                       \
                        }                                                                             \
                    }                                                                                 \
                }                                                                                     \
                for (int dx = 0; dx < kernel; dx++) {                                                 \
                    float *w = dWeight + (long)(dy * kernel + dx) * channels + c0;                    \
                    STOREV(w, LOADV(w) + a0[dx]); STOREV(w + (W), LOADV(w + (W)) + a1[dx]);           \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    static ATTR void NAME##_sized(float *dWeight, const float *in, const float *dOut, int height, int width, \
                                  int kernel, int channels) {                                         \
        switch (kernel) {                                                                             \
        case 3: NAME(dWeight, in, dOut, height, width, 3, channels); break;                          \
        case 5: NAME(dWeight, in, dOut, height, width, 5, channels); break;                          \
        case 9: NAME(dWeight, in, dOut, height, width, 9, channels); break;                          \
        default: NAME(dWeight, in, dOut, height, width, kernel, channels);                           \
        }                                                                                             \
    }

static inline TARGET2 vector8 broadcast8(float x) { return (vector8)_mm256_set1_ps(x); }

DEFINE_WEIGHT_GRADIENT(weight_gradient_nhwc, vector16, LANES, TARGET, load, store, broadcast)
DEFINE_WEIGHT_GRADIENT(weight_gradient_nhwc256, vector8, LANES8, TARGET2, load8, store8, broadcast8)

int srlab_avx512_available(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    if (cap && strcmp(cap, "avx2") == 0) return 0;
    return __builtin_cpu_supports("avx512f");
}

static int available_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

const char *srlab_conv1_variant(void) { return srlab_avx512_available() ? "avx512" : available_avx2() ? "avx2" : "none"; }

int srlab_conv1_planes(float *out, const float *in, const float *weight, int height, int width, int kernel,
                       int channels, long planeStride, const float *bias, int relu) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    // Narrower rows waste too much of their last block: there the GEMM form is faster.
    if (!srlab_avx512_available() || channels % 4 != 0 || outH < 1 || outW < 4 * LANES) return 0;
    for (int i = 0; i < outH; i++)
        row_planes(out + (long)i * outW, planeStride, in + (long)i * width, width, weight, kernel, channels, bias, relu);
    return 1;
}

static int chosen_isa(int isa);

int srlab_conv1_weight_gradient_nhwc(int isa, float *dWeight, const float *in, const float *dOut, int height, int width,
                                     int kernel, int channels) {
    if (kernel > 16 || height < kernel || width < kernel) return 0;
    switch (chosen_isa(isa)) {
    case 512:
        if (channels % (2 * LANES) != 0) return 0;
        weight_gradient_nhwc_sized(dWeight, in, dOut, height, width, kernel, channels);
        return 1;
    case 256:
        if (channels % (2 * LANES8) != 0) return 0;
        weight_gradient_nhwc256_sized(dWeight, in, dOut, height, width, kernel, channels);
        return 1;
    default:
        return 0;
    }
}

int srlab_conv1_nhwc(float *out, const float *in, const float *weight, int height, int width, int kernel, int channels) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    if (!srlab_avx512_available() || channels % (2 * LANES) != 0 || outH < 1 || outW < 4) return 0;
    for (int i = 0; i < outH; i++) row_nhwc(out + (long)i * outW * channels, in + (long)i * width, width, weight, kernel, channels);
    return 1;
}

/// The blocks `isa` asks for (0: the best this CPU allows under SRLAB_MAX_ISA) if the CPU has them:
/// 512, 256 or 0.
static int chosen_isa(int isa) {
    if (isa == 0) return srlab_avx512_available() ? 512 : available_avx2() ? 256 : 0;
    if (isa == 512) return __builtin_cpu_supports("avx512f") ? 512 : 0;
    if (isa == 256) return available_avx2() ? 256 : 0;
    return 0;
}

int srlab_conv1_nhwc_activated_runs(int isa, int width, int kernel, int channels) {
    int outW = width - kernel + 1;
    switch (chosen_isa(isa)) {
    case 512: return channels % (2 * LANES) == 0 && outW >= 4 ? 512 : 0;
    case 256: return channels % (2 * LANES8) == 0 && outW >= 6 ? 256 : 0;
    default: return 0;
    }
}

int srlab_conv1_nhwc_activated(int isa, float *out, long outRowStride, const float *in, const float *weight, int height,
                               int width, int kernel, int channels, const float *bias, int activation) {
    int outH = height - kernel + 1, bits = srlab_conv1_nhwc_activated_runs(isa, width, kernel, channels);
    if (bits == 0 || outH < 1) return 0;
    for (int i = 0; i < outH; i++) {
        float *row = out + i * outRowStride;
        if (bits == 512) {
            row_nhwc_activated512(row, in + (long)i * width, width, weight, kernel, channels, bias, activation);
        } else if (activation == SRLAB_ACTIVATION_TANH) {
            // With 16 registers the twelve accumulators' tanh chains spill: a pass over the row
            // just stored (still in L1) ran ESPCN's layer ~9 % faster than the fused epilogue.
            row_nhwc_activated256(row, in + (long)i * width, width, weight, kernel, channels, 0, SRLAB_ACTIVATION_NONE);
            bias_tanh256(row, row, width - kernel + 1, channels, bias);
        } else {
            row_nhwc_activated256(row, in + (long)i * width, width, weight, kernel, channels, bias, activation);
        }
    }
    return 1;
}

int srlab_bias_tanh(int isa, float *dst, const float *src, long pixels, int channels, const float *bias) {
    int bits = chosen_isa(isa);
    if (bits == 512 && channels % LANES == 0) { bias_tanh512(dst, src, pixels, channels, bias); return 1; }
    if (bits != 0 && channels % LANES8 == 0) { bias_tanh256(dst, src, pixels, channels, bias); return 1; }
    return 0;
}

int srlab_vector_level(void) {
    if (srlab_avx512_available()) return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}
