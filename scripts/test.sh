#!/usr/bin/env bash
# Set up, build, and run the whole test suite: the hygiene checks (format,
# test names), the Release build, the Release build without SuiteSparse, then
# the AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check_format.sh
bash scripts/check_test_names.sh
bash scripts/build.sh release
ctest --preset release -j "$(nproc)"
bash scripts/ci_no_suitesparse.sh
bash scripts/build.sh asan
ctest --preset asan -j "$(nproc)"
