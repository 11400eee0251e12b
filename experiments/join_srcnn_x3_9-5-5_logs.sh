#!/usr/bin/env bash
# The 9-5-5 ×3 model's training curve across its two stages (run srcnn_x3_9-5-5 for epochs
# 1–244 of 21,872 sub-images, then run srcnn_x3_9-5-5_ft, whose epochs are 69,120 sub-images
# of the scale-augmented set). `epoch` counts T91 epochs (samples seen / 21,872), so both stages
# and the other SRCNN curves share one axis; `stage` and `stage_epoch` give each row's own run.
# Writes experiments/runs/srcnn_x3_9-5-5_ft/log_both_stages.csv atomically.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE1=experiments/runs/srcnn_x3_9-5-5/log.csv
STAGE2=experiments/runs/srcnn_x3_9-5-5_ft/log.csv
OUT=experiments/runs/srcnn_x3_9-5-5_ft/log_both_stages.csv
STAGE1_EPOCHS=244
awk -F, -v last1="$STAGE1_EPOCHS" '
  BEGIN { OFS = ","; print "epoch,stage,stage_epoch,samples,train_mse,validation_psnr,seconds,samples_per_second" }
  FNR == 1 { stage++; next }
  stage == 1 && $1 > last1 { next }
  { per = (stage == 1) ? 21872 : 69120; samples += per
    printf "%.4f,%d,%d,%d,%s,%s,%s,%s\n", samples / 21872, stage, $1, samples, $2, $3, $4, $5 }
' "$STAGE1" "$STAGE2" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
