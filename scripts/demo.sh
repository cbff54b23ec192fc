#!/usr/bin/env bash
# The main job on the example model: import, quantize, inspect, and measure
# the accuracy against float with llama.cpp itself.
#
# The example is a small llama model with deterministic generated weights
# (scripts/make_tiny_llama.py: 2 layers, 256-wide, 512-token vocabulary),
# written both as a GGUF file and as a Hugging Face safetensors directory.
# quantc imports it into MLIR (qc.global weights over the memory-mapped file),
# plans the llama-quantize mix (qc-plan-quantization), re-encodes the weights
# (qc-quantize-weights, byte-identical to ggml's quantizers) and writes GGUF;
# llama.cpp (node-llama-cpp, offline) then runs the float and the quantized
# models on the same tokens. Last, an ONNX model is compiled to a native
# shared library for this CPU and run against ONNX Runtime.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$QUANTC_ROOT/scripts/build.sh" >/dev/null
bin=$QUANTC_BUILD/bin
work=$QUANTC_BUILD/demo
rm -rf "$work" && mkdir -p "$work"

"$bin/quantc" --version

say "1. Generate the example model (F32 GGUF + Hugging Face safetensors)"
python3 "$QUANTC_ROOT/scripts/make_tiny_llama.py" "$work/tiny-llama-f32.gguf" --safetensors "$work/tiny-llama-hf"
ls -l "$work/tiny-llama-f32.gguf" "$work/tiny-llama-hf" | sed 's/^/   /'

say "2. quantc inspect: tensors, and the size at each llama-quantize type"
"$bin/quantc" inspect "$work/tiny-llama-f32.gguf" | sed -n '/^total/,$p' | sed 's/^/   /'

say "3. quantc quantize: Q8_0 from the GGUF file, Q4_K_M from the safetensors directory"
"$bin/quantc" quantize "$work/tiny-llama-f32.gguf" "$work/tiny-llama-q8_0.gguf" Q8_0 | sed 's/^/   /'
"$bin/quantc" quantize "$work/tiny-llama-hf" "$work/tiny-llama-q4_k_m.gguf" Q4_K_M | sed 's/^/   /'

say "4. The plan in the IR: quantc-opt on the imported, quantized model"
"$bin/quantc-translate" --import-gguf "$work/tiny-llama-q4_k_m.gguf" |
  "$bin/quantc-opt" --qc-print-weight-stats -o /dev/null | sed 's/^/   /'

say "5. Accuracy against float, run by llama.cpp (cosine of the logits over 24 positions)"
for q in q8_0 q4_k_m; do
  node "$QUANTC_ROOT/test/e2e/llama-logits.mjs" "$QUANTC_TOOLS/node-llama-cpp" \
    "$work/tiny-llama-f32.gguf" "$work/tiny-llama-$q.gguf" 0 | head -n 1 | sed 's/^/   /'
done
echo "   (the weights are random: this measures the pipeline, not a real model's quality)"

say "6. Compile an ONNX model for this CPU and run it (examples/models/mlp.onnx)"
"$bin/quantc" compile "$QUANTC_ROOT/examples/models/mlp.onnx" -o "$work/mlp.so" --header "$work/mlp.h" | sed 's/^/   /'
ls -l "$work/mlp.so" "$work/mlp.h" | sed 's/^/   /'
python3 "$QUANTC_ROOT/test/e2e/Inputs/write-sine-npy.py" "$work/mlp-input.npy"
echo "input $work/mlp-input.npy" > "$work/mlp-inputs.list"
node "$QUANTC_ROOT/test/models/ort-run.mjs" "$QUANTC_ROOT/examples/models/mlp.onnx" \
  --input-list "$work/mlp-inputs.list" --out "$work/mlp-ort" --quiet
echo "   the compiled library against ONNX Runtime on the same input:"
"$bin/quantc" run "$work/mlp.so" --input "$work/mlp-input.npy" --output-dir "$work/mlp-out" \
  --expect "$work/mlp-ort/probabilities.npy" --rtol 1e-5 --atol 1e-6 --bench 100 | sed 's/^/   /'

say "7. Compile the quantized llama for this CPU with quantc's own kernels and generate"
"$bin/quantc" generate "$work/tiny-llama-q4_k_m.gguf" --prompt "the tea is hot and the rain" \
  -n 24 --lm-context 128 --threads 2 2>&1 | sed 's/^/   /'
echo "   (random weights: the text is noise; this measures the pipeline)"
echo "   accuracy against the float model (quantc's compiled code on both):"
python3 -c "import random; r = random.Random(1); w = 'the tea is hot and the rain is on the road so we stay in a house by the sea'.split(); print(' '.join(r.choice(w) for _ in range(400)))" > "$work/text.txt"
"$bin/quantc" kld "$work/tiny-llama-q4_k_m.gguf" --base "$work/tiny-llama-f32.gguf" \
  --file "$work/text.txt" --ctx 64 --chunks 2 --threads 2 | sed 's/^/   /'
ls -l "$work/tiny-llama-f32.gguf" "$work/tiny-llama-q4_k_m.gguf" | sed 's/^/   /'
echo
echo "The files are in $work."
