#!/bin/sh
# Runs `quantc run` on every case directory under $1 (model.onnx,
# input_N.pb, output_N.pb) and prints "PASS name" or "FAIL name: why".
# Exits non-zero when one fails.
status=0
for d in "$1"/*/; do
  d=${d%/}
  set --
  for f in $(ls "$d" | grep '^input_' | sort -t_ -k2 -n); do set -- "$@" --input "$d/$f"; done
  for f in $(ls "$d" | grep '^output_' | sort -t_ -k2 -n); do set -- "$@" --expect "$d/$f"; done
  if out=$(quantc run "$d/model.onnx" --quiet "$@" 2>&1); then
    echo "PASS $(basename "$d")"
  else
    echo "FAIL $(basename "$d"): $out"
    status=1
  fi
done
exit $status
