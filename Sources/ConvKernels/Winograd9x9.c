// SRCNN's 9×9 single-channel first layer by Winograd F(3×3, 3×3) on a 3×3 grid of 3×3 sub-kernels
// (Winograd9x9.h). The 9×9 kernel is nine 3×3 kernels g_pq at offsets (3p, 3q); output tile (a, b)
// (3×3 pixels at 3a, 3b) is
//     Y = Aᵀ [ Σ_pq U(a+p, b+q) ⊙ V_pq ] A,   U(a', b') = Bᵀ d(a', b') B,  V_pq = G g_pq Gᵀ,
// where d(a', b') is the 5×5 input at (3a', 3b'). Since the offsets are multiples of the tile
// step, every input tile is transformed once and serves nine output tiles, and each output pixel
// costs 25/9 · 9 = 25 multiply-adds per map instead of 81. The single input channel makes U cheap;
// the maps are the vector lanes. Points 0, 1, −1, 2 and ∞ (experiments/winograd_f3x3.py derives
// the matrices and measures the float32 error on a 1 → 64 layer: 7.9e-7 of the largest output on
// average, against 3.4e-7 for the direct sum).
//
// The body is compiled twice, for AVX-512 (16 lanes, 3 tiles × 4 vectors of maps in registers) and
// for AVX2 with FMA (8 lanes, 5 tiles × 2 vectors); the CPU picks at run time. Those blocks ran
// fastest on an AMD EPYC (Zen 4) among 2–8 tiles × 1–4 vectors (a C harness timing the kernel on a
// 256² image band by band, thread CPU time: 2.76 ms with AVX-512, 2.86–3.11 for the others, 6 × 4
// spilling an accumulator; 3.18 ms with AVX2 against 3.4–4.2).
#include "ConvKernels.h"
#include <stdlib.h>
#include <string.h>

#define LANES 16
#define VECTORS 4
#define TILES 3
#define TARGET __attribute__((target("avx512f")))
#define NAME(name) name##_avx512
#include "Winograd9x9Body.h"
#undef LANES
#undef VECTORS
#undef TILES
#undef TARGET
#undef NAME

#define LANES 8
#define VECTORS 2
#define TILES 5
#define TARGET __attribute__((target("avx2,fma")))
#define NAME(name) name##_avx2
#include "Winograd9x9Body.h"

/// The instruction set this CPU runs, capped by SRLAB_MAX_ISA=avx2.
static int variant(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    if (__builtin_cpu_supports("avx512f") && !(cap && strcmp(cap, "avx2") == 0)) return 512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 256;
    return 0;
}

const char *srlab_winograd9_variant(void) {
    switch (variant()) {
    case 512: return "avx512";
    case 256: return "avx2";
    default: return "none";
    }
}

int srlab_winograd9_map_multiple(void) {
    switch (variant()) {
    case 512: return 16 * 4;
    case 256: return 8 * 2;
    default: return 0;
    }
}

void srlab_winograd9_kernels(float *v, const float *weight, int channels) {
    // G for the points 0, 1, −1, 2, ∞, applied on both sides of each 3×3 sub-kernel.
    static const double g[5][3] = {{0.5, 0, 0}, {-0.5, -0.5, -0.5}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 6, 1.0 / 3, 2.0 / 3}, {0, 0, 1}};
    for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
            for (int c = 0; c < channels; c++) {
                double gw[5][3];  // G g_pq
                for (int i = 0; i < 5; i++)
                    for (int x = 0; x < 3; x++) {
                        double s = 0;
                        for (int y = 0; y < 3; y++) s += g[i][y] * weight[((3 * p + y) * 9 + 3 * q + x) * channels + c];
                        gw[i][x] = s;
                    }
                for (int i = 0; i < 5; i++)
                    for (int j = 0; j < 5; j++) {
                        double s = 0;
                        for (int x = 0; x < 3; x++) s += gw[i][x] * g[j][x];
                        v[((p * 3 + q) * 25 + i * 5 + j) * (long)channels + c] = (float)s;
                    }
            }
}

/// Output tiles down and across for an output of outH × outW whose grid starts `top`, `left`
/// (0, −1 or −2) from its corner.
static void grid(int outH, int outW, int phaseRows, int phaseColumns, int *top, int *left, int *down, int *across) {
    *top = phaseRows == 0 ? 0 : phaseRows - 3;
    *left = phaseColumns == 0 ? 0 : phaseColumns - 3;
    *down = (outH - *top + 2) / 3;
    *across = (outW - *left + 2) / 3;
}

long srlab_winograd9_scratch(int height, int width, int channels) {
    int top, left, down, across;
    grid(height - 8, width - 8, 0, 0, &top, &left, &down, &across);
    down += 1; across += 1;  // a phase adds at most one tile each way
    long u = (long)(down + 2) * (across + 2) * 25;
    long columns = 6L * (3L * (across + 2) + 16);  // five transformed rows and a row of zeros
    long m = 5L * 25 * channels;  // M of a block of TILES (at most 5) tiles
    return u + columns + m;
}

int srlab_winograd9(float *out, long outRowStride, const float *in, const float *v, int height, int width, int channels,
                    int phaseRows, int phaseColumns, const float *bias, int relu, float *scratch) {
    int outH = height - 8, outW = width - 8;
    if (outH < 1 || outW < 1 || phaseRows < 0 || phaseRows > 2 || phaseColumns < 0 || phaseColumns > 2) return 0;
    if (outRowStride < (long)outW * channels) return 0;
    int top, left, down, across;
    grid(outH, outW, phaseRows, phaseColumns, &top, &left, &down, &across);
    switch (variant()) {
    case 512:
        if (channels % (16 * 4) != 0) return 0;
        winograd9_avx512(out, outRowStride, in, v, height, width, channels, top, left, down, across, bias, relu, scratch);
        return 1;
    case 256:
        if (channels % (8 * 2) != 0) return 0;
        winograd9_avx2(out, outRowStride, in, v, height, width, channels, top, left, down, across, bias, relu, scratch);
        return 1;
    default: return 0;
    }
}
