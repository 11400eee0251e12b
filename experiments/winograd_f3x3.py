#!/usr/bin/env python3
"""Derives the Winograd F(3×3, 3×3) matrices of Sources/ConvKernels/Winograd9x9.c and measures the
float32 error of SRCNN's 9×9 first layer computed through them.

The 9×9 kernel is split into nine 3×3 sub-kernels at offsets (3p, 3q); each input tile's
transform U = Bᵀ d B serves the nine output tiles it lies under, and an output tile's 3×3 pixels
are Aᵀ [Σ_pq U(a+p, b+q) ⊙ G g_pq Gᵀ] A. Prints Aᵀ, G and Bᵀ for each candidate set of points
(0, 1, −1 and a fourth, with ∞), then the error of the whole 9×9 layer (1 → 64 maps, input in
[0, 1), weights N(0, 0.05)) in float32 against float64 direct convolution, relative to the
output's largest magnitude, beside the float32 direct sum's, over six seeds. The four sets give
much the same error (about 2× the direct sum's); the kernel uses 0, 1, −1, 2, ∞, whose Aᵀ and Bᵀ
are small integers.

Needs sympy and numpy:  python3 experiments/winograd_f3x3.py
"""
import numpy as np
import sympy as sp

from winograd_f3x5 import matrices, swift

CANDIDATES = [("0", "1", "-1", "2"), ("0", "1", "-1", "1/2"), ("0", "1", "-1", "-2"), ("0", "1", "-1", "-1/2")]


def nine_by_nine_error(at, g, bt, seed=0, maps=64, tiles=10):
    rng = np.random.default_rng(seed)
    h = 3 * tiles + 8
    x = rng.random((h, h)).astype(np.float32)
    w = (rng.standard_normal((9, 9, maps)) * 0.05).astype(np.float32)
    ho = h - 8
    ref = np.zeros((ho, ho, maps))
    direct = np.zeros((ho, ho, maps), np.float32)
    for dy in range(9):
        for dx in range(9):
            ref += x[dy:dy + ho, dx:dx + ho, None].astype(np.float64) * w[dy, dx].astype(np.float64)
            direct = (direct + x[dy:dy + ho, dx:dx + ho, None] * w[dy, dx]).astype(np.float32)
    f = np.float32
    at, g64, bt = (np.array(m.tolist(), dtype=np.float64) for m in (at, g, bt))
    at, bt = at.astype(f), bt.astype(f)
    v = np.zeros((3, 3, 5, 5, maps), f)
    for p in range(3):
        for q in range(3):
            v[p, q] = np.einsum("ia,abo,jb->ijo", g64, w[3 * p:3 * p + 3, 3 * q:3 * q + 3].astype(np.float64), g64)
    u = np.zeros((tiles + 2, tiles + 2, 5, 5), f)
    for a in range(tiles + 2):
        for b in range(tiles + 2):
            u[a, b] = bt @ x[3 * a:3 * a + 5, 3 * b:3 * b + 5] @ bt.T
    y = np.zeros((ho, ho, maps), f)
    for a in range(tiles):
        for b in range(tiles):
            m = np.zeros((5, 5, maps), f)
            for p in range(3):
                for q in range(3):
                    m = (m + u[a + p, b + q][:, :, None] * v[p, q]).astype(f)
            y[3 * a:3 * a + 3, 3 * b:3 * b + 3] = np.einsum("ai,ijo,bj->abo", at, m, at)
    scale = np.abs(ref).max()
    return np.abs(y - ref).max() / scale, np.abs(direct - ref).max() / scale


if __name__ == "__main__":
    for points in CANDIDATES:
        at, g, bt = matrices([sp.Rational(p) for p in points], m=3, r=3)
        print(f"points {', '.join(points)}, ∞:")
        print("  Aᵀ =", at.tolist(), "\n  G =", g.tolist(), "\n  Bᵀ =", bt.tolist())
        if points == CANDIDATES[0]:
            print("  input transform (Bᵀ):"); swift(bt, "d")
            print("  output transform (Aᵀ):"); swift(at, "m")
        errors = np.array([nine_by_nine_error(at, g, bt, seed=seed) for seed in range(6)])
        print(f"  9×9 layer, float32 error relative to the largest output, seeds 0–5: mean {errors[:, 0].mean():.2e}, "
              f"max {errors[:, 0].max():.2e} (direct sum: mean {errors[:, 1].mean():.2e}, max {errors[:, 1].max():.2e})")
