#!/usr/bin/env bash
# `quantc quantize` against llama.cpp's own `llama-quantize` on a generated
# F32 llama model (1.2 GB by default): wall time and peak RSS of each at
# Q4_K_M and Q8_0 with the same thread count, output sizes, and whether the
# two outputs are byte-identical (and if not, which tensors differ).
#
#   bench/quantize-vs-llama.sh [--threads N] [--runs N] [--types "Q4_K_M Q8_0"]
#                              [--keep DIR] [--quantc PATH]
#
# llama-quantize is built from the llama.cpp source bundle that the pinned npm
# package node-llama-cpp ships (scripts/setup.sh installs it): the bundle is
# cloned into $QUANTC_TOOLS/llama.cpp-src and only the llama-quantize target is
# built (CPU only, static, with the same clang as quantc, without network
# access) into $QUANTC_TOOLS/llama.cpp-build, both once. Nothing fetched or
# built here is committed: .tools/ is gitignored.
#
# Each measurement is repeated --runs times (default 3), alternating the two
# tools, after a sync and with the input read into the page cache; the table
# shows the median wall time (with min-max) and the median peak RSS
# (/usr/bin/time). Run it on an otherwise idle machine. A Q8_0 run takes about
# a second and single runs vary by up to 2x on a small VM: use --runs 9 there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

THREADS=2
RUNS=3
TYPES="Q4_K_M Q8_0"
KEEP=
QUANTC=$QUANTC_BUILD/bin/quantc
MODEL_ARGS=(--fast-weights --layers 4 --embd 2048 --ffn 5632 --heads 32 --kv-heads 4 --vocab 32000)

while (($#)); do
  case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --types) TYPES=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --quantc) QUANTC=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads wants a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"

LLAMA_PKG=$QUANTC_TOOLS/node-llama-cpp/node_modules/node-llama-cpp/llama
BUNDLE=$LLAMA_PKG/gitRelease.bundle
LLAMA_SRC=$QUANTC_TOOLS/llama.cpp-src
LLAMA_BUILD=$QUANTC_TOOLS/llama.cpp-build
LLAMA_QUANTIZE=$LLAMA_BUILD/bin/llama-quantize
TIME=/usr/bin/time

[[ -x $TIME ]] || die "$TIME is missing (Debian package: time)"
[[ -f $BUNDLE ]] || "$QUANTC_ROOT/scripts/setup.sh"
[[ -f $BUNDLE ]] || die "no llama.cpp source bundle at $BUNDLE"
if [[ ! -x $QUANTC ]]; then
  if [[ -f $QUANTC_BUILD/build.ninja ]]; then
    ninja -C "$QUANTC_BUILD" -j "$QUANTC_JOBS" quantc
  else
    "$QUANTC_ROOT/scripts/build.sh"
  fi
fi
[[ -x $QUANTC ]] || die "no quantc at $QUANTC"

# Runs a command without network access where the kernel lets us (a new,
# empty network namespace), so that nothing in llama.cpp's CMake can fetch.
offline() {
  if unshare -n true 2>/dev/null; then
    unshare -n "$@"
  elif unshare -rn true 2>/dev/null; then
    unshare -rn "$@"
  else
    "$@"
  fi
}

# --- llama.cpp: clone the bundle (once) --------------------------------------
bundle_head=$(git bundle list-heads "$BUNDLE" | awk '$2 == "HEAD" {print $1}')
if [[ -d $LLAMA_SRC/.git ]] && [[ $(git -C "$LLAMA_SRC" rev-parse HEAD) != "$bundle_head" ]]; then
  say "The bundle moved to ${bundle_head:0:12}: re-cloning $LLAMA_SRC and rebuilding"
  rm -rf "$LLAMA_SRC" "$LLAMA_BUILD"
fi
if [[ ! -d $LLAMA_SRC/.git ]]; then
  say "Cloning llama.cpp from $BUNDLE into $LLAMA_SRC"
  rm -rf "$LLAMA_SRC"
  git -c advice.detachedHead=false clone -q "$BUNDLE" "$LLAMA_SRC"
  git -C "$LLAMA_SRC" -c advice.detachedHead=false checkout -q "$bundle_head"
fi

# --- llama.cpp: build llama-quantize only (once) -----------------------------
if [[ ! -x $LLAMA_QUANTIZE ]]; then
  cmake_bin=$(quantc_cmake)
  say "Configuring llama.cpp (llama-quantize only, CPU, static) in $LLAMA_BUILD"
  start=$(date +%s.%N)
  offline "$cmake_bin" -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja -Wno-dev \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
    -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
    -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON \
    -DGGML_OPENMP=OFF \
    -DGGML_CCACHE=OFF \
    -DGGML_BACKEND_DL=OFF \
    -DLLAMA_OPENSSL=OFF \
    -DLLAMA_LLGUIDANCE=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF \
    >"$QUANTC_TOOLS/llama.cpp-configure.log" 2>&1 ||
    { tail -n 30 "$QUANTC_TOOLS/llama.cpp-configure.log"; die "llama.cpp configure failed"; }
  say "Building llama-quantize with $QUANTC_JOBS jobs"
  offline "$cmake_bin" --build "$LLAMA_BUILD" --target llama-quantize -j "$QUANTC_JOBS" \
    >"$QUANTC_TOOLS/llama.cpp-build.log" 2>&1 ||
    { tail -n 30 "$QUANTC_TOOLS/llama.cpp-build.log"; die "llama-quantize build failed"; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v j="$QUANTC_JOBS" \
    'BEGIN {printf "%.0f s (configure + build, -j%s)\n", e - s, j}' >"$LLAMA_BUILD/quantc-build-time.txt"
fi
[[ -x $LLAMA_QUANTIZE ]] || die "no llama-quantize at $LLAMA_QUANTIZE"

# --- the model ---------------------------------------------------------------
if [[ -n $KEEP ]]; then
  WORK=$KEEP
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/quantize-vs-llama.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
MODEL=$WORK/model-f32.gguf
if [[ ! -f $MODEL ]]; then
  say "Generating the model: scripts/make_tiny_llama.py ${MODEL_ARGS[*]}"
  python3 "$QUANTC_ROOT/scripts/make_tiny_llama.py" "$MODEL" "${MODEL_ARGS[@]}" >/dev/null
fi
model_bytes=$(stat -c %s "$MODEL")

# A copy, so that a rebuild of build/bin/quantc during the runs (other work
# in the checkout) does not change what is measured. It links only system
# libraries (absolute RUNPATH), so the copy runs as the original.
quantc_info="$QUANTC (built $(stat -c %y "$QUANTC" | cut -d. -f1); this checkout: $(git -C "$QUANTC_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo ?), $(git -C "$QUANTC_ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l) files modified)"
cp "$QUANTC" "$WORK/quantc"
QUANTC=$WORK/quantc

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo
echo "machine:        $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load average:   $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
echo "llama.cpp:      $(git -C "$LLAMA_SRC" rev-parse --short=12 HEAD) from node-llama-cpp $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$LLAMA_PKG/../package.json" | head -n1)" \
     "(bundle tag $(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$LLAMA_PKG/llama.cpp.info.json"))"
echo "llama-quantize: built in $(cat "$LLAMA_BUILD/quantc-build-time.txt" 2>/dev/null || echo "? (built earlier)")"
echo "quantc:         $quantc_info"
echo "model:          make_tiny_llama.py ${MODEL_ARGS[*]}: $(awk -v b="$model_bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}') F32"
echo "threads:        $THREADS; $RUNS runs each, median"
echo
if awk '{exit !($1 > 0.5)}' /proc/loadavg; then
  echo "warning: the load average is $(cut -d' ' -f1 /proc/loadavg): the machine is not idle, timings will be noisy" >&2
fi

# Runs one tool once under /usr/bin/time; appends "wall_s max_rss_kib user_s
# sys_s" to $4.
measure() {
  local name=$1 out=$2 type=$3 record=$4 log=$WORK/$1-$3.log
  shift 4
  rm -f "$out"
  sync # the previous run's output is written back now, not during this run
  # The input is read into the page cache before every run: this VM's kernel
  # evicts cold page-cache pages within seconds, so otherwise a varying part of
  # it would come from disk.
  cat "$MODEL" >/dev/null
  if ! "$TIME" -f '%e %M %U %S' -o "$WORK/time.txt" "$@" "$MODEL" "$out" "$type" "$THREADS" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "$name failed at $type (log: $log)"
  fi
  tail -n 1 "$WORK/time.txt" >>"$record"
}

# "median min max" of the numbers on stdin, one a line.
stats() {
  sort -n | awk '{v[NR] = $1} END {
    print ((NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

rows=()
identity=()
for type in $TYPES; do
  q_out=$WORK/quantc-$type.gguf
  l_out=$WORK/llama-$type.gguf
  : >"$WORK/quantc-$type.rec"
  : >"$WORK/llama-$type.rec"
  for ((run = 1; run <= RUNS; run++)); do
    say "$type run $run/$RUNS"
    # The order alternates so that neither tool always runs second.
    if ((run % 2)); then
      measure quantc "$q_out" "$type" "$WORK/quantc-$type.rec" "$QUANTC" quantize
      measure llama "$l_out" "$type" "$WORK/llama-$type.rec" "$LLAMA_QUANTIZE"
    else
      measure llama "$l_out" "$type" "$WORK/llama-$type.rec" "$LLAMA_QUANTIZE"
      measure quantc "$q_out" "$type" "$WORK/quantc-$type.rec" "$QUANTC" quantize
    fi
    echo "  quantc $(tail -n 1 "$WORK/quantc-$type.rec" | awk '{printf "%.2f s (user %.2f, sys %.2f), %.0f MiB", $1, $3, $4, $2 / 1024}')," \
         "llama-quantize $(tail -n 1 "$WORK/llama-$type.rec" | awk '{printf "%.2f s (user %.2f, sys %.2f), %.0f MiB", $1, $3, $4, $2 / 1024}')"
  done
  read -r qs qs_min qs_max < <(cut -d' ' -f1 "$WORK/quantc-$type.rec" | stats)
  read -r ls ls_min ls_max < <(cut -d' ' -f1 "$WORK/llama-$type.rec" | stats)
  read -r qm _ _ < <(cut -d' ' -f2 "$WORK/quantc-$type.rec" | stats)
  read -r lm _ _ < <(cut -d' ' -f2 "$WORK/llama-$type.rec" | stats)
  rows+=("$(awk -v t="$type" -v qs="$qs" -v ls="$ls" -v qm="$qm" -v lm="$lm" -v input="$model_bytes" \
    -v qr="$qs_min-$qs_max" -v lr="$ls_min-$ls_max" \
    -v qb="$(stat -c %s "$q_out")" -v lb="$(stat -c %s "$l_out")" 'BEGIN {
      printf "| %-6s | %6.2f (%s) | %6.2f (%s) | %5.2f | %4.0f (%4.1f%%) | %4.0f (%4.1f%%) | %6.1f | %6.1f |",
        t, qs, qr, ls, lr, ls / qs, qm / 1024, 100 * qm * 1024 / input, lm / 1024, 100 * lm * 1024 / input,
        qb / 1048576, lb / 1048576 }')")
  if cmp -s "$q_out" "$l_out"; then
    identity+=("$type: byte-identical")
  else
    first=$(cmp "$q_out" "$l_out" 2>&1 | sed 's/.*differ: //' | head -n1 || true)
    if diff_text=$(python3 "$QUANTC_ROOT/bench/gguf_diff.py" "$q_out" "$l_out"); then
      identity+=("$type: not byte-identical (first at $first), but the same metadata values and the same tensors (type, shape, data bytes); only the layout differs:")
    else
      identity+=("$type: not byte-identical (first at $first); content differs:")
    fi
    identity+=("$diff_text")
  fi
done

echo
echo "input: $(awk -v b="$model_bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}') F32; wall time and peak RSS: median of $RUNS runs, $THREADS threads"
echo
echo "| type | quantc s (min-max) | llama-quantize s (min-max) | llama / quantc | quantc peak RSS MiB (% of input) | llama-quantize peak RSS MiB (% of input) | quantc output MiB | llama-quantize output MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "outputs (A = quantc, B = llama-quantize):"
printf '%s\n' "${identity[@]}"
echo "load average:   $(cut -d' ' -f1-3 /proc/loadavg) (at end)"
