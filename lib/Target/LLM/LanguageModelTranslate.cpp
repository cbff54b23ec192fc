//===- LanguageModelTranslate.cpp - --build-graph for the importers -------===//
//
// Part of quantc.
//
// quantc-translate --import-gguf / --import-safetensors --build-graph: the
// language model's entries (LanguageModel.h) on top of the imported weights.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/LLM/LanguageModel.h"

#include "llvm/Support/CommandLine.h"

using namespace mlir;

namespace {

struct TranslateOptions {
  llvm::cl::opt<bool> buildGraph{
      "build-graph",
      llvm::cl::desc("--import-gguf / --import-safetensors: add the language "
                     "model's @prefill and @decode entries (llama, qwen2, "
                     "phi3, gemma) to the imported weights")};
  llvm::cl::opt<int64_t> prefillChunk{
      "prefill-chunk", llvm::cl::init(128),
      llvm::cl::desc("--build-graph: tokens per call of @prefill (default "
                     "128, at most the context)")};

  llvm::cl::opt<int64_t> context{
      "lm-context", llvm::cl::init(0),
      llvm::cl::desc("--build-graph: positions of the key/value cache "
                     "(default: the trained context, at most 2048)")};
  llvm::cl::opt<std::string> prefillLogits{
      "prefill-logits", llvm::cl::init("last"),
      llvm::cl::desc("--build-graph: the logits @prefill returns: last (of "
                     "the row its 'last' input names) or all")};
  llvm::cl::opt<std::string> entries{
      "lm-entries", llvm::cl::init("all"),
      llvm::cl::desc("--build-graph: all (@prefill and @decode), prefill or "
                     "decode")};
};

TranslateOptions &translateOptions() {
  static TranslateOptions options;
  return options;
}

} // namespace

void quantc::registerLanguageModelTranslateOptions() { translateOptions(); }

OwningOpRef<ModuleOp>
quantc::buildLanguageModelIfRequested(OwningOpRef<ModuleOp> module) {
  TranslateOptions &opts = translateOptions();
  if (!module || !opts.buildGraph)
    return module;
  StringRef entries = opts.entries;
  if (entries != "all" && entries != "prefill" && entries != "decode") {
    emitError(module->getLoc()) << "--lm-entries must be all, prefill or "
                                   "decode, not '"
                                << entries << "'";
    return nullptr;
  }
  if (opts.prefillLogits != "last" && opts.prefillLogits != "all") {
    emitError(module->getLoc()) << "--prefill-logits must be last or all, "
                                   "not '"
                                << opts.prefillLogits << "'";
    return nullptr;
  }
  FailureOr<LanguageModelParams> params = readLanguageModelParams(*module);
  if (failed(params))
    return nullptr;
  LanguageModelOptions options;
  options.allLogits = opts.prefillLogits == "all";
  options.prefillTokens = entries == "decode" ? 0 : int64_t(opts.prefillChunk);
  if (opts.prefillChunk.getNumOccurrences() == 0)
    options.prefillTokens = std::min(
        options.prefillTokens, languageModelContext(*params, opts.context));
  options.decode = entries != "prefill";
  options.context = opts.context;
  if (failed(buildLanguageModel(*module, *params, options)))
    return nullptr;
  return module;
}
