// The vector type of a kernel body compiled once per instruction set (the including body has
// LANES, TARGET and NAME set), with its unaligned load and store and a splat. The body #undefs VEC
// at its end.
#define VEC NAME(vector)
typedef float VEC __attribute__((vector_size(LANES * 4), aligned(4)));

static inline TARGET VEC NAME(load)(const float *p) { VEC v; memcpy(&v, p, sizeof v); return v; }
static inline TARGET void NAME(store)(float *p, VEC v) { memcpy(p, &v, sizeof v); }
/// x in every lane (not `(VEC){0} + x`: that add cannot be dropped without fast-math, as 0 + −0 is +0).
static inline TARGET VEC NAME(splat)(float x) {
    VEC v;
    for (int i = 0; i < LANES; i++) v[i] = x;
    return v;
}
