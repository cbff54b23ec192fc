//===- QCTypes.cpp - qc types ---------------------------------------------===//
//
// Part of quantc.
//
// Block sizes and bytes per block come from the quantc.numerics module, the
// one table that the GGUF reader and the block codecs use too.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCTypes.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

import quantc.gguf;
import quantc.numerics;

using namespace mlir;
using namespace quantc::qc;
namespace num = quantc::numerics;

#include "quantc/Dialect/QC/IR/QCOpsEnums.cpp.inc"
#include "quantc/Dialect/QC/IR/QCTypeInterfaces.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "quantc/Dialect/QC/IR/QCOpsTypes.cpp.inc"

static_assert(num::kBlockFormats.size() == getMaxEnumValForBlockFormat() + 1,
              "qc::BlockFormat and numerics::BlockFormat must list the same "
              "formats in the same order");

void QCDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "quantc/Dialect/QC/IR/QCOpsTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// BlockType
//===----------------------------------------------------------------------===//

static const num::BlockFormatInfo &getInfo(BlockFormat format) {
  return num::getBlockFormatInfo(static_cast<num::BlockFormat>(format));
}

unsigned BlockType::getBlockSize() const {
  return getInfo(getFormat()).blockSize;
}

unsigned BlockType::getBytesPerBlock() const {
  return getInfo(getFormat()).bytesPerBlock;
}

//===----------------------------------------------------------------------===//
// GroupType
//===----------------------------------------------------------------------===//

LogicalResult GroupType::verify(function_ref<InFlightDiagnostic()> emitError,
                                unsigned bits, unsigned groupSize,
                                FloatType scaleType, GroupOffset offset) {
  // group_c1
  if (bits < 2 || bits > 8)
    return emitError() << "bits must be in [2, 8] (C1), got " << bits;
  // group_c2
  if (!llvm::isPowerOf2_32(groupSize) || groupSize < 16 || groupSize > 256)
    return emitError() << "group size must be a power of two in [16, 256] "
                          "(C2), got "
                       << groupSize;
  // group_c3
  if (!scaleType.isF16() && !scaleType.isBF16() && !scaleType.isF32())
    return emitError() << "scale type must be f16, bf16 or f32 (C3), got "
                       << scaleType;
  return success();
}

unsigned GroupType::getBlockSize() const { return getGroupSize(); }

unsigned GroupType::getBytesPerBlock() const {
  unsigned scaleBytes = getScaleType().getWidth() / 8;
  unsigned offsetBytes = 0;
  switch (getOffset()) {
  case GroupOffset::none:
    break;
  case GroupOffset::zero_point:
    offsetBytes = 1;
    break;
  case GroupOffset::bias:
    offsetBytes = scaleBytes;
    break;
  }
  return scaleBytes + offsetBytes +
         static_cast<unsigned>(num::packedBytes(getGroupSize(), getBits()));
}

//===----------------------------------------------------------------------===//
// Storage of quantized and plain tensors
//===----------------------------------------------------------------------===//

bool quantc::qc::isQuantizedElementType(Type type) {
  return isa<QuantizedTypeInterface>(type);
}

namespace {
struct BlockLayout {
  unsigned blockSize;
  unsigned bytesPerBlock;
};
} // namespace

/// The storage layout of an element type: quantized types say theirs; plain
/// integers and floats are stored densely (i1 as one byte, like the `BOOL`
/// of safetensors and ONNX).
static std::optional<BlockLayout> getLayout(Type elementType) {
  if (auto quantized = dyn_cast<QuantizedTypeInterface>(elementType))
    return BlockLayout{quantized.getBlockSize(), quantized.getBytesPerBlock()};
  if (!elementType.isIntOrFloat())
    return std::nullopt;
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (width == 1)
    return BlockLayout{1, 1};
  unsigned blockSize = 8 / std::gcd(width, 8u);
  return BlockLayout{blockSize, width * blockSize / 8};
}

LogicalResult quantc::qc::verifyWholeBlocks(
    ShapedType type, function_ref<InFlightDiagnostic()> emitError) {
  std::optional<BlockLayout> layout = getLayout(type.getElementType());
  if (!layout || layout->blockSize == 1 || !type.hasRank())
    return success();
  // Report through emitError, but fail whether or not it is active: a
  // default-constructed InFlightDiagnostic converts to success.
  if (type.getRank() == 0) {
    emitError() << "a 0-d tensor cannot hold a block of " << layout->blockSize
                << " weights of " << type.getElementType();
    return failure();
  }
  int64_t inner = type.getShape().back();
  if (ShapedType::isDynamic(inner) || inner % layout->blockSize == 0)
    return success();
  emitError() << "innermost dimension " << inner
              << " is not a whole number of blocks of " << layout->blockSize
              << " weights of " << type.getElementType();
  return failure();
}

FailureOr<int64_t>
quantc::qc::getStorageSize(ShapedType type,
                           function_ref<InFlightDiagnostic()> emitError) {
  auto fail = [&]() -> InFlightDiagnostic {
    if (emitError)
      return emitError();
    return InFlightDiagnostic();
  };
  std::optional<BlockLayout> layout = getLayout(type.getElementType());
  if (!layout) {
    fail() << "element type " << type.getElementType()
           << " has no storage layout";
    return failure();
  }
  if (!type.hasStaticShape()) {
    fail() << "storage size of " << type << " needs a static shape";
    return failure();
  }
  if (failed(verifyWholeBlocks(type, fail)))
    return failure();
  int64_t numElements = 1;
  for (int64_t dim : type.getShape()) {
    if (llvm::MulOverflow(numElements, dim, numElements)) {
      fail() << "the number of elements of " << type << " overflows";
      return failure();
    }
  }
  int64_t bytes;
  if (llvm::MulOverflow(numElements / layout->blockSize,
                        static_cast<int64_t>(layout->bytesPerBlock), bytes)) {
    fail() << "the storage size of " << type << " overflows";
    return failure();
  }
  return bytes;
}

//===----------------------------------------------------------------------===//
// ggml type ids
//===----------------------------------------------------------------------===//

Type quantc::qc::getTypeForGGMLType(MLIRContext *context, uint32_t ggmlType) {
  Builder b(context);
  switch (ggmlType) {
  case 0:
    return b.getF32Type();
  case 1:
    return b.getF16Type();
  case 24:
    return b.getIntegerType(8);
  case 25:
    return b.getIntegerType(16);
  case 26:
    return b.getIntegerType(32);
  case 27:
    return b.getIntegerType(64);
  case 28:
    return b.getF64Type();
  case 30:
    return b.getBF16Type();
  default:
    break;
  }
  if (std::optional<num::BlockFormat> format =
          num::blockFormatFromGGMLType(ggmlType))
    return BlockType::get(context, static_cast<BlockFormat>(*format));
  return nullptr;
}

std::optional<uint32_t> quantc::qc::getGGMLType(Type elementType) {
  if (auto block = dyn_cast<BlockType>(elementType))
    return getInfo(block.getFormat()).ggmlType;
  if (elementType.isF32())
    return 0;
  if (elementType.isF16())
    return 1;
  if (elementType.isBF16())
    return 30;
  if (elementType.isF64())
    return 28;
  if (elementType.isSignlessInteger(8))
    return 24;
  if (elementType.isSignlessInteger(16))
    return 25;
  if (elementType.isSignlessInteger(32))
    return 26;
  if (elementType.isSignlessInteger(64))
    return 27;
  return std::nullopt;
}

// Names come from the one ggml type table (quantc.gguf); the qc spelling
// is lower case with upper-case K-quants ("f32", "q4_K"), as llama.cpp logs.
std::optional<uint32_t> quantc::qc::parseGGMLTypeName(StringRef name) {
  for (const gguf::TypeInfo &info : gguf::types())
    if (name.equals_insensitive(StringRef(info.name.data(), info.name.size())))
      return info.id;
  return std::nullopt;
}

std::string quantc::qc::getGGMLTypeName(uint32_t ggmlType) {
  const gguf::TypeInfo *info = gguf::getTypeInfo(ggmlType);
  if (!info)
    return "type" + std::to_string(ggmlType);
  if (info->blockFormat)
    return stringifyBlockFormat(static_cast<BlockFormat>(*info->blockFormat))
        .str();
  return StringRef(info->name.data(), info->name.size()).lower();
}
