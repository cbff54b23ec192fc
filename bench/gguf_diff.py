#!/usr/bin/env python3
"""Compares two GGUF files tensor by tensor (Python standard library only).

    python3 bench/gguf_diff.py A.gguf B.gguf [--max-list N]

Prints the metadata keys that differ, then every tensor whose name, type,
shape or data differs, with the number of differing blocks. Exit status: 0
when metadata and every tensor's data are equal (the files may still differ
in layout: tensor order, alignment padding), 1 otherwise, 2 on a bad file.
Used by bench/quantize-vs-llama.sh when `cmp` finds the outputs differ.
"""
import argparse
import hashlib
import mmap
import struct
import sys

# enum gguf_type -> struct format of a scalar (8: string, 9: array).
SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
           10: "Q", 11: "q", 12: "d"}

# enum ggml_type -> (name, elements per block, bytes per block).
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1),
    25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
}


class GGUF:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.pos = 0
        if self.buf[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        self.pos = 4
        self.version, n_tensors, n_kv = self.read("<IQQ")
        self.kv = {}
        for _ in range(n_kv):
            key = self.string()
            (vtype,) = self.read("<I")
            self.kv[key] = (vtype, self.value(vtype))
        self.tensors = {}
        self.order = []
        for _ in range(n_tensors):
            name = self.string()
            (n_dims,) = self.read("<I")
            dims = self.read("<%dQ" % n_dims)
            gtype, offset = self.read("<IQ")
            self.tensors[name] = (gtype, tuple(dims), offset)
            self.order.append(name)
        align = self.kv.get("general.alignment", (4, 32))[1]
        self.data_start = (self.pos + align - 1) // align * align

    def read(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ValueError(f"{self.path}: truncated header")
        out = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return out

    def string(self):
        (n,) = self.read("<Q")
        s = self.buf[self.pos:self.pos + n]
        self.pos += n
        return s.decode("utf-8", "replace")

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, n = self.read("<IQ")
            if etype in SCALARS:
                return tuple(self.read("<%d%s" % (n, SCALARS[etype])))
            return tuple(self.value(etype) for _ in range(n))
        if vtype in SCALARS:
            return self.read("<" + SCALARS[vtype])[0]
        raise ValueError(f"{self.path}: unknown metadata type {vtype}")

    def tensor(self, name):
        """(type name, block bytes, data) of a tensor; data is a memoryview."""
        gtype, dims, offset = self.tensors[name]
        tname, block, nbytes = GGML_TYPES.get(gtype, ("type%d" % gtype, 0, 0))
        elements = 1
        for d in dims:
            elements *= d
        start = self.data_start + offset
        if block:
            size = elements // block * nbytes
        else:  # unknown type: up to the next tensor (padding included)
            later = [o for _, _, o in self.tensors.values() if o > offset]
            size = (min(later) + self.data_start if later else len(self.buf)) - start
            nbytes = size
        return tname, nbytes, memoryview(self.buf)[start:start + size]


def differing_blocks(da, db, block):
    """How many `block`-byte blocks differ between two equal-length views."""
    chunk = block * 4096
    bad = 0
    for start in range(0, len(da), chunk):
        ca, cb = bytes(da[start:start + chunk]), bytes(db[start:start + chunk])
        if ca != cb:
            bad += sum(1 for i in range(0, len(ca), block)
                       if ca[i:i + block] != cb[i:i + block])
    return bad


def short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...(%d)" % len(value)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--max-list", type=int, default=40,
                    help="list at most this many differing tensors")
    args = ap.parse_args()
    try:
        a, b = GGUF(args.a), GGUF(args.b)
    except (OSError, ValueError) as e:
        print(f"gguf_diff: {e}", file=sys.stderr)
        return 2

    differs = False
    for key in sorted(set(a.kv) | set(b.kv)):
        va, vb = a.kv.get(key), b.kv.get(key)
        if va != vb:
            differs = True
            print(f"  metadata {key}: A={short(va and va[1])} B={short(vb and vb[1])}")
    if list(a.kv) != list(b.kv) and set(a.kv) == set(b.kv):
        moved = [k for k in a.kv if list(a.kv).index(k) != list(b.kv).index(k)]
        print(f"  metadata key order differs ({len(moved)} of {len(a.kv)} keys at other "
              f"positions, first: {moved[0]}: A #{list(a.kv).index(moved[0])}, "
              f"B #{list(b.kv).index(moved[0])})")
    if a.version != b.version:
        print(f"  GGUF version: A={a.version} B={b.version}")
    if a.order != b.order and set(a.order) == set(b.order):
        print("  tensor order differs (data compared by name): A starts "
              f"{', '.join(a.order[:3])}; B starts {', '.join(b.order[:3])}")
    if a.data_start != b.data_start:
        print(f"  tensor data starts at A={a.data_start} B={b.data_start}")

    names = [n for n in a.order if n in b.tensors]
    only = sorted(set(a.tensors) ^ set(b.tensors))
    for n in only:
        differs = True
        print(f"  tensor {n}: only in {'A' if n in a.tensors else 'B'}")
    same, listed, bad_bytes, total_bytes = 0, 0, 0, 0
    for n in names:
        ta, block_a, da = a.tensor(n)
        tb, block_b, db = b.tensor(n)
        total_bytes += len(da)
        if ta != tb or a.tensors[n][1] != b.tensors[n][1]:
            differs = True
            listed += 1
            if listed <= args.max_list:
                print(f"  tensor {n}: A={ta}{list(a.tensors[n][1])} "
                      f"B={tb}{list(b.tensors[n][1])}")
            continue
        if hashlib.sha1(da).digest() == hashlib.sha1(db).digest():
            same += 1
            continue
        differs = True
        bad = differing_blocks(da, db, block_a)
        bad_bytes += bad * block_a
        listed += 1
        if listed <= args.max_list:
            print(f"  tensor {n} ({ta}): {bad} of {len(da) // block_a} blocks differ")
    if listed > args.max_list:
        print(f"  ... and {listed - args.max_list} more differing tensors")
    print(f"  {same} of {len(names)} common tensors have identical type, shape and data"
          + (f"; differing blocks: {bad_bytes} of {total_bytes} bytes" if bad_bytes else ""))
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
