#!/usr/bin/env bash
# Configures and builds one preset (release, debug or asan) with Ninja.
set -euo pipefail
preset=${1:-release}
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Lets ccache reuse objects between checkouts at different paths.
export CCACHE_BASEDIR="$PWD"
cmake --preset "$preset" -G Ninja >/dev/null
cmake --build --preset "$preset" -j "$jobs"
