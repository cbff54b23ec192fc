#!/usr/bin/env bash
# check_kernels.sh DIR ISA: every block format's matmul kernel for ISA against
# quantc's block codecs (see kernel_case.py), on a GEMM (5 columns: register
# tiles and their remainders) and a GEMV (1 column), for a 21 x 512 weight and,
# for the 32-weight formats, a 21 x 96 one (a block count that is not a
# multiple of the GEMV's unrolling). Prints one line per case.
set -euo pipefail
dir=$1 isa=$2
here=$(dirname "$0")
for shape in "21 512" "21 96"; do
  read -r n k <<<"$shape"
  for type in q4_0 q4_1 q5_0 q5_1 q8_0 q2_K q3_K q4_K q5_K q6_K; do
    if [[ $k -lt 256 && $type == *_K ]]; then continue; fi
    case_dir=$dir/$type-$isa-$k
    mkdir -p "$case_dir"
    python3 "$here/kernel_case.py" weights "$case_dir" "$n" "$k"
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$type")
    quantc quantize "$case_dir/w.gguf" "$case_dir/q.gguf" "$upper" --pure > /dev/null
    quantc quantize "$case_dir/q.gguf" "$case_dir/d.gguf" F32 --allow-requantize > /dev/null
    for m in 5 1; do
      python3 "$here/kernel_case.py" model "$case_dir" "$type" "$isa" "$m"
      # x and the weights are N(0, 1): outputs are N(0, K); the activations'
      # 8-bit rounding errs by about 0.5% of that.
      result=$(quantc run "$case_dir/$type-$isa.mlir" --input "$case_dir/x.npy" \
        --input "$case_dir/w.npy" --expect "$case_dir/y.npy" --rtol 0.02 \
        --atol "$(python3 -c "print(0.03 * $k ** 0.5)")" --threads 2 | tail -n 1)
      echo "$type $isa K=$k M=$m:$result"
    done
  done
done
