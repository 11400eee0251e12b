#!/usr/bin/env bash
# SRCNN 9-1-5 ×3 on T91 (21,884 sub-images 33×33 stride 14), validated on Set5 each epoch.
# Departure from the paper: Adam (lr 1e-3 layers 1-2, 1e-4 layer 3) instead of SGD 1e-4/1e-5,
# to converge within hours instead of days. Running this script again resumes from the run's
# checkpoint (bit-identically; FRESH=1 starts over). THREADS only changes speed, not results.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${NAME:-srcnn_x3_9-1-5_adam}
THREADS=${THREADS:-2}
# Both learning rates /10 from these epochs (added to the run at its epoch ~75, when
# validation PSNR had flattened; future milestones on resume leave the finished epochs as they were).
LR_MILESTONES=${LR_MILESTONES:-85,200}
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
exec "$TRAIN" --arch 9-1-5 --scale 3 --optimizer adam --lr 1e-3 --last-layer-lr 1e-4 \
  --batch 128 --shards 2 --seed 1 --lr-milestones "$LR_MILESTONES" --epochs "${EPOCHS:-2000}" --threads "$THREADS" -o "runs/$NAME"
