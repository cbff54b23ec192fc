//===- QCDialect.td - The qc quantization dialect ----------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCDIALECT_TD
#define QUANTC_DIALECT_QC_IR_QCDIALECT_TD

include "mlir/IR/DialectBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::quantc::qc";
  let summary = "Block- and group-quantized weights and the ops that use them";
  let description = [{
    The `qc` dialect carries what upstream `quant` cannot say: the block
    formats of llama.cpp (`Q4_0` ... `Q6_K`, `Q8_K`, with their super-block
    scales) and group-wise affine weights (MLX affine, ONNX `MatMulNBits`),
    each with an exact byte layout so that a weight's bytes round-trip through
    the IR unchanged. Per-tensor and per-channel int8/int4 weights use
    upstream `!quant.uniform` types, which every `qc` op accepts beside its
    own types.

    Weights are `qc.weight` ops whose bytes live in resource blobs
    (`dense_resource`), so importing a multi-gigabyte model does not copy it
    into the context.

    Quantization plans are discardable attributes on `qc.global`:
    `qc.quantize_to` (a tensor type of the global's shape: the type a plan
    chose, which `qc-quantize-weights` carries out) and `qc.quant_error` (an
    `f64`, 0 or more: the relative error `qc-assign-precision` measured for
    that type; informative only).

    See `docs/RationaleQC.md` for why the types look the way they do.
  }];
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let hasCanonicalizer = 0;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    /// On an entry function's argument or result: the name of the model's
    /// input or output it is (a string).
    static constexpr ::llvm::StringLiteral kNameAttrName = "qc.name";
    /// On an entry function's argument or result: its element type as an ONNX
    /// TensorProto.DataType number (`i32`). Integers in the IR are signless,
    /// so this keeps uint8 apart from int8.
    static constexpr ::llvm::StringLiteral kDTypeAttrName = "qc.dtype";
    /// On an entry function's argument: the only value the compiled model
    /// accepts for it (an elements attribute of the argument's type). The
    /// body uses the constant instead of the argument: the value decided a
    /// shape at compile time.
    static constexpr ::llvm::StringLiteral kBoundValueAttrName =
        "qc.bound_value";

    /// On a module: the model's metadata in file order, an array of
    /// `[key, value]` pairs. Values keep their GGUF type: `ui8`..`si64`
    /// integers, `f32`/`f64` floats, `i1` bools, strings, dense tensors for
    /// numeric arrays and arrays of strings or of arrays.
    static constexpr ::llvm::StringLiteral kMetadataAttrName = "qc.metadata";
    /// On a module: the GGUF version the model was read from (`ui32`).
    static constexpr ::llvm::StringLiteral kGGUFVersionAttrName =
        "qc.gguf_version";
    /// On a module: the GGUF file had no tensors and stopped at the end of its
    /// header, unpadded (as gguf-py writes such files; ggml pads them).
    static constexpr ::llvm::StringLiteral kGGUFUnpaddedAttrName =
        "qc.gguf_unpadded";
    /// On a module: the files its weights were imported from, which a
    /// compiled model can keep them in (`qc-cpu-bind-weights`): an array of
    /// `{path = "<absolute path>", size = <bytes> : i64, header_bytes = i64,
    /// header_hash = i64}` (64-bit FNV-1a of the first `header_bytes` bytes,
    /// the file's header: its tensors' names, types, shapes and offsets).
    static constexpr ::llvm::StringLiteral kWeightFilesAttrName =
        "qc.weight_files";
    /// On a `qc.global`: where its bytes are in the module's
    /// `qc.weight_files`: `array<i64: file index, byte offset>`. A pass that
    /// changes the global's bytes must drop it.
    static constexpr ::llvm::StringLiteral kFileOffsetAttrName =
        "qc.file_offset";
    /// On an entry function's argument: the kind of model input it is. Only
    /// `"state"`: a tensor the context keeps across runs (zeros at first),
    /// which the function may update by returning its new value.
    static constexpr ::llvm::StringLiteral kKindAttrName = "qc.kind";
    /// On an entry function's result: the new value of the state argument
    /// of this index (`i64`); the CPU backend updates the state in place.
    static constexpr ::llvm::StringLiteral kStateAttrName = "qc.state";
    /// On a `qc.global`: the type a quantization plan chose for it
    /// (`qc-plan-quantization` writes it, `qc-quantize-weights` carries it
    /// out). A ranked tensor type of the global's shape.
    static constexpr ::llvm::StringLiteral kQuantizeToAttrName =
        "qc.quantize_to";
    /// On a `qc.global`: the relative error `qc-assign-precision` measured
    /// for the type it chose (weighted squared error over the weighted sum of
    /// squares of the weights it sampled). An `f64`, 0 or more; it changes
    /// nothing and can be dropped.
    static constexpr ::llvm::StringLiteral kQuantErrorAttrName =
        "qc.quant_error";
    /// On a `qc.global`: the weight was quantized weight-only
    /// (`qc-quantize-matmul-weights`); its matmuls keep f32 activations.
    static constexpr ::llvm::StringLiteral kWeightOnlyAttrName =
        "qc.weight_only";
    /// On a `qc.global` of ONNX weight quantization (`qc-quantize-conv-
    /// weights`, `qc-quantize-activations`): what it holds, for reports:
    /// `{scheme = "int8" | "int4-g32" | ..., shape = array<i64: ...>
    /// (the float weight's), float_bytes = i64, bytes = i64 (codes and
    /// scales)}`.
    static constexpr ::llvm::StringLiteral kQuantizedAttrName = "qc.quantized";
    /// On a matmul or convolution: the weight scheme to use instead of the
    /// pass's (`qc-plan-weight-precision` writes it). A string.
    static constexpr ::llvm::StringLiteral kQuantizeSchemeAttrName =
        "qc.quantize_scheme";
    /// On a matmul or convolution: the calibrated range of its activation
    /// input, `array<f32: min, max>` (`qc-quantize-activations` reads it).
    static constexpr ::llvm::StringLiteral kActivationRangeAttrName =
        "qc.activation_range";
    /// On a `func.func`: a kernel that `qc-lower-bitwidth` declared and
    /// `qc-build-kernels` builds: `{kind = "matmul" | "gather_rows", type =
    /// <weight element type>, isa = "<instruction set>"[, index_type]}`.
    static constexpr ::llvm::StringLiteral kKernelAttrName = "qc.kernel";

  private:
    void registerTypes();
  }];
}

#endif // QUANTC_DIALECT_QC_IR_QCDIALECT_TD
