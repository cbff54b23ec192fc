//===- ModelIO.cpp - Loading models in the quantc driver ------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "ModelIO.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/GGUF/GGUF.h"
#include "quantc/Target/LLM/LanguageModel.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "quantc/Target/Safetensors/Safetensors.h"
#include "llvm/Support/Format.h"

#include "quantc/InitAllDialects.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "quantc/runtime.h"

#include <cstring>
#include <dlfcn.h>

using namespace mlir;

static llvm::cl::opt<int64_t> lmTokens(
    "prefill-chunk", llvm::cl::sub(llvm::cl::SubCommand::getAll()),
    llvm::cl::init(128),
    llvm::cl::desc("Language models (GGUF, safetensors): the most prompt "
                   "tokens per call of the compiled @prefill, which computes "
                   "as many as its 'last' input says (default 128, at most "
                   "the context)"));

static llvm::cl::alias lmTokensAlias("lm-tokens", llvm::cl::aliasopt(lmTokens),
                                     llvm::cl::desc("Alias for --prefill-chunk"));
static llvm::cl::opt<std::string> lmEntries(
    "lm-entries", llvm::cl::sub(llvm::cl::SubCommand::getAll()),
    llvm::cl::init("all"),
    llvm::cl::desc("Language models: the entries to compile: all (@prefill "
                   "and @decode), prefill or decode"));
static llvm::cl::opt<std::string> lmPrefillLogits(
    "prefill-logits", llvm::cl::sub(llvm::cl::SubCommand::getAll()),
    llvm::cl::init("last"),
    llvm::cl::desc("Language models: the logits @prefill returns: last (of "
                   "the chunk's row given by its 'last' input, as llama.cpp "
                   "computes a prompt's) or all (of every row, for "
                   "perplexity)"));
static llvm::cl::opt<int64_t> lmContextOption(
    "lm-context", llvm::cl::sub(llvm::cl::SubCommand::getAll()),
    llvm::cl::init(0),
    llvm::cl::desc("Language models: positions of the key/value cache "
                   "(default: the trained context, at most 2048)"));

int64_t quantc::languageModelContext() { return lmContextOption; }
int64_t quantc::languageModelPrefillChunk() { return lmTokens; }

/// Quantizes the weights of a language model as `quantize` says.
static LogicalResult
quantizeWeights(ModuleOp module,
                const quantc::LanguageModelQuantization &quantize) {
  PassManager pm(module.getContext());
  if (quantize.bpw > 0) {
    quantc::QCAssignPrecisionPassOptions assign;
    assign.bpw = quantize.bpw;
    pm.addPass(quantc::createQCAssignPrecisionPass(assign));
  } else {
    quantc::QCPlanQuantizationPassOptions plan;
    plan.fileType = quantize.type;
    pm.addPass(quantc::createQCPlanQuantizationPass(plan));
  }
  pm.addPass(quantc::createQCQuantizeWeightsPass());
  return pm.run(module);
}

/// Adds the graph of a language model imported from GGUF or safetensors,
/// after quantizing its weights when asked.
static OwningOpRef<ModuleOp>
withGraph(OwningOpRef<ModuleOp> module, bool buildGraph,
          const quantc::LanguageModelQuantization &quantize) {
  if (module && quantize.requested() &&
      failed(quantizeWeights(*module, quantize)))
    return nullptr;
  if (!module || !buildGraph)
    return module;
  FailureOr<quantc::LanguageModelParams> params =
      quantc::readLanguageModelParams(*module);
  if (failed(params))
    return nullptr;
  quantc::LanguageModelOptions options;
  if (lmEntries != "all" && lmEntries != "prefill" && lmEntries != "decode") {
    emitError(module->getLoc())
        << "--lm-entries must be all, prefill or decode, not '" << lmEntries
        << "'";
    return nullptr;
  }
  if (lmPrefillLogits != "last" && lmPrefillLogits != "all") {
    emitError(module->getLoc()) << "--prefill-logits must be last or all, not '"
                                << lmPrefillLogits << "'";
    return nullptr;
  }
  options.prefillTokens = lmEntries == "decode" ? 0 : int64_t(lmTokens);
  // The default chunk shrinks to a small context; one asked for does not.
  if (lmTokens.getNumOccurrences() == 0)
    options.prefillTokens =
        std::min(options.prefillTokens,
                 quantc::languageModelContext(*params, lmContextOption));
  options.decode = lmEntries != "prefill";
  options.context = lmContextOption;
  options.allLogits = lmPrefillLogits == "all";
  if (failed(quantc::buildLanguageModel(*module, *params, options)))
    return nullptr;
  return module;
}

bool quantc::isWeightsFile(StringRef path) {
  return !path.ends_with(".onnx") && !path.ends_with(".mlir") &&
         !path.ends_with(".mlirbc");
}

OwningOpRef<ModuleOp>
quantc::importModel(StringRef path, MLIRContext *context,
                    const ONNXImportOptions &onnxOptions, bool buildGraph,
                    const LanguageModelQuantization &quantize) {
  context->loadDialect<qc::QCDialect>();
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  if (!llvm::sys::fs::exists(path)) {
    emitError(loc) << path << ": no such file or directory";
    return nullptr;
  }
  if (path.ends_with(".onnx"))
    return importONNXFile(path, context, onnxOptions);
  if (path.ends_with(".mlir") || path.ends_with(".mlirbc")) {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    context->appendDialectRegistry(registry);
    return parseSourceFile<ModuleOp>(path, context);
  }
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".safetensors") ||
      path.ends_with(".json"))
    return withGraph(importSafetensors(path, context), buildGraph, quantize);
  // Look at the magic rather than the extension.
  char magic[4] = {};
  if (auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4, 0);
      buffer && (*buffer)->getBufferSize() == 4)
    std::memcpy(magic, (*buffer)->getBufferStart(), 4);
  if (StringRef(magic, 4) == "GGUF")
    return withGraph(importGGUFFile(path, context), buildGraph, quantize);
  emitError(loc) << path
                 << ": not a GGUF file (no 'GGUF' magic), not an ONNX model "
                    "(.onnx), not MLIR (.mlir) and not a safetensors model";
  return nullptr;
}

void quantc::installDiagnosticPrinter(MLIRContext &context) {
  // A failing pass on a whole model would print the model.
  context.printOpOnDiagnostic(false);
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    llvm::raw_ostream &os = llvm::errs();
    auto print = [&](Diagnostic &d) {
      os << "quantc: ";
      if (auto loc = dyn_cast<FileLineColLoc>(d.getLocation());
          loc && loc.getLine() > 0)
        os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
           << loc.getColumn() << ": ";
      switch (d.getSeverity()) {
      case DiagnosticSeverity::Error:
        os << "error: ";
        break;
      case DiagnosticSeverity::Warning:
        os << "warning: ";
        break;
      case DiagnosticSeverity::Note:
        os << "note: ";
        break;
      case DiagnosticSeverity::Remark:
        os << "remark: ";
        break;
      }
      os << d << "\n";
    };
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      print(note);
    return success();
  });
}

quantc::LoadedModel::~LoadedModel() {
  if (handle)
    dlclose(handle);
}

bool quantc::loadModelLibrary(StringRef path, LoadedModel &loaded,
                              std::string &error) {
  loaded.handle = dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!loaded.handle) {
    error = ("cannot load '" + path + "': " + dlerror()).str();
    return false;
  }
  using Accessor = const qc_model *(*)();
  auto accessor =
      reinterpret_cast<Accessor>(dlsym(loaded.handle, "qc_shared_model"));
  if (!accessor) {
    error = ("'" + path +
             "' is not a quantc model library (no qc_shared_model symbol)")
                .str();
    return false;
  }
  loaded.model = accessor();
  if (!loaded.model) {
    error = ("'" + path + "' has no model").str();
    return false;
  }
  return true;
}
