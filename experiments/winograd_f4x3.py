#!/usr/bin/env python3
"""Derives the Winograd F(4×4, 3×3) matrices used in Sources/ConvNet/WinogradF4x3.swift and checks them.

Same Toom-Cook construction as experiments/winograd_f3x5.py (whose functions this reuses), with
the interpolation points 0, 1, −1, 2, −2 and ∞ (Lavin & Gray 2016's): Aᵀ and G are Vandermonde
matrices, G carrying the 1/∏(aᵢ − aⱼ) factors (¼, ⅙, 1/24), and Bᵀ is solved for exactly, in
rationals, so that Aᵀ[(G g) ⊙ (Bᵀ d)] is the 1-D valid correlation of d with g for every d, g.
Then checks the 2-D identity Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A exactly on random rational tiles,
prints the matrices and the Swift expressions of the four 1-D transforms, and measures float32
error against float64 direct convolution for F(4×4, 3×3) and, for comparison, F(2×2, 3×3)
(points 0, ±1, ∞) on the Keras variants' 64 → 64 layer (26×26×64 post-ReLU-like input).

Needs sympy and numpy:  python3 experiments/winograd_f4x3.py
"""
import random

import sympy as sp

from winograd_f3x5 import float32_error, matrices, swift

POINTS = [sp.Rational(p) for p in ("0", "1", "-1", "2", "-2")]
M, R = 4, 3


def check_2d(at, g, bt, trials=3, seed=0):
    """The 2-D algorithm equals direct 2-D valid correlation exactly, on random rational data."""
    rnd = random.Random(seed)
    n = at.cols
    for _ in range(trials):
        d = sp.Matrix(n, n, lambda i, j: sp.Rational(rnd.randint(-9, 9), rnd.randint(1, 7)))
        w = sp.Matrix(R, R, lambda i, j: sp.Rational(rnd.randint(-9, 9), rnd.randint(1, 7)))
        y = at * (g * w * g.T).multiply_elementwise(bt * d * bt.T) * at.T
        direct = sp.Matrix(M, M, lambda i, j: sum(w[a, b] * d[i + a, j + b] for a in range(R) for b in range(R)))
        assert y == direct, "2-D identity fails"


if __name__ == "__main__":
    at, g, bt = matrices(POINTS, M, R)
    check_2d(at, g, bt)
    print("exact: 1-D identity (solved) and 2-D identity (3 random rational tiles)")
    print("Aᵀ =", at.tolist(), "\nG =", g.tolist(), "\nBᵀ =", bt.tolist())
    print("input transform (Bᵀ):"); swift(bt, "d")
    print("input adjoint (B):"); swift(bt.T, "d")
    print("output transform (Aᵀ):"); swift(at, "m")
    print("output adjoint (A):"); swift(at.T, "m")
    small = matrices([sp.Rational(p) for p in ("0", "1", "-1")], 2, R)
    for name, (a, gg, b) in [("F(4×4, 3×3)", (at, g, bt)), ("F(2×2, 3×3)", small)]:
        error = float32_error(a, gg, b, c=64, o=64, h=26)
        print(f"{name} float32 error vs float64 direct, 64 → 64 maps, relative to the output's largest magnitude: {error:.2e}")
