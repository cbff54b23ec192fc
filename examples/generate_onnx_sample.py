#!/usr/bin/env python3
"""Writes examples/models/mlp.onnx: a small classifier (MatMul + Add + Relu,
Gemm, Softmax) with deterministic weights, the model of the CMake example
(examples/cmake-model) and of the user guide.

    python3 examples/generate_onnx_sample.py examples/models/mlp.onnx

Only the Python standard library is used (the protobuf encoding is written
out below), so the file is byte-identical on every machine.
"""
import random
import struct
import sys

IN, HIDDEN, OUT = 64, 128, 10
rng = random.Random(20261122)

# --- protobuf wire format -------------------------------------------------


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire, payload):
    return varint((number << 3) | wire) + payload


def f_int(number, value):
    return field(number, 0, varint(value))


def f_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return field(number, 2, varint(len(data)) + data)


def f_float(number, value):
    return field(number, 5, struct.pack("<f", value))


# --- ONNX messages (field numbers of onnx.proto) ---------------------------
FLOAT = 1


def tensor(name, dims, values):
    msg = b"".join(f_int(1, d) for d in dims)
    msg += f_int(2, FLOAT) + f_bytes(8, name)
    msg += f_bytes(9, struct.pack(f"<{len(values)}f", *values))
    return msg


def value_info(name, dims):
    shape = b"".join(f_bytes(1, f_int(1, d)) for d in dims)
    tensor_type = f_int(1, FLOAT) + f_bytes(2, shape)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, tensor_type))


def attr_int(name, value):
    return f_bytes(1, name) + f_int(3, value) + f_int(20, 2)


def attr_float(name, value):
    return f_bytes(1, name) + f_float(2, value) + f_int(20, 1)


def node(op, inputs, outputs, name, attrs=()):
    msg = b"".join(f_bytes(1, i) for i in inputs)
    msg += b"".join(f_bytes(2, o) for o in outputs)
    msg += f_bytes(3, name) + f_bytes(4, op)
    msg += b"".join(f_bytes(5, a) for a in attrs)
    return msg


def gauss(n, scale):
    return [rng.gauss(0.0, scale) for _ in range(n)]


def main():
    w1 = gauss(IN * HIDDEN, (2.0 / IN) ** 0.5)
    b1 = gauss(HIDDEN, 0.1)
    w2 = gauss(OUT * HIDDEN, (1.0 / HIDDEN) ** 0.5)  # [OUT, HIDDEN], transB
    b2 = gauss(OUT, 0.1)
    nodes = [
        node("MatMul", ["input", "w1"], ["mm1"], "fc1"),
        node("Add", ["mm1", "b1"], ["pre1"], "fc1_bias"),
        node("Relu", ["pre1"], ["act1"], "relu1"),
        node("Gemm", ["act1", "w2", "b2"], ["logits"], "fc2",
             [attr_int("transB", 1), attr_float("alpha", 1.0)]),
        node("Softmax", ["logits"], ["probabilities"], "softmax", [attr_int("axis", -1)]),
    ]
    graph = b"".join(f_bytes(1, n) for n in nodes)
    graph += f_bytes(2, "mlp")
    for init in (tensor("w1", [IN, HIDDEN], w1), tensor("b1", [HIDDEN], b1),
                 tensor("w2", [OUT, HIDDEN], w2), tensor("b2", [OUT], b2)):
        graph += f_bytes(5, init)
    graph += f_bytes(11, value_info("input", [1, IN]))
    graph += f_bytes(12, value_info("probabilities", [1, OUT]))
    model = f_int(1, 8)  # ir_version
    model += f_bytes(2, "quantc examples/generate_onnx_sample.py")
    model += f_bytes(7, graph)
    model += f_bytes(8, f_bytes(1, "") + f_int(2, 17))  # opset 17
    out = sys.argv[1] if len(sys.argv) > 1 else "examples/models/mlp.onnx"
    with open(out, "wb") as f:
        f.write(model)


if __name__ == "__main__":
    main()
