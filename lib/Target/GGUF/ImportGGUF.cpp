//===- ImportGGUF.cpp - GGUF to qc.global ---------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/GGUF/GGUF.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Verifier.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"

#include "absl/status/statusor.h"

#include <memory>
#include <sys/mman.h>
#include <unistd.h>
#include <span>
#include <variant>

import quantc.gguf;

using namespace mlir;
using namespace quantc;

namespace {

Type integerType(MLIRContext *ctx, unsigned width, bool isSigned) {
  return IntegerType::get(ctx, width,
                          isSigned ? IntegerType::Signed : IntegerType::Unsigned);
}

/// The element type of a numeric GGUF array, or null for strings and arrays.
Type arrayElementType(MLIRContext *ctx, gguf::ValueType type) {
  using VT = gguf::ValueType;
  switch (type) {
  case VT::U8:
    return integerType(ctx, 8, false);
  case VT::I8:
    return integerType(ctx, 8, true);
  case VT::U16:
    return integerType(ctx, 16, false);
  case VT::I16:
    return integerType(ctx, 16, true);
  case VT::U32:
    return integerType(ctx, 32, false);
  case VT::I32:
    return integerType(ctx, 32, true);
  case VT::U64:
    return integerType(ctx, 64, false);
  case VT::I64:
    return integerType(ctx, 64, true);
  case VT::F32:
    return Float32Type::get(ctx);
  case VT::F64:
    return Float64Type::get(ctx);
  case VT::Bool:
    return IntegerType::get(ctx, 1);
  case VT::String:
  case VT::Array:
    return nullptr;
  }
  return nullptr;
}

Attribute convertArray(MLIRContext *ctx, const gguf::Array &array);

/// A metadata value as an attribute that keeps its GGUF type (see
/// QCDialect::kMetadataAttrName).
Attribute convertValue(MLIRContext *ctx, const gguf::Value &value) {
  return std::visit(
      [&](const auto &v) -> Attribute {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return BoolAttr::get(ctx, v);
        else if constexpr (std::is_integral_v<T>)
          return IntegerAttr::get(
              integerType(ctx, sizeof(T) * 8, std::is_signed_v<T>),
              APInt(sizeof(T) * 8, static_cast<uint64_t>(v),
                    std::is_signed_v<T>));
        else if constexpr (std::is_same_v<T, float>)
          return FloatAttr::get(Float32Type::get(ctx), v);
        else if constexpr (std::is_same_v<T, double>)
          return FloatAttr::get(Float64Type::get(ctx), v);
        else if constexpr (std::is_same_v<T, std::string>)
          return StringAttr::get(ctx, v);
        else
          return convertArray(ctx, v);
      },
      value.get());
}

Attribute convertArray(MLIRContext *ctx, const gguf::Array &array) {
  return std::visit(
      [&](const auto &values) -> Attribute {
        using T = typename std::decay_t<decltype(values)>::value_type;
        if constexpr (std::is_same_v<T, std::string>) {
          SmallVector<Attribute> strings;
          strings.reserve(values.size());
          for (const std::string &s : values)
            strings.push_back(StringAttr::get(ctx, s));
          return ArrayAttr::get(ctx, strings);
        } else if constexpr (std::is_same_v<T, gguf::Array>) {
          SmallVector<Attribute> nested;
          for (const gguf::Array &a : values)
            nested.push_back(convertArray(ctx, a));
          return ArrayAttr::get(ctx, nested);
        } else if constexpr (std::is_same_v<T, bool>) {
          SmallVector<bool> bits(values.begin(), values.end());
          auto type = RankedTensorType::get(
              {static_cast<int64_t>(values.size())}, IntegerType::get(ctx, 1));
          return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
        } else {
          auto type = RankedTensorType::get(
              {static_cast<int64_t>(values.size())},
              arrayElementType(ctx, array.elementType()));
          ArrayRef<char> raw(reinterpret_cast<const char *>(values.data()),
                             values.size() * sizeof(T));
          return DenseElementsAttr::getFromRawBuffer(type, raw);
        }
      },
      array.elements);
}

/// Tells the kernel that the whole pages inside [data, data + size) of a
/// read-only file mapping are no longer needed; they are read again from the
/// file if touched.
void releasePages(void *data, size_t size) {
  auto begin = reinterpret_cast<uintptr_t>(data);
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t first = (begin + page - 1) & ~(page - 1);
  uintptr_t last = (begin + size) & ~(page - 1);
  if (last > first)
    madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

/// The largest power of two up to 16 that `pointer` is aligned to. Bytecode
/// records the largest blob alignment and its reader insists that the whole
/// buffer be aligned to it; llvm::MemoryBuffer only promises 16.
size_t alignmentOf(const void *pointer) {
  auto address = reinterpret_cast<uintptr_t>(pointer);
  size_t align = 16;
  while (align > 1 && address % align != 0)
    align /= 2;
  return align;
}

OwningOpRef<ModuleOp> importFile(const gguf::File &file,
                                 std::shared_ptr<const void> owner,
                                 MLIRContext *context) {
  context->loadDialect<qc::QCDialect>();
  Location loc = FileLineColLoc::get(context, file.path(), 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());

  SmallVector<Attribute> metadata;
  metadata.reserve(file.metadata().size());
  for (const gguf::KeyValue &kv : file.metadata())
    metadata.push_back(b.getArrayAttr(
        {b.getStringAttr(kv.key), convertValue(context, kv.value)}));
  (*module)->setAttr(qc::QCDialect::kMetadataAttrName,
                     b.getArrayAttr(metadata));
  (*module)->setAttr(qc::QCDialect::kGGUFVersionAttrName,
                     b.getIntegerAttr(integerType(context, 32, false),
                                      file.version()));

  if (file.tensors().empty() && !file.headerPadded())
    (*module)->setAttr(qc::QCDialect::kGGUFUnpaddedAttrName, b.getUnitAttr());

  // A file on disk can keep the weights of a compiled model: record where
  // they are (the header hash tells the runtime it maps the same layout).
  ArrayRef<char> fileBytes(reinterpret_cast<const char *>(file.bytes().data()),
                           file.bytes().size());
  bool recordFile = owner != nullptr;
  if (recordFile)
    (*module)->setAttr(qc::QCDialect::kWeightFilesAttrName,
                       b.getArrayAttr({qc::getWeightFileAttr(
                           context, file.path(), fileBytes,
                           file.headerSize())}));

  auto &blobManager = DenseResourceElementsHandle::getManagerInterface(context);
  for (const gguf::TensorInfo &tensor : file.tensors()) {
    Type element = qc::getTypeForGGMLType(context, tensor.type);
    if (!element) {
      emitError(loc) << file.path() << ": tensor '" << tensor.name
                     << "' has ggml type " << tensor.type
                     << ", which quantc cannot represent";
      return nullptr;
    }
    SmallVector<int64_t> shape(tensor.dims.rbegin(), tensor.dims.rend());
    auto type = RankedTensorType::get(shape, element);

    // The blob views the file; `owner` keeps the bytes alive as long as the
    // context holds the blob.
    ArrayRef<char> bytes(reinterpret_cast<const char *>(tensor.data.data()),
                         tensor.data.size());
    AsmResourceBlob blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        bytes, alignmentOf(bytes.data()),
        [owner](void *data, size_t size, size_t) {
          // A blob replaced by a pass (a weight re-encoded) gives its pages
          // back, so that quantizing a model does not keep it all resident.
          if (owner)
            releasePages(data, size);
        });
    auto dataType = RankedTensorType::get(
        {static_cast<int64_t>(bytes.size())}, b.getIntegerType(8));
    DenseResourceElementsHandle handle =
        blobManager.insert(tensor.name, std::move(blob));
    auto data = DenseResourceElementsAttr::get(dataType, handle);
    auto global = qc::GlobalOp::create(b, loc, b.getStringAttr(tensor.name),
                                       TypeAttr::get(type), data);
    if (recordFile)
      global->setAttr(qc::QCDialect::kFileOffsetAttrName,
                      b.getDenseI64ArrayAttr(
                          {0, static_cast<int64_t>(bytes.data() -
                                                   fileBytes.data())}));
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> quantc::importGGUFFile(StringRef path,
                                             MLIRContext *context) {
  absl::StatusOr<gguf::File> file = gguf::File::open(path.str());
  if (!file.ok()) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << std::string(file.status().message());
    return nullptr;
  }
  auto shared = std::make_shared<gguf::File>(std::move(*file));
  return importFile(*shared, shared, context);
}

OwningOpRef<ModuleOp> quantc::importGGUFBuffer(llvm::MemoryBufferRef buffer,
                                               MLIRContext *context) {
  std::span<const std::byte> bytes(
      reinterpret_cast<const std::byte *>(buffer.getBufferStart()),
      buffer.getBufferSize());
  absl::StatusOr<gguf::File> file =
      gguf::File::parse(bytes, buffer.getBufferIdentifier().str());
  if (!file.ok()) {
    emitError(FileLineColLoc::get(context, buffer.getBufferIdentifier(), 0, 0))
        << std::string(file.status().message());
    return nullptr;
  }
  return importFile(*file, nullptr, context);
}
