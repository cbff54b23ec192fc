//===- ONNXTranslations.cpp - --import-onnx -------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/ONNX/ONNX.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace {
struct ONNXTranslateOptions {
  llvm::cl::list<std::string> inputShapes{
      "onnx-input-shape",
      llvm::cl::desc("--import-onnx: the shape of a graph input with dynamic "
                     "dimensions, NAME=D0xD1x... (repeatable)"),
      llvm::cl::value_desc("name=dims")};
};
} // namespace

static llvm::ManagedStatic<ONNXTranslateOptions> translateOptions;

/// Parses NAME=D0xD1x... ("NAME=" for a scalar).
static bool parseInputShape(StringRef text, quantc::ONNXImportOptions &options) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || name == text)
    return false;
  std::vector<int64_t> shape;
  if (!dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        return false;
      shape.push_back(d);
    }
  }
  options.inputShapes[name] = shape;
  return true;
}

void quantc::registerONNXTranslations() {
  *translateOptions;
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
        quantc::ONNXImportOptions options;
        for (const std::string &shape : translateOptions->inputShapes) {
          if (!parseInputShape(shape, options)) {
            emitError(UnknownLoc::get(context))
                << "--onnx-input-shape expects NAME=D0xD1x..., got '" << shape
                << "'";
            return nullptr;
          }
        }
        return quantc::importONNXBuffer(buffer->getMemBufferRef(), dir,
                                        context, options);
      },
      [](DialectRegistry &registry) {
        quantc::registerONNXImportDialects(registry);
      });
}
