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

    See `docs/RationaleQC.md` for why the types look the way they do.
  }];
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let hasCanonicalizer = 0;
  let extraClassDeclaration = [{
  private:
    void registerTypes();
  }];
}

#endif // QUANTC_DIALECT_QC_IR_QCDIALECT_TD
