//===- QCMetadata.h - Reading and editing qc.metadata -----------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCMETADATA_H
#define QUANTC_DIALECT_QC_IR_QCMETADATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

namespace quantc::qc {

/// A view of a module's `qc.metadata` (ordered `[key, value]` pairs). Edits
/// are kept until `commit()` writes the array back: a key that exists is
/// updated in place, a new key is appended (as gguf_set_val does).
class MetadataView {
public:
  explicit MetadataView(mlir::ModuleOp module);

  /// The value of `key`, or null.
  mlir::Attribute get(llvm::StringRef key) const;
  /// The string value of `key`, or "" when absent or not a string.
  llvm::StringRef getString(llvm::StringRef key) const;
  /// The value of an integer key that is >= 0 and fits in 64 bits.
  std::optional<uint64_t> getUInt(llvm::StringRef key) const;

  void set(llvm::StringRef key, mlir::Attribute value);
  void commit();

  /// The pairs in order.
  llvm::ArrayRef<std::pair<mlir::StringAttr, mlir::Attribute>> entries() const {
    return pairs;
  }

private:
  mlir::ModuleOp module;
  llvm::SmallVector<std::pair<mlir::StringAttr, mlir::Attribute>> pairs;
};

/// 64-bit FNV-1a of `bytes`: the header hash of `qc.weight_files`, which
/// the runtime's qc_context_map_weights checks.
uint64_t hashWeightFileHeader(llvm::ArrayRef<char> bytes);

/// A `qc.weight_files` entry for the file at `path` (made absolute) whose
/// contents are `fileBytes`, the first `headerBytes` of them its header.
mlir::DictionaryAttr getWeightFileAttr(mlir::MLIRContext *context,
                                       llvm::StringRef path,
                                       llvm::ArrayRef<char> fileBytes,
                                       uint64_t headerBytes);

} // namespace quantc::qc

#endif // QUANTC_DIALECT_QC_IR_QCMETADATA_H
