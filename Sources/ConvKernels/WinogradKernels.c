// Winograd F(4×4, 3×3) tile transforms for training steps (WinogradF4x3.swift gives the matrices,
// Winograd.swift the layouts: each function here is the Swift one of the same name over all channels,
// the same operations in the same order, no fused multiply-adds, so the same bits). Channels go 16 at a
// time with AVX-512, 8 with AVX2, the rest 4 at a time (the engine's channel counts are multiples of 4).
#include "ConvKernels.h"
#include "KernelsInternal.h"

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
/* The first pass of dd = B dV Bᵀ: B down each of the tile's 6 columns, into t (row-major). */ \
static inline ATTR __attribute__((always_inline)) void                                       \
P##_input_adjoint_columns(const float *dv, long ps, V *t, long ch) {                          \
    _Pragma("clang fp contract(off)")                                                         \
    V in[6], out[6];                                                                          \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, dv + (a * 6 + b) * ps + ch);             \
        F4X3_INPUT_ADJOINT(V, in, out);                                                       \
        for (int i = 0; i < 6; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
}                                                                                             \
/* dd = B dV Bᵀ into a [6][6][c] block. */                                                   \
static ATTR void P##_input_adjoint_tile(const float *dv, long ps, long c, float *dd, long ch) { \
    _Pragma("clang fp contract(off)")                                                         \
    V t[36], out[6];                                                                          \
    P##_input_adjoint_columns(dv, ps, t, ch);                                                 \
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
    V t[36], out[6];                                                                          \
    P##_input_adjoint_columns(dv, ps, t, ch);                                                 \
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
/* The first pass of Y = Aᵀ M A: Aᵀ down each of the tile's 6 columns, into t (4 rows of 6). */ \
static inline ATTR __attribute__((always_inline)) void                                       \
P##_output_columns(const float *m, long ps, V *t, long ch) {                                  \
    _Pragma("clang fp contract(off)")                                                         \
    V in[6], out[4];                                                                          \
    for (int b = 0; b < 6; b++) {                                                             \
        for (int a = 0; a < 6; a++) in[a] = LOADV(V, m + (a * 6 + b) * ps + ch);              \
        F4X3_OUTPUT(V, in, out);                                                              \
        for (int i = 0; i < 4; i++) t[i * 6 + b] = out[i];                                    \
    }                                                                                         \
}                                                                                             \
/* Y = Aᵀ M A into a [4][4][o] block. */                                                     \
static ATTR void P##_output_tile(const float *m, long ps, long o, float *y, long ch) {        \
    _Pragma("clang fp contract(off)")                                                         \
    V t[24], out[4];                                                                          \
    P##_output_columns(m, ps, t, ch);                                                         \
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
    V t[24], out[4];                                                                          \
    P##_output_columns(m, ps, t, ch);                                                         \
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
