#!/usr/bin/env bash
# Copies the PSNR/SSIM table of results/paper-table/summary.md into README.md between the
# headline markers, so the README's table is generated, never typed.
set -euo pipefail
cd "$(dirname "$0")/.."
summary=results/paper-table/summary.md
[ -f "$summary" ] || { echo "update-readme-table: $summary not found; run: srlab compare experiments/paper-table.json" >&2; exit 1; }
table=$(awk '/^## PSNR/{on=1; next} /^## /{on=0} on && /^\|/' "$summary")
commit=$(grep -o 'at commit `[^`]*`' "$summary" | head -1)
tmp=$(mktemp README.md.XXXXXX)
awk -v table="$table" -v commit="$commit" '
  /<!-- headline:start -->/ { print; print ""; print "PSNR (dB) / SSIM on Y, published values in parentheses; from `results/paper-table/summary.md` (" commit ")."; print ""; print table; print ""; skip=1; next }
  /<!-- headline:end -->/ { skip=0 }
  !skip { print }' README.md > "$tmp"
mv "$tmp" README.md
