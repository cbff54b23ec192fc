#!/bin/sh
# Usage: check-exports.sh <shared library> <symbol the model itself defines>
# Fails when the library exports a function other than the runtime's C API
# (qc_*), the model's own symbol and clang's C++20 module initializers.
set -eu
extra=$(nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' |
        grep -Ev "^(qc_|$2\$|_ZGIW)" || true)
if [ -n "$extra" ]; then
  echo "unexpected exported functions:"
  echo "$extra"
  exit 1
fi
echo "exports: only the C API"
