//===- ExportGGUF.cpp - qc.global to GGUF ---------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/GGUF/GGUF.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstring>
#include <span>

import quantc.gguf;

using namespace mlir;
using namespace quantc;

namespace {

/// Copies the elements of a dense attribute into a typed vector.
template <typename T> gguf::Array denseArray(DenseElementsAttr dense) {
  std::vector<T> values;
  values.reserve(dense.getNumElements());
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    for (APFloat v : dense.getValues<APFloat>())
      values.push_back(static_cast<T>(std::is_same_v<T, float>
                                          ? v.convertToFloat()
                                          : v.convertToDouble()));
  } else if constexpr (std::is_same_v<T, bool>) {
    for (bool v : dense.getValues<bool>())
      values.push_back(v);
  } else {
    for (APInt v : dense.getValues<APInt>())
      values.push_back(static_cast<T>(std::is_signed_v<T> ? v.getSExtValue()
                                                          : v.getZExtValue()));
  }
  return gguf::Array(std::move(values));
}

FailureOr<gguf::Array> convertArray(Attribute attr, Location loc,
                                    StringRef key);

/// An attribute of qc.metadata back as a GGUF value of the same type.
FailureOr<gguf::Value> convertValue(Attribute attr, Location loc,
                                    StringRef key) {
  if (auto b = dyn_cast<BoolAttr>(attr))
    return gguf::Value(b.getValue());
  if (auto s = dyn_cast<StringAttr>(attr))
    return gguf::Value(s.getValue().str());
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    if (f.getType().isF32())
      return gguf::Value(static_cast<float>(f.getValueAsDouble()));
    if (f.getType().isF64())
      return gguf::Value(f.getValueAsDouble());
  }
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    auto type = dyn_cast<IntegerType>(i.getType());
    if (type && !type.isSignless()) {
      bool isSigned = type.isSigned();
      uint64_t raw = i.getValue().getZExtValue();
      switch (type.getWidth()) {
      case 8:
        return isSigned ? gguf::Value(static_cast<int8_t>(raw))
                        : gguf::Value(static_cast<uint8_t>(raw));
      case 16:
        return isSigned ? gguf::Value(static_cast<int16_t>(raw))
                        : gguf::Value(static_cast<uint16_t>(raw));
      case 32:
        return isSigned ? gguf::Value(static_cast<int32_t>(raw))
                        : gguf::Value(static_cast<uint32_t>(raw));
      case 64:
        return isSigned ? gguf::Value(static_cast<int64_t>(raw))
                        : gguf::Value(raw);
      default:
        break;
      }
    }
  }
  if (isa<ArrayAttr, DenseElementsAttr>(attr)) {
    FailureOr<gguf::Array> array = convertArray(attr, loc, key);
    if (failed(array))
      return failure();
    return gguf::Value(std::move(*array));
  }
  return emitError(loc) << "metadata '" << key << "': " << attr
                        << " has no GGUF type (use ui8..si64, f32, f64, i1, "
                           "strings, dense tensors or arrays)";
}

FailureOr<gguf::Array> convertArray(Attribute attr, Location loc,
                                    StringRef key) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    Type element = dense.getElementType();
    if (element.isF32())
      return denseArray<float>(dense);
    if (element.isF64())
      return denseArray<double>(dense);
    if (element.isInteger(1))
      return denseArray<bool>(dense);
    if (auto integer = dyn_cast<IntegerType>(element);
        integer && !integer.isSignless()) {
      bool s = integer.isSigned();
      switch (integer.getWidth()) {
      case 8:
        return s ? denseArray<int8_t>(dense) : denseArray<uint8_t>(dense);
      case 16:
        return s ? denseArray<int16_t>(dense) : denseArray<uint16_t>(dense);
      case 32:
        return s ? denseArray<int32_t>(dense) : denseArray<uint32_t>(dense);
      case 64:
        return s ? denseArray<int64_t>(dense) : denseArray<uint64_t>(dense);
      default:
        break;
      }
    }
    return emitError(loc) << "metadata '" << key << "': arrays of " << element
                          << " have no GGUF type";
  }
  auto array = cast<ArrayAttr>(attr);
  // An array of strings (also the empty array), or an array of arrays.
  if (array.empty() || isa<StringAttr>(array[0])) {
    std::vector<std::string> strings;
    strings.reserve(array.size());
    for (Attribute element : array) {
      auto s = dyn_cast<StringAttr>(element);
      if (!s)
        return emitError(loc) << "metadata '" << key
                              << "': an array mixes strings and " << element;
      strings.push_back(s.getValue().str());
    }
    return gguf::Array(std::move(strings));
  }
  std::vector<gguf::Array> nested;
  for (Attribute element : array) {
    if (!isa<ArrayAttr, DenseElementsAttr>(element))
      return emitError(loc) << "metadata '" << key
                            << "': an array of arrays holds " << element;
    FailureOr<gguf::Array> inner = convertArray(element, loc, key);
    if (failed(inner))
      return failure();
    nested.push_back(std::move(*inner));
  }
  return gguf::Array(std::move(nested));
}

LogicalResult fail(Location loc, StringRef path, const absl::Status &status) {
  return emitError(loc) << path << ": " << std::string(status.message());
}

} // namespace

LogicalResult quantc::exportGGUFFile(ModuleOp module, StringRef path) {
  return exportGGUFFile(module, path, nullptr);
}

LogicalResult quantc::exportGGUFFile(
    ModuleOp module, StringRef path,
    function_ref<LogicalResult(qc::GlobalOp)> prepare,
    function_ref<void(qc::GlobalOp)> written) {
  Location loc = module.getLoc();
  gguf::WriterOptions options;
  if (auto version = module->getAttrOfType<IntegerAttr>(
          qc::QCDialect::kGGUFVersionAttrName))
    options.version = static_cast<uint32_t>(version.getInt());
  options.padEmptyDataSection =
      !module->hasAttr(qc::QCDialect::kGGUFUnpaddedAttrName);
  gguf::Writer writer(path.str(), options);

  if (auto metadata =
          module->getAttrOfType<ArrayAttr>(qc::QCDialect::kMetadataAttrName)) {
    for (Attribute entry : metadata) {
      auto kv = cast<ArrayAttr>(entry);
      StringRef key = cast<StringAttr>(kv[0]).getValue();
      FailureOr<gguf::Value> value = convertValue(kv[1], loc, key);
      if (failed(value))
        return failure();
      if (absl::Status s = writer.addMetadata(key.str(), std::move(*value));
          !s.ok())
        return fail(loc, path, s);
    }
  }

  // Declare every tensor (with its planned type when it has a plan).
  SmallVector<std::pair<qc::GlobalOp, uint64_t>> tensors;
  for (qc::GlobalOp global : module.getOps<qc::GlobalOp>()) {
    RankedTensorType type = global.getTensorType();
    if (prepare)
      if (auto plan = global->getAttrOfType<TypeAttr>(
              qc::QCDialect::kQuantizeToAttrName))
        type = cast<RankedTensorType>(plan.getValue());
    std::optional<uint32_t> ggmlType = qc::getGGMLType(type.getElementType());
    if (!ggmlType)
      return global.emitError() << "GGUF cannot store element type "
                                << type.getElementType();
    std::vector<int64_t> dims(type.getShape().rbegin(), type.getShape().rend());
    if (dims.empty())
      dims.push_back(1);
    absl::StatusOr<uint64_t> size =
        writer.addTensor(global.getSymName().str(), std::move(dims), *ggmlType);
    if (!size.ok())
      return fail(global.getLoc(), path, size.status());
    tensors.emplace_back(global, *size);
  }

  if (absl::Status s = writer.writeHeader(); !s.ok())
    return fail(loc, path, s);
  for (auto &[global, size] : tensors) {
    if (prepare && failed(prepare(global)))
      return failure();
    std::vector<char> scratch;
    std::optional<ArrayRef<char>> bytes = global.getRawBytes(scratch);
    if (!bytes)
      return global.emitError() << "the bytes of '" << global.getSymName()
                                << "' are not available";
    if (bytes->size() != size)
      return global.emitError() << "'" << global.getSymName() << "' holds "
                                << bytes->size() << " bytes; GGUF expects "
                                << size;
    if (absl::Status s = writer.writeTensorData(std::span(
            reinterpret_cast<const std::byte *>(bytes->data()), bytes->size()));
        !s.ok())
      return fail(global.getLoc(), path, s);
    if (written)
      written(global);
  }
  if (absl::Status s = writer.finish(); !s.ok())
    return fail(loc, path, s);
  return success();
}

LogicalResult quantc::exportGGUF(ModuleOp module, llvm::raw_ostream &os) {
  // The writer streams to a file (so that a failed write leaves nothing
  // behind); write a temporary one and copy it to the stream.
  SmallString<128> temp;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quantc-export", "gguf", temp))
    return emitError(module.getLoc())
           << "cannot create a temporary file: " << ec.message();
  auto cleanup = llvm::make_scope_exit([&] { llvm::sys::fs::remove(temp); });
  if (failed(exportGGUFFile(module, temp)))
    return failure();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(temp, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(module.getLoc())
           << "cannot read back " << temp << ": " << buffer.getError().message();
  os << (*buffer)->getBuffer();
  return success();
}
