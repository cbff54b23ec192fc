#!/usr/bin/env python3
"""Compares quantc-tokenize's token ids with llama.cpp's (node-llama-cpp,
offline, through llama-tokenize.mjs) for every ggml-vocab-*.gguf of a
directory on every text of a text file.

    compare-tokenizers.py --quantc-tokenize BIN --node-llama-cpp DIR \
        --vocab-dir DIR --texts FILE [--unsupported NAME ...]

Prints one line per vocabulary: "match", "MISMATCH" with the first differing
text, or "unsupported" for those listed with --unsupported (which quantc must
refuse with an error). Exits 1 on any mismatch, on a listed vocabulary that
quantc accepts, or on an unlisted one that it refuses.
"""
import argparse
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quantc-tokenize", required=True)
    ap.add_argument("--node-llama-cpp", required=True)
    ap.add_argument("--vocab-dir", required=True)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--unsupported", nargs="*", default=[])
    args = ap.parse_args()

    with open(args.texts, encoding="utf-8") as f:
        texts = f.read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    vocabs = sorted(glob.glob(os.path.join(args.vocab_dir, "ggml-vocab-*.gguf")))
    if not vocabs:
        print(f"no ggml-vocab-*.gguf in {args.vocab_dir}")
        return 1
    failures = 0
    for vocab in vocabs:
        name = os.path.basename(vocab)[len("ggml-vocab-"):-len(".gguf")]
        ours = subprocess.run([args.quantc_tokenize, vocab, "--file", args.texts,
                               "--escaped-lines"], capture_output=True, text=True)
        if name in args.unsupported:
            if ours.returncode == 0 or "unsupported" not in ours.stderr:
                print(f"{name}: expected 'unsupported', got rc={ours.returncode} {ours.stderr.strip()}")
                failures += 1
            else:
                print(f"{name}: unsupported ({ours.stderr.strip()})")
            continue
        if ours.returncode != 0:
            print(f"{name}: quantc-tokenize failed: {ours.stderr.strip()}")
            failures += 1
            continue
        theirs = subprocess.run(["node", os.path.join(HERE, "llama-tokenize.mjs"),
                                 args.node_llama_cpp, vocab, args.texts],
                                capture_output=True, text=True)
        if theirs.returncode != 0:
            print(f"{name}: llama.cpp failed: {theirs.stderr.strip()[-500:]}")
            failures += 1
            continue
        a, b = ours.stdout.split("\n"), theirs.stdout.split("\n")
        diffs = [i for i in range(len(texts)) if i >= len(a) or i >= len(b) or a[i] != b[i]]
        if diffs:
            i = diffs[0]
            print(f"{name}: MISMATCH on {len(diffs)} of {len(texts)} texts; first, line {i + 1} "
                  f"{texts[i]!r}:\n  quantc    {a[i] if i < len(a) else None}\n"
                  f"  llama.cpp {b[i] if i < len(b) else None}")
            failures += 1
        else:
            print(f"{name}: match ({len(texts)} texts)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
