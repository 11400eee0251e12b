// The tile transforms of Winograd F(3×3, 5×5) (Sources/ConvNet/WinogradF3x5.swift, engine in
// Winograd.swift) in vectors of 8 (AVX2) or 16 (AVX-512) channels; F(4×4, 3×3)'s are in
// WinogradKernels.c. The Swift ones run on SIMD4, built for the x86-64 baseline (SSE): on SRCNN
// 9-5-5's middle layer they took a quarter of the inference time. Same operations in the same order, and no fused multiply-adds (the pragma), so
// the results are bit for bit the Swift transforms' (WinogradTransformTests checks it).
#include "ConvKernels.h"
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)

#define LANES 16
#define TARGET __attribute__((target("avx512f")))
#define NAME(name) name##_avx512
#include "WinogradTransformsBody.h"
#undef LANES
#undef TARGET
#undef NAME

#define LANES 8
#define TARGET __attribute__((target("avx2")))
#define NAME(name) name##_avx2
#include "WinogradTransformsBody.h"

int srlab_winograd_transform_lanes(void) {
    const char *cap = getenv("SRLAB_MAX_ISA");
    if (__builtin_cpu_supports("avx512f") && !(cap && strcmp(cap, "avx2") == 0)) return 16;
    if (__builtin_cpu_supports("avx2")) return 8;
    return 0;
}

void srlab_f3x5_input_tile(int lanes, const float *d, long rowStride, int channels, float *tmp, float *v,
                           long pointStride) {
    if (lanes == 16) f3x5_input_tile_avx512(d, rowStride, channels, tmp, v, pointStride);
    else f3x5_input_tile_avx2(d, rowStride, channels, tmp, v, pointStride);
}

void srlab_f3x5_input_tiles(int lanes, const float *d, long rowStride, int channels, int tiles, float *columns,
                            float *v, long pointStride, long tileStride) {
    if (lanes == 16) f3x5_input_tiles_avx512(d, rowStride, channels, tiles, columns, v, pointStride, tileStride);
    else f3x5_input_tiles_avx2(d, rowStride, channels, tiles, columns, v, pointStride, tileStride);
}

void srlab_f3x5_output_tile(int lanes, const float *m, long pointStride, int channels, float *tmp, float *y) {
    if (lanes == 16) f3x5_output_tile_avx512(m, pointStride, channels, tmp, y);
    else f3x5_output_tile_avx2(m, pointStride, channels, tmp, y);
}

