#!/usr/bin/env python3
"""Cases for the quantized matmul kernels, checked against quantc's own
block codecs (bit-exact with ggml's dequantize_row_*; see
unittests/Numerics/CodecsTest.cpp) rather than against the kernels' decoders.

  kernel_case.py weights DIR N K
      writes DIR/w.gguf: one F32 matrix blk.0.ffn_up.weight of N x K
      deterministic Gaussian weights, for `quantc quantize --pure`.
  kernel_case.py model DIR TYPE ISA M
      reads DIR/q.gguf (the matrix quantized to TYPE) and DIR/d.gguf (the
      same matrix decoded back to F32 by `quantc quantize ... F32`) and
      writes DIR/<TYPE>-<ISA>.mlir, a model that calls the TYPE kernel for
      ISA the way qc-lower-bitwidth does (the weight's packed bytes as an
      input), plus DIR/x.npy (M x K activations), DIR/w.npy (the packed
      bytes) and DIR/y.npy (x times the decoded matrix, in double precision).

Only the Python standard library is used.
"""
import random
import struct
import sys

ALIGN = 32


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def write_weights(path, n, k):
    rng = random.Random(11)
    data = struct.pack("<%df" % (n * k), *(rng.gauss(0, 1) for _ in range(n * k)))
    kv = gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("llama")
    info = gguf_string("blk.0.ffn_up.weight") + struct.pack("<IQQIQ", 2, k, n, 0, 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + kv + info
    head += b"\0" * (-len(head) % ALIGN)
    with open(path, "wb") as f:
        f.write(head + data)


def skip_value(buf, at, vtype):
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    if vtype in sizes:
        return at + sizes[vtype]
    if vtype == 8:
        (n,) = struct.unpack_from("<Q", buf, at)
        return at + 8 + n
    if vtype == 9:
        etype, n = struct.unpack_from("<IQ", buf, at)
        at += 12
        for _ in range(n):
            at = skip_value(buf, at, etype)
        return at
    raise ValueError(vtype)


def read_tensor(path):
    """The bytes and ggml type of the file's only tensor."""
    buf = open(path, "rb").read()
    assert buf[:4] == b"GGUF"
    _, nt, nkv = struct.unpack_from("<IQQ", buf, 4)
    at = 24
    align = ALIGN
    for _ in range(nkv):
        (n,) = struct.unpack_from("<Q", buf, at)
        key = buf[at + 8:at + 8 + n].decode()
        at += 8 + n
        (vtype,) = struct.unpack_from("<I", buf, at)
        at += 4
        if key == "general.alignment":
            (align,) = struct.unpack_from("<I", buf, at)
        at = skip_value(buf, at, vtype)
    assert nt == 1
    (n,) = struct.unpack_from("<Q", buf, at)
    at += 8 + n
    (nd,) = struct.unpack_from("<I", buf, at)
    dims = struct.unpack_from("<%dQ" % nd, buf, at + 4)
    gtype, offset = struct.unpack_from("<IQ", buf, at + 4 + 8 * nd)
    at += 4 + 8 * nd + 12
    at += -at % align
    return buf[at + offset:], gtype, dims


def write_npy(path, shape, fmt, values):
    descr = {"f": "<f4", "b": "|i1"}[fmt]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def write_model(d, type_name, isa, m):
    qbytes, _, dims = read_tensor(f"{d}/q.gguf")
    fbytes, ftype, _ = read_tensor(f"{d}/d.gguf")
    assert ftype == 0
    k, n = dims
    w = struct.unpack_from("<%df" % (n * k), fbytes)
    nbytes = len(qbytes)
    rng = random.Random(5)
    x = [rng.gauss(0, 1) for _ in range(m * k)]
    y = [sum(x[i * k + j] * w[c * k + j] for j in range(k)) for i in range(m) for c in range(n)]
    write_npy(f"{d}/x.npy", (m, k), "f", x)
    write_npy(f"{d}/w.npy", (nbytes,), "b", [v - 256 if v > 127 else v for v in qbytes[:nbytes]])
    write_npy(f"{d}/y.npy", (m, n), "f", y)
    kernel = f"qc_kernel_matmul_{type_name}_{isa.replace('-', '_')}"
    with open(f"{d}/{type_name}-{isa}.mlir", "w") as f:
        f.write(f"""func.func @matmul(%x: tensor<{m}x{k}xf32>, %w: tensor<{nbytes}xi8>) -> tensor<{m}x{n}xf32> {{
  %xb = bufferization.to_buffer %x read_only : tensor<{m}x{k}xf32> to memref<{m}x{k}xf32>
  %xc = memref.cast %xb : memref<{m}x{k}xf32> to memref<?x?xf32>
  %wb = bufferization.to_buffer %w read_only : tensor<{nbytes}xi8> to memref<{nbytes}xi8>
  %wc = memref.cast %wb : memref<{nbytes}xi8> to memref<?xi8>
  %y = memref.alloc() {{alignment = 64 : i64}} : memref<{m}x{n}xf32>
  %yc = memref.cast %y : memref<{m}x{n}xf32> to memref<?x?xf32>
  call @{kernel}(%xc, %wc, %yc) : (memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>) -> ()
  %t = bufferization.to_tensor %y restrict writable : memref<{m}x{n}xf32> to tensor<{m}x{n}xf32>
  return %t : tensor<{m}x{n}xf32>
}}
func.func private @{kernel}(memref<?x?xf32>, memref<?xi8>, memref<?x?xf32>) attributes {{qc.kernel = {{isa = "{isa}", kind = "matmul", type = !qc.block<{type_name}>}}}}
""")


if sys.argv[1] == "weights":
    write_weights(f"{sys.argv[2]}/w.gguf", int(sys.argv[3]), int(sys.argv[4]))
else:
    write_model(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
