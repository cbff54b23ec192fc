#!/usr/bin/env bash
# llm-greedy.sh NODE_LLAMA_CPP MODEL.gguf DIR: the greedy continuation (32
# tokens) of the same prompt tokens by llama.cpp and by `quantc generate`;
# prints how many leading tokens agree.
set -euo pipefail
node_dir=$1 model=$2 dir=$3
here=$(dirname "$0")
prompt="the tea is hot and the rain is on the road so we stay in"
mkdir -p "$dir"
ids=$(quantc-tokenize "$model" --text "$prompt" --add-special)
node "$here/../llama-dump-logits.mjs" "$node_dir" "$model" "ids:$ids" "$(wc -w <<<"$ids")" "$dir"
quantc generate "$model" --prompt "$prompt" -n 32 --lm-context 96 --threads 2 \
  --print-ids > "$dir/generate.txt" 2> "$dir/generate.err"
python3 - "$dir/greedy.npy" "$dir/generate.txt" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
(hlen,) = struct.unpack_from("<H", data, 8)
ref = list(struct.unpack_from("<%di" % ((len(data) - 10 - hlen) // 4), data, 10 + hlen))[:32]
ids = [int(x) for line in open(sys.argv[2], "rb").read().split(b"\n") if line.startswith(b"ids:") for x in line[4:].split()]
same = 0
while same < min(len(ref), len(ids)) and ref[same] == ids[same]:
    same += 1
print(f"greedy tokens agree: {same}/{len(ref)}")
PY
