#!/usr/bin/env bash
# Time and peak memory of `srlab upscale` on a 3000x2000 photo, under /usr/bin/time -v.
# usage: experiments/large-photo/measure.sh SRLAB_BINARY LABEL >> results/large-photo/runs.tsv
# Runs bicubic x4, SRCNN 9-1-5 x2 and SRCNN 9-1-5 x4 (the shipped models, named explicitly so an
# older binary that has no default model runs the same job). Prints one TSV row per run: label,
# job, wall seconds, peak RSS MiB, output MiB, the seconds spent writing the output (as srlab
# reports it; "-" for a binary that does not), CPU, BLAS kernel. Needs /usr/bin/time (Debian: time)
# and numpy for the photo (make_photo.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
srlab=$1 label=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo="$work/photo.png"
python3 experiments/large-photo/make_photo.py "${SRLAB_DATA:-../shared/datasets}" "$photo" >&2
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
kernel=$("$srlab" doctor 2>/dev/null | awk '/^BLAS kernel/ {print $3}')
run() {
  local job=$1; shift
  local out="$work/out.png"
  /usr/bin/time -v "$srlab" upscale "$photo" "$@" -o "$out" > "$work/stdout" 2> "$work/stderr"
  local wall rss write
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/stderr")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/stderr")
  write=$(sed -n 's/.*(writing \([0-9.]*\) s).*/\1/p' "$work/stdout" "$work/stderr" | head -1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$job" "$wall" "$rss" \
    "$(( $(stat -c %s "$out") / 1048576 ))" "${write:--}" "$cpu" "$kernel"
  rm -f "$out"
}
run "bicubic x4" --scale 4 --method bicubic
run "srcnn 9-1-5 x2" --scale 2 --method srcnn --model results/models/srcnn_x2_9-1-5.safetensors
run "srcnn 9-1-5 x4" --scale 4 --method srcnn --model results/models/srcnn_x4_9-1-5.safetensors
