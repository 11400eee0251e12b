#!/usr/bin/env bash
# The main job: set up, build in release, fetch the image sets if needed, and run the paper's
# comparison table (results/paper-table/), then refresh the README's headline table from it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
swift build -c release --product srlab
srlab=.build/release/srlab
export SRLAB_DATA="${SRLAB_DATA:-data}"
[ -d "$SRLAB_DATA/Set5" ] || "$srlab" fetch-data --data "$SRLAB_DATA"
"$srlab" doctor
"$srlab" compare experiments/paper-table.json
scripts/update-readme-table.sh
