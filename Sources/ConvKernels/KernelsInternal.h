// What the kernel files share (not part of the module's interface): the vector types, the
// AVX-512 target, and whether the AVX-512 kernels may run here.
#ifndef SRLAB_KERNELS_INTERNAL_H
#define SRLAB_KERNELS_INTERNAL_H
#include <string.h>

#define LANES 16
typedef float vector16 __attribute__((vector_size(LANES * 4), aligned(4)));
typedef float vector8 __attribute__((vector_size(32), aligned(4)));
typedef float vector4 __attribute__((vector_size(16), aligned(4)));
#define TARGET __attribute__((target("avx512f")))

/// Whether the AVX-512 kernels run here: AVX-512, and not capped by SRLAB_MAX_ISA=avx2 (`srlab bench
/// --instruction-set avx2`). ConvKernels.c.
int srlab_avx512_available(void);

#endif
