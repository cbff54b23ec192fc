//===- QCDialect.cpp - The qc dialect -------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <numeric>

using namespace mlir;
using namespace quantc::qc;

#include "quantc/Dialect/QC/IR/QCOpsDialect.cpp.inc"

namespace {
/// QuantizedTypeInterface for upstream `!quant` types. Their integers are
/// stored densely at the storage width: a block is the smallest run of
/// weights that fills whole bytes (2 x i4 in one byte, 8 x i3 in 3 bytes).
template <typename QuantTy>
struct QuantStorageModel
    : public QuantizedTypeInterface::ExternalModel<QuantStorageModel<QuantTy>,
                                                   QuantTy> {
  static unsigned width(Type type) {
    return cast<quant::QuantizedType>(type).getStorageTypeIntegralWidth();
  }
  unsigned getBlockSize(Type type) const {
    return 8 / std::gcd(width(type), 8u);
  }
  unsigned getBytesPerBlock(Type type) const {
    return width(type) * getBlockSize(type) / 8;
  }
};
} // namespace

void QCDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
  registerTypes();

  // The quant dialect is a dependent dialect, so it is loaded by now.
  MLIRContext &ctx = *getContext();
  quant::UniformQuantizedType::attachInterface<
      QuantStorageModel<quant::UniformQuantizedType>>(ctx);
  quant::UniformQuantizedPerAxisType::attachInterface<
      QuantStorageModel<quant::UniformQuantizedPerAxisType>>(ctx);
  quant::UniformQuantizedSubChannelType::attachInterface<
      QuantStorageModel<quant::UniformQuantizedSubChannelType>>(ctx);
}

LogicalResult QCDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kQuantizeToAttrName) {
    auto global = dyn_cast<GlobalOp>(op);
    if (!global)
      return op->emitError() << "'" << name << "' is only valid on qc.global";
    auto typeAttr = dyn_cast<TypeAttr>(attr.getValue());
    auto target =
        typeAttr ? dyn_cast<RankedTensorType>(typeAttr.getValue()) : nullptr;
    if (!target || target.getShape() != global.getTensorType().getShape())
      return op->emitError()
             << "'" << name << "' must be a tensor type of shape "
             << global.getTensorType() << ", got " << attr.getValue();
    return getStorageSize(target, [&] {
      InFlightDiagnostic diag = op->emitError();
      diag << "'" << name << "': ";
      return diag;
    });
  }
  if (name == kQuantErrorAttrName) {
    auto error = dyn_cast<FloatAttr>(attr.getValue());
    if (!isa<GlobalOp>(op) || !error || !error.getType().isF64() ||
        !(error.getValueAsDouble() >= 0))
      return op->emitError()
             << "'" << name << "' must be an f64 of 0 or more on qc.global";
    return success();
  }
  if (name == kMetadataAttrName) {
    auto pairs = dyn_cast<ArrayAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !pairs)
      return op->emitError()
             << "'" << name << "' must be an array on a builtin.module";
    for (Attribute pair : pairs) {
      auto kv = dyn_cast<ArrayAttr>(pair);
      if (!kv || kv.size() != 2 || !isa<StringAttr>(kv[0]))
        return op->emitError()
               << "'" << name << "' entries must be [\"key\", value], got "
               << pair;
    }
    return success();
  }
  if (name == kWeightOnlyAttrName) {
    if (!isa<GlobalOp>(op) || !isa<UnitAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be a unit attribute on qc.global";
    return success();
  }
  if (name == kQuantizedAttrName) {
    auto desc = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!isa<GlobalOp>(op) || !desc || !desc.getAs<StringAttr>("scheme") ||
        !desc.getAs<DenseI64ArrayAttr>("shape") ||
        !desc.getAs<IntegerAttr>("float_bytes") ||
        !desc.getAs<IntegerAttr>("bytes"))
      return op->emitError() << "'" << name
                             << "' must be a dictionary with scheme, shape, "
                                "float_bytes and bytes on qc.global";
    return success();
  }
  if (name == kQuantizeSchemeAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a string";
    return success();
  }
  if (name == kActivationRangeAttrName) {
    auto range = dyn_cast<DenseF32ArrayAttr>(attr.getValue());
    if (!range || range.size() != 2 || !(range[0] <= range[1]))
      return op->emitError()
             << "'" << name << "' must be array<f32: min, max> with min <= max";
    return success();
  }
  if (name == kKernelAttrName) {
    auto desc = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!isa<FunctionOpInterface>(op) || !desc ||
        !desc.getAs<StringAttr>("kind") || !desc.getAs<TypeAttr>("type") ||
        !desc.getAs<StringAttr>("isa"))
      return op->emitError()
             << "'" << name
             << "' must be a dictionary with kind, type and isa on a function";
    return success();
  }
  if (name == kWeightFilesAttrName) {
    auto files = dyn_cast<ArrayAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !files)
      return op->emitError()
             << "'" << name << "' must be an array on a builtin.module";
    for (Attribute file : files) {
      auto desc = dyn_cast<DictionaryAttr>(file);
      auto size = desc ? desc.getAs<IntegerAttr>("size") : IntegerAttr();
      auto header =
          desc ? desc.getAs<IntegerAttr>("header_bytes") : IntegerAttr();
      if (!desc || !desc.getAs<StringAttr>("path") || !size || !header ||
          !desc.getAs<IntegerAttr>("header_hash") || size.getInt() < 0 ||
          header.getInt() < 0 || header.getInt() > size.getInt())
        return op->emitError()
               << "'" << name
               << "' entries must be {path, size, header_bytes <= size, "
                  "header_hash}, got "
               << file;
    }
    return success();
  }
  if (name == kFileOffsetAttrName) {
    auto global = dyn_cast<GlobalOp>(op);
    auto where = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!global || !where || where.size() != 2 || where[0] < 0 ||
        where[1] < 0)
      return op->emitError() << "'" << name
                             << "' must be array<i64: file, offset> (both 0 "
                                "or more) on qc.global";
    auto module = op->getParentOfType<ModuleOp>();
    auto files = module ? module->getAttrOfType<ArrayAttr>(kWeightFilesAttrName)
                        : ArrayAttr();
    if (!files || where[0] >= static_cast<int64_t>(files.size()))
      return op->emitError() << "'" << name << "' refers to file " << where[0]
                             << ", but the module's '" << kWeightFilesAttrName
                             << "' lists " << (files ? files.size() : 0);
    auto file = dyn_cast<DictionaryAttr>(files[where[0]]);
    auto size = file ? file.getAs<IntegerAttr>("size") : IntegerAttr();
    int64_t bytes = global.getData().getShapedType().getNumElements();
    if (size && where[1] + bytes > size.getInt())
      return op->emitError() << "'" << name << "': " << bytes
                             << " bytes at offset " << where[1]
                             << " run past the end of the file ("
                             << size.getInt() << " bytes)";
    return success();
  }
  if (name == kGGUFUnpaddedAttrName) {
    if (!isa<ModuleOp>(op) || !isa<UnitAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be a unit attribute on a builtin.module";
    return success();
  }
  if (name == kGGUFVersionAttrName) {
    if (!isa<ModuleOp>(op) || !isa<IntegerAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be an integer on a builtin.module";
    return success();
  }
  return op->emitError() << "unknown qc attribute '" << name << "'";
}

/// qc.name / qc.dtype / qc.bound_value / qc.kind / qc.state on entry
/// arguments and results.
static LogicalResult verifyEntryAttribute(Operation *op, Type type,
                                          NamedAttribute attr, bool isArg) {
  StringRef name = attr.getName().getValue();
  if (isArg && name == QCDialect::kKindAttrName) {
    auto kind = dyn_cast<StringAttr>(attr.getValue());
    if (!kind || kind.getValue() != "state")
      return op->emitError() << "'" << name << "' must be \"state\"";
    return success();
  }
  if (!isArg && name == QCDialect::kStateAttrName) {
    auto index = dyn_cast<IntegerAttr>(attr.getValue());
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!index || !index.getType().isInteger(64) || !func)
      return op->emitError()
             << "'" << name << "' must be an i64 on a function result";
    int64_t i = index.getInt();
    if (i < 0 || i >= static_cast<int64_t>(func.getNumArguments()))
      return op->emitError() << "'" << name << "' refers to argument " << i
                             << " of " << func.getNumArguments();
    auto kind = func.getArgAttrOfType<StringAttr>(i, QCDialect::kKindAttrName);
    if (!kind || kind.getValue() != "state")
      return op->emitError() << "'" << name << "' refers to argument " << i
                             << ", which is not a qc.kind = \"state\" argument";
    return success();
  }
  if (name == QCDialect::kNameAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a string";
    return success();
  }
  if (name == QCDialect::kDTypeAttrName) {
    auto value = dyn_cast<IntegerAttr>(attr.getValue());
    if (!value || !value.getType().isInteger(32))
      return op->emitError() << "'" << name << "' must be an i32";
    return success();
  }
  if (isArg && name == QCDialect::kBoundValueAttrName) {
    auto value = dyn_cast<ElementsAttr>(attr.getValue());
    if (!value || value.getType() != type)
      return op->emitError()
             << "'" << name << "' must be an elements attribute of type "
             << type;
    return success();
  }
  return op->emitError() << "unknown qc " << (isArg ? "argument" : "result")
                         << " attribute '" << name << "'";
}

LogicalResult QCDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  Type type = op->getRegion(regionIndex).getNumArguments() > argIndex
                  ? op->getRegion(regionIndex).getArgument(argIndex).getType()
                  : Type();
  return verifyEntryAttribute(op, type, attr, /*isArg=*/true);
}

LogicalResult QCDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attr) {
  return verifyEntryAttribute(op, Type(), attr, /*isArg=*/false);
}
