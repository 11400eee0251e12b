// The body of SmallProducts.c, included once per instruction set with LANES (floats per
// vector), VECTORS (column vectors per register block; VECTORS · LANES = 32), TILES (rows per
// register block), TARGET and NAME set.
#include "VectorBody.h"

/// ROWS rows of one point's product from `row`, 32 columns from `column`: acc = C (or 0), then
/// acc += A(i, j) · B(j, ·) for j = 0, 1, …, k − 1, one fused multiply-add each. `ROWS` is TILES
/// for whole blocks and 1 for the rest, so every element gets the same chain either way.
#define PRODUCT_BLOCK(ROWS)                                                                            \
    do {                                                                                               \
        VEC acc[ROWS][VECTORS];                                                                        \
        for (int i = 0; i < ROWS; i++)                                                                 \
            for (int v = 0; v < VECTORS; v++)                                                          \
                acc[i][v] = accumulate ? NAME(load)(c + (row + i) * ldc + column + v * LANES) : NAME(splat)(0); \
        for (long j = 0; j < k; j++) {                                                                 \
            /* The row values first, then one column vector at a time: with AVX2's 16 registers, */    \
            /* 12 accumulators, 3 broadcasts and 1 vector of B fit without spilling.           */    \
            VEC x[ROWS];                                                                               \
            for (int i = 0; i < ROWS; i++) x[i] = NAME(splat)(a[(row + i) * aRow + j * aDepth]);       \
            for (int v = 0; v < VECTORS; v++) {                                                        \
                VEC y = NAME(load)(b + j * ldb + column + v * LANES);                                  \
                for (int i = 0; i < ROWS; i++) acc[i][v] = __builtin_elementwise_fma(x[i], y, acc[i][v]); \
            }                                                                                          \
        }                                                                                              \
        for (int i = 0; i < ROWS; i++)                                                                 \
            for (int v = 0; v < VECTORS; v++) NAME(store)(c + (row + i) * ldc + column + v * LANES, acc[i][v]); \
    } while (0)

/// The same for ROWS rows of the 8 columns from `column` (TYPE: a vector of 8 floats) or of the one column
/// `column` (float): the last n mod 32 columns, with the same chain per element.
#define TAIL_BLOCK(TYPE, LOAD, STORE, SPLAT, ROWS)                                                     \
    do {                                                                                               \
        TYPE acc[ROWS];                                                                                \
        for (int i = 0; i < ROWS; i++) acc[i] = accumulate ? LOAD(c + (row + i) * ldc + column) : SPLAT(0); \
        for (long j = 0; j < k; j++) {                                                                 \
            TYPE y = LOAD(b + j * ldb + column);                                                       \
            for (int i = 0; i < ROWS; i++)                                                             \
                acc[i] = __builtin_elementwise_fma(SPLAT(a[(row + i) * aRow + j * aDepth]), y, acc[i]); \
        }                                                                                              \
        for (int i = 0; i < ROWS; i++) STORE(c + (row + i) * ldc + column, acc[i]);                     \
    } while (0)

typedef float NAME(narrow) __attribute__((vector_size(32), aligned(4)));
static inline TARGET NAME(narrow) NAME(load_narrow)(const float *p) { NAME(narrow) v; memcpy(&v, p, sizeof v); return v; }
static inline TARGET void NAME(store_narrow)(float *p, NAME(narrow) v) { memcpy(p, &v, sizeof v); }
static inline TARGET NAME(narrow) NAME(splat_narrow)(float x) { NAME(narrow) v = {x, x, x, x, x, x, x, x}; return v; }
static inline TARGET float NAME(load_one)(const float *p) { return *p; }
static inline TARGET void NAME(store_one)(float *p, float x) { *p = x; }
static inline TARGET float NAME(splat_one)(float x) { return x; }

static TARGET void NAME(products)(long m, long n, long k, const float *a, long aRow, long aDepth, const float *b,
                                  long ldb, float *c, long ldc, int accumulate) {
    long column = 0, row;
    for (; column + VECTORS * LANES <= n; column += VECTORS * LANES) {
        for (row = 0; row + TILES <= m; row += TILES) PRODUCT_BLOCK(TILES);
        for (; row < m; row++) PRODUCT_BLOCK(1);
    }
    for (; column + 8 <= n; column += 8) {
        for (row = 0; row + 4 <= m; row += 4)
            TAIL_BLOCK(NAME(narrow), NAME(load_narrow), NAME(store_narrow), NAME(splat_narrow), 4);
        for (; row < m; row++) TAIL_BLOCK(NAME(narrow), NAME(load_narrow), NAME(store_narrow), NAME(splat_narrow), 1);
    }
    for (; column < n; column++) {
        for (row = 0; row + 4 <= m; row += 4) TAIL_BLOCK(float, NAME(load_one), NAME(store_one), NAME(splat_one), 4);
        for (; row < m; row++) TAIL_BLOCK(float, NAME(load_one), NAME(store_one), NAME(splat_one), 1);
    }
}

#undef PRODUCT_BLOCK
#undef TAIL_BLOCK
#undef VEC
