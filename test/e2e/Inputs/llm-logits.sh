#!/usr/bin/env bash
# llm-logits.sh NODE_LLAMA_CPP DIR TYPE MIN_COSINE [MARGIN]: llama.cpp's and
# quantc's logits for DIR/TYPE.gguf on the same 12 tokens, compared (see
# compare_logits.py for MARGIN).
set -euo pipefail
node_dir=$1 dir=$2 type=$3 min=$4 margin=${5:-0.02}
here=$(dirname "$0")
mkdir -p "$dir/$type"
node "$here/../llama-dump-logits.mjs" "$node_dir" "$dir/$type.gguf" \
  "the tea is hot and the rain is on the road so we stay in" 12 "$dir/$type"
quantc run "$dir/$type.gguf" --lm-entries prefill --prefill-logits all --prefill-chunk 12 --lm-context 32 --threads 2 \
  --input "$dir/$type/tokens.npy" --input "$dir/pos.npy" \
  --output-dir "$dir/$type/out" --output-format npy --quiet
python3 "$here/compare_logits.py" "$dir/$type/logprobs.npy" "$dir/$type/out/output_0.npy" "$min" "$margin"
