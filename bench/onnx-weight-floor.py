#!/usr/bin/env python3
"""How far a model's output moves when only its weights are rounded: the
floor under any weight-only quantizer, measured with ONNX Runtime alone.

  bench/onnx-weight-floor.py MODEL.onnx INPUTS.list OUTPUT_NAME [--per-layer]
  bench/onnx-weight-floor.py rec.onnx render:"TEXT" OUTPUT_NAME

render:TEXT makes the one input: TEXT drawn dark on light in DejaVu Sans,
48 x 320, normalized as PaddleOCR's recognizer wants it (input "x"; needs
Debian python3-pil and fonts-dejavu-core).

Each Conv filter and MatMul/Gemm weight (initializer or Constant) is
replaced by its value after a round trip through one scheme, the model is
run by ONNX Runtime (test/models/ort-run.mjs) on the inputs of INPUTS.list
("NAME FILE.npy" lines), and the output is compared with the float model's
(relative L2 error, and argmax agreement over the last axis). Schemes:

  f16      cast to float16 and back (no quantizer does better)
  int8     symmetric int8, one scale per output channel (quantc's
           --quantize int8: Conv filters by their first axis, MatMul
           weights [K, N] by column)
  int8-g32 symmetric int8, one scale per 32 weights along the input axis

--per-layer also rounds one weight at a time (int8) and prints each
weight's share. This is a measurement of the model, not of quantc: quantc's
own int8 build lands on the int8 row (docs/performance.md). Needs numpy
and onnx (Debian python3-numpy python3-onnx) and onnxruntime-node
(scripts/setup.sh).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def weights(model):
    """(tensor proto, kind) of each Conv filter and MatMul/Gemm weight."""
    tensors = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    tensors[node.output[0]] = a.t
    found = {}
    for node in model.graph.node:
        if len(node.input) < 2 or node.input[1] not in tensors:
            continue
        name = node.input[1]
        if node.op_type == "Conv":
            found[name] = "rows"
        elif node.op_type == "MatMul":
            found[name] = "columns"
        elif node.op_type == "Gemm":
            trans_b = any(a.name == "transB" and a.i for a in node.attribute)
            found[name] = "rows" if trans_b else "columns"
    return [(tensors[n], kind) for n, kind in found.items()]


def round_trip(w, kind, scheme):
    """w after `scheme`, as float32."""
    if scheme == "f16":
        return w.astype(np.float16).astype(np.float32)
    m = w.reshape(w.shape[0], -1) if kind == "rows" else w.reshape(w.shape[0], -1).T
    rows, k = m.shape
    group = 32 if scheme == "int8-g32" else k
    pad = (-k) % group
    blocks = np.pad(m, ((0, 0), (0, pad))).reshape(rows, -1, group)
    scale = np.abs(blocks).max(axis=2, keepdims=True) / 127
    scale[scale == 0] = 1
    q = np.clip(np.round(blocks / scale), -127, 127) * scale
    q = q.reshape(rows, -1)[:, :k]
    return (q if kind == "rows" else q.T).reshape(w.shape).astype(np.float32)


def render(text, workdir):
    """The input list of one rendered line of text (PaddleOCR rec's input)."""
    from PIL import Image, ImageDraw, ImageFont
    height, width = 48, 320
    image = Image.new("RGB", (width, height), (235, 235, 230))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                              int(height * 0.6))
    ImageDraw.Draw(image).text((6, int(height * 0.15)), text, fill=(30, 30, 40), font=font)
    x = (np.asarray(image, dtype=np.float32) / 255.0 - 0.5) / 0.5
    np.save(os.path.join(workdir, "x.npy"), x.transpose(2, 0, 1)[None].copy())
    listing = os.path.join(workdir, "inputs.list")
    with open(listing, "w") as f:
        f.write("x x.npy\n")
    return listing


def run(model_path, inputs, output, workdir):
    out = os.path.join(workdir, "out")
    subprocess.run(["node", os.path.join(ROOT, "test/models/ort-run.mjs"), model_path,
                    "--input-list", inputs, "--out", out, "--quiet"], check=True)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in output)
    return np.load(os.path.join(out, safe + ".npy"))


def compare(got, ref):
    err = np.linalg.norm(got - ref) / np.linalg.norm(ref)
    agree = (got.argmax(-1) == ref.argmax(-1)).mean() if ref.ndim >= 2 else float("nan")
    return err, agree


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    model_path, inputs, output = sys.argv[1:4]
    per_layer = "--per-layer" in sys.argv[4:]
    base = onnx.load(model_path)
    with tempfile.TemporaryDirectory() as tmp:
        if inputs.startswith("render:"):
            inputs = render(inputs[len("render:"):], tmp)
        ref = run(model_path, inputs, output, tmp)
        listed = weights(base)
        print(f"{os.path.basename(model_path)}: {len(listed)} weights, output {output}")
        print(f"{'scheme':10} {'weight rel err (mean)':>22} {'output rel L2':>14} {'argmax agrees':>14}")
        for scheme in ("f16", "int8", "int8-g32"):
            model = onnx.load(model_path)
            errs = []
            for tensor, kind in weights(model):
                w = numpy_helper.to_array(tensor).astype(np.float32)
                q = round_trip(w, kind, scheme)
                errs.append(np.linalg.norm(q - w) / max(np.linalg.norm(w), 1e-30))
                tensor.CopyFrom(numpy_helper.from_array(q, tensor.name))
            path = os.path.join(tmp, "model.onnx")
            onnx.save(model, path)
            err, agree = compare(run(path, inputs, output, tmp), ref)
            print(f"{scheme:10} {np.mean(errs):22.2e} {err:14.2e} {agree:14.3f}")
        if per_layer:
            print("int8, one weight at a time:")
            for i in range(len(listed)):
                model = onnx.load(model_path)
                tensor, kind = weights(model)[i]
                w = numpy_helper.to_array(tensor).astype(np.float32)
                tensor.CopyFrom(numpy_helper.from_array(round_trip(w, kind, "int8"), tensor.name))
                path = os.path.join(tmp, "model.onnx")
                onnx.save(model, path)
                err, _ = compare(run(path, inputs, output, tmp), ref)
                print(f"  {tensor.name:32} {str(list(w.shape)):20} {err:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
