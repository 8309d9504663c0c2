#!/usr/bin/env bash
# Builds the tests that run work on more than one thread with
# ThreadSanitizer (the tsan preset; target threaded_tests, listed in
# tests/CMakeLists.txt) and runs them (ctest label `threaded`). Any data race
# or thread leak fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
# halt_on_error: the first report fails the test instead of scrolling by.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
cmake --preset tsan -G Ninja >/dev/null
cmake --build --preset tsan -j "$(nproc)" --target threaded_tests
ctest --preset tsan -j "$(nproc)"
