#!/usr/bin/env python3
"""Writes a small llama-architecture model with deterministic generated
weights, as a GGUF file (F32, with a SentencePiece-style vocabulary that
llama.cpp loads) and optionally as a Hugging Face safetensors directory
(model.safetensors + config.json).

    python3 scripts/make_tiny_llama.py out.gguf [--safetensors DIR]
        [--layers 2] [--embd 256] [--ffn 512] [--heads 4] [--kv-heads 2]
        [--vocab 512] [--seed 1] [--fast-weights]
        [--arch llama|qwen2|phi3|gemma] [--head-dim D]

--fast-weights draws the matrices from random bytes whose exponents are
clamped to a realistic range (C-speed, for the multi-gigabyte models of the
benchmarks) instead of from a Gaussian (Python-speed).

Only the Python standard library is used; the same arguments give the same
bytes on every machine. No real model can be downloaded where quantc is
tested, so this is what its GGUF and safetensors tests run on.

--arch qwen2 adds biases to the query/key/value projections (NEOX RoPE in
llama.cpp); --arch phi3 stores them as one fused attn_qkv.weight and the
gate and up projections as one ffn_up.weight of twice the rows, gate first
(NEOX RoPE). Both draw the same weights as the llama model in the same
order, so the llama output is unchanged. --arch gemma (Gemma 1: NEOX RoPE,
GELU gate, embeddings scaled by sqrt(embd) in the graph) ties the output to
the token embeddings (no output.weight; GGUF only). --head-dim D gives heads
of D values whatever embd / heads is (the query projection then has heads x
D rows), and writes attention.key_length/value_length as Gemma 7B's file
has them.
"""
import argparse
import array
import itertools
import json
import math
import os
import random
import struct
import sys

# GGUF value types (enum gguf_type).
U32, I32, F32, STRING, ARRAY = 4, 5, 6, 8, 9
ALIGNMENT = 32


def gguf_string(s):
    data = s.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def gguf_value(vtype, value):
    if vtype == U32:
        return struct.pack("<I", value)
    if vtype == I32:
        return struct.pack("<i", value)
    if vtype == F32:
        return struct.pack("<f", value)
    if vtype == STRING:
        return gguf_string(value)
    raise ValueError(vtype)


def gguf_array(elem_type, values):
    out = struct.pack("<IQ", elem_type, len(values))
    if elem_type == F32:
        return out + array.array("f", values).tobytes()
    if elem_type == I32:
        return out + array.array("i", values).tobytes()
    return out + b"".join(gguf_value(elem_type, v) for v in values)


def vocabulary(size, arch="llama"):
    """A SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte
    tokens, then word pieces (phi3: the last two are Phi-3's control tokens
    <|endoftext|> and <|end|>, which llama.cpp's phi3 vocabulary needs)."""
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append("<0x%02X>" % b)
        scores.append(0.0)
        types.append(6)
    letters = "etaoinshrdlucmfwypvbgkjqxz"

    def pieces():
        for length in range(1, 5):
            for combo in itertools.product(letters, repeat=length):
                word = "".join(combo)
                yield "\u2581" + word
                yield word

    for i, piece in enumerate(itertools.islice(pieces(), size - len(tokens))):
        tokens.append(piece)
        scores.append(-float(i))
        types.append(1)
    if arch == "phi3":
        for i, name in enumerate(["<|endoftext|>", "<|end|>"]):
            tokens[size - 2 + i], scores[size - 2 + i] = name, 0.0
            types[size - 2 + i] = 3
    return tokens, scores, types


# Maps the top byte of a little-endian float32 (sign and the upper exponent
# bits) to a magnitude of about 2^-8 .. 2^-5 with the sign kept.
FAST_TOP_BYTE = bytes((b & 0x80) | 0x3C | ((b >> 5) & 0x01) for b in range(256))


def fast_matrix(rng, count):
    data = bytearray(rng.randbytes(4 * count))
    data[3::4] = bytes(data[3::4]).translate(FAST_TOP_BYTE)
    values = array.array("f")
    values.frombytes(bytes(data))
    return values


def tensors(args, rng):
    """(name, ne (ggml order), values) for every tensor, in llama.cpp's order."""
    e, f, v = args.embd, args.ffn, args.vocab
    hd = args.head_dim or e // args.heads
    qd, kv = args.heads * hd, args.kv_heads * hd

    def matrix(cols, rows, std):
        if args.fast_weights:
            return fast_matrix(rng, cols * rows)
        return array.array("f", (rng.gauss(0.0, std) for _ in range(cols * rows)))

    def norm(n):
        return array.array("f", (1.0 + rng.gauss(0.0, 0.05) for _ in range(n)))

    def bias(n):
        return array.array("f", (rng.gauss(0.0, 0.5) for _ in range(n)))

    out = [("token_embd.weight", [e, v], matrix(e, v, 1.0 / math.sqrt(e)))]
    for i in range(args.layers):
        p = "blk.%d." % i
        attn = [
            (p + "attn_norm.weight", [e], norm(e)),
            (p + "attn_q.weight", [e, qd], matrix(e, qd, 1.0 / math.sqrt(e))),
            (p + "attn_k.weight", [e, kv], matrix(e, kv, 1.0 / math.sqrt(e))),
            (p + "attn_v.weight", [e, kv], matrix(e, kv, 1.0 / math.sqrt(e))),
        ]
        if args.arch == "phi3":
            # One [e + 2 kv, e] projection: the query rows, then key, value.
            attn = [attn[0], (p + "attn_qkv.weight", [e, qd + 2 * kv],
                              attn[1][2] + attn[2][2] + attn[3][2])]
        out += attn
        if args.arch == "qwen2":
            # Qwen2's query/key/value projections have biases.
            out += [(p + "attn_q.bias", [qd], bias(qd)),
                    (p + "attn_k.bias", [kv], bias(kv)),
                    (p + "attn_v.bias", [kv], bias(kv))]
        ffn = [
            (p + "attn_output.weight", [qd, e], matrix(qd, e, 1.0 / math.sqrt(qd))),
            (p + "ffn_norm.weight", [e], norm(e)),
            (p + "ffn_gate.weight", [e, f], matrix(e, f, 1.0 / math.sqrt(e))),
            (p + "ffn_up.weight", [e, f], matrix(e, f, 1.0 / math.sqrt(e))),
            (p + "ffn_down.weight", [f, e], matrix(f, e, 1.0 / math.sqrt(f))),
        ]
        if args.arch == "phi3":
            # ffn_up holds the gate rows, then the up rows (ggml_swiglu).
            ffn = ffn[:2] + [(p + "ffn_up.weight", [e, 2 * f],
                              ffn[2][2] + ffn[3][2])] + ffn[4:]
        out += ffn
    out += [("output_norm.weight", [e], norm(e))]
    if args.arch != "gemma":
        out += [("output.weight", [e, v], matrix(e, v, 1.0 / math.sqrt(e)))]
    return out


def write_gguf(path, args, weights):
    tokens, scores, types = vocabulary(args.vocab, args.arch)
    arch = args.arch
    kvs = [
        ("general.architecture", STRING, arch),
        ("general.name", STRING, "quantc tiny %s (generated)" % arch),
        ("general.file_type", U32, 0),
        (arch + ".context_length", U32, 512),
        (arch + ".embedding_length", U32, args.embd),
        (arch + ".block_count", U32, args.layers),
        (arch + ".feed_forward_length", U32, args.ffn),
        (arch + ".rope.dimension_count", U32, args.head_dim or args.embd // args.heads),
        (arch + ".attention.head_count", U32, args.heads),
        (arch + ".attention.head_count_kv", U32, args.kv_heads),
        (arch + ".attention.layer_norm_rms_epsilon", F32, 1e-5),
        (arch + ".rope.freq_base", F32, 10000.0),
        (arch + ".vocab_size", U32, args.vocab),
    ]
    if args.head_dim:
        kvs += [(arch + ".attention.key_length", U32, args.head_dim),
                (arch + ".attention.value_length", U32, args.head_dim)]
    kvs += [
        ("tokenizer.ggml.model", STRING, "llama"),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
        ("tokenizer.ggml.scores", ARRAY, (F32, scores)),
        ("tokenizer.ggml.token_type", ARRAY, (I32, types)),
        ("tokenizer.ggml.bos_token_id", U32, 1),
        ("tokenizer.ggml.eos_token_id", U32, 2),
        ("tokenizer.ggml.unknown_token_id", U32, 0),
        ("tokenizer.ggml.add_bos_token", 7, True),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(weights), len(kvs))
    for key, vtype, value in kvs:
        header += gguf_string(key) + struct.pack("<I", vtype)
        if vtype == ARRAY:
            header += gguf_array(*value)
        elif vtype == 7:
            header += struct.pack("<?", value)
        else:
            header += gguf_value(vtype, value)
    offset = 0
    for name, ne, values in weights:
        header += gguf_string(name) + struct.pack("<I", len(ne))
        header += struct.pack("<%dq" % len(ne), *ne)
        header += struct.pack("<IQ", 0, offset)  # F32
        offset += (len(values) * 4 + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    header += b"\0" * (-len(header) % ALIGNMENT)
    with open(path, "wb") as f:
        f.write(header)
        for _, _, values in weights:
            data = values.tobytes()
            f.write(data + b"\0" * (-len(data) % ALIGNMENT))


# GGUF names -> Hugging Face llama names, for the safetensors copy.
HF_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_qkv": "self_attn.qkv_proj",
}
HF_CONFIG = {
    "llama": ("LlamaForCausalLM", "llama"),
    "qwen2": ("Qwen2ForCausalLM", "qwen2"),
    "phi3": ("Phi3ForCausalLM", "phi3"),
}


def hf_name(name, arch):
    if name in HF_NAMES:
        return HF_NAMES[name]
    _, layer, kind, suffix = name.split(".")
    hf = HF_NAMES[kind]
    if arch == "phi3" and kind == "ffn_up":
        hf = "mlp.gate_up_proj"
    return "model.layers.%s.%s.%s" % (layer, hf, suffix)


def unpermute_for_hf(values, ne, heads):
    """GGUF's q/k rows are permuted for RoPE (convert_hf_to_gguf.py permutes
    the Hugging Face rows); undo it so that the safetensors copy is the model
    Hugging Face would hold."""
    cols, rows = ne
    head_dim = rows // heads
    out = array.array("f", bytes(4 * len(values)))
    for h in range(heads):
        for i in range(head_dim // 2):
            for half in range(2):
                gguf_row = h * head_dim + 2 * i + half
                hf_row = h * head_dim + half * (head_dim // 2) + i
                out[hf_row * cols:(hf_row + 1) * cols] = \
                    values[gguf_row * cols:(gguf_row + 1) * cols]
    return out


def write_safetensors(directory, args, weights):
    os.makedirs(directory, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name, ne, values in weights:
        # Only llama's GGUF rows are permuted (NORM RoPE).
        if args.arch == "llama" and name.endswith("attn_q.weight"):
            values = unpermute_for_hf(values, ne, args.heads)
        elif args.arch == "llama" and name.endswith("attn_k.weight"):
            values = unpermute_for_hf(values, ne, args.kv_heads)
        data = values.tobytes()
        header[hf_name(name, args.arch)] = {"dtype": "F32", "shape": list(reversed(ne)),
                                 "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(directory, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)
    config = {
        "architectures": [HF_CONFIG[args.arch][0]],
        "model_type": HF_CONFIG[args.arch][1],
        "hidden_size": args.embd, "intermediate_size": args.ffn,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads, "vocab_size": args.vocab,
        "max_position_embeddings": 512, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
    }
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    # The same vocabulary as a Hugging Face tokenizers BPE with byte
    # fall-back (what Llama 2's tokenizer.json is).
    tokens, _, types = vocabulary(args.vocab, args.arch)
    tokenizer = {
        "version": "1.0",
        "added_tokens": [
            {"id": i, "content": tokens[i], "special": True}
            for i in range(len(tokens)) if types[i] in (2, 3)
        ],
        "model": {
            "type": "BPE", "unk_token": "<unk>", "byte_fallback": True,
            "vocab": {t: i for i, t in enumerate(tokens)}, "merges": [],
        },
    }
    with open(os.path.join(directory, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--safetensors")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embd", type=int, default=256)
    parser.add_argument("--ffn", type=int, default=512)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--vocab", type=int, default=512)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fast-weights", action="store_true")
    parser.add_argument("--arch", choices=["llama", "qwen2", "phi3", "gemma"],
                        default="llama",
                        help="qwen2: QKV biases; phi3: fused QKV and "
                        "gate/up projections (both NEOX RoPE); gemma: GELU, "
                        "tied output")
    parser.add_argument("--head-dim", type=int, default=0,
                        help="values per head (default embd / heads)")
    args = parser.parse_args()
    if (not args.head_dim and args.embd % args.heads) or args.heads % args.kv_heads:
        sys.exit("embd must divide by heads (or give --head-dim), heads by kv-heads")
    if args.safetensors and (args.arch == "gemma" or args.head_dim):
        sys.exit("--safetensors: the Hugging Face copy is written for llama, qwen2 and phi3 with embd / heads values per head")
    weights = tensors(args, random.Random(args.seed))
    write_gguf(args.output, args, weights)
    if args.safetensors:
        write_safetensors(args.safetensors, args, weights)


if __name__ == "__main__":
    main()
