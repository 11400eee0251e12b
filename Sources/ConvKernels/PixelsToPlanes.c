// Pixel-major rows to channel-major planes, with a layer's bias and ReLU on the way: SRCNN 9-1-5's
// 1×1 layer runs as small products on the pixel-major rows its Winograd first layer writes
// (SmallProducts.c), and its last layer reads planes. Eight pixels × eight channels at a time,
// transposed in registers (a scalar loop cost a quarter of the products' time).
#include "ConvKernels.h"
#include <string.h>

typedef float vector8 __attribute__((vector_size(32), aligned(4)));
#define TARGET __attribute__((target("avx2")))

static inline TARGET vector8 load8(const float *p) { vector8 v; memcpy(&v, p, sizeof v); return v; }
static inline TARGET void store8(float *p, vector8 v) { memcpy(p, &v, sizeof v); }

/// Rows r[0..7] (8 channels of pixels 0–7) to columns: out[i] holds channel i of the 8 pixels.
static inline TARGET void transpose8(const vector8 r[8], vector8 out[8]) {
    vector8 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        for (int j = 0; j < 2; j++) {
            u[i + 2 * j] = __builtin_shufflevector(t[i + j], t[i + j + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * j + 1] = __builtin_shufflevector(t[i + j], t[i + j + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    }
    for (int i = 0; i < 4; i++) {
        out[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        out[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

static TARGET void to_planes(float *planes, long planeStride, const float *src, long pixels, int channels,
                             const float *bias) {
    const vector8 zero = {0};
    long x = 0;
    for (; x + 8 <= pixels; x += 8) {
        for (int c0 = 0; c0 < channels; c0 += 8) {
            vector8 rows[8], columns[8];
            for (int i = 0; i < 8; i++) rows[i] = load8(src + (x + i) * channels + c0);
            transpose8(rows, columns);
            for (int i = 0; i < 8; i++) {
                vector8 b;
                for (int l = 0; l < 8; l++) b[l] = bias[c0 + i];
                store8(planes + (c0 + i) * planeStride + x, __builtin_elementwise_max(columns[i] + b, zero));
            }
        }
    }
    for (; x < pixels; x++) {
        for (int c = 0; c < channels; c++) {
            float y = src[x * channels + c] + bias[c];
            planes[c * planeStride + x] = y > 0 ? y : 0;
        }
    }
}

int srlab_pixels_to_planes_bias_relu(float *planes, long planeStride, const float *src, long pixels, int channels,
                                     const float *bias) {
    if (channels % 8 != 0 || !(__builtin_cpu_supports("avx2"))) return 0;
    to_planes(planes, planeStride, src, pixels, channels, bias);
    return 1;
}
