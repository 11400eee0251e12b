#!/usr/bin/env bash
# Runs (or resumes) one training run of experiments/runs/: builds srlab, copies the binary (so a
# rebuild while a run of hours goes on does not touch it) and starts `srlab train METHOD` on the
# run's config.json, or resumes the run from its checkpoint when there is one.
# Usage: experiments/train.sh METHOD RUN [more srlab train options]
#   METHOD: srcnn, scn, fsrcnn, fsrcnn-s, espcn, expanded-srcnn, denoising-srcnn, resnet-sr, distilled-resnet-sr, deep-denoising-sr or sc;  RUN: a folder of experiments/runs/ holding config.json.
# What each run is, its exact command and its result: experiments/runs/RUN/README.md.
# Environment: THREADS (speed only; default 2, 1 for scn), EPOCHS (the total) and
# LR_MILESTONES (future /10 epochs: on resume only epochs after the last finished one may be
# added) override the config or checkpoint; FRESH=1 starts over instead of resuming.
set -euo pipefail
cd "$(dirname "$0")/.."
METHOD=$1 RUN=$2; shift 2
DIR="experiments/runs/$RUN"
[ -f "$DIR/config.json" ] || { echo "no $DIR/config.json" >&2; exit 1; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
swift build -c release --product srlab
mkdir -p runs/bin
SRLAB="runs/bin/srlab-$RUN"
cp .build/release/srlab "$SRLAB"
case "$METHOD" in
  sc)
    # Rounds are checkpointed beside the config; --resume continues from the last one.
    RESUME=--resume; [ "${FRESH:-0}" = 1 ] && RESUME=
    "$SRLAB" train sc --config "$DIR/config.json" $RESUME "$@" 2>&1 | tee "$DIR/log.txt"
    ;;
  srcnn|scn|fsrcnn|fsrcnn-s|espcn|expanded-srcnn|denoising-srcnn|resnet-sr|distilled-resnet-sr|deep-denoising-sr)
    export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
    if [ "$METHOD" = scn ]; then THREADS=${THREADS:-1}; export OPENBLAS_NUM_THREADS=$THREADS; fi
    THREADS=${THREADS:-2}
    if [ -f "$DIR/checkpoint.safetensors" ] && [ "${FRESH:-0}" != 1 ]; then
      exec "$SRLAB" train "$METHOD" --resume "$DIR/checkpoint.safetensors" --threads "$THREADS" \
        ${EPOCHS:+--epochs "$EPOCHS"} ${LR_MILESTONES:+--lr-milestones "$LR_MILESTONES"} "$@"
    fi
    exec "$SRLAB" train "$METHOD" --config "$DIR/config.json" --threads "$THREADS" \
      ${EPOCHS:+--epochs "$EPOCHS"} ${LR_MILESTONES:+--lr-milestones "$LR_MILESTONES"} "$@"
    ;;
  *) echo "METHOD must be srcnn, scn, fsrcnn, fsrcnn-s, espcn, expanded-srcnn, denoising-srcnn, resnet-sr, distilled-resnet-sr, deep-denoising-sr or sc, not '$METHOD'" >&2; exit 1 ;;
esac
