//===- Passes.td - qc transformation passes -----------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_PASSES_TD
#define QUANTC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Analysis and reporting
//===----------------------------------------------------------------------===//

def QCPrintWeightStatsPass : Pass<"qc-print-weight-stats", "::mlir::ModuleOp"> {
  let summary = "Print a table of the module's weights and their storage";
  let description = [{
    Prints one row per `qc.global`: its name, logical shape, element type,
    bytes in storage and bits per weight, then the totals and the size the
    same weights would take in `f32`. The IR is not changed.

    ```
    $ quantc-opt --qc-print-weight-stats model.mlir -o /dev/null
    ```
  }];
  let options = [
    Option<"sortBySize", "sort-by-size", "bool", /*default=*/"false",
           "List the largest weights first instead of in IR order">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

//===----------------------------------------------------------------------===//
// Weight quantization
//===----------------------------------------------------------------------===//

def QCAssignPrecisionPass : Pass<"qc-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Choose each weight's type from measured errors to fit a budget";
  let description = [{
    Mixed precision by measurement: every quantizable `qc.global` (those
    llama-quantize quantizes: not norms, not 1-D, not already quantized) is
    quantized and dequantized with each allowed type on a deterministic
    sample of its rows, and the squared error is measured, weighted per
    column by the importance matrix when one is given (as llama.cpp weights
    its quantizers' errors), else plain. The error of the sample is scaled to
    the whole tensor and by a factor for the tensor's role (`output.weight`
    4, `attn_v` and `ffn_down` 2, everything else 1: the tensors llama.cpp's
    mixes give more bits; `role-weight` overrides them).

    The plan minimizes the sum of these errors with the total storage of all
    globals at most the budget (`bpw`: bits per weight over all globals, as
    llama-quantize reports it; or `size`: bytes): starting from each weight's
    cheapest type, it takes the upgrade with the largest error reduction per
    extra byte along each weight's lower convex hull of (bytes, error) while
    it fits, then fills what is left with the best upgrades that still fit.

    The result is written as `qc.quantize_to` types (replayable with
    `qc-quantize-weights`), each planned global gets `qc.quant_error` (the
    relative error of its chosen type), and `general.file_type` becomes the
    file type of the most used type. `dump` prints the plan as a table.

    ```
    $ quantc-opt --qc-assign-precision="bpw=4.9 imatrix=imatrix.gguf dump=true" model.mlirbc
    ```
  }];
  let options = [
    Option<"bpw", "bpw", "double", /*default=*/"0.0",
           "Budget in bits per weight over all globals">,
    Option<"size", "size", "int64_t", /*default=*/"0",
           "Budget in bytes over all globals">,
    ListOption<"types", "types", "std::string",
               "Allowed types (default: q2_K,q3_K,q4_K,q5_K,q6_K,q8_0; f16 "
               "and the legacy block types when listed)">,
    ListOption<"roleWeights", "role-weight", "std::string",
               "REGEX=FACTOR: errors of tensors whose name matches REGEX are "
               "scaled by FACTOR (first match wins, before the defaults)">,
    Option<"imatrix", "imatrix", "std::string", /*default=*/"\"\"",
           "llama.cpp importance matrix (GGUF) to weight the errors with">,
    Option<"sampleRows", "sample-rows", "unsigned", /*default=*/"512",
           "Rows of each weight to measure (evenly spaced; 0: all)">,
    Option<"threads", "threads", "unsigned", /*default=*/"0",
           "Threads to measure with (0: all cores)">,
    Option<"dump", "dump", "bool", /*default=*/"false",
           "Print the plan as a table to stdout">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCPlanQuantizationPass : Pass<"qc-plan-quantization", "::mlir::ModuleOp"> {
  let summary = "Choose each weight's type with a llama-quantize file type";
  let description = [{
    Writes a quantization plan into the IR: every `qc.global` whose type
    changes gets a `qc.quantize_to` attribute naming its new type. The plan
    follows llama.cpp's mixes for `file-type` (`Q4_K_M` gives `attn_v` and
    `ffn_down` of some layers `q6_K`, the output matrix `q6_K`, ...), reads
    the model's shape (architecture, block count, head counts, experts) from
    `qc.metadata`, and sets `general.file_type` and
    `general.quantization_version` there as llama-quantize does. The plan is
    plain IR: it can be printed, diffed, edited by hand and replayed with
    `qc-quantize-weights`.

    ```
    $ quantc-opt --qc-plan-quantization=file-type=Q4_K_M model.mlirbc
    ```
  }];
  let options = [
    Option<"fileType", "file-type", "std::string", /*default=*/"\"Q8_0\"",
           "llama-quantize file type: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, "
           "Q8_0, Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, "
           "Q5_K_S, Q5_K_M, Q6_K">,
    Option<"pure", "pure", "bool", /*default=*/"false",
           "Give every quantizable matrix the file type's default type">,
    ListOption<"tensorTypes", "tensor-type", "std::string",
               "REGEX=TYPE: tensors whose name matches REGEX get TYPE">,
    Option<"outputTensorType", "output-tensor-type", "std::string",
           /*default=*/"\"\"", "Type of output.weight">,
    Option<"tokenEmbeddingType", "token-embedding-type", "std::string",
           /*default=*/"\"\"", "Type of token_embd.weight">,
    Option<"withImatrix", "with-imatrix", "bool", /*default=*/"false",
           "An importance matrix will be used (changes some choices)">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCQuantizeWeightsPass : Pass<"qc-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Carry out a quantization plan on the weights' bytes";
  let description = [{
    Re-encodes every `qc.global` that has a `qc.quantize_to` attribute: its
    rows are converted to f32 (from f32, f16, bf16, or a block format with a
    codec), quantized with quantc's block codecs (byte-identical to ggml's
    reference quantizers), optionally weighted by an importance matrix, and
    stored in a new resource blob; the attribute is removed. One global is
    processed at a time, so memory holds the quantized output and one
    tensor's f32 rows at most.
  }];
  let options = [
    Option<"threads", "threads", "unsigned", /*default=*/"0",
           "Threads to quantize with (0: all cores)">,
    Option<"allowRequantize", "allow-requantize", "bool", /*default=*/"false",
           "Allow re-quantizing weights that are already quantized">,
    Option<"progress", "progress", "bool", /*default=*/"false",
           "Print a line per weight to stdout">,
    Option<"imatrix", "imatrix", "std::string", /*default=*/"\"\"",
           "llama.cpp importance matrix (GGUF) to weight the errors with">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def QCFuseDequantMatmulPass : Pass<"qc-fuse-dequant-matmul", "::mlir::ModuleOp"> {
  let summary = "Fuse constant dequantized weights into quantized matmuls";
  let description = [{
    Finds `linalg.matmul` (2-D, f32, accumulating into a zero fill) whose
    right operand is a constant 8-bit weight `K x N` dequantized by
    `quant.dcast` with a per-tensor or per-output-channel (axis 1)
    `!quant.uniform` type: the QDQ form of a quantized ONNX model, where a
    `DequantizeLinear` of an initializer feeds a `MatMul`. The weight is
    repacked at compile time, transposed to `N x K`, into a new
    `qc.global` of `!qc.group<8, G, f32>` (or `zero_point` when any zero
    point is not 0 or the codes are unsigned), each channel's scale repeated
    in its groups of `G` (256, or the largest power of two dividing K, at
    least 32): the same weights exactly, 1.6% larger at G = 256. The matmul
    becomes a `qc.matmul` on it, which `qc-lower-bitwidth` turns into int8
    dot products with activations quantized on the fly, so the weight is
    never expanded to floats. Matmuls that do not match are left alone.

    ```
    $ quantc-opt --qc-fuse-dequant-matmul model.mlir
    ```
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCQuantizeMatmulWeightsPass
    : Pass<"qc-quantize-matmul-weights", "::mlir::ModuleOp"> {
  let summary = "Weight-only quantization of constant matmul weights";
  let description = [{
    Quantizes, at compile time, the constant f32 right operand `K x N` of
    every 2-D `linalg.matmul` accumulating into a zero fill (what ONNX
    `MatMul` and `Gemm` import to) and makes the matmul a `qc.matmul` on a
    new `qc.global` named after the initializer:

    - `int8`: symmetric per output channel (scale `max|w| / 127`), stored
      as `!qc.group<8, G, f32>` with the channel's scale in each group of
      `G` (256, or the largest power of two dividing K);
    - `int4-g32`, `int4-g64`, `int4-g128`: symmetric per group of 32/64/128
      along K (scale `max|w| / 7` in f16, codes -8..7),
      `!qc.group<4, G, f16>`.

    Each global gets `qc.quant_error`, the relative RMS error of its
    weights. A K that is not a multiple of the group is padded with zero
    weights, and the activations with zeros (`tensor.pad`). Convolutions are
    not quantized.

    ```
    $ quantc compile model.onnx --quantize int8 --report -o model.so
    ```
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8\"",
           "int8, int4-g32, int4-g64 or int4-g128">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCQuantizeConvWeightsPass
    : Pass<"qc-quantize-conv-weights", "::mlir::ModuleOp"> {
  let summary = "Weight-only quantization of constant convolution filters";
  let description = [{
    Quantizes, at compile time, the constant f32 filter of every named
    linalg convolution that ONNX `Conv` imports to (`conv_1d_ncw_fcw`,
    `conv_2d_nchw_fchw`, `conv_3d_ncdhw_fcdhw`,
    `depthwise_conv_2d_nchw_chw`, `conv_2d_ngchw_gfchw`) on an f32 input,
    accumulating into a zero fill. The filter becomes a `qc.global` of
    integer codes (named after the initializer) and is never expanded to
    f32: each element is dequantized where the convolution loop reads it.

    - `int8`: symmetric per output channel (scale `max|w| / 127`, f32 in
      `@<name>.scale`). The same named convolution runs on the `i8` filter
      (its body converts each element) and its result is multiplied by the
      channel's scale, which factors out of the channel's sum.
    - `int4-g32`, `int4-g64`, `int4-g128`: symmetric per group of 32/64/128
      along the flattened reduction (input channels x kernel window, a
      last partial group has its own scale), codes -8..7 packed two output
      channels per byte (the even channel in the low nibble; filter
      `[M, C, K...]` -> `[ceil(M/2), C, K...]` of `i8`), f16 scales
      `[M, groups]`. The convolution becomes a `linalg.generic` that reads
      the byte at `(m floordiv 2, c, k...)` and the scale at
      `(m, flat floordiv G)` and decodes the nibble in its body.

    A `qc.quantize_scheme` string on a convolution overrides `scheme` for
    it (`qc-plan-weight-precision` sets it). Each codes global gets
    `qc.quantized` (scheme, float shape, bytes) and `qc.quant_error` (the
    relative RMS error of its weights).
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8\"",
           "int8, int4-g32, int4-g64 or int4-g128">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QCPlanWeightPrecisionPass
    : Pass<"qc-plan-weight-precision", "::mlir::ModuleOp"> {
  let summary = "Choose int8 or int4 per weight under a bits-per-weight budget";
  let description = [{
    Mixed precision for the ONNX weight-only schemes, in the manner of
    `qc-assign-precision`: every constant weight of a 2-D `linalg.matmul`
    or a named convolution (what `qc-quantize-matmul-weights` and
    `qc-quantize-conv-weights` quantize) is quantized both ways at compile
    time and its relative RMS error measured. All start as `int8`; then the
    weights whose switch to `int4` (`int4` option) costs the least added
    squared relative error per byte saved switch, one by one, until the
    total bytes (codes and scales) fit `bpw` bits per weight. The choice is
    written as `qc.quantize_scheme` on each op; the quantization passes
    carry it out. A budget below what all-`int4` takes is an error.
  }];
  let options = [
    Option<"bpw", "bpw", "double", /*default=*/"6.0",
           "Bits per weight to fit, codes and scales included">,
    Option<"int4", "int4", "std::string", /*default=*/"\"int4-g32\"",
           "The 4-bit scheme: int4-g32, int4-g64 or int4-g128">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCInstrumentActivationsPass
    : Pass<"qc-instrument-activations", "::mlir::ModuleOp"> {
  let summary = "Return the activation inputs of quantizable ops (calibration)";
  let description = [{
    For calibration: each constant-weight 2-D `linalg.matmul` or named
    convolution (those `qc-quantize-activations` can quantize), taken in
    module walk order and numbered from 0, whose activation input is
    defined in its function's body (not inside a loop or branch), has that
    input appended to the function's results, named `qc.activation.<n>`.
    Running the float model built from the instrumented module on sample
    inputs then yields each activation's range.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCQuantizeActivationsPass
    : Pass<"qc-quantize-activations", "::mlir::ModuleOp"> {
  let summary = "Static int8: integer matmuls and convolutions from calibrated ranges";
  let description = [{
    Static int8 quantization (ONNX QDQ-equivalent) of every constant-weight
    2-D `linalg.matmul` or named convolution carrying
    `qc.activation_range = array<f32: min, max>`:

    - the weight becomes int8, symmetric per output channel (a
      `qc.global` named after the initializer);
    - the activation is quantized per tensor, asymmetric int8 as ONNX
      `QuantizeLinear` does it: the range widened to hold 0,
      `s = (max - min) / 255`, `zp = round(-128 - min / s)`,
      `q = clamp(round_half_even(x / s) + zp, -128, 127)`;
    - the op runs on the i8 operands accumulating in i32 (the same named
      op; padding, quantized, is `zp`);
    - the result is `(acc - zp * sum(w_q)) * s * s_w` in f32, per output
      channel, as `DequantizeLinear` after the integer op would give.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Bit-width lowering
//===----------------------------------------------------------------------===//

def QCLowerBitwidthPass : Pass<"qc-lower-bitwidth", "::mlir::ModuleOp"> {
  let summary = "Lower quantized matmuls and row gathers to packed-integer kernels";
  let description = [{
    Replaces every `qc.matmul` and `qc.gather_rows` by a call to a kernel
    function built in MLIR for the chosen instruction set (see
    `quantc/Conversion/QCToVector/Kernels.h`): the weight stays in its
    packed storage (`qc.storage`, llama.cpp's block layout), activations are
    quantized on the fly to 8-bit blocks of 32, and the kernel multiplies
    bytes with the ISA's int8 dot product (`vpdpbusd` with AVX-512 VNNI or
    AVX-VNNI, `pmaddubsw`/`pmaddwd` with AVX2, `sdot` with NEON), applying
    the block scales in f32. Float weights (F32/F16/BF16 tensors) get an f32
    FMA kernel. One kernel is emitted per weight type and reused by every
    op of that type.

    Fusion: when the only use of a 2-D `qc.matmul` is an elementwise
    `linalg.generic` (all loops parallel, the matmul read through the
    identity map, other f32 inputs read by (row, column) or by column, its
    output not read, a body of arith/math ops), the generic runs in the
    kernel's store: its body becomes a private scalar function
    `@qc_epilogue_<n>` that the kernel calls on each output with the other
    inputs' elements. Bias adds, activations and residual adds after a
    matmul thus cost no pass over the output.

    The kernels are declared here (private functions with a `qc.kernel`
    descriptor) and their bodies built by `qc-build-kernels` after
    bufferization. The call site works on buffers: the operands enter through
    `bufferization.to_buffer` (read-only) and the result is a fresh
    `memref.alloc` returned through `bufferization.to_tensor`, so one-shot
    bufferization passes the tensors through without copies.

    ```
    $ quantc-opt --qc-lower-bitwidth=isa=avx512vnni model.mlir
    ```

    Kernels exist for q4_0, q4_1, q5_0, q5_1, q8_0, q2_K..q6_K, 4- and
    8-bit `!qc.group` weights with groups of 32 or more (ONNX MatMulNBits,
    MLX; a zero point or bias becomes a per-group min) and f32/f16/bf16. A
    weight type without a kernel (the i-quants, ternary and FP4 formats,
    `!quant.uniform`) is an error at the op.
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"generic\"",
           "Instruction set of the kernels: generic, avx2, avxvnni, "
           "avx512vnni, neon-dotprod">,
  ];
  let dependentDialects = [
    "::quantc::qc::QCDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def QCBuildKernelsPass : Pass<"qc-build-kernels", "::mlir::ModuleOp"> {
  let summary = "Build the bodies of the kernels qc-lower-bitwidth declared";
  let description = [{
    Fills every body-less `func.func` carrying a `qc.kernel` descriptor
    with its kernel: scf loops (the outer ones `scf.parallel`), vector ops
    and the instruction set's LLVM intrinsics, on memrefs, with scratch
    buffers allocated and freed explicitly. It runs after bufferization and
    buffer deallocation, which do not take LLVM intrinsics.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // QUANTC_TRANSFORMS_PASSES_TD
