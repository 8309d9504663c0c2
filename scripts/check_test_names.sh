#!/usr/bin/env bash
# Fails, naming them, when a GoogleTest suite in tests/<name>_test.cc does not
# start with <Name> in CamelCase (solver_test.cc: SolverBounds, SolverErrors):
# a failing test's name then says which program to open.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for file in tests/*_test.cc; do
  stem=$(basename "$file" _test.cc)
  prefix=$(sed -E 's/(^|_)([a-z])/\U\2/g' <<<"$stem")
  while read -r suite; do
    if [[ ${suite,,} != "${prefix,,}"* ]]; then
      echo "check_test_names: $file: suite $suite does not start with $prefix" >&2
      status=1
    fi
  done < <(grep -oE '^(TEST|TEST_F|TEST_P|TYPED_TEST)\(\s*[A-Za-z0-9_]+' "$file" | sed -E 's/.*\(\s*//' | sort -u)
done
if ((status == 0)); then echo "check_test_names: every suite starts with its file's name"; fi
exit $status
