//===- QCOps.td - qc operations -----------------------------*- tablegen -*-===//
//
// Part of quantc.
//
// Constraints are labelled (C1), (C2), ... in each op's description; the
// verifiers cite them and test/Dialect/QC/invalid.mlir names its cases after
// them.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCOPS_TD
#define QUANTC_DIALECT_QC_IR_QCOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "quantc/Dialect/QC/IR/QCTypes.td"

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

/// A ranked tensor whose element type is quantized: a qc type or an upstream
/// `!quant.uniform` type.
def QC_QuantizedTensor : RankedTensorOf<[AnyType]> {
  let summary = "ranked tensor of quantized elements";
}

def QC_GlobalOp : QC_Op<"global", [Symbol, IsolatedFromAbove,
                                    HasParent<"::mlir::ModuleOp">]> {
  let summary = "a named weight of the model and the bytes that hold it";
  let description = [{
    Declares one weight tensor of the model at module level: its name (the
    symbol, spelled as in the source file), its logical type and its bytes.
    The bytes are a 1-D tensor of `i8`, normally a `dense_resource` blob that
    the importer points at the memory-mapped file, so a model's weights are
    never copied into the context. The element type may be a qc type, a
    `!quant.uniform` type, or a plain float or integer type (norm weights,
    biases, embeddings kept in F32/F16). A module of `qc.global`s is a
    weights container (what a GGUF or safetensors file holds); functions use
    them through `qc.weight`.

    Constraints:
    - (C1) `data` is a 1-D tensor of 8-bit integers.
    - (C2) the element type of `type` is a float, an integer, or a type with
      `QuantizedTypeInterface`.
    - (C3) `type` is a ranked tensor with a static shape whose innermost
      dimension is a whole number of blocks.
    - (C4) the size of `data` is the storage size of `type`; when the blob is
      loaded its byte length is that size too.

    Example:

    ```mlir
    qc.global @"blk.0.attn_q.weight" : tensor<64x64x!qc.block<q4_0>>
        = dense_resource<blk.0.attn_q> : tensor<2304xi8>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       ElementsAttr:$data);
  let assemblyFormat = "$sym_name attr-dict `:` $type `=` $data";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The logical type of the weight.
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// The bytes, when they are available (a loaded resource blob or a
    /// dense attribute); std::nullopt otherwise. A splat is expanded into
    /// `scratch`, which the result then views.
    std::optional<::llvm::ArrayRef<char>>
    getRawBytes(std::vector<char> &scratch);
  }];
}

def QC_WeightOp : QC_Op<"weight", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "the value of a `qc.global` weight";
  let description = [{
    Reads the weight that `qc.global @name` declares.

    Constraints:
    - (C1) `name` refers to a `qc.global` in the enclosing module.
    - (C2) `result` has the type of that global.

    Example:

    ```mlir
    %w = qc.weight @"blk.0.attn_q.weight" : tensor<64x64x!qc.block<q4_0>>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def QC_QuantizeOp : QC_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "quantize a float tensor";
  let description = [{
    Quantizes `input` to the element type of `result`: a llama.cpp block
    format, a group-wise affine type, or a `!quant.uniform` type
    (per-tensor, per-axis or sub-channel).

    Constraints:
    - (C1) `input` and `result` have the same shape.
    - (C2) the element type of `input` is a float type.
    - (C3) the element type of `result` is quantized.
    - (C4) for `!quant` types, the expressed type is the element type of
      `input`.
    - (C5) the innermost dimension of a static shape is a whole number of
      blocks.

    Example:

    ```mlir
    %q = qc.quantize %x : tensor<8x64xf32> -> tensor<8x64x!qc.block<q8_0>>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs QC_QuantizedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def QC_DequantizeOp : QC_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "dequantize to a float tensor";
  let description = [{
    Expands quantized `input` to floats. Passes fuse it into its consumers so
    that weights are never expanded in memory; it stays in the IR where the
    float values are really needed.

    Constraints:
    - (C1) `input` and `result` have the same shape.
    - (C2) the element type of `input` is quantized.
    - (C3) the element type of `result` is a float type.
    - (C4) for `!quant` types, the expressed type is the element type of
      `result`.
    - (C5) the innermost dimension of a static shape is a whole number of
      blocks.

    Example:

    ```mlir
    %x = qc.dequantize %w : tensor<8x64x!qc.block<q4_0>> -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins QC_QuantizedTensor:$input);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def QC_RequantizeOp : QC_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "convert between quantized types";
  let description = [{
    Re-encodes `input` in the quantized element type of `result`, as if by
    dequantizing to `f32` and quantizing again. Requantizing to the same type
    folds away.

    Constraints:
    - (C1) `input` and `result` have the same shape.
    - (C2) both element types are quantized.
    - (C3) the innermost dimension of a static shape is a whole number of
      blocks of both types.

    Example:

    ```mlir
    %r = qc.requantize %w : tensor<8x256x!qc.block<q8_0>> -> tensor<8x256x!qc.block<q4_K>>
    ```
  }];
  let arguments = (ins QC_QuantizedTensor:$input);
  let results = (outs QC_QuantizedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_MatmulOp : QC_Op<"matmul", [Pure]> {
  let summary = "float activations times a (quantized) weight";
  let description = [{
    `result[..., n] = sum_k input[..., k] * w[n, k]` where `w` is the
    dequantized `weight`. The weight is `N x K`, quantized along `K` (the
    layout of a GGUF tensor with `ne0 = K`), so each output feature reads one
    contiguous row of blocks. `input` may have any number of leading batch
    dimensions. A weight kept in a float type (F32/F16/BF16 tensors of a GGUF
    file) is multiplied as it is.

    Constraints:
    - (C1) `weight` is a 2-D tensor with a quantized or float element type.
    - (C2) `input` has rank >= 1 and its innermost dimension equals `K` when
      both are static.
    - (C3) `result` has the shape of `input` with the innermost dimension
      replaced by `N`.
    - (C4) `input` and `result` have the same float element type.
    - (C5) `K` is a whole number of blocks of the weight's type.
    - (C6) a per-axis `!quant` weight is quantized along dimension 0 (`N`).

    Example:

    ```mlir
    %y = qc.matmul %x, %w : tensor<?x4096xf32>, tensor<11008x4096x!qc.block<q4_K>>
        -> tensor<?x11008xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       RankedTensorOf<[AnyType]>:$weight);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QC_GatherRowsOp : QC_Op<"gather_rows", [Pure]> {
  let summary = "dequantized rows of a (quantized) table";
  let description = [{
    `result[i, :] = dequantize(table[indices[i], :])`: the embedding lookup
    of a language model (llama.cpp's `get_rows`), reading only the selected
    rows of a table that stays quantized. An index outside `[0, rows)` is
    clamped into it.

    Constraints:
    - (C1) `table` is a 2-D tensor with a quantized or float element type.
    - (C2) `indices` is a 1-D tensor of integers.
    - (C3) `result` is `size(indices) x K` with `K` the table's row length.
    - (C4) `K` is a whole number of blocks of the table's type.

    Example:

    ```mlir
    %e = qc.gather_rows %table[%ids] : tensor<32000x4096x!qc.block<q4_K>>,
        tensor<8xi32> -> tensor<8x4096xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyType]>:$table,
                       RankedTensorOf<[AnySignlessInteger]>:$indices);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $table `[` $indices `]` attr-dict `:` type($table) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QC_StorageOp : QC_Op<"storage", [Pure]> {
  let summary = "the packed bytes of a quantized tensor";
  let description = [{
    Views a tensor with a static shape as the bytes that store it: the
    blocks of a qc type in llama.cpp's layout, or the elements of a plain
    type. Bit-width lowering uses it to hand a weight to the kernels that
    decode its blocks; the CPU backend resolves `qc.storage` of a
    `qc.weight` to the global's bytes (embedded or mapped from the model
    file).

    Constraints:
    - (C1) `input` has a static shape and a storage layout.
    - (C2) `result` is a 1-D tensor of `i8` whose size is the storage size
      of `input`.

    Example:

    ```mlir
    %b = qc.storage %w : tensor<64x64x!qc.block<q4_0>> -> tensor<2304xi8>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs 1DTensorOf<[I8]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def QC_AttentionOp : QC_Op<"attention", [Pure]> {
  let summary = "causal grouped-query attention over a key/value cache";
  let description = [{
    For each of the `T` queries (query `t` at position `pos + t`) and each of
    the `H` heads, attends to the cache positions `0 .. pos + t`:

    ```
    s[j]    = scale * dot(query[t, h, :], keys[j, h / (H / Hkv), :])
    out[t, h, :] = sum_j softmax(s)[j] * values[j, h / (H / Hkv), :]
    ```

    The cache holds `C` positions of `Hkv` key/value heads; the keys and
    values of the `T` new tokens must already be in it (at `pos .. pos + T`).
    Only the filled part of the cache is read, so the cost grows with the
    position, not with `C`. `pos` is a 1-element i32 or i64 tensor, a value
    known only at run time.

    Constraints:
    - (C1) `query` is `T x H x D`, `keys` and `values` are `C x Hkv x D`,
      `result` is `T x H x D`, all of the same float element type.
    - (C2) `Hkv` divides `H`.
    - (C3) `pos` is a 1-element tensor of i32 or i64.

    Example:

    ```mlir
    %o = qc.attention %q, %k, %v, %pos {scale = 0.125 : f32}
        : tensor<1x32x64xf32>, tensor<2048x8x64xf32>, tensor<2048x8x64xf32>,
          tensor<1xi32> -> tensor<1x32x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$query,
                       RankedTensorOf<[AnyFloat]>:$keys,
                       RankedTensorOf<[AnyFloat]>:$values,
                       RankedTensorOf<[I32, I64]>:$pos,
                       F32Attr:$scale);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $query `,` $keys `,` $values `,` $pos attr-dict `:` type($query) `,`
    type($keys) `,` type($values) `,` type($pos) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QUANTC_DIALECT_QC_IR_QCOPS_TD
