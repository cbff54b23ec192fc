#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (lit/FileCheck suites and GoogleTest unit tests, through ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$QUANTC_ROOT/scripts/build.sh"
say "Running the test suite"
"$(quantc_ctest)" --test-dir "$QUANTC_BUILD" --output-on-failure -j "$QUANTC_JOBS"
