#!/usr/bin/env bash
# Installs the C libraries SRLab links against (Debian 12 package names). Needs root.
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev libstb-dev libpng-dev pkg-config python3 curl)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup-debian: Swift 6 is not on PATH (swift.org toolchain)"; exit 1; }
