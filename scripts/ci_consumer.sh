#!/usr/bin/env bash
# Uses curvature as another project would, after the Release build:
#   1. the README's "A first problem" is tests/consumer/first_problem.cc,
#      character for character;
#   2. cmake --install into a temporary prefix, then tests/consumer built
#      against it with find_package(curvature 0.2) and run: the README's
#      program, Eigen vectors freed across the library boundary, and NIST's
#      Misra1a through curvature::problems with the installed data;
#   3. the same project with curvature through add_subdirectory;
#   4. find_package with an incompatible version fails, saying why;
#   5. the installed curv finds its installed data.
# The consumer is compiled without any -march flag and at -O0 (checked in
# its compile commands), so a run proves the ABI does not depend on them.
# Its build folders sit two levels under the source tree, as build/release
# does, so that ccache (CCACHE_BASEDIR) reuses the library's objects.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CCACHE_BASEDIR="$root"
release=build/release
expected="a = 2.000000, k = 0.500000"

fail() {
  echo "ci_consumer: $*" >&2
  exit 1
}

# 1. The README's example is the consumer's source.
awk '/^## A first problem/ {section = 1; next}
     /^## / {section = 0}
     section && /^```cpp$/ {code = 1; next}
     section && code && /^```$/ {exit}
     section && code {print}' README.md >"$release/readme_first_problem.cc"
diff -u tests/consumer/first_problem.cc "$release/readme_first_problem.cc" ||
  fail "README.md's \"A first problem\" differs from tests/consumer/first_problem.cc (diff above)"

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

# 2. Installed package.
cmake --install "$release" --prefix "$prefix" >"$release/install_manifest.log"
echo "ci_consumer: installed into a temporary prefix: $(find "$prefix" -type f | wc -l) files" \
  "($(find "$prefix/include" -name '*.h' | wc -l) headers, $(find "$prefix/lib" -name '*.a' | wc -l) libraries," \
  "$(find "$prefix/share/curvature" -type f | wc -l) data files, $(du -sh "$prefix" | cut -f1))"

check_consumer() {  # build folder, route
  local build=$1 route=$2
  cmake --build "$build" -j2 >"$build.log" 2>&1 || { cat "$build.log"; fail "$route: the consumer does not build"; }
  if grep -E '"command": .*consumer/(first_problem|eigen_across_the_boundary|ready_made_problem|rotation_on_a_manifold)\.cc' "$build/compile_commands.json" |
    grep -qE -- '-march|-m(avx|sse|fma)'; then
    fail "$route: the consumer was compiled with instruction-set flags"
  fi
  local output
  output=$("$build/first_problem") || fail "$route: first_problem failed: $output"
  echo "ci_consumer: $route: first_problem: $output" | sed '2,$s/^/  /'
  grep -qF "$expected" <<<"$output" || fail "$route: expected '$expected'"
  output=$("$build/eigen_across_the_boundary") || fail "$route: eigen_across_the_boundary failed (status $?): $output"
  echo "ci_consumer: $route: eigen_across_the_boundary: $output"
  output=$(CURVATURE_DATA_DIR=$prefix/share/curvature "$build/ready_made_problem") ||
    fail "$route: ready_made_problem failed: $output"
  echo "ci_consumer: $route: ready_made_problem: ${output//$prefix/<prefix>}"
  output=$("$build/rotation_on_a_manifold") || fail "$route: rotation_on_a_manifold failed: $output"
  echo "ci_consumer: $route: rotation_on_a_manifold: $output"
}

installed=build/consumer-installed
rm -rf "$installed"
cmake -S tests/consumer -B "$installed" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_PREFIX_PATH="$prefix" >"$installed.configure.log" 2>&1 ||
  { cat "$installed.configure.log"; fail "find_package: the consumer does not configure"; }
check_consumer "$installed" find_package
echo "ci_consumer: consumer binary: $(stat -c %s "$installed/first_problem") bytes" \
  "($(size "$installed/first_problem" | awk 'NR == 2 {print $1 + $2 + $3}') bytes of code and data)"

# 3. add_subdirectory: the libraries built inside the consumer's build.
subdir=build/consumer-subdir
rm -rf "$subdir"
cmake -S tests/consumer -B "$subdir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCURVATURE_SOURCE_DIR="$root" >"$subdir.configure.log" 2>&1 ||
  { cat "$subdir.configure.log"; fail "add_subdirectory: the consumer does not configure"; }
check_consumer "$subdir" add_subdirectory

# 4. An incompatible version is refused with CMake's explanation.
version_check=$(mktemp -d)
trap 'rm -rf "$prefix" "$version_check"' EXIT
printf 'cmake_minimum_required(VERSION 3.25)\nproject(version_check LANGUAGES CXX)\nfind_package(curvature 1.0 REQUIRED)\n' \
  >"$version_check/CMakeLists.txt"
if cmake -S "$version_check" -B "$version_check/build" -DCMAKE_PREFIX_PATH="$prefix" >"$version_check/log" 2>&1; then
  fail "find_package(curvature 1.0) was accepted by curvature $(grep -oE '[0-9]+\.[0-9]+\.[0-9]+' "$version_check/log" | head -1)"
fi
grep -q 'compatible with requested version "1.0"' "$version_check/log" ||
  { cat "$version_check/log"; fail "find_package(curvature 1.0) failed without saying why"; }
echo "ci_consumer: find_package(curvature 1.0) refused, CMake names $(grep -oE 'curvatureConfig\.cmake, version: [0-9.]+' "$version_check/log")"

# 5. The installed program reads the installed data, which comes before
# the source tree's data/: without the installed Misra1a.dat, the error
# names the file under the prefix.
if [[ -x $prefix/bin/curv ]]; then
  curv_log=$release/installed_curv.log
  env -u CURVATURE_DATA_DIR "$prefix/bin/curv" solve nist Misra1a --start 2 >"$curv_log" 2>&1 ||
    { cat "$curv_log"; fail "the installed curv cannot solve Misra1a"; }
  rm "$prefix/share/curvature/nist/Misra1a.dat"
  if env -u CURVATURE_DATA_DIR "$prefix/bin/curv" solve nist Misra1a --start 2 >"$curv_log" 2>&1 ||
    ! grep -qF "$prefix/share/curvature/nist/Misra1a.dat" "$curv_log"; then
    cat "$curv_log"
    fail "the installed curv does not read its data from $prefix/share/curvature"
  fi
  echo "ci_consumer: installed curv reads its data from <prefix>/share/curvature"
fi
echo "ci_consumer: OK"
