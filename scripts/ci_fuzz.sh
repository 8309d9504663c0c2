#!/usr/bin/env bash
# Builds the libFuzzer targets of the text parsers (the fuzz preset: clang,
# ASan + UBSan, only the parsers and the targets) and runs each one for
# FUZZ_SECONDS (default 25) from its seed corpus in tests/fuzz/corpus/.
# Fails, naming the target and the saved input, on the first finding.
# Longer runs for developers: tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-25}
export CCACHE_BASEDIR="$PWD"
cmake --preset fuzz -G Ninja >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

# The seed corpus stays as committed: each run grows a scratch copy.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=build/fuzz/artifacts
mkdir -p "$artifacts"
status=0
for corpus in tests/fuzz/corpus/*/; do
  target=$(basename "$corpus")
  mkdir -p "$work/$target"
  cp "$corpus"* "$work/$target/"
  echo "ci_fuzz: $target for ${seconds}s"
  if ! "build/fuzz/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts/$target-" "$work/$target" >"$work/$target.log" 2>&1; then
    tail -n 40 "$work/$target.log" >&2
    echo "ci_fuzz: $target found an input that breaks it (saved under $artifacts/)" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/ci_fuzz: $target /"
  fi
done
exit $status
