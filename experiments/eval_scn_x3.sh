#!/usr/bin/env bash
# Set5 / Set14 x3 for the trainable sparse-coding network and what it is compared with: bicubic,
# ScSR with the 128-atom dictionary it starts from and with the committed 1024-atom one, SRCNN
# 9-1-5, the calibrated network before training, and the trained one. One eval per method and
# set, each writing its per-image PSNR / SSIM / seconds to results/scn/<label>_<set>.json and its
# printed table to results/scn/<label>_<set>.txt. Seconds depend on the machine's load; the
# PSNR / SSIM do not; OPENBLAS_NUM_THREADS=1 keeps BLAS on one thread (ScSR's coder and SRCNN's
# tiles still use ConvNet's / the solver's default threads). ONLY="label ..." runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
export SRLAB_DATA=${SRLAB_DATA:-../shared/datasets}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
swift build -c release --product srlab
mkdir -p results/scn
cp .build/release/srlab results/scn/.srlab-eval.tmp
SRLAB=results/scn/.srlab-eval.tmp
declare -A METHOD=(
  [bicubic]="--method bicubic"
  [sc128]="--method sc --model results/models/sc_x3_128.safetensors"
  [sc1024]="--method sc --model results/models/sc_x3.safetensors"
  [srcnn915]="--method srcnn --model results/models/srcnn_x3_9-1-5.safetensors"
  [scn_initial]="--method scn --model results/models/scn_x3_initial.safetensors"
  [scn]="--method scn --model results/models/scn_x3.safetensors"
)
for label in ${ONLY:-bicubic sc128 sc1024 srcnn915 scn_initial scn}; do
  for set in Set5 Set14; do
    echo "== $label $set (load average before: $(cut -d' ' -f1-3 /proc/loadavg))" | tee "results/scn/${label}_${set}.txt"
    # shellcheck disable=SC2086
    "$SRLAB" eval ${METHOD[$label]} --dataset "$set" --data "$SRLAB_DATA" --scale 3 \
      --json "results/scn/${label}_${set}.json" | tee -a "results/scn/${label}_${set}.txt"
  done
done
rm -f "$SRLAB"
