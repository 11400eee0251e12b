#!/bin/sh
# Coupled ScSR dictionary for x4: 1024 atoms, 100,000 pairs sampled from T91 (seed 0), pruned at HR
# variance 10, lambda 0.15, 40 rounds. Checkpoints every round; rerun the same command to resume.
# Run from the package root with the data root in $SRLAB_DATA (or ./data).
set -e
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
mkdir -p results/models/checkpoints
swift build -c release --product srlab
# Run a copy, so rebuilding the package while training does not touch the running binary.
mkdir -p runs/bin
cp .build/release/srlab runs/bin/srlab-train-sc
runs/bin/srlab-train-sc train sc --scale 4 --atoms 1024 --samples 100000 --rounds 40 --lambda 0.15 --seed 0 \
    --dataset T91 --output results/models/sc_x4.safetensors \
    --checkpoint results/models/checkpoints/sc_x4.checkpoint --resume \
    2>&1 | tee results/models/sc_x4.log
