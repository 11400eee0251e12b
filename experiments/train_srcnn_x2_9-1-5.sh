#!/usr/bin/env bash
# SRCNN 9-1-5 ×2 on T91 (33×33 sub-images at stride 14), validated on Set5 each epoch.
# Departures from the paper: Adam 3e-4 on every layer instead of SGD with momentum at 1e-4 / 1e-5,
# batch 16 instead of 128 (more updates per hour on a CPU), He initialisation instead of
# N(0, 0.001²), learning rate /10 at the milestones, a few hundred epochs instead of ~8e8
# backpropagations. Why: experiments/srcnn_measurements.md (the paper's init dies under Adam; Adam
# 1e-4/1e-5 plateaued at 32.23 dB, short of the authors' training-set MSE 1.28e-3).
# Running this script again resumes (bit-identically; FRESH=1 starts over).
export LR_MILESTONES=${LR_MILESTONES:-200,260} EPOCHS=${EPOCHS:-300}
exec "$(dirname "$0")/srcnn_run.sh" srcnn_x2_9-1-5 --arch 9-1-5 --scale 2 --optimizer adam \
  --lr 3e-4 --last-layer-lr 3e-4 --batch 16 --shards 2 --he-init --seed 1 \
  "$@"
