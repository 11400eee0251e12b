#!/usr/bin/env bash
# The main job: set up, build in release, and produce the comparison table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
swift build -c release --product srlab
srlab=.build/release/srlab
export SRLAB_DATA="${SRLAB_DATA:-data}"
[ -d "$SRLAB_DATA/Set5" ] || "$srlab" fetch-data --data "$SRLAB_DATA"
"$srlab" doctor
for set in Set5 Set14; do
  for s in 2 3 4; do "$srlab" eval --method bicubic --dataset "$set" --scale "$s" 2>/dev/null | tail -1 | sed "s/^/$set x$s bicubic /"; done
done
