#!/usr/bin/env bash
# Installs the Debian packages curvature builds with, when any is missing.
# Run as root on Debian 12 (or with sudo available).
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config clang-format
  libeigen3-dev libsuitesparse-dev libgtest-dev libbenchmark-dev libcli11-dev
  libblas-dev liblapack-dev  # link names for the BLAS reference timing in curv bench nn
  libopenblas0-serial  # an optimized BLAS for CHOLMOD and SPQR (single-threaded: deterministic)
  libblis-serial-dev  # BLIS, linked statically: the dense tile kernels of J^T J and Cholesky
  libceres-dev  # only for the comparison harness; the library and tests do not need it
  gnuplot-nox  # curv plot draws its figures with gnuplot (and its tests check them)
  doxygen python3  # the API reference (scripts/ci_docs.sh; python3 runs docs/doxygen_comment_filter.py)
  clang libclang-rt-14-dev  # the fuzz preset: libFuzzer and clang's sanitizer runtimes (scripts/ci_fuzz.sh)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
