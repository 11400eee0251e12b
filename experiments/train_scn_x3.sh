#!/usr/bin/env bash
# The trainable sparse-coding network (LISTA/SCN) x3, trained end to end with SRCNN's trainer:
# initialised from the 128-atom dictionary of experiments/train_sc_x3_128.sh, K = 3 unrolled ISTA
# iterations with their own weights, T91 21,884 sub-images 33x33 stride 14 (loss on the centre
# 21x21), Adam 1e-4 (layer 1, LISTA) / 1e-5 (reconstruction), batch 16, seed 1, both rates /10
# from epoch LR_MILESTONES, Set5 validation each epoch (the best epoch is kept).
# Running this script again resumes from the run's checkpoint (bit-identically; FRESH=1 starts
# over). THREADS only changes speed, not results. When the run is done, the best model, the
# calibrated initial network and the log are copied to results/models/.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${NAME:-scn_x3_128_k3}
THREADS=${THREADS:-1}
EPOCHS=${EPOCHS:-16}
# Both learning rates /10 from these epochs (only future ones can change on resume, which leaves
# the finished epochs exactly as in a run that had the final milestones from the start).
LR_MILESTONES=${LR_MILESTONES:-13}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
export OPENBLAS_NUM_THREADS=$THREADS
export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
swift build -c release --product srlab
# Run a copy, so rebuilding the package while training does not touch the running binary.
mkdir -p "runs/$NAME"
cp .build/release/srlab "runs/$NAME/srlab"
TRAIN="runs/$NAME/srlab"
if [ -f "runs/$NAME/checkpoint.safetensors" ] && [ "${FRESH:-0}" != 1 ]; then
  "$TRAIN" train scn --resume "runs/$NAME/checkpoint.safetensors" --epochs "$EPOCHS" --threads "$THREADS" \
    --lr-milestones "$LR_MILESTONES"
else
  "$TRAIN" train scn --dictionary results/models/sc_x3_128.safetensors --scale 3 --iterations 3 --lambda 0.2 \
    --optimizer adam --lr 1e-4 --last-layer-lr 1e-5 --batch 16 --shards 2 --seed 1 --lr-milestones "$LR_MILESTONES" \
    --epochs "$EPOCHS" --threads "$THREADS" --progress-interval 200 -o "runs/$NAME"
fi
cp "runs/$NAME/best.safetensors" results/models/scn_x3.safetensors
cp "runs/$NAME/initial.safetensors" results/models/scn_x3_initial.safetensors
cp "runs/$NAME/log.csv" results/models/scn_x3.log.csv
