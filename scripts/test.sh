#!/usr/bin/env bash
# Set up, build, and run the whole test suite: the Release build, then the
# AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
ctest --preset release -j "$(nproc)"
bash scripts/build.sh asan
ctest --preset asan -j "$(nproc)"
