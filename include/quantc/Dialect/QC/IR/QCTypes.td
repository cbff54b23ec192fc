//===- QCTypes.td - qc types --------------------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCTYPES_TD
#define QUANTC_DIALECT_QC_IR_QCTYPES_TD

include "mlir/IR/AttrTypeBase.td"
include "quantc/Dialect/QC/IR/QCAttrs.td"
include "quantc/Dialect/QC/IR/QCDialect.td"
include "quantc/Dialect/QC/IR/QCInterfaces.td"

class QC_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<QC_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def QC_BlockType : QC_Type<"Block", "block",
    [DeclareTypeInterfaceMethods<QC_QuantizedTypeInterface>]> {
  let summary = "a weight element in one of llama.cpp's block formats";
  let description = [{
    The element type of a tensor of weights stored in a llama.cpp block
    format. The tensor's shape is the logical shape of the weights; its
    innermost dimension is a whole number of blocks. A row of `K` weights
    takes `K / blockSize * bytesPerBlock` bytes, laid out exactly as in a GGUF
    file (`ggml-common.h`):

    | format | block size | bytes per block | bits per weight |
    |--------|-----------:|----------------:|----------------:|
    | q4_0   | 32  | 18  | 4.5    |
    | q4_1   | 32  | 20  | 5.0    |
    | q5_0   | 32  | 22  | 5.5    |
    | q5_1   | 32  | 24  | 6.0    |
    | q8_0   | 32  | 34  | 8.5    |
    | q8_1   | 32  | 36  | 9.0    |
    | q2_K   | 256 | 84  | 2.625  |
    | q3_K   | 256 | 110 | 3.4375 |
    | q4_K   | 256 | 144 | 4.5    |
    | q5_K   | 256 | 176 | 5.5    |
    | q6_K   | 256 | 210 | 6.5625 |
    | q8_K   | 256 | 292 | 9.125  |
    | iq2_xxs | 256 | 66 | 2.0625 |
    | iq2_xs | 256 | 74  | 2.3125 |
    | iq3_xxs | 256 | 98 | 3.0625 |
    | iq1_s  | 256 | 50  | 1.5625 |
    | iq4_nl | 32  | 18  | 4.5    |
    | iq3_s  | 256 | 110 | 3.4375 |
    | iq2_s  | 256 | 82  | 2.5625 |
    | iq4_xs | 256 | 136 | 4.25   |
    | iq1_m  | 256 | 56  | 1.75   |
    | tq1_0  | 256 | 54  | 1.6875 |
    | tq2_0  | 256 | 66  | 2.0625 |
    | mxfp4  | 32  | 17  | 4.25   |
    | nvfp4  | 64  | 36  | 4.5    |
    | q1_0   | 128 | 18  | 1.125  |
    | q2_0   | 64  | 18  | 2.25   |

    Every format can be carried through the compiler (sized, imported,
    exported byte for byte); the support matrix says which ones have codecs
    and kernels.

    Example:

    ```mlir
    tensor<4096x4096x!qc.block<q4_K>>
    ```
  }];
  let parameters = (ins EnumParameter<QC_BlockFormat>:$format);
  let assemblyFormat = "`<` $format `>`";
}

def QC_GroupOffsetParameter : EnumParameter<QC_GroupOffset> {
  let defaultValue = "GroupOffset::none";
}

def QC_GroupType : QC_Type<"Group", "group",
    [DeclareTypeInterfaceMethods<QC_QuantizedTypeInterface>]> {
  let summary = "a group-wise affine quantized weight element";
  let description = [{
    `bits`-bit integers in groups of `group_size` consecutive weights along
    the innermost dimension, each group with its own `scale` (of
    `scale_type`) and, by `offset`:

    - `none` (the default): `w = scale * q`, `q` signed in
      `[-2^(bits-1), 2^(bits-1) - 1]`;
    - `zero_point`: `w = scale * (q - zp)`, `q` and `zp` unsigned in
      `[0, 2^bits - 1]` (ONNX `MatMulNBits`);
    - `bias`: `w = scale * q + bias`, `q` unsigned, `bias` of `scale_type`
      (MLX affine quantization).

    One group is stored as one block: the scale, then the zero point (one
    byte) or the bias (of `scale_type`), then the `group_size * bits / 8`
    bytes of the integers as a little-endian, least-significant-bit-first
    bit stream. Importers repack the planar layouts of ONNX and MLX into it
    losslessly.

    Constraints:
    - (C1) `2 <= bits <= 8`.
    - (C2) `group_size` is a power of two in `[16, 256]`.
    - (C3) `scale_type` is `f16`, `bf16` or `f32`.

    Example:

    ```mlir
    tensor<4096x11008x!qc.group<4, 64, f16, zero_point>>
    ```
  }];
  let parameters = (ins
    "unsigned":$bits,
    "unsigned":$groupSize,
    "::mlir::FloatType":$scaleType,
    QC_GroupOffsetParameter:$offset
  );
  let assemblyFormat = "`<` $bits `,` $groupSize `,` $scaleType (`,` $offset^)? `>`";
  let genVerifyDecl = 1;
}

#endif // QUANTC_DIALECT_QC_IR_QCTYPES_TD
