#!/usr/bin/env bash
# SRCNN 9-1-5 ×3 on T91 (21,884 sub-images 33×33 stride 14), validated on Set5 each epoch.
# Departures from the paper: Adam instead of SGD with momentum (same learning rates, 1e-4 for
# layers 1-2 and 1e-5 for layer 3) and batch 16 instead of 128, for more updates per hour on a CPU.
# (A first run with Adam 1e-3/1e-4 at batch 128 plateaued at 31.43 dB on Set5 with half of the
# ReLU maps dead: 31/64 in layer 1, 16/32 in layer 2.)
# Running this script again resumes from the run's checkpoint (bit-identically; FRESH=1 starts
# over). THREADS only changes speed, not results.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${NAME:-srcnn_x3_9-1-5_adam_b16}
THREADS=${THREADS:-2}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
swift build -c release --product srcnn-train
# Run a copy, so rebuilding the package while training does not touch the running binary.
mkdir -p "runs/$NAME"
cp .build/release/srcnn-train "runs/$NAME/srcnn-train"
TRAIN="runs/$NAME/srcnn-train"
if [ -f "runs/$NAME/checkpoint.safetensors" ] && [ "${FRESH:-0}" != 1 ]; then
  exec "$TRAIN" --resume "runs/$NAME/checkpoint.safetensors" --epochs "${EPOCHS:-2000}" --threads "$THREADS"
fi
exec "$TRAIN" --arch 9-1-5 --scale 3 --optimizer adam --lr 1e-4 --last-layer-lr 1e-5 \
  --batch 16 --shards 2 --seed 1 --epochs "${EPOCHS:-2000}" --threads "$THREADS" --progress-interval 200 -o "runs/$NAME"
