// The body of Winograd9x9.c, included once per instruction set with LANES (floats per vector),
// VECTORS (map vectors per register block), TILES (tiles per register block), TARGET and NAME set.
#include "VectorBody.h"

/// U of one row of input tiles, `count` across, the first at input (y0, x0); outside the
/// input plane the tiles read zeros. Columns first (Bᵀ down each input column, in vectors along
/// the row), then Bᵀ along the rows of each tile.
static TARGET void NAME(transform_inputs)(float *u, const float *in, int height, int width, int y0, int x0,
                                         int count, float *columns, long span, const float *zeros) {
    const float *d[5];
    for (int r = 0; r < 5; r++) d[r] = (y0 + r >= 0 && y0 + r < height) ? in + (long)(y0 + r) * width : zeros;
    int reach = 3 * (count - 1) + 5;
    int from = x0 < 0 ? -x0 : 0, to = x0 + reach > width ? width - x0 : reach;
    float *c0 = columns, *c1 = c0 + span, *c2 = c1 + span, *c3 = c2 + span, *c4 = c3 + span;
    for (int x = 0; x < from; x++) c0[x] = c1[x] = c2[x] = c3[x] = c4[x] = 0;
    for (int x = to > from ? to : from; x < reach; x++) c0[x] = c1[x] = c2[x] = c3[x] = c4[x] = 0;
    for (int x = from; x < to; x++) {
        float d0 = d[0][x0 + x], d1 = d[1][x0 + x], d2 = d[2][x0 + x], d3 = d[3][x0 + x], d4 = d[4][x0 + x];
        c0[x] = 2 * d0 - d1 - 2 * d2 + d3;
        c1[x] = -2 * d1 - d2 + d3;
        c2[x] = 2 * d1 - 3 * d2 + d3;
        c3[x] = -d1 + d3;
        c4[x] = 2 * d1 - d2 - 2 * d3 + d4;
    }
    for (int b = 0; b < count; b++) {
        float *t = u + (long)b * 25;
        for (int i = 0; i < 5; i++) {
            const float *s = columns + i * span + 3 * b;
            t[i * 5 + 0] = 2 * s[0] - s[1] - 2 * s[2] + s[3];
            t[i * 5 + 1] = -2 * s[1] - s[2] + s[3];
            t[i * 5 + 2] = 2 * s[1] - 3 * s[2] + s[3];
            t[i * 5 + 3] = -s[1] + s[3];
            t[i * 5 + 4] = 2 * s[1] - s[2] - 2 * s[3] + s[4];
        }
    }
}

/// M = Σ_pq U(a+p, b+q) ⊙ V_pq for `nt` consecutive tiles, maps c0 … c0 + VECTORS·LANES − 1,
/// into m[(t · 25 + ξ) · VECTORS·LANES + c − c0]. `u` points at U(a, b); a row of U tiles is `rowStride` floats.
static inline TARGET __attribute__((always_inline)) void
NAME(multiply)(float *m, const float *u, long rowStride, const float *v, int channels, int c0, int nt) {
    for (int xi = 0; xi < 25; xi++) {
        VEC acc[TILES][VECTORS];
        for (int t = 0; t < nt; t++)
            for (int k = 0; k < VECTORS; k++) acc[t][k] = (VEC){0};
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++) {
                const float *w = v + ((long)(p * 3 + q) * 25 + xi) * channels + c0;
                VEC wk[VECTORS];
                for (int k = 0; k < VECTORS; k++) wk[k] = NAME(load)(w + k * LANES);
                const float *s = u + p * rowStride + q * 25 + xi;
                for (int t = 0; t < nt; t++) {
                    VEC x = NAME(splat)(s[t * 25]);
                    for (int k = 0; k < VECTORS; k++) acc[t][k] += x * wk[k];
                }
            }
        for (int t = 0; t < nt; t++)
            for (int k = 0; k < VECTORS; k++) NAME(store)(m + ((long)t * 25 + xi) * (VECTORS * LANES) + k * LANES, acc[t][k]);
    }
}

/// Y = Aᵀ M A for a tile, maps c0 … c0 + VECTORS·LANES − 1 (M as `multiply` leaves it), plus bias
/// and ReLU as asked, into the output pixels of the tile (corner oy, ox) that lie inside outH × outW
/// (rows `outRowStride` floats apart).
static inline TARGET void NAME(transform_output)(float *out, long outRowStride, const float *m, int channels, int c0,
                                                 int outH, int outW, int oy, int ox, const float *bias, int relu) {
    for (int k = 0; k < VECTORS; k++) {
        const float *mk = m + k * LANES;
        int c = c0 + k * LANES;
        VEC t[3][5];
        for (int j = 0; j < 5; j++) {
            VEC m0 = NAME(load)(mk + (0 * 5 + j) * (VECTORS * LANES)), m1 = NAME(load)(mk + (1 * 5 + j) * (VECTORS * LANES)),
                m2 = NAME(load)(mk + (2 * 5 + j) * (VECTORS * LANES)), m3 = NAME(load)(mk + (3 * 5 + j) * (VECTORS * LANES)),
                m4 = NAME(load)(mk + (4 * 5 + j) * (VECTORS * LANES));
            VEC sum = m1 + m2, difference = m1 - m2;
            t[0][j] = m0 + sum + m3;
            t[1][j] = difference + 2 * m3;
            t[2][j] = sum + 4 * m3 + m4;
        }
        VEC b = bias ? NAME(load)(bias + c) : (VEC){0};
        for (int r = 0; r < 3; r++) {
            if (oy + r < 0 || oy + r >= outH) continue;
            VEC sum = t[r][1] + t[r][2], difference = t[r][1] - t[r][2], y[3];
            y[0] = t[r][0] + sum + t[r][3];
            y[1] = difference + 2 * t[r][3];
            y[2] = sum + 4 * t[r][3] + t[r][4];
            for (int j = 0; j < 3; j++) {
                if (ox + j < 0 || ox + j >= outW) continue;
                VEC value = y[j] + b;
                if (relu) value = __builtin_elementwise_max(value, (VEC){0});
                NAME(store)(out + (long)(oy + r) * outRowStride + (long)(ox + j) * channels + c, value);
            }
        }
    }
}

static TARGET void NAME(winograd9)(float *out, long outRowStride, const float *in, const float *v, int height, int width,
                                  int channels, int top, int left, int down, int across, const float *bias, int relu,
                                  float *scratch) {
    int outH = height - 8, outW = width - 8;
    long rowStride = (long)(across + 2) * 25, span = 3L * (across + 2) + 16;
    float *u = scratch, *columns = u + (long)(down + 2) * rowStride, *zeros = columns + 5 * span;
    float *m = zeros + span;
    memset(zeros, 0, sizeof(float) * span);
    for (int a = 0; a < down + 2; a++)
        NAME(transform_inputs)(u + a * rowStride, in, height, width, top + 3 * a, left, across + 2, columns, span, zeros);
    int chunk = VECTORS * LANES;
    for (int a = 0; a < down; a++) {
        const float *row = u + a * rowStride;
        int b = 0;
        for (; b + TILES <= across; b += TILES) {
            for (int c0 = 0; c0 < channels; c0 += chunk) {
                NAME(multiply)(m, row + b * 25, rowStride, v, channels, c0, TILES);
                for (int t = 0; t < TILES; t++)
                    NAME(transform_output)(out, outRowStride, m + (long)t * 25 * chunk, channels, c0, outH, outW,
                                           top + 3 * a, left + 3 * (b + t), bias, relu);
            }
        }
        for (; b < across; b++) {
            for (int c0 = 0; c0 < channels; c0 += chunk) {
                NAME(multiply)(m, row + b * 25, rowStride, v, channels, c0, 1);
                NAME(transform_output)(out, outRowStride, m, channels, c0, outH, outW, top + 3 * a, left + 3 * b, bias,
                                       relu);
            }
        }
    }
}
#undef VEC
