// The body of WinogradTransforms.c, included once per instruction set with LANES, TARGET and NAME set.
#include "VectorBody.h"

// F(3×3, 5×5): 7×7 tiles, 3×3 outputs.

/// out_i = Σ_j Bᵀ[i][j] · in_j over `count` channels; rows `sStride`, `vStride` apart.
static inline TARGET void NAME(input)(const float *s, long sStride, float *v, long vStride, int count) {
    for (int c = 0; c < count; c += LANES) {
        VEC d0 = NAME(load)(s + c), d1 = NAME(load)(s + sStride + c), d2 = NAME(load)(s + 2 * sStride + c),
            d3 = NAME(load)(s + 3 * sStride + c), d4 = NAME(load)(s + 4 * sStride + c),
            d5 = NAME(load)(s + 5 * sStride + c), d6 = NAME(load)(s + 6 * sStride + c);
        NAME(store)(v + c, -2 * d0 + 4 * d1 + 2.5f * d2 - 5 * d3 - 0.5f * d4 + d5);
        NAME(store)(v + vStride + c, 2 * d1 - 2 * d2 - 4.5f * d3 + 0.5f * d4 + d5);
        NAME(store)(v + 2 * vStride + c, -2 * d1 + 6 * d2 - 3.5f * d3 - 1.5f * d4 + d5);
        NAME(store)(v + 3 * vStride + c, d1 - 1.5f * d2 - 2 * d3 + 1.5f * d4 + d5);
        NAME(store)(v + 4 * vStride + c, -d1 + 2.5f * d2 - 2.5f * d4 + d5);
        NAME(store)(v + 5 * vStride + c, 4 * d1 - 5 * d3 + d5);
        NAME(store)(v + 6 * vStride + c, -2 * d1 + 4 * d2 + 2.5f * d3 - 5 * d4 - 0.5f * d5 + d6);
    }
}

/// out_i = Σ_j Aᵀ[i][j] · in_j: seven rows in, three out.
static inline TARGET void NAME(output)(const float *s, long sStride, float *y, long yStride, int count) {
    for (int c = 0; c < count; c += LANES) {
        VEC m0 = NAME(load)(s + c), m1 = NAME(load)(s + sStride + c), m2 = NAME(load)(s + 2 * sStride + c),
            m3 = NAME(load)(s + 3 * sStride + c), m4 = NAME(load)(s + 4 * sStride + c),
            m5 = NAME(load)(s + 5 * sStride + c), m6 = NAME(load)(s + 6 * sStride + c);
        NAME(store)(y + c, m0 + m1 + m2 + m3 + m4 + m5);
        NAME(store)(y + yStride + c, m1 - m2 + 2 * m3 - 2 * m4 + 0.5f * m5);
        NAME(store)(y + 2 * yStride + c, m1 + m2 + 4 * m3 + 4 * m4 + 0.25f * m5 + m6);
    }
}

/// V = Bᵀ d B: columns first, then rows, as transformInputTile.
static TARGET void NAME(f3x5_input_tile)(const float *d, long rowStride, int c, float *tmp, float *v, long ps) {
    for (int b = 0; b < 7; b++) NAME(input)(d + (long)b * c, rowStride, tmp + (long)b * c, 7L * c, c);
    for (int a = 0; a < 7; a++) NAME(input)(tmp + (long)a * 7 * c, c, v + (long)a * 7 * ps, ps, c);
}

/// `tiles` horizontally adjacent tiles (corners 3 columns apart, all inside the image) at once:
/// each of their 3·(tiles − 1) + 7 columns is transformed once into `columns` ([column][7][c]),
/// where tile by tile it would be transformed by each of the two or three tiles it falls in; then
/// each tile's rows. Every value goes through the same operations as in f3x5_input_tile.
static TARGET void NAME(f3x5_input_tiles)(const float *d, long rowStride, int c, int tiles, float *columns, float *v,
                                          long ps, long tileStride) {
    int width = 3 * (tiles - 1) + 7;
    for (int j = 0; j < width; j++) NAME(input)(d + (long)j * c, rowStride, columns + (long)j * 7 * c, c, c);
    for (int t = 0; t < tiles; t++)
        for (int a = 0; a < 7; a++)
            NAME(input)(columns + ((long)3 * t * 7 + a) * c, 7L * c, v + t * tileStride + (long)a * 7 * ps, ps, c);
}

/// Y = Aᵀ M A, as transformOutputTile.
static TARGET void NAME(f3x5_output_tile)(const float *m, long ps, int o, float *tmp, float *y) {
    for (int b = 0; b < 7; b++) NAME(output)(m + (long)b * ps, 7 * ps, tmp + (long)b * o, 7L * o, o);
    for (int i = 0; i < 3; i++) NAME(output)(tmp + (long)i * 7 * o, o, y + (long)i * 3 * o, o, o);
}
#undef VEC
