#!/usr/bin/env python3
"""Derives the Winograd F(3×3, 5×5) matrices used in Sources/ConvNet/WinogradF3x5.swift and checks them.

Toom-Cook construction (Lavin & Gray 2016): interpolation points 0, 1, −1, 2, −2, 1/2 and ∞.
Aᵀ and G are Vandermonde matrices (G carries the 1/∏(aᵢ − aⱼ) factors); Bᵀ is solved for exactly,
in rationals, from the requirement that Aᵀ[(G g) ⊙ (Bᵀ d)] is the 1-D valid correlation of d with g
for every d and g. Prints the matrices and the Swift expressions of the four 1-D transforms, then
measures float32 error of the 2-D algorithm against float64 direct convolution on a 9-5-5 middle
layer (25×25×64 post-ReLU-like input, 5×5×64×32 weights).

Needs sympy and numpy:  python3 experiments/winograd_f3x5.py
"""
import numpy as np
import sympy as sp

POINTS = [sp.Rational(p) for p in ("0", "1", "-1", "2", "-2", "1/2")]
M, R = 3, 5            # output tile, kernel


def matrices(points, m=M, r=R):
    """Aᵀ (m × n), G (n × r), Bᵀ (n × n) of F(m, r) for the n − 1 finite points and ∞, n = m + r − 1."""
    M, R, N = m, r, m + r - 1
    assert len(points) == N - 1
    at, g = sp.zeros(M, N), sp.zeros(N, R)
    for j, a in enumerate(points):
        f = sp.prod([a - b for b in points if b != a])
        for i in range(M):
            at[i, j] = a ** i
        for k in range(R):
            g[j, k] = a ** k / f
    at[M - 1, N - 1] = 1
    g[N - 1, R - 1] = 1
    bt = sp.Matrix(N, N, lambda i, j: sp.Symbol(f"b{i}_{j}"))
    equations = [sum(at[i, p] * g[p, k] * bt[p, j] for p in range(N)) - (1 if j == i + k else 0)
                 for i in range(M) for k in range(R) for j in range(N)]
    solutions = sp.solve(equations, list(bt), dict=True)
    assert len(solutions) == 1, "Bᵀ is not unique"
    bt = bt.subs(solutions[0])
    assert not bt.free_symbols, "Bᵀ is underdetermined"
    return at, g, bt


def swift(matrix, name):
    def literal(v):
        return str(int(v)) if v.q == 1 else repr(float(v))
    for i in range(matrix.rows):
        terms = ""
        for j in range(matrix.cols):
            c = sp.Rational(matrix[i, j])
            if c == 0:
                continue
            sign = "-" if c < 0 else "+"
            mag = "" if abs(c) == 1 else f"{literal(abs(c))} * "
            terms += f" {sign} {mag}{name}{j}"
        print(f"    out{i} = {terms[3:] if terms.startswith(' + ') else '-' + terms[3:]}")


def float32_error(at, g, bt, seed=0, c=64, o=32, h=25):
    """Float32 2-D Winograd on an h×h×c post-ReLU-like input (h − r + 1 a multiple of m) against
    float64 direct correlation, relative to the output's largest magnitude."""
    rng = np.random.default_rng(seed)
    m, n = at.rows, at.cols
    r = n - m + 1
    x = rng.random((h, h, c)).astype(np.float32)
    w = (rng.standard_normal((r, r, c, o)) * (0.15 / r)).astype(np.float32)
    ho = h - r + 1
    assert ho % m == 0
    ref = np.zeros((ho, ho, o))
    for dy in range(r):
        for dx in range(r):
            ref += np.tensordot(x[dy:dy + ho, dx:dx + ho].astype(np.float64), w[dy, dx].astype(np.float64), axes=([2], [0]))
    f = np.float32
    at, g, bt = (np.array(m.tolist(), dtype=np.float64).astype(f) for m in (at, g, bt))
    u = np.einsum("ia,abco,jb->ijco", g, w, g).astype(f)
    y = np.zeros((ho, ho, o), f)
    for ty in range(ho // m):
        for tx in range(ho // m):
            v = np.einsum("ia,abc,jb->ijc", bt, x[m * ty:m * ty + n, m * tx:m * tx + n], bt).astype(f)
            mm = np.einsum("ijc,ijco->ijo", v, u).astype(f)
            y[m * ty:m * ty + m, m * tx:m * tx + m] = np.einsum("ai,ijo,bj->abo", at, mm, at)
    return np.abs(y - ref).max() / np.abs(ref).max()


if __name__ == "__main__":
    at, g, bt = matrices(POINTS)
    print("Aᵀ =", at.tolist(), "\nG =", g.tolist(), "\nBᵀ =", bt.tolist())
    print("input transform (Bᵀ):"); swift(bt, "d")
    print("input adjoint (B):"); swift(bt.T, "d")
    print("output transform (Aᵀ):"); swift(at, "m")
    print("output adjoint (A):"); swift(at.T, "m")
    print(f"float32 error vs float64 direct, relative to the output's largest magnitude: {float32_error(at, g, bt):.2e}")
