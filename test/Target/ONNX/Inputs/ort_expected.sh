#!/bin/bash
# Writes output_N.pb for every case under nn_ort/ with onnxruntime-node (the
# oracle; installed by scripts/setup.sh): run after make_nn_ort_cases.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
for d in "$here"/nn_ort/*/; do
  d=${d%/}
  rm -rf "$d/ort"
  node "$root/test/models/ort-run.mjs" "$d/model.onnx" --input-list "$d/inputs.list" --out "$d/ort" --quiet
  python3 - "$d" <<'PY'
import sys, numpy as np
from onnx import numpy_helper as nh
d = sys.argv[1]
for i, line in enumerate(open(d + '/ort/outputs.list')):
    name, f = line.split()
    with open('%s/output_%d.pb' % (d, i), 'wb') as out:
        out.write(nh.from_array(np.load(d + '/ort/' + f), name).SerializeToString())
PY
  rm -rf "$d/ort"
done
