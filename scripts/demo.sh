#!/usr/bin/env bash
# The main job: set up, build (Release), and solve the NIST StRD suite with
# curvature's Levenberg-Marquardt next to Ceres Solver, printing the table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
./build/release/tools/curv bench nist --vs ceres "$@"
