//===- InitAllTranslations.h - Register quantc's translations ---*- C++ -*-===//
//
// Part of quantc.
//
// Importers (GGUF, safetensors, ONNX) and exporters register here as
// mlir::TranslateToMLIRRegistration / TranslateFromMLIRRegistration, beside
// upstream's translations (LLVM IR, SPIR-V, ...).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_INITALLTRANSLATIONS_H
#define QUANTC_INITALLTRANSLATIONS_H

#include "mlir/InitAllTranslations.h"

#include "quantc/Target/GGUF/GGUF.h"
#include "quantc/Target/ONNX/ONNX.h"
#include "quantc/Target/Safetensors/Safetensors.h"

namespace quantc {

/// Registers every upstream translation and quantc's own.
inline void registerAllTranslations() {
  mlir::registerAllTranslations();
  registerGGUFTranslations();
  registerONNXTranslations();
  registerSafetensorsTranslations();
}

} // namespace quantc

#endif // QUANTC_INITALLTRANSLATIONS_H
