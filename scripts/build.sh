#!/usr/bin/env bash
# Configures (once) and builds quantc into build/ with Ninja and clang-22.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$QUANTC_ROOT/scripts/setup.sh"
cmake_bin=$(quantc_cmake)

if [[ ! -f $QUANTC_BUILD/build.ninja ]]; then
  say "Configuring $QUANTC_BUILD"
  "$cmake_bin" -S "$QUANTC_ROOT" -B "$QUANTC_BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
    -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    "$@"
fi
say "Building with $QUANTC_JOBS jobs"
"$cmake_bin" --build "$QUANTC_BUILD" -j "$QUANTC_JOBS"
