//===- QCOps.cpp - qc operations ------------------------------------------===//
//
// Part of quantc.
//
// Verifiers cite the constraints of QCOps.td as `<op>_c<N>`.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCOps.cpp.inc"

/// Checks a quantized element type against the float type it expresses and
/// the shape it quantizes: the expressed type of a `!quant` type (`exprC`),
/// the axis of a per-axis type, and whole blocks along the innermost
/// dimension (`blocksC`).
static LogicalResult verifyQuantizedAgainst(Operation *op,
                                            RankedTensorType quantized,
                                            Type floatType, StringRef exprC,
                                            StringRef blocksC) {
  Type element = quantized.getElementType();
  if (auto quantType = dyn_cast<quant::QuantizedType>(element)) {
    if (floatType && quantType.getExpressedType() != floatType)
      return op->emitOpError()
             << "expressed type " << quantType.getExpressedType()
             << " of the quantized type differs from the float type "
             << floatType << " (" << exprC << ")";
    if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(element)) {
      int32_t axis = perAxis.getQuantizedDimension();
      if (axis >= quantized.getRank())
        return op->emitOpError()
               << "quantized dimension " << axis << " is out of range for "
               << quantized;
      int64_t dim = quantized.getDimSize(axis);
      if (!ShapedType::isDynamic(dim) &&
          dim != static_cast<int64_t>(perAxis.getScales().size()))
        return op->emitOpError()
               << "quantized dimension " << axis << " has size " << dim
               << " but the type has " << perAxis.getScales().size()
               << " scales";
    }
  }
  return verifyWholeBlocks(quantized, [&] {
    InFlightDiagnostic diag = op->emitOpError();
    diag << "(" << blocksC << ") ";
    return diag;
  });
}

static LogicalResult requireQuantized(Operation *op, Type type,
                                      StringRef what, StringRef c) {
  Type element = getElementTypeOrSelf(type);
  if (isQuantizedElementType(element))
    return success();
  return op->emitOpError() << "expects " << what
                           << " to have a quantized element type (" << c
                           << "), got " << element;
}

//===----------------------------------------------------------------------===//
// GlobalOp
//===----------------------------------------------------------------------===//

std::optional<ArrayRef<char>>
GlobalOp::getRawBytes(std::vector<char> &scratch) {
  Attribute data = getData();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(data)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
    return std::nullopt;
  }
  if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(data)) {
    if (dense.isSplat()) {
      scratch.assign(dense.getNumElements(), dense.getRawData().front());
      return ArrayRef<char>(scratch);
    }
    return dense.getRawData();
  }
  return std::nullopt;
}

LogicalResult GlobalOp::verify() {
  // global_c1
  ShapedType dataType = getData().getShapedType();
  if (dataType.getRank() != 1 || !dataType.getElementType().isInteger(8))
    return emitOpError() << "expects data to be a 1-D tensor of 8-bit "
                            "integers (C1), got "
                         << dataType;
  // global_c2
  RankedTensorType type = getTensorType();
  Type element = type.getElementType();
  if (!element.isIntOrFloat() && !isQuantizedElementType(element))
    return emitOpError() << "element type " << element
                         << " has no storage layout (C2)";
  // global_c3
  FailureOr<int64_t> size = getStorageSize(type, [&] {
    InFlightDiagnostic diag = emitOpError();
    diag << "(C3) ";
    return diag;
  });
  if (failed(size))
    return failure();
  // global_c4
  if (dataType.getDimSize(0) != *size)
    return emitOpError() << "data holds " << dataType.getDimSize(0)
                         << " bytes but " << type << " takes " << *size
                         << " (C4)";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(getData()))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      if (static_cast<int64_t>(blob->getData().size()) != *size)
        return emitOpError() << "resource blob '"
                             << resource.getRawHandle().getKey() << "' holds "
                             << blob->getData().size() << " bytes but "
                             << type << " takes " << *size << " (C4)";
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  // weight_c1
  auto global =
      symbolTable.lookupNearestSymbolFrom<GlobalOp>(*this, getNameAttr());
  if (!global)
    return emitOpError() << "'" << getName()
                         << "' does not name a qc.global (C1)";
  // weight_c2
  if (global.getType() != getType())
    return emitOpError() << "has type " << getType() << " but '" << getName()
                         << "' is " << global.getType() << " (C2)";
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp / RequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  // quantize_c1 and quantize_c2 are checked by the op's traits and types.
  // quantize_c3
  if (failed(requireQuantized(*this, getType(), "the result", "C3")))
    return failure();
  // quantize_c4, quantize_c5
  return verifyQuantizedAgainst(*this, getType(),
                                getInput().getType().getElementType(), "C4",
                                "C5");
}

LogicalResult DequantizeOp::verify() {
  // dequantize_c2
  if (failed(requireQuantized(*this, getInput().getType(), "the input", "C2")))
    return failure();
  // dequantize_c4, dequantize_c5
  return verifyQuantizedAgainst(*this, getInput().getType(),
                                getType().getElementType(), "C4", "C5");
}

LogicalResult RequantizeOp::verify() {
  // requantize_c2
  if (failed(requireQuantized(*this, getInput().getType(), "the input", "C2")) ||
      failed(requireQuantized(*this, getType(), "the result", "C2")))
    return failure();
  // requantize_c3
  if (failed(verifyQuantizedAgainst(*this, getInput().getType(), Type(), "",
                                    "C3")))
    return failure();
  return verifyQuantizedAgainst(*this, getType(), Type(), "", "C3");
}

OpFoldResult RequantizeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType weightType = getWeight().getType();
  RankedTensorType resultType = getType();

  // matmul_c1
  if (weightType.getRank() != 2)
    return emitOpError() << "expects a 2-D weight (C1), got " << weightType;
  if (!isa<FloatType>(weightType.getElementType()) &&
      failed(requireQuantized(*this, weightType, "the weight", "C1")))
    return failure();
  int64_t n = weightType.getDimSize(0);
  int64_t k = weightType.getDimSize(1);

  // matmul_c2
  if (inputType.getRank() < 1)
    return emitOpError() << "expects an input of rank >= 1 (C2)";
  int64_t inputK = inputType.getShape().back();
  if (!ShapedType::isDynamic(inputK) && !ShapedType::isDynamic(k) &&
      inputK != k)
    return emitOpError() << "input has K = " << inputK
                         << " but the weight has K = " << k << " (C2)";

  // matmul_c3
  if (resultType.getRank() != inputType.getRank())
    return emitOpError() << "expects a result of rank "
                         << inputType.getRank() << " (C3), got "
                         << resultType;
  for (int64_t i = 0, e = inputType.getRank() - 1; i < e; ++i)
    if (failed(verifyCompatibleShape(ArrayRef(inputType.getDimSize(i)),
                                     ArrayRef(resultType.getDimSize(i)))))
      return emitOpError() << "result dimension " << i << " is "
                           << resultType.getDimSize(i)
                           << " but the input's is " << inputType.getDimSize(i)
                           << " (C3)";
  int64_t resultN = resultType.getShape().back();
  if (!ShapedType::isDynamic(resultN) && !ShapedType::isDynamic(n) &&
      resultN != n)
    return emitOpError() << "result has N = " << resultN
                         << " but the weight has N = " << n << " (C3)";

  // matmul_c4
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError() << "input and result element types differ (C4): "
                         << inputType.getElementType() << " vs "
                         << resultType.getElementType();

  // matmul_c5 (and the expressed type of `!quant` weights)
  if (failed(verifyQuantizedAgainst(*this, weightType,
                                    inputType.getElementType(), "C4", "C5")))
    return failure();

  // matmul_c6
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(
          weightType.getElementType()))
    if (perAxis.getQuantizedDimension() != 0)
      return emitOpError() << "a per-axis weight must be quantized along "
                              "dimension 0 (N) (C6), got dimension "
                           << perAxis.getQuantizedDimension();
  return success();
}

//===----------------------------------------------------------------------===//
// GatherRowsOp
//===----------------------------------------------------------------------===//

LogicalResult GatherRowsOp::verify() {
  RankedTensorType tableType = getTable().getType();
  // gather_rows_c1
  if (tableType.getRank() != 2)
    return emitOpError() << "expects a 2-D table (C1), got " << tableType;
  if (!isa<FloatType>(tableType.getElementType()) &&
      failed(requireQuantized(*this, tableType, "the table", "C1")))
    return failure();
  // gather_rows_c2
  RankedTensorType indicesType = getIndices().getType();
  if (indicesType.getRank() != 1)
    return emitOpError() << "expects 1-D indices (C2), got " << indicesType;
  // gather_rows_c3
  RankedTensorType resultType = getType();
  if (resultType.getRank() != 2 ||
      failed(verifyCompatibleShape(
          resultType.getShape(),
          ArrayRef<int64_t>{indicesType.getDimSize(0),
                            tableType.getDimSize(1)})))
    return emitOpError() << "expects a result of shape "
                         << indicesType.getDimSize(0) << "x"
                         << tableType.getDimSize(1) << " (C3), got "
                         << resultType;
  // gather_rows_c4
  return verifyQuantizedAgainst(*this, tableType, resultType.getElementType(),
                                "C1", "C4");
}

//===----------------------------------------------------------------------===//
// StorageOp
//===----------------------------------------------------------------------===//

LogicalResult StorageOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  // storage_c1
  Type element = inputType.getElementType();
  if (!element.isIntOrFloat() && !isQuantizedElementType(element))
    return emitOpError() << "element type " << element
                         << " has no storage layout (C1)";
  FailureOr<int64_t> size = getStorageSize(inputType, [&] {
    InFlightDiagnostic diag = emitOpError();
    diag << "(C1) ";
    return diag;
  });
  if (failed(size))
    return failure();
  // storage_c2
  int64_t bytes = getType().getDimSize(0);
  if (bytes != *size)
    return emitOpError() << "result holds " << bytes << " bytes but "
                         << inputType << " takes " << *size << " (C2)";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKeys().getType(),
                   v = getValues().getType(), r = getType();
  // attention_c1
  if (q.getRank() != 3 || k.getRank() != 3 || v.getRank() != 3 ||
      r.getRank() != 3)
    return emitOpError() << "expects rank-3 query, keys, values and result "
                            "(C1)";
  if (k != v)
    return emitOpError() << "keys " << k << " and values " << v
                         << " differ (C1)";
  if (q != r)
    return emitOpError() << "result " << r << " differs from the query " << q
                         << " (C1)";
  if (q.getElementType() != k.getElementType())
    return emitOpError() << "query and cache element types differ (C1)";
  if (failed(verifyCompatibleShape(ArrayRef(q.getDimSize(2)),
                                   ArrayRef(k.getDimSize(2)))))
    return emitOpError() << "head size " << q.getDimSize(2)
                         << " differs from the cache's " << k.getDimSize(2)
                         << " (C1)";
  // attention_c2
  int64_t h = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || h % hkv != 0))
    return emitOpError() << hkv << " key/value heads do not divide " << h
                         << " query heads (C2)";
  // attention_c3
  RankedTensorType pos = getPos().getType();
  if (pos.getNumElements() != 1)
    return emitOpError() << "expects a 1-element position, got " << pos
                         << " (C3)";
  return success();
}
