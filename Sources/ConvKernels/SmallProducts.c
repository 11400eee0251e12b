// Batches of small products C_p = A_p · B_p with few columns. A Winograd layer has one per tile
// point p: [tiles × C]·[C × O] forward, [tiles × O]·[O × C] for the input gradient and
// [C × tiles]·[tiles × O] for the weight gradient; SRCNN 9-1-5's 1×1 layer is one,
// [pixels × 64]·[64 × 32]. OpenBLAS packs such small GEMMs before it multiplies. On SRCNN 9-5-5's
// middle layer (83 tiles × 64 → 32, 49 points, one thread, C harness on an AMD EPYC Zen 4) its
// Haswell kernel reached 79 GFLOP/s and this one 112 with AVX2, both 109–110 with AVX-512, against
// a measured single-core FMA peak of about 117. B_p (at most 64 × 64 floats) stays in L1 while the
// rows stream past it.
//
// Every element is one chain of fused multiply-adds over k in order, from 0 (or from C when
// accumulating), whatever the row or column block, the vector width or the thread that runs it: the
// result is the same bits with AVX2 and AVX-512 and does not depend on how many rows or columns a
// call gets, so a tiled image's pixels come out the same in every tiling, whatever BLAS kernel the
// machine has. Columns go 32 at a time, then 8, then one.
#include "ConvKernels.h"
#include <string.h>

#define LANES 16
#define VECTORS 2
#define TILES 8
#define TARGET __attribute__((target("avx512f")))
#define NAME(name) name##_avx512
#include "SmallProductsBody.h"
#undef LANES
#undef VECTORS
#undef TILES
#undef TARGET
#undef NAME

#define LANES 8
#define VECTORS 4
#define TILES 3
#define TARGET __attribute__((target("avx2,fma")))
#define NAME(name) name##_avx2
#include "SmallProductsBody.h"

int srlab_small_products(int level, long points, long m, long n, long k, const float *a, long aPoint, long aRow,
                         long aDepth, const float *b, long bPoint, long ldb, float *c, long cPoint, long ldc,
                         int accumulate) {
    if (level < 1 || level > srlab_vector_level()) return 0;
    for (long p = 0; p < points; p++) {
        if (level == 2)
            products_avx512(m, n, k, a + p * aPoint, aRow, aDepth, b + p * bPoint, ldb, c + p * cPoint, ldc, accumulate);
        else
            products_avx2(m, n, k, a + p * aPoint, aRow, aDepth, b + p * bPoint, ldb, c + p * cPoint, ldc, accumulate);
    }
    return 1;
}
