//===- QCAttrs.td - qc enums --------------------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCATTRS_TD
#define QUANTC_DIALECT_QC_IR_QCATTRS_TD

include "mlir/IR/EnumAttr.td"

// The order of the cases is quantc::numerics::BlockFormat's; QCTypes.cpp
// checks that the two agree.
def QC_BlockFormat : I32EnumAttr<"BlockFormat",
    "a llama.cpp block-quantized format", [
  I32EnumAttrCase<"q4_0", 0>,
  I32EnumAttrCase<"q4_1", 1>,
  I32EnumAttrCase<"q5_0", 2>,
  I32EnumAttrCase<"q5_1", 3>,
  I32EnumAttrCase<"q8_0", 4>,
  I32EnumAttrCase<"q8_1", 5>,
  I32EnumAttrCase<"q2_K", 6>,
  I32EnumAttrCase<"q3_K", 7>,
  I32EnumAttrCase<"q4_K", 8>,
  I32EnumAttrCase<"q5_K", 9>,
  I32EnumAttrCase<"q6_K", 10>,
  I32EnumAttrCase<"q8_K", 11>,
  I32EnumAttrCase<"iq2_xxs", 12>,
  I32EnumAttrCase<"iq2_xs", 13>,
  I32EnumAttrCase<"iq3_xxs", 14>,
  I32EnumAttrCase<"iq1_s", 15>,
  I32EnumAttrCase<"iq4_nl", 16>,
  I32EnumAttrCase<"iq3_s", 17>,
  I32EnumAttrCase<"iq2_s", 18>,
  I32EnumAttrCase<"iq4_xs", 19>,
  I32EnumAttrCase<"iq1_m", 20>,
  I32EnumAttrCase<"tq1_0", 21>,
  I32EnumAttrCase<"tq2_0", 22>,
  I32EnumAttrCase<"mxfp4", 23>,
  I32EnumAttrCase<"nvfp4", 24>,
  I32EnumAttrCase<"q1_0", 25>,
  I32EnumAttrCase<"q2_0", 26>,
]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}

def QC_GroupOffset : I32EnumAttr<"GroupOffset",
    "how a group-quantized weight is offset", [
  // w = scale * q, q signed in [-2^(b-1), 2^(b-1) - 1].
  I32EnumAttrCase<"none", 0>,
  // w = scale * (q - zp), q and zp unsigned in [0, 2^b - 1] (ONNX MatMulNBits).
  I32EnumAttrCase<"zero_point", 1>,
  // w = scale * q + bias, q unsigned in [0, 2^b - 1] (MLX affine).
  I32EnumAttrCase<"bias", 2>,
]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}

#endif // QUANTC_DIALECT_QC_IR_QCATTRS_TD
