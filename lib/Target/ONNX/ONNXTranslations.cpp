//===- ONNXTranslations.cpp - --import-onnx -------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/ONNX/ONNX.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

void quantc::registerONNXTranslations() {
  static TranslateToMLIRRegistration importONNX(
      "import-onnx",
      "Import an ONNX model as linalg/tensor/arith (+ qc, quant) on static "
      "shapes",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        SmallString<256> dir(buffer->getBufferIdentifier());
        llvm::sys::path::remove_filename(dir);
        if (dir.empty())
          dir = ".";
        return quantc::importONNXBuffer(buffer->getMemBufferRef(), dir,
                                        context);
      },
      [](DialectRegistry &registry) {
        quantc::registerONNXImportDialects(registry);
      });
}
