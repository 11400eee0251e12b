#!/usr/bin/env bash
# The test command: installs what the build needs, then runs every test.
# Tests that need the image sets run when SRLAB_DATA (or ../shared/datasets) exists.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
export SRLAB_DATA="${SRLAB_DATA:-$(cd .. && pwd)/shared/datasets}"
export SRLAB_REFERENCE="${SRLAB_REFERENCE:-$(cd .. && pwd)/shared/reference}"
swift build --build-tests
swift test --skip-build
# The benchmarks and long runs use the release build: it must build and link too (whole-module
# builds have failed where debug builds passed).
swift build -c release --product srlab
# The notebooks' quick commands, re-run against the debug build just made (they need the image sets).
if [ -d "$SRLAB_DATA/Set5" ]; then
  .build/debug/srlab notebook check notebooks-md
else
  echo "notebook check skipped: no image sets at $SRLAB_DATA (see README: fetch-data)"
fi
