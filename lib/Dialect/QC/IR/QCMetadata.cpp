//===- QCMetadata.cpp - Reading and editing qc.metadata -------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"

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
