#!/usr/bin/env bash
# SRCNN 9-1-5 ×3 on T91 (21,884 sub-images 33×33 stride 14), validated on Set5 each epoch.
# Departures from the paper: Adam 3e-4 on every layer instead of SGD with momentum at 1e-4 / 1e-5,
# batch 16 instead of 128 (more updates per hour on a CPU), He initialisation instead of
# N(0, 0.001²), learning rate /10 at the milestones, a few hundred epochs instead of ~8e8
# backpropagations. Why: experiments/srcnn_measurements.md (the paper's init dies under Adam; Adam
# 1e-4/1e-5 plateaued at 32.23 dB, short of the authors' training-set MSE 1.28e-3).
# Running this script again resumes (bit-identically; FRESH=1 starts over).
# Milestones were 200,260 (300 epochs) until epoch 137, then moved to 150,190 (220 epochs) on
# resume, only in the run's future: the finished epochs are those of a run that had these from the start.
export LR_MILESTONES=${LR_MILESTONES:-150,190} EPOCHS=${EPOCHS:-220}
exec "$(dirname "$0")/srcnn_run.sh" srcnn_x3_9-1-5 --arch 9-1-5 --scale 3 --optimizer adam \
  --lr 3e-4 --last-layer-lr 3e-4 --batch 16 --shards 2 --he-init --seed 1 \
  "$@"
