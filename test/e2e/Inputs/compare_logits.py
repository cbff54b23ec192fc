#!/usr/bin/env python3
"""Compares quantc's logits with llama.cpp's log-probabilities (from
llama-dump-logits.mjs) position by position: the cosine of the mean-centred
log-softmax (invariant to the per-position constant) and the argmax.

  compare_logits.py LLAMA_LOGPROBS.npy QUANTC_LOGITS.npy MIN_COSINE

Prints the minimum and mean cosine and the argmax agreement; exits 1 below
MIN_COSINE or on a different argmax. Standard library only.
  compare_logits.py zeros OUT.npy D0 D1 ...   writes an f32 array of zeros
  compare_logits.py ints OUT.npy V0 V1 ...    writes a 1-D int32 array
"""
import math
import struct
import sys


def read_npy(path):
    data = open(path, "rb").read()
    (hlen,) = struct.unpack_from("<H", data, 8)
    header = data[10:10 + hlen].decode()
    shape = tuple(int(x) for x in header.split("(")[1].split(")")[0].split(",") if x.strip())
    fmt = "f" if "<f4" in header else "i"
    n = 1
    for d in shape:
        n *= d
    return shape, struct.unpack_from("<%d%s" % (n, fmt), data, 10 + hlen)


def write_npy(path, shape, fmt, values):
    descr = {"f": "<f4", "i": "<i4"}[fmt]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def log_softmax(row):
    m = max(row)
    z = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - z for x in row]


def centred_cosine(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    dot = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    na = math.sqrt(sum((x - ma) ** 2 for x in a))
    nb = math.sqrt(sum((y - mb) ** 2 for y in b))
    return dot / (na * nb)


def main():
    if sys.argv[1] == "zeros":
        shape = tuple(int(d) for d in sys.argv[3:])
        n = 1
        for d in shape:
            n *= d
        write_npy(sys.argv[2], shape, "f", [0.0] * n)
        return 0
    if sys.argv[1] == "ints":
        values = [int(v) for v in sys.argv[3:]]
        write_npy(sys.argv[2], (len(values),), "i", values)
        return 0
    (rows, vocab_ref), ref = read_npy(sys.argv[1])
    (rows2, vocab), got = read_npy(sys.argv[2])
    minimum = float(sys.argv[3])
    # The argmax must agree where llama.cpp's top two log-probabilities are
    # more than `margin` apart (random weights make near-ties). 0.02 by
    # default; quantized models get more: llama.cpp quantizes the
    # activations of K-quant matmuls per 256 (Q8_K), quantc per 32, so their
    # log-probabilities differ by up to ~0.1 and a near-tie may turn.
    margin = float(sys.argv[4]) if len(sys.argv) > 4 else 0.02
    assert rows == rows2, (rows, rows2)
    cosines, agree, decisive = [], 0, 0
    for i in range(rows):
        r = list(ref[i * vocab_ref:i * vocab_ref + vocab])
        g = log_softmax(list(got[i * vocab:(i + 1) * vocab]))
        cosines.append(centred_cosine(r, g))
        top = sorted(r, reverse=True)
        if top[0] - top[1] > margin:
            decisive += 1
            agree += r.index(max(r)) == g.index(max(g))
    print(f"positions {rows}: min cosine {min(cosines):.6f}, mean {sum(cosines) / rows:.6f}, "
          f"argmax agrees {agree}/{decisive} (top-2 margin > {margin:g})")
    return 0 if min(cosines) >= minimum and agree == decisive else 1


if __name__ == "__main__":
    sys.exit(main())
