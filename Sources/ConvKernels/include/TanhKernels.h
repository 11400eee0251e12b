#ifndef SRLAB_TANH_KERNELS_H
#define SRLAB_TANH_KERNELS_H

/// tanh over `count` floats, and its gradient dInput = dOutput · (1 − output²), by the same
/// arithmetic as the Swift `tanhVector` and `tanhBackward` (the same bits), 16 lanes per instruction
/// at level 2, 8 at level 1. They do whole blocks of 16 and return how many values they did (0 at
/// level 0); the caller does the rest. `out` may be `in`, `dInput` `dOutput`.
long srlab_tanh(int level, float *_Nonnull out, const float *_Nonnull in, long count);
long srlab_tanh_backward(int level, float *_Nonnull dInput, const float *_Nonnull dOutput, const float *_Nonnull output,
                         long count);

#endif
