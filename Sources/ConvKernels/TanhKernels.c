// tanh for training steps: the same arithmetic as the Swift `tanhVector` (Eigen's rational
// approximation; Tanh.swift), lane by lane and in the same order, so the same bits, but 16 lanes per
// AVX-512 instruction (8 per AVX2 one) where Swift's portable build runs SSE. No fused multiply-adds
// here (they would change the rounding); the constants go through long double as Swift's literals
// do (its widest literal type on x86 is Float80), so each rounds to the same float.
#include "ConvKernels.h"
#include "KernelsInternal.h"

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
