//===- Generate.cpp - quantc generate: text from a language model ---------===//
//
// Part of quantc.
//
//   quantc generate MODEL.gguf --prompt TEXT [-n N] [--temp T] [--top-k K]
//       [--top-p P] [--seed S] [--threads P] [--prefill-chunk C]
//       [--lm-context C]
//
// Builds the model's graph (quantc/Target/LLM) twice, for a chunk of prompt
// tokens (prefill) and for one token (decode), compiles both for this CPU,
// tokenizes the prompt with the GGUF vocabulary (quantc.tokenizer), runs the
// prompt through prefill and then samples one token per decode step, printing
// the text as it comes and the prompt and generation speeds.
//
//===----------------------------------------------------------------------===//

#include "Command.h"
#include "ModelIO.h"

#include "quantc/InitAllDialects.h"
#include "quantc/Target/CPU/CPUTarget.h"
#include "quantc/Target/LLM/LanguageModel.h"
#include "quantc/runtime.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "absl/status/statusor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

import quantc.gguf;
import quantc.tokenizer;
import quantc.tokenizer.gguf;

using namespace llvm;
using namespace mlir;

static cl::SubCommand
    generateCmd("generate",
                "Generate text with a language model (GGUF, or safetensors "
                "with --vocab)");
static cl::opt<std::string>
    genModel(cl::Positional, cl::Required, cl::sub(generateCmd),
             cl::desc("<model.gguf | safetensors dir>"));
static cl::opt<std::string> genPrompt("prompt", cl::sub(generateCmd),
                                      cl::Required,
                                      cl::desc("The text to continue"));
static cl::opt<int> genTokens("n", cl::sub(generateCmd), cl::init(32),
                              cl::desc("Tokens to generate (default 32)"));
static cl::opt<double> genTemp("temp", cl::sub(generateCmd), cl::init(0.0),
                               cl::desc("Sampling temperature; 0 (the "
                                        "default) is greedy"));
static cl::opt<int> genTopK("top-k", cl::sub(generateCmd), cl::init(40),
                            cl::desc("Sample among the K likeliest (0: all)"));
static cl::opt<double> genTopP("top-p", cl::sub(generateCmd), cl::init(0.95),
                               cl::desc("Sample within this probability mass"));
static cl::opt<unsigned> genSeed("seed", cl::sub(generateCmd), cl::init(0),
                                 cl::desc("Random seed of the sampler"));
static cl::opt<int> genThreads("threads", cl::sub(generateCmd), cl::init(0),
                               cl::desc("Threads (0: one per core)"));
static cl::opt<int64_t> genChunk("prefill-chunk", cl::sub(generateCmd),
                                 cl::init(32),
                                 cl::desc("Prompt tokens per prefill call"));
static cl::opt<std::string> genVocab(
    "vocab", cl::sub(generateCmd),
    cl::desc("GGUF file whose vocabulary tokenizes (default: the model)"));
static cl::opt<bool> genIds("print-ids", cl::sub(generateCmd),
                            cl::desc("Also print the generated token ids"));

namespace {

int fail(const Twine &message) {
  errs() << "quantc: error: " << message << "\n";
  return 1;
}

/// One compiled variant of the model (T tokens per call) and its context.
struct Variant {
  quantc::LoadedModel loaded;
  qc_context *ctx = nullptr;
  int64_t tokens = 0;
  ~Variant() {
    if (ctx)
      qc_context_free(ctx);
  }
};

bool compileVariant(StringRef path, int64_t tokens, int64_t context,
                    Variant &variant, quantc::LanguageModelParams &params,
                    int64_t &cacheContext) {
  DialectRegistry registry;
  quantc::registerAllDialects(registry);
  MLIRContext mctx(registry);
  quantc::installDiagnosticPrinter(mctx);
  OwningOpRef<ModuleOp> module = quantc::importModel(path, &mctx);
  if (!module)
    return false;
  FailureOr<quantc::LanguageModelParams> p =
      quantc::readLanguageModelParams(*module);
  if (failed(p))
    return false;
  params = *p;
  quantc::LanguageModelOptions options;
  options.tokens = tokens;
  options.context = context;
  if (failed(quantc::buildLanguageModel(*module, params, options)))
    return false;
  cacheContext =
      context > 0
          ? context
          : std::min<int64_t>(
                params.trainContext > 0 ? params.trainContext : 2048, 2048);
  SmallString<128> library;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("quantc-generate", "so", library)) {
    fail("cannot create a temporary file: " + ec.message());
    return false;
  }
  llvm::scope_exit remove([&] { sys::fs::remove(library); });
  quantc::CPUCompileOptions compile;
  compile.modelName = "lm";
  if (failed(quantc::compileModuleForCPU(*module, compile, library,
                                         quantc::EmitKind::SharedLib)))
    return false;
  std::string error;
  if (!quantc::loadModelLibrary(library, variant.loaded, error)) {
    fail(error);
    return false;
  }
  qc_options opts{genThreads};
  if (qc_context_create(variant.loaded.model, &opts, &variant.ctx) != QC_OK) {
    fail(qc_last_error());
    return false;
  }
  variant.tokens = tokens;
  return true;
}

/// The text of a token: SentencePiece pieces (U+2581 is a space, <0xNN> a
/// byte) or GPT-2 byte-level BPE (code points standing for bytes).
std::string pieceText(const quantc::tokenizer::Tokenizer &tok,
                      const std::string &model, int32_t id) {
  const std::string &text = tok.tokenText(id);
  if (model == "llama") {
    if (text.size() == 6 && text.starts_with("<0x") && text.ends_with(">"))
      return std::string(
          1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
        out += ' ';
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the
  // others are U+0100 + n in order.
  static std::vector<int> unicodeToByte = [] {
    std::vector<int> map(512, -1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                       (b >= 174 && b <= 255);
      map[printable ? b : 256 + n++] = b;
    }
    return map;
  }();
  std::string out;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < text.size()) {
      cp = ((c & 0x1F) << 6) | (text[i + 1] & 0x3F);
      len = 2;
    }
    if (cp < unicodeToByte.size() && unicodeToByte[cp] >= 0)
      out += static_cast<char>(unicodeToByte[cp]);
    else
      out.append(text, i, len);
    i += len;
  }
  return out;
}

int32_t sample(std::vector<float> logits, std::mt19937 &rng) {
  if (genTemp <= 0)
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                logits.begin());
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  size_t k =
      genTopK > 0 ? std::min<size_t>(genTopK, order.size()) : order.size();
  std::vector<double> probs(k);
  double top = logits[order[0]] / genTemp, sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += probs[i] = std::exp(logits[order[i]] / genTemp - top);
  double mass = 0;
  size_t keep = k;
  for (size_t i = 0; i < k; ++i) {
    mass += probs[i] / sum;
    if (mass >= genTopP) {
      keep = i + 1;
      break;
    }
  }
  std::discrete_distribution<size_t> pick(probs.begin(), probs.begin() + keep);
  return order[pick(rng)];
}

int runGenerate() {
  std::string vocabPath =
      genVocab.empty() ? std::string(genModel) : std::string(genVocab);
  absl::StatusOr<quantc::gguf::File> gguf = quantc::gguf::File::open(vocabPath);
  if (!gguf.ok())
    return fail(std::string(gguf.status().message()) +
                (genVocab.empty() ? " (a safetensors model needs --vocab "
                                    "FILE.gguf for its tokenizer)"
                                  : ""));
  absl::StatusOr<quantc::tokenizer::Vocabulary> vocab =
      quantc::tokenizer::readVocabulary(*gguf);
  if (!vocab.ok())
    return fail(vocabPath + ": " + std::string(vocab.status().message()));
  std::string vocabModel = vocab->model;
  int32_t eos = vocab->eosId;
  std::string error;
  auto tokenizer =
      quantc::tokenizer::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer)
    return fail(vocabPath + ": " + error);
  std::vector<int32_t> prompt = tokenizer->encode(genPrompt, true, true);
  if (prompt.empty())
    return fail("the prompt has no tokens");

  auto start = std::chrono::steady_clock::now();
  Variant prefill, decode;
  quantc::LanguageModelParams params;
  int64_t context = 0;
  int64_t chunk = std::max<int64_t>(1, genChunk);
  if (!compileVariant(genModel, chunk, quantc::languageModelContext(), prefill,
                      params, context) ||
      !compileVariant(genModel, 1, quantc::languageModelContext(), decode,
                      params, context))
    return 1;
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  int64_t padded =
      (static_cast<int64_t>(prompt.size()) + chunk - 1) / chunk * chunk;
  if (padded + genTokens > context)
    return fail("the prompt (" + Twine(prompt.size()) + " tokens, " +
                Twine(padded) + " in chunks of " + Twine(chunk) + ") and " +
                Twine(genTokens) + " new tokens do not fit a context of " +
                Twine(context) + " (--lm-context)");

  const size_t cacheElems = static_cast<size_t>(params.layers) * context *
                            params.kvHeads * params.headSize;
  std::vector<float> kc(cacheElems, 0.0f), vc(cacheElems, 0.0f);
  const int64_t V = params.vocab;
  // One call: tokens at `pos`, caches in and out; the logits of row `row`.
  auto step = [&](Variant &v, const std::vector<int32_t> &tokens, int32_t pos,
                  int64_t row, std::vector<float> &logits) -> bool {
    if (qc_context_set_input(v.ctx, 0, tokens.data(), tokens.size() * 4) ||
        qc_context_set_input(v.ctx, 1, &pos, 4) ||
        qc_context_set_input(v.ctx, 2, kc.data(), kc.size() * 4) ||
        qc_context_set_input(v.ctx, 3, vc.data(), vc.size() * 4) ||
        qc_context_run(v.ctx) != QC_OK) {
      fail(qc_context_error(v.ctx));
      return false;
    }
    const float *out =
        static_cast<const float *>(qc_context_output(v.ctx, 0, nullptr));
    logits.assign(out + row * V, out + (row + 1) * V);
    std::memcpy(kc.data(), qc_context_output(v.ctx, 1, nullptr), kc.size() * 4);
    std::memcpy(vc.data(), qc_context_output(v.ctx, 2, nullptr), vc.size() * 4);
    return true;
  };

  outs() << genPrompt;
  outs().flush();
  std::vector<float> logits;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t at = 0; at < prompt.size(); at += chunk) {
    std::vector<int32_t> part(prompt.begin() + at,
                              prompt.begin() +
                                  std::min(prompt.size(), at + chunk));
    int64_t valid = part.size();
    part.resize(chunk, part.back());
    if (!step(prefill, part, static_cast<int32_t>(at), valid - 1, logits))
      return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::mt19937 rng(genSeed);
  std::vector<int32_t> generated;
  int32_t pos = static_cast<int32_t>(prompt.size());
  for (int i = 0; i < genTokens; ++i) {
    int32_t next = sample(logits, rng);
    generated.push_back(next);
    if (next == eos)
      break;
    outs() << pieceText(*tokenizer, vocabModel, next);
    outs().flush();
    if (i + 1 == genTokens)
      break;
    if (!step(decode, {next}, pos++, 0, logits))
      return 1;
  }
  auto t2 = std::chrono::steady_clock::now();
  outs() << "\n";
  if (genIds) {
    outs() << "ids:";
    for (int32_t id : generated)
      outs() << " " << id;
    outs() << "\n";
  }
  double prefillSeconds = std::chrono::duration<double>(t1 - t0).count();
  double decodeSeconds = std::chrono::duration<double>(t2 - t1).count();
  errs() << format(
      "quantc: %s: compiled in %.2f s; prompt: %zu tokens in "
      "%.3f s (%.1f tokens/s); generation: %zu tokens in %.3f s "
      "(%.1f tokens/s)\n",
      genModel.c_str(), compileSeconds, prompt.size(), prefillSeconds,
      prompt.size() / prefillSeconds, generated.size(), decodeSeconds,
      generated.size() > 1 ? (generated.size() - 1) / decodeSeconds : 0.0);
  return 0;
}

} // namespace

static quantc::driver::Command generateReg(generateCmd, runGenerate);
