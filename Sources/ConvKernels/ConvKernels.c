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
#include <stdlib.h>
#include <string.h>

#define LANES 16
typedef float vector16 __attribute__((vector_size(LANES * 4), aligned(4)));
#define TARGET __attribute__((target("avx512f")))

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

/// Whether the kernels run here: AVX-512, and not capped by SRLAB_MAX_ISA=avx2 (`srlab bench
/// --instruction-set avx2`).
static int available(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    if (cap && strcmp(cap, "avx2") == 0) return 0;
    return __builtin_cpu_supports("avx512f");
}

const char *srlab_conv1_variant(void) { return available() ? "avx512" : "none"; }

int srlab_conv1_planes(float *out, const float *in, const float *weight, int height, int width, int kernel,
                       int channels, long planeStride, const float *bias, int relu) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    // Narrower rows waste too much of their last block: there the GEMM form is faster.
    if (!available() || channels % 4 != 0 || outH < 1 || outW < 4 * LANES) return 0;
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
    if (!available() || channels % (2 * LANES) != 0 || kernel > 16 || height < kernel || width < kernel) return 0;
    weight_gradient_nhwc_sized(dWeight, in, dOut, height, width, kernel, channels);
    return 1;
}

int srlab_conv1_nhwc(float *out, const float *in, const float *weight, int height, int width, int kernel, int channels) {
    int outH = height - kernel + 1, outW = width - kernel + 1;
    if (!available() || channels % (2 * LANES) != 0 || outH < 1 || outW < 4) return 0;
    for (int i = 0; i < outH; i++) row_nhwc(out + (long)i * outW * channels, in + (long)i * width, width, weight, kernel, channels);
    return 1;
}

// tanh for training steps: the same arithmetic as the Swift `tanhVector` (Eigen's rational
// approximation; Tanh.swift), lane by lane and in the same order, so the same bits, but 16 lanes per
// AVX-512 instruction (8 per AVX2 one) where Swift's portable build runs SSE. No fused multiply-adds
// here (they would change the rounding); the constants go through long double as Swift's literals
// do (its widest literal type on x86 is Float80), so each rounds to the same float.
typedef float vector8 __attribute__((vector_size(32), aligned(4)));
typedef int mask16 __attribute__((vector_size(64)));
typedef int mask8 __attribute__((vector_size(32)));

#define TANH_BODY(V, M, x)                                                                   \
    _Pragma("clang fp contract(off)")                                                        \
    const float clamp = (float)7.90531110763549805L;                                         \
    V y = x;                                                                                 \
    M above = y > clamp;                                                                     \
    y = (V)(((M)y & ~above) | ((M)((V){0} + clamp) & above));                                \
    M below = y < -clamp;                                                                    \
    y = (V)(((M)y & ~below) | ((M)((V){0} - clamp) & below));                                \
    V z = y * y;                                                                             \
    V p = (V){0} + (float)-2.76076847742355e-16L;                                            \
    p = p * z + (float)2.00018790482477e-13L;                                                \
    p = p * z - (float)8.60467152213735e-11L;                                                \
    p = p * z + (float)5.12229709037114e-08L;                                                \
    p = p * z + (float)1.48572235717979e-05L;                                                \
    p = p * z + (float)6.37261928875436e-04L;                                                \
    p = p * z + (float)4.89352455891786e-03L;                                                \
    V q = (V){0} + (float)1.19825839466702e-06L;                                             \
    q = q * z + (float)1.18534705686654e-04L;                                                \
    q = q * z + (float)2.26843463243900e-03L;                                                \
    q = q * z + (float)4.89352518554385e-03L;                                                \
    return p * y / q;

static inline TARGET __attribute__((always_inline)) vector16 tanh16(vector16 x) { TANH_BODY(vector16, mask16, x) }
static inline __attribute__((target("avx2"), always_inline)) vector8 tanh8(vector8 x) { TANH_BODY(vector8, mask8, x) }

static TARGET void tanh_avx512(float *out, const float *in, long blocks) {
    for (long b = 0; b < blocks; b++) {
        vector16 x; memcpy(&x, in + 16 * b, sizeof x);
        vector16 y = tanh16(x); memcpy(out + 16 * b, &y, sizeof y);
    }
}

static __attribute__((target("avx2"))) void tanh_avx2(float *out, const float *in, long blocks) {
    for (long b = 0; b < blocks; b++) {
        vector8 x0, x1; memcpy(&x0, in + 16 * b, sizeof x0); memcpy(&x1, in + 16 * b + 8, sizeof x1);
        vector8 y0 = tanh8(x0), y1 = tanh8(x1);   // two chains in flight, as the Swift code's four SSE ones
        memcpy(out + 16 * b, &y0, sizeof y0); memcpy(out + 16 * b + 8, &y1, sizeof y1);
    }
}

static TARGET void tanh_backward_avx512(float *dx, const float *dy, const float *y, long blocks) {
    _Pragma("clang fp contract(off)")
    for (long b = 0; b < blocks; b++) {
        vector16 g, v; memcpy(&g, dy + 16 * b, sizeof g); memcpy(&v, y + 16 * b, sizeof v);
        vector16 r = g * (1.0f - v * v); memcpy(dx + 16 * b, &r, sizeof r);
    }
}

static __attribute__((target("avx2"))) void tanh_backward_avx2(float *dx, const float *dy, const float *y, long blocks) {
    _Pragma("clang fp contract(off)")
    for (long b = 0; b < 2 * blocks; b++) {
        vector8 g, v; memcpy(&g, dy + 8 * b, sizeof g); memcpy(&v, y + 8 * b, sizeof v);
        vector8 r = g * (1.0f - v * v); memcpy(dx + 8 * b, &r, sizeof r);
    }
}

int srlab_vector_level(void) {
    if (available()) return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

long srlab_tanh(int level, float *out, const float *in, long count) {
    long blocks = count / 16;
    switch (level) {
    case 2: tanh_avx512(out, in, blocks); return 16 * blocks;
    case 1: tanh_avx2(out, in, blocks); return 16 * blocks;
    default: return 0;
    }
}

long srlab_tanh_backward(int level, float *dInput, const float *dOutput, const float *output, long count) {
    long blocks = count / 16;
    switch (level) {
    case 2: tanh_backward_avx512(dInput, dOutput, output, blocks); return 16 * blocks;
    case 1: tanh_backward_avx2(dInput, dOutput, output, blocks); return 16 * blocks;
    default: return 0;
    }
}

// Winograd F(4×4, 3×3) tile transforms for training steps (WinogradF4x3.swift gives the matrices,
// Winograd.swift the layouts: each function here is the Swift one of the same name over all channels,
// the same operations in the same order, no fused multiply-adds, so the same bits). Channels go 16 at a
// time with AVX-512, 8 with AVX2, the rest 4 at a time (the engine's channel counts are multiples of 4).
typedef float vector4 __attribute__((vector_size(16), aligned(4)));

#define LOADV(V, p) ({ V _v; memcpy(&_v, (p), sizeof _v); _v; })
#define STOREV(p, x) do { __typeof__(x) _x = (x); memcpy((p), &_x, sizeof _x); } while (0)

// out_i = Σ_j Bᵀ[i][j] · d_j (WinogradF4x3.input).
#define F4X3_INPUT(V, d, out) do {                                                            \
    V t0 = d[4] - 4.0f * d[2], t1 = d[3] - 4.0f * d[1], t2 = d[4] - d[2], t3 = 2.0f * (d[3] - d[1]); \
    out[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];                                                \
    out[1] = t0 + t1; out[2] = t0 - t1; out[3] = t2 + t3; out[4] = t2 - t3;                   \
    out[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];                                                \
} while (0)

// out_i = Σ_j B[i][j] · d_j (WinogradF4x3.inputAdjoint).
#define F4X3_INPUT_ADJOINT(V, d, out) do {                                                    \
    out[0] = 4.0f * d[0];                                                                     \
    out[1] = 4.0f * (d[2] - d[1]) + 2.0f * (d[4] - d[3]) + 4.0f * d[5];                       \
    out[2] = -5.0f * d[0] - 4.0f * (d[1] + d[2]) - (d[3] + d[4]);                             \
    out[3] = (d[1] - d[2]) + 2.0f * (d[3] - d[4]) - 5.0f * d[5];                              \
    out[4] = d[0] + d[1] + d[2] + d[3] + d[4];                                                \
    out[5] = d[5];                                                                            \
} while (0)

// out_i = Σ_j Aᵀ[i][j] · m_j, six in, four out (WinogradF4x3.output).
#define F4X3_OUTPUT(V, m, out) do {                                                           \
    V sum12 = m[1] + m[2], difference12 = m[1] - m[2], sum34 = m[3] + m[4], difference34 = m[3] - m[4]; \
    out[0] = m[0] + sum12 + sum34;                                                            \
    out[1] = difference12 + 2.0f * difference34;                                              \
    out[2] = sum12 + 4.0f * sum34;                                                            \
    out[3] = difference12 + 8.0f * difference34 + m[5];                                       \
} while (0)

// out_i = Σ_j A[i][j] · m_j, four in, six out (WinogradF4x3.outputAdjoint).
#define F4X3_OUTPUT_ADJOINT(V, m, out) do {                                                   \
    V even = m[0] + m[2], odd = m[1] + m[3], evenScaled = m[0] + 4.0f * m[2], oddScaled = 2.0f * m[1] + 8.0f * m[3]; \
    out[0] = m[0]; out[1] = even + odd; out[2] = even - odd;                                  \
    out[3] = evenScaled + oddScaled; out[4] = evenScaled - oddScaled; out[5] = m[3];          \
} while (0)

#define DEFINE_F4X3_TILES(P, V, ATTR)                                                         \
/* V = Bᵀ d B for a tile of an image (rows `rs` apart, pixels `c` apart): tile row a reads     \
   image row rows[a] and column b column cols[b], zeros where either is −1 (see tile_sources); \
   point p's channels at v + p·ps. `clip` 0: every source is there (an inner tile). */        \
static inline ATTR __attribute__((always_inline)) void                                       \
P##_input_tile_from(const float *image, long rs, long c, const int *rows, const int *cols, float *v, long ps, long ch, \
                    int clip) {                                                               \
    _Pragma("clang fp contract(off)")                                                         \
    V t[36], in[6], out[6];                                                                   \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++)                                                           \
            in[a] = !clip || (rows[a] >= 0 && cols[b] >= 0)                                   \
                ? LOADV(V, image + (long)rows[a] * rs + (long)cols[b] * c + ch) : (V){0};     \
        F4X3_INPUT(V, in, out);                                                               \
        for (int i = 0; i < 6; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
    for (int a = 0; a < 6; a++) {                                                             \
        F4X3_INPUT(V, (t + a * 6), out);                                                      \
        for (int j = 0; j < 6; j++) STOREV(v + (a * 6 + j) * ps + ch, out[j]);                \
    }                                                                                         \
}                                                                                             \
static ATTR void P##_input_tile(const float *image, long rs, long c, const int *rows, const int *cols, int inner, \
                                float *v, long ps, long ch) {                                 \
    if (inner) P##_input_tile_from(image, rs, c, rows, cols, v, ps, ch, 0);                    \
    else P##_input_tile_from(image, rs, c, rows, cols, v, ps, ch, 1);                          \
}                                                                                             \
/* dd = B dV Bᵀ into a [6][6][c] block. */                                                   \
static ATTR void P##_input_adjoint_tile(const float *dv, long ps, long c, float *dd, long ch) { \
    _Pragma("clang fp contract(off)")                                                         \
    V t[36], in[6], out[6];                                                                   \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, dv + (a * 6 + b) * ps + ch);             \
        F4X3_INPUT_ADJOINT(V, in, out);                                                       \
        for (int i = 0; i < 6; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
    for (int a = 0; a < 6; a++) {                                                             \
        F4X3_INPUT_ADJOINT(V, (t + a * 6), out);                                              \
        for (int j = 0; j < 6; j++) STOREV(dd + (a * 6 + j) * c + ch, out[j]);                \
    }                                                                                         \
}                                                                                             \
/* The same, added into the image pixels the tile read (rows[a], cols[j]; none where −1): the \
   overlap-add of the input gradient, with a padding's gradient going where the padding came    \
   from (an edge pixel, replicated) or nowhere (zeros). */                                      \
static ATTR void P##_input_adjoint_add_tile(const float *dv, long ps, long c, float *image, long rs, const int *rows, \
                                            const int *cols, long ch) {                      \
    _Pragma("clang fp contract(off)")                                                         \
    V t[36], in[6], out[6];                                                                   \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, dv + (a * 6 + b) * ps + ch);             \
        F4X3_INPUT_ADJOINT(V, in, out);                                                       \
        for (int i = 0; i < 6; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
    for (int a = 0; a < 6; a++) {                                                             \
        if (rows[a] < 0) continue;                                                            \
        F4X3_INPUT_ADJOINT(V, (t + a * 6), out);                                              \
        for (int j = 0; j < 6; j++) {                                                         \
            if (cols[j] < 0) continue;                                                        \
            float *p = image + (long)rows[a] * rs + (long)cols[j] * c + ch;                   \
            STOREV(p, LOADV(V, p) + out[j]);                                                  \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
/* Y = Aᵀ M A into a [4][4][o] block. */                                                     \
static ATTR void P##_output_tile(const float *m, long ps, long o, float *y, long ch) {        \
    _Pragma("clang fp contract(off)")                                                         \
    V t[24], in[6], out[4];                                                                   \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, m + (a * 6 + b) * ps + ch);              \
        F4X3_OUTPUT(V, in, out);                                                              \
        for (int i = 0; i < 4; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
    for (int i = 0; i < 4; i++) {                                                             \
        F4X3_OUTPUT(V, (t + i * 6), out);                                                     \
        for (int k = 0; k < 4; k++) STOREV(y + (i * 4 + k) * o + ch, out[k]);                 \
    }                                                                                         \
}                                                                                             \
/* The same, plus the bias (when given), stored straight into an output image's rows `rs`     \
   apart (pixels `o` apart) at the tile's corner: rows 0..<i1 and columns 0..<j1, the part    \
   inside the image. */                                                                       \
static ATTR void P##_output_tile_store(const float *m, long ps, long o, const float *bias, float *y, long rs, \
                                       int i1, int j1, long ch) {                             \
    _Pragma("clang fp contract(off)")                                                         \
    V t[24], in[6], out[4];                                                                   \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, m + (a * 6 + b) * ps + ch);              \
        F4X3_OUTPUT(V, in, out);                                                              \
        for (int i = 0; i < 4; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
    for (int i = 0; i < i1; i++) {                                                            \
        F4X3_OUTPUT(V, (t + i * 6), out);                                                     \
        if (bias) { V b = LOADV(V, bias + ch); for (int k = 0; k < 4; k++) out[k] = out[k] + b; } \
        for (int k = 0; k < j1; k++) STOREV(y + i * rs + k * o + ch, out[k]);                 \
    }                                                                                         \
}                                                                                             \
/* dM = A dY Aᵀ: dY rows `rs` apart, pixels `o` apart, zeros outside rows i0..<i1 and      \
   columns j0..<j1. */                                                                        \
static inline ATTR __attribute__((always_inline)) void                                       \
P##_output_adjoint_tile_clipped(const float *dy, long rs, long o, int i0, int i1, int j0, int j1, float *dm, long ps, \
                                long ch, int clip) {                                          \
    _Pragma("clang fp contract(off)")                                                         \
    V t[24], in[4], out[6];                                                                   \
    for (int j = 0; j < 4; j++) {                                                             \
        for (int i = 0; i < 4; i++)                                                           \
            in[i] = !clip || (i >= i0 && i < i1 && j >= j0 && j < j1) ? LOADV(V, dy + i * rs + j * o + ch) : (V){0}; \
        F4X3_OUTPUT_ADJOINT(V, in, out);                                                      \
        for (int a = 0; a < 6; a++) t[a * 4 + j] = out[a];                                    \
    }                                                                                         \
    for (int a = 0; a < 6; a++) {                                                             \
        F4X3_OUTPUT_ADJOINT(V, (t + a * 4), out);                                             \
        for (int k = 0; k < 6; k++) STOREV(dm + (a * 6 + k) * ps + ch, out[k]);               \
    }                                                                                         \
}                                                                                             \
static ATTR void P##_output_adjoint_tile(const float *dy, long rs, long o, int i0, int i1, int j0, int j1, \
                                         float *dm, long ps, long ch) {                       \
    if (i0 == 0 && i1 == 4 && j0 == 0 && j1 == 4) P##_output_adjoint_tile_clipped(dy, rs, o, 0, 4, 0, 4, dm, ps, ch, 0); \
    else P##_output_adjoint_tile_clipped(dy, rs, o, i0, i1, j0, j1, dm, ps, ch, 1);            \
}

DEFINE_F4X3_TILES(v16, vector16, TARGET)
DEFINE_F4X3_TILES(v8, vector8, __attribute__((target("avx2"))))
DEFINE_F4X3_TILES(v4, vector4, )

// The channel loops: 16 at a time (level 2), then 8 (level ≥ 1), then 4.
#define CHANNEL_LOOP(level, count, call16, call8, call4) do {                                 \
    long ch = 0;                                                                              \
    if (level >= 2) for (; ch + 16 <= count; ch += 16) call16;                                \
    if (level >= 1) for (; ch + 8 <= count; ch += 8) call8;                                   \
    for (; ch + 4 <= count; ch += 4) call4;                                                   \
} while (0)

/// Which image row (or column) each of a tile's 6 rows reads, the tile starting at `start` in an
/// image of `limit` rows padded by `padding` on both sides: inside the image its own; in the padding
/// the nearest edge row (`replicate`) or none (−1, a zero); past the padded image none (the tile
/// overhangs the convolution's input there). Returns whether all 6 are the tile's own rows.
static int tile_sources(int start, int limit, int padding, int replicate, int *rows) {
    int inner = 1;
    for (int a = 0; a < 6; a++) {
        int r = start + a;
        if (r < 0 || r >= limit) inner = 0;
        if (r < -padding || r >= limit + padding) rows[a] = -1;
        else if (r < 0) rows[a] = replicate ? 0 : -1;
        else if (r >= limit) rows[a] = replicate ? limit - 1 : -1;
        else rows[a] = r;
    }
    return inner;
}

void srlab_f4x3_input_tile(int level, const float *image, long rowStride, long c, int top, int left, int height,
                           int width, int padding, int replicate, float *v, long pointStride) {
    int rows[6], cols[6];
    int inner = tile_sources(top, height, padding, replicate, rows) & tile_sources(left, width, padding, replicate, cols);
#define ARGS image, rowStride, c, rows, cols, inner, v, pointStride, ch
    CHANNEL_LOOP(level, c, v16_input_tile(ARGS), v8_input_tile(ARGS), v4_input_tile(ARGS));
#undef ARGS
}

void srlab_f4x3_input_adjoint_tile(int level, const float *dv, long pointStride, long c, float *dd) {
    CHANNEL_LOOP(level, c, v16_input_adjoint_tile(dv, pointStride, c, dd, ch),
                 v8_input_adjoint_tile(dv, pointStride, c, dd, ch), v4_input_adjoint_tile(dv, pointStride, c, dd, ch));
}

void srlab_f4x3_input_adjoint_add_tile(int level, const float *dv, long pointStride, long c, float *image,
                                       long rowStride, int top, int left, int height, int width, int padding,
                                       int replicate) {
    int rows[6], cols[6];
    tile_sources(top, height, padding, replicate, rows);
    tile_sources(left, width, padding, replicate, cols);
#define ARGS dv, pointStride, c, image, rowStride, rows, cols, ch
    CHANNEL_LOOP(level, c, v16_input_adjoint_add_tile(ARGS), v8_input_adjoint_add_tile(ARGS),
                 v4_input_adjoint_add_tile(ARGS));
#undef ARGS
}

void srlab_f4x3_output_tile(int level, const float *m, long pointStride, long o, float *y) {
    CHANNEL_LOOP(level, o, v16_output_tile(m, pointStride, o, y, ch), v8_output_tile(m, pointStride, o, y, ch),
                 v4_output_tile(m, pointStride, o, y, ch));
}

void srlab_f4x3_output_tile_store(int level, const float *m, long pointStride, long o, const float *bias, float *y,
                                  long rowStride, int rowsEnd, int columnsEnd) {
#define ARGS m, pointStride, o, bias, y, rowStride, rowsEnd, columnsEnd, ch
    CHANNEL_LOOP(level, o, v16_output_tile_store(ARGS), v8_output_tile_store(ARGS), v4_output_tile_store(ARGS));
#undef ARGS
}

void srlab_f4x3_output_adjoint_tile(int level, const float *dy, long rowStride, long o, int rowsBegin, int rowsEnd,
                                    int columnsBegin, int columnsEnd, float *dm, long pointStride) {
#define ARGS dy, rowStride, o, rowsBegin, rowsEnd, columnsBegin, columnsEnd, dm, pointStride, ch
    CHANNEL_LOOP(level, o, v16_output_adjoint_tile(ARGS), v8_output_adjoint_tile(ARGS), v4_output_adjoint_tile(ARGS));
#undef ARGS
}
