#!/bin/sh
# The speed table's SRCNN and LR-space parts with AVX-512 off on both sides (OpenBLAS's Haswell
# kernel for SRLab; oneDNN and ATen capped at AVX2 for PyTorch), so that a machine with AVX-512
# stands in for an AVX2-only one (issue 15). Written to results/bench/bench-blas+srcnn+lr-space-avx2.md.
# Three rounds (each SRLab then PyTorch), medians. Release build; run on a quiet machine.
set -e
swift build -c release --product srlab
OPENBLAS_CORETYPE=Haswell .build/release/srlab bench table --sections blas,srcnn,lr-space --instruction-set avx2 --rounds 3 \
    --peers-python "${PEERS_PYTHON:-$(cd .. && pwd)/peer-venv/bin/python}"
