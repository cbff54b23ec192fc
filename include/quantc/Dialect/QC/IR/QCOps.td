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
include "mlir/Interfaces/SideEffectInterfaces.td"
include "quantc/Dialect/QC/IR/QCTypes.td"

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

/// A ranked tensor whose element type is quantized: a qc type or an upstream
/// `!quant.uniform` type.
def QC_QuantizedTensor : RankedTensorOf<[AnyType]> {
  let summary = "ranked tensor of quantized elements";
}

def QC_WeightOp : QC_Op<"weight", [Pure]> {
  let summary = "a named weight whose bytes live in a resource blob";
  let description = [{
    Declares one weight tensor of the model: its name (as in the source file),
    its logical type and the bytes that hold it. The bytes are a 1-D tensor of
    `i8`, usually a `dense_resource` blob that the importer points at the
    memory-mapped file. The element type may be a qc type, a
    `!quant.uniform` type, or a plain float or integer type (norm weights,
    biases, embeddings kept in F32/F16).

    Constraints:
    - (C1) `data` is a 1-D tensor of 8-bit integers.
    - (C2) the element type of `result` is a float, an integer, or a type with
      `QuantizedTypeInterface`.
    - (C3) `result` has a static shape whose innermost dimension is a whole
      number of blocks.
    - (C4) the size of `data` is the storage size of `result`; when the blob is
      loaded its byte length is that size too.

    Example:

    ```mlir
    %w = qc.weight "blk.0.attn_q.weight" : tensor<64x64x!qc.block<q4_0>>
        = dense_resource<blk.0.attn_q> : tensor<2304xi8>
    ```
  }];
  let arguments = (ins StrAttr:$name, ElementsAttr:$data);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result) `=` $data";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The raw bytes, when they are available (a loaded resource blob or a
    /// dense attribute); std::nullopt otherwise.
    std::optional<::llvm::ArrayRef<char>> getRawBytes();
  }];
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
  let summary = "float activations times a quantized weight";
  let description = [{
    `result[..., n] = sum_k input[..., k] * w[n, k]` where `w` is the
    dequantized `weight`. The weight is `N x K`, quantized along `K` (the
    layout of a GGUF tensor with `ne0 = K`), so each output feature reads one
    contiguous row of blocks. `input` may have any number of leading batch
    dimensions.

    Constraints:
    - (C1) `weight` is a 2-D tensor with a quantized element type.
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
                       QC_QuantizedTensor:$weight);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QUANTC_DIALECT_QC_IR_QCOPS_TD
