//===- QCInterfaces.td - qc type interfaces -----------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCINTERFACES_TD
#define QUANTC_DIALECT_QC_IR_QCINTERFACES_TD

include "mlir/IR/OpBase.td"

def QC_QuantizedTypeInterface : TypeInterface<"QuantizedTypeInterface"> {
  let cppNamespace = "::quantc::qc";
  let description = [{
    An element type whose values are stored in fixed-size blocks: `blockSize`
    consecutive weights along the innermost dimension take `bytesPerBlock`
    bytes. The qc types implement it, and so do upstream's `!quant.uniform`
    types (attached as external models when the qc dialect is loaded), so
    that passes size and walk any quantized tensor the same way.
  }];
  let methods = [
    InterfaceMethod<"Weights per block.", "unsigned", "getBlockSize">,
    InterfaceMethod<"Bytes one block takes in storage.", "unsigned",
                    "getBytesPerBlock">,
  ];
  let extraSharedClassDeclaration = [{
    /// Storage bits per weight, scales included.
    double getBitsPerWeight() const {
      return 8.0 * $_type.getBytesPerBlock() / $_type.getBlockSize();
    }
  }];
}

#endif // QUANTC_DIALECT_QC_IR_QCINTERFACES_TD
