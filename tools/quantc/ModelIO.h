//===- ModelIO.h - Loading models in the quantc driver ----------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_QUANTC_MODELIO_H
#define QUANTC_TOOLS_QUANTC_MODELIO_H

#include "quantc/Target/ONNX/ONNX.h"
#include "quantc/runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {

/// Prints the context's diagnostics as `quantc: error: ...` on stderr, with
/// the location when it points into a file (line > 0): importers put the
/// file name and the problem in the message itself.
void installDiagnosticPrinter(mlir::MLIRContext &context);

/// Imports an ONNX model (.onnx), a GGUF file, a safetensors file, a
/// directory holding a safetensors model, or parses an MLIR module (.mlir,
/// .mlirbc), by looking at what `path` is. Diagnostics go to the context's
/// handler (stderr in the driver); null on failure.
///
/// With `buildGraph`, a GGUF or safetensors language model also gets its
/// graph (quantc/Target/LLM/LanguageModel.h: @prefill over --lm-tokens
/// tokens and @decode, as --lm-entries says, over an --lm-context cache),
/// which `compile` and `run` need.
/// How a GGUF or safetensors language model is quantized before its graph
/// is built (`quantc compile MODEL --quantize TYPE` / `--bpw X`): to a
/// llama.cpp file type or recipe (Q8_0, Q4_0, Q4_K_M, ...; the plan of
/// qc-plan-quantization, as `quantc quantize` makes it), or to a bits per
/// weight budget (qc-assign-precision); then qc-quantize-weights. Quantized
/// weights are embedded in the compiled model (they are not the file's).
struct LanguageModelQuantization {
  std::string type;
  double bpw = 0;
  bool requested() const { return !type.empty() || bpw > 0; }
};

mlir::OwningOpRef<mlir::ModuleOp>
importModel(llvm::StringRef path, mlir::MLIRContext *context,
            const ONNXImportOptions &onnxOptions = {}, bool buildGraph = false,
            const LanguageModelQuantization &quantize = {});

/// Whether `path` is a GGUF file or a safetensors model (a language model's
/// weights, whose graph `importModel` builds), not ONNX or MLIR.
bool isWeightsFile(llvm::StringRef path);

/// The --lm-context option (0 when not given).
int64_t languageModelContext();
/// The --prefill-chunk option (128 when not given).
int64_t languageModelPrefillChunk();

/// A compiled model library loaded with dlopen: its descriptor and the
/// handle that keeps it alive (closed on destruction).
struct LoadedModel {
  const qc_model *model = nullptr;
  void *handle = nullptr;
  LoadedModel() = default;
  LoadedModel(const LoadedModel &) = delete;
  LoadedModel &operator=(const LoadedModel &) = delete;
  ~LoadedModel();
};

/// Loads a `quantc compile --emit so` library (its `qc_shared_model`
/// accessor); false with `error` set otherwise.
bool loadModelLibrary(llvm::StringRef path, LoadedModel &loaded,
                      std::string &error);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_MODELIO_H
