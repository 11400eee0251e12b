#!/usr/bin/env bash
# Shared runner of the train_srcnn_*.sh scripts: builds srlab, then starts the named run with
# `srlab train srcnn`, or resumes it when its checkpoint exists.
# Usage: experiments/srcnn_run.sh NAME [fresh-run options of srlab train srcnn...]
# Checkpoints live in results/models/checkpoints/NAME (checkpoint.safetensors, best.safetensors,
# log.csv are committed), so a later session on another machine continues the same run.
# Environment: THREADS (speed only, default 2), EPOCHS (total), LR_MILESTONES (future /10 epochs;
# on resume only milestones after the last finished epoch may be added), FRESH=1 starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=$1; shift
THREADS=${THREADS:-2}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
OUT="results/models/checkpoints/$NAME"
swift build -c release --product srlab
# Run a copy, so rebuilding the package while training does not touch the running binary.
mkdir -p runs/bin "$OUT"
TRAIN="runs/bin/srlab-$NAME"
cp .build/release/srlab "$TRAIN"
if [ -f "$OUT/checkpoint.safetensors" ] && [ "${FRESH:-0}" != 1 ]; then
  exec "$TRAIN" train srcnn --resume "$OUT/checkpoint.safetensors" --threads "$THREADS" \
    ${EPOCHS:+--epochs "$EPOCHS"} ${LR_MILESTONES:+--lr-milestones "$LR_MILESTONES"}
fi
exec "$TRAIN" train srcnn "$@" --threads "$THREADS" --epochs "${EPOCHS:-300}" \
  ${LR_MILESTONES:+--lr-milestones "$LR_MILESTONES"} --progress-interval 400 -o "$OUT"
