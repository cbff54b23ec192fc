#!/usr/bin/env bash
# Puts llama.cpp's real vocab-only GGUF files (models/ggml-vocab-*.gguf, MIT)
# where GGUFRealFilesTest looks for them: .tools/llama-vocab/ (or $1).
# They come from the llama.cpp source bundle inside the pinned npm package
# node-llama-cpp (llama/gitRelease.bundle); nothing else is installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dest=${1:-$root/.tools/llama-vocab}
version=3.22.1

if compgen -G "$dest/ggml-vocab-*.gguf" >/dev/null; then
  echo "fetch-llama-vocab: already in $dest"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
tar -xzf "$work/node-llama-cpp-$version.tgz" -C "$work" package/llama/gitRelease.bundle
git clone --quiet --no-checkout "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
mkdir -p "$dest"
git -C "$work/llama.cpp" archive HEAD models | tar -x -C "$work" --wildcards 'models/ggml-vocab-*.gguf'
cp "$work"/models/ggml-vocab-*.gguf "$dest/"
echo "fetch-llama-vocab: $(ls "$dest"/ggml-vocab-*.gguf | wc -l) files in $dest"
