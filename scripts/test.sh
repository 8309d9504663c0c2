#!/usr/bin/env bash
# Set up, build, and run the whole test suite: the hygiene checks (format,
# test names), the Release build and its API reference (scripts/ci_docs.sh),
# a consumer of the installed package and of add_subdirectory
# (scripts/ci_consumer.sh), the AddressSanitizer + UndefinedBehaviorSanitizer
# build, the threaded tests under ThreadSanitizer and a short fuzzing run of
# the text parsers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check_format.sh
bash scripts/check_test_names.sh
bash scripts/build.sh release
bash scripts/ci_docs.sh  # the API reference, warnings as errors
ctest --preset release -j "$(nproc)"
bash scripts/ci_consumer.sh
bash scripts/build.sh asan
ctest --preset asan -j "$(nproc)"
bash scripts/ci_tsan.sh
bash scripts/ci_fuzz.sh
