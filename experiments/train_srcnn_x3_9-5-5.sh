#!/usr/bin/env bash
# SRCNN 9-5-5 ×3 on T91 (21,884 sub-images 33×33 stride 14), validated on Set5 each epoch, with
# the recipe that worked for 9-1-5 (experiments/train_srcnn_x3_9-1-5.sh): Adam 1e-4 (layers 1-2) /
# 1e-5 (layer 3), batch 16, He initialisation. Departures from the paper (TPAMI 2016 trained 9-5-5
# on ImageNet with SGD): training set T91, Adam, batch 16, He initialisation.
# Running this script again resumes from the run's checkpoint (bit-identically; FRESH=1 starts
# over). THREADS only changes speed, not results.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${NAME:-srcnn_x3_9-5-5_adam_b16_he}
THREADS=${THREADS:-2}
# Both learning rates /10 from these epochs.
LR_MILESTONES=${LR_MILESTONES:-200,300}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
swift build -c release --product srcnn-train
# Run a copy, so rebuilding the package while training does not touch the running binary.
mkdir -p "runs/$NAME"
cp .build/release/srcnn-train "runs/$NAME/srcnn-train"
TRAIN="runs/$NAME/srcnn-train"
if [ -f "runs/$NAME/checkpoint.safetensors" ] && [ "${FRESH:-0}" != 1 ]; then
  exec "$TRAIN" --resume "runs/$NAME/checkpoint.safetensors" --epochs "${EPOCHS:-2000}" --threads "$THREADS" \
    --lr-milestones "$LR_MILESTONES"
fi
exec "$TRAIN" --arch 9-5-5 --scale 3 --optimizer adam --lr 1e-4 --last-layer-lr 1e-5 \
  --batch 16 --shards 2 --he-init --seed 1 --lr-milestones "$LR_MILESTONES" --epochs "${EPOCHS:-2000}" --threads "$THREADS" --progress-interval 200 -o "runs/$NAME"
