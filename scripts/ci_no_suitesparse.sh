#!/usr/bin/env bash
# The library without SuiteSparse (CURVATURE_USE_SUITESPARSE=OFF: Eigen's own
# sparse Cholesky and QR behind the same linear solvers) and the whole test
# suite on it. Every object except the sparse backend's compiles exactly as
# in the release preset, so with ccache warm this is mostly linking and the
# test run; the benchmarks are left out and Ceres (which links SuiteSparse
# itself) is not looked for.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh nosuitesparse
# Nothing in this build may see a SuiteSparse header or link its libraries.
if grep -o -E '[^ ]*(include/suitesparse|libcholmod|libspqr|libsuitesparse)[^ ]*' build/nosuitesparse/build.ninja |
  sort -u | grep .; then
  echo "ci_no_suitesparse: the build above refers to SuiteSparse" >&2
  exit 1
fi
ctest --preset nosuitesparse -j "$(nproc)"
