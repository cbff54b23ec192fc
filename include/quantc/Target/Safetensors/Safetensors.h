//===- Safetensors.h - safetensors import -----------------------*- C++ -*-===//
//
// Part of quantc.
//
// A safetensors model (a file, a directory with model.safetensors or
// model.safetensors.index.json and its shards, or the index itself) imports
// as a module of `qc.global` ops whose bytes view the memory-mapped shards.
// With the Hugging Face config.json of a llama-family model (llama, mistral,
// qwen2) the importer also speaks GGUF: tensors get llama.cpp's names (with
// the q/k rows permuted as convert_hf_to_gguf.py does), `qc.metadata` gets
// the `general.*` / `<arch>.*` hyper-parameters, and tokenizer.json becomes
// the `tokenizer.ggml.*` vocabulary, so that exporting the module writes a
// GGUF file llama.cpp loads.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_SAFETENSORS_SAFETENSORS_H
#define QUANTC_TARGET_SAFETENSORS_SAFETENSORS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace quantc {

struct SafetensorsImportOptions {
  /// Map llama-family models to GGUF names, metadata and vocabulary when
  /// config.json describes one; otherwise keep the file's names.
  bool ggufNames = true;
};

mlir::OwningOpRef<mlir::ModuleOp>
importSafetensors(llvm::StringRef path, mlir::MLIRContext *context,
                  const SafetensorsImportOptions &options = {});

/// Registers --import-safetensors with quantc-translate.
void registerSafetensorsTranslations();

} // namespace quantc

#endif // QUANTC_TARGET_SAFETENSORS_SAFETENSORS_H
