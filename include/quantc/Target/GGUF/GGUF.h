//===- GGUF.h - GGUF import and export --------------------------*- C++ -*-===//
//
// Part of quantc.
//
// A GGUF file imports as a module of `qc.global` ops in file order, one per
// tensor, whose bytes are resource blobs viewing the memory-mapped file (no
// copy), with the file's metadata in `qc.metadata` and its version in
// `qc.gguf_version`. Exporting such a module writes the file back byte for
// byte.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_GGUF_GGUF_H
#define QUANTC_TARGET_GGUF_GGUF_H

#include "quantc/Dialect/QC/IR/QCOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {

/// Maps the GGUF file at `path` and imports it; the blobs keep the mapping
/// alive. Errors (a diagnostic naming the file and what is wrong) return null.
mlir::OwningOpRef<mlir::ModuleOp> importGGUFFile(llvm::StringRef path,
                                                 mlir::MLIRContext *context);

/// Imports a GGUF file held in `buffer`, which must outlive the module.
mlir::OwningOpRef<mlir::ModuleOp> importGGUFBuffer(llvm::MemoryBufferRef buffer,
                                                   mlir::MLIRContext *context);

/// Writes `module` as a GGUF file at `path`, through a temporary file that
/// is renamed on success: on failure no file is left at `path`.
mlir::LogicalResult exportGGUFFile(mlir::ModuleOp module, llvm::StringRef path);

/// Like exportGGUFFile, but each `qc.global` is declared with the type its
/// `qc.quantize_to` plan names, and `prepare` is called on it just before its
/// bytes are written: a plan is carried out one weight at a time while the
/// file is streamed (what `quantc quantize` does), so the write-back of one
/// weight overlaps the encoding of the next. `written`, when given, is called
/// once a weight's bytes are in the file (to release them).
mlir::LogicalResult
exportGGUFFile(mlir::ModuleOp module, llvm::StringRef path,
               llvm::function_ref<mlir::LogicalResult(qc::GlobalOp)> prepare,
               llvm::function_ref<void(qc::GlobalOp)> written = nullptr);

/// Writes `module` as a GGUF file to `os`.
mlir::LogicalResult exportGGUF(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Registers --import-gguf and --export-gguf with quantc-translate.
void registerGGUFTranslations();

} // namespace quantc

#endif // QUANTC_TARGET_GGUF_GGUF_H
