//===- GGUFTranslations.cpp - --import-gguf / --export-gguf ---------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Target/GGUF/GGUF.h"
#include "quantc/Target/LLM/LanguageModel.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

void quantc::registerGGUFTranslations() {
  registerLanguageModelTranslateOptions();
  static TranslateToMLIRRegistration importGGUF(
      "import-gguf", "Import a GGUF file as qc.global weights",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        // The blobs view the input buffer, which mlir-translate keeps alive
        // until the output is written.
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        // --build-graph adds a language model's entries.
        return quantc::buildLanguageModelIfRequested(
            quantc::importGGUFBuffer(buffer->getMemBufferRef(), context));
      });
  static TranslateFromMLIRRegistration exportGGUF(
      "export-gguf", "Write a module of qc.global weights as a GGUF file",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a builtin.module";
        return quantc::exportGGUF(module, os);
      },
      [](DialectRegistry &registry) { registry.insert<qc::QCDialect>(); });
}
