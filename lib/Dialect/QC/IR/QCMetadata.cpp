//===- QCMetadata.cpp - Reading and editing qc.metadata -------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace quantc::qc;

MetadataView::MetadataView(ModuleOp module) : module(module) {
  auto array = module->getAttrOfType<ArrayAttr>(QCDialect::kMetadataAttrName);
  if (!array)
    return;
  for (Attribute entry : array) {
    auto kv = cast<ArrayAttr>(entry);
    pairs.emplace_back(cast<StringAttr>(kv[0]), kv[1]);
  }
}

Attribute MetadataView::get(StringRef key) const {
  for (const auto &[k, v] : pairs)
    if (k.getValue() == key)
      return v;
  return nullptr;
}

StringRef MetadataView::getString(StringRef key) const {
  if (auto str = dyn_cast_or_null<StringAttr>(get(key)))
    return str.getValue();
  return "";
}

std::optional<uint64_t> MetadataView::getUInt(StringRef key) const {
  auto integer = dyn_cast_or_null<IntegerAttr>(get(key));
  if (!integer || integer.getType().isInteger(1))
    return std::nullopt;
  const APInt &value = integer.getValue();
  bool isSigned = !integer.getType().isUnsignedInteger();
  if (isSigned && value.isNegative())
    return std::nullopt;
  if (value.getActiveBits() > 64)
    return std::nullopt;
  return value.getZExtValue();
}

void MetadataView::set(StringRef key, Attribute value) {
  for (auto &[k, v] : pairs) {
    if (k.getValue() == key) {
      v = value;
      return;
    }
  }
  pairs.emplace_back(StringAttr::get(module.getContext(), key), value);
}

void MetadataView::commit() {
  MLIRContext *ctx = module.getContext();
  SmallVector<Attribute> entries;
  entries.reserve(pairs.size());
  for (const auto &[k, v] : pairs)
    entries.push_back(ArrayAttr::get(ctx, {k, v}));
  module->setAttr(QCDialect::kMetadataAttrName, ArrayAttr::get(ctx, entries));
}

uint64_t quantc::qc::hashWeightFileHeader(ArrayRef<char> bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

DictionaryAttr quantc::qc::getWeightFileAttr(MLIRContext *context,
                                             StringRef path,
                                             ArrayRef<char> fileBytes,
                                             uint64_t headerBytes) {
  SmallString<256> absolute(path);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  Builder b(context);
  headerBytes = std::min<uint64_t>(headerBytes, fileBytes.size());
  uint64_t hash = hashWeightFileHeader(fileBytes.take_front(headerBytes));
  return b.getDictionaryAttr(
      {b.getNamedAttr("path", b.getStringAttr(absolute)),
       b.getNamedAttr("size", b.getI64IntegerAttr(fileBytes.size())),
       b.getNamedAttr("header_bytes", b.getI64IntegerAttr(headerBytes)),
       b.getNamedAttr("header_hash",
                      b.getI64IntegerAttr(static_cast<int64_t>(hash)))});
}
