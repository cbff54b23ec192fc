//===- Generate.cpp - quantc generate: text from a language model ---------===//
//
// Part of quantc.
//
//   quantc generate MODEL --prompt TEXT [-n N] [--temp T] [--top-k K]
//       [--top-p P] [--seed S] [--threads P] [--prefill-chunk C]
//       [--lm-context C]
//   quantc perplexity MODEL --file TEXT [--ctx N] [--chunks N]
//   quantc kld MODEL --base BASE --file TEXT [--ctx N] [--chunks N]
//
// MODEL is a GGUF file, a safetensors model (directory or file; the
// vocabulary from --vocab FILE.gguf) or a library `quantc compile` made from
// one. A GGUF/safetensors model is compiled for this CPU first: its graph
// (quantc/Target/LLM) with a @prefill entry (a chunk of prompt tokens) and a
// @decode entry (one token) in one library, the weights left in the file
// and memory-mapped, the key/value caches states of the context (updated in
// place). The prompt is tokenized with the GGUF vocabulary
// (quantc.tokenizer), run through @prefill chunk by chunk, then @decode
// samples one token per step; the text is printed as it comes, then the
// prompt and generation speeds.
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
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
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
                "Generate text with a language model (GGUF; safetensors or a "
                "compiled library with --vocab)");
static cl::SubCommand
    perplexityCmd("perplexity",
                  "Perplexity of a language model on a text file (as "
                  "llama.cpp's llama-perplexity)");
static cl::SubCommand
    kldCmd("kld",
           "KL divergence of a language model's next-token distributions "
           "from a base model's, on a text file (llama-perplexity "
           "--kl-divergence)");
static cl::opt<std::string> genVocab(
    "vocab", cl::sub(generateCmd), cl::sub(perplexityCmd), cl::sub(kldCmd),
    cl::desc("GGUF file whose vocabulary tokenizes (default: the model; "
             "needed for a safetensors model or a compiled library)"));
static cl::opt<std::string>
    genModel(cl::Positional, cl::Required, cl::sub(generateCmd),
             cl::desc("<model.gguf | safetensors dir | model.so>"));
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

static cl::opt<bool> genIds("print-ids", cl::sub(generateCmd),
                            cl::desc("Also print the generated token ids"));

namespace {

int fail(const Twine &message) {
  errs() << "quantc: error: " << message << "\n";
  return 1;
}

/// A language model ready to run: its library (compiled here from a GGUF or
/// safetensors model, or loaded), a context with the weights mapped, and
/// its @prefill and @decode entries.
class LanguageModel {
public:
  struct Entry {
    int32_t index = -1;            ///< in the model's entries
    int32_t tokens = -1, pos = -1; ///< input indices
    int32_t last = -1;             ///< the row whose logits come back (-1:
                                   ///< every row's)
    int32_t logits = -1;           ///< output index
    int64_t size = 0;              ///< tokens per call
  };

  ~LanguageModel() {
    if (ctx)
      qc_context_free(ctx);
  }

  /// Compiles `path` (GGUF, safetensors) with @prefill for `chunk` tokens
  /// (none when 0; returning every row's logits when `allLogits`) and
  /// @decode (when `decode`), or loads a compiled library; creates the
  /// context with `threads` threads.
  bool open(StringRef path, int64_t chunk, bool decode, int64_t context,
            int threads, bool allLogits = false) {
    if (path.ends_with(".so")) {
      std::string error;
      if (!quantc::loadModelLibrary(path, loaded, error))
        return fail(error), false;
    } else if (!compile(path, chunk, decode, context, allLogits)) {
      return false;
    }
    const qc_model *model = loaded.model;
    qc_options opts{threads};
    if (qc_context_create(model, &opts, &ctx) != QC_OK)
      return fail(qc_last_error()), false;
    if (qc_context_map_weights(ctx, nullptr) != QC_OK)
      return fail(qc_context_error(ctx)), false;
    prefill = find("prefill", "tokens");
    this->decode = find("decode", "token");
    if (prefill.index < 0 && this->decode.index < 0)
      return fail(path + " has neither a prefill nor a decode entry: not a "
                         "language model quantc compiled"),
             false;
    const Entry &any = prefill.index >= 0 ? prefill : this->decode;
    const qc_tensor_desc &logits = model->outputs[any.logits];
    vocab = logits.rank == 2 ? logits.dims[1] : 0;
    int32_t k = qc_model_input_index(model, any.index, "k_cache");
    if (k < 0 || model->inputs[k].rank != 4 || vocab <= 0)
      return fail(path + ": the entries do not look like a language "
                         "model's (logits [T, vocab], k_cache [L, C, H, D])"),
             false;
    this->context = model->inputs[k].dims[1];
    return true;
  }

  /// The entry for chunks of prompt tokens (@decode when there is no
  /// @prefill).
  const Entry &chunkEntry() const {
    return prefill.index >= 0 ? prefill : decode;
  }
  /// The entry for one token (@prefill, padded, when there is no @decode).
  const Entry &stepEntry() const {
    return decode.index >= 0 ? decode : prefill;
  }

  /// The calls that take a prompt of `n` tokens: chunks of @prefill's
  /// size, the last one shorter. An entry with a `last` input computes only
  /// its rows 0 .. last; one without computes (and pads) all.
  struct Call {
    const Entry *entry;
    size_t at, n;
  };
  std::vector<Call> prefillCalls(size_t n) const {
    std::vector<Call> calls;
    const Entry &chunk = chunkEntry();
    for (size_t at = 0; at < n; at += chunk.size)
      calls.push_back({&chunk, at, std::min<size_t>(chunk.size, n - at)});
    return calls;
  }

  /// Runs `entry` on `tokens` (at most its size; padded by repeating the
  /// last) at positions pos..; `logits` gets the rows of the real tokens,
  /// or the last one's only when the entry returns one row.
  bool run(const Entry &entry, ArrayRef<int32_t> tokens, int32_t pos,
           std::vector<float> &logits) {
    std::vector<int32_t> part(tokens.begin(), tokens.end());
    part.resize(entry.size, part.back());
    int32_t last = static_cast<int32_t>(tokens.size()) - 1;
    if (qc_context_set_input(ctx, entry.tokens, part.data(),
                             part.size() * sizeof(int32_t)) != QC_OK ||
        qc_context_set_input(ctx, entry.pos, &pos, sizeof(pos)) != QC_OK ||
        (entry.last >= 0 &&
         qc_context_set_input(ctx, entry.last, &last, sizeof(last)) != QC_OK) ||
        qc_context_run_entry(ctx, entry.index) != QC_OK)
      return fail(qc_context_error(ctx)), false;
    const float *out =
        static_cast<const float *>(qc_context_output(ctx, entry.logits, nullptr));
    size_t rows = entry.last >= 0 ? 1 : tokens.size();
    logits.assign(out, out + rows * vocab);
    return true;
  }

  /// Empties the key/value caches.
  bool reset() {
    if (qc_context_reset_state(ctx) != QC_OK)
      return fail(qc_context_error(ctx)), false;
    return true;
  }

  int64_t vocab = 0, context = 0;
  Entry prefill, decode;

private:
  quantc::LoadedModel loaded;
  qc_context *ctx = nullptr;

  Entry find(const char *name, const char *tokensName) {
    const qc_model *model = loaded.model;
    Entry e;
    e.index = qc_model_entry_index(model, name);
    if (e.index < 0)
      return e;
    e.tokens = qc_model_input_index(model, e.index, tokensName);
    e.pos = qc_model_input_index(model, e.index, "pos");
    e.logits = qc_model_output_index(model, e.index, "logits");
    e.last = qc_model_input_index(model, e.index, "last");
    if (e.tokens < 0 || e.pos < 0 || e.logits < 0 ||
        model->inputs[e.tokens].rank != 1 ||
        model->outputs[e.logits].rank != 2 ||
        model->outputs[e.logits].dims[0] !=
            (e.last >= 0 ? 1 : model->inputs[e.tokens].dims[0])) {
      e.index = -1;
      return e;
    }
    e.size = model->inputs[e.tokens].dims[0];
    return e;
  }

  bool compile(StringRef path, int64_t chunk, bool decode, int64_t context,
               bool allLogits) {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    MLIRContext mctx(registry);
    quantc::installDiagnosticPrinter(mctx);
    OwningOpRef<ModuleOp> module = quantc::importModel(path, &mctx);
    if (!module)
      return false;
    FailureOr<quantc::LanguageModelParams> params =
        quantc::readLanguageModelParams(*module);
    if (failed(params))
      return false;
    quantc::LanguageModelOptions options;
    options.prefillTokens = chunk;
    options.decode = decode;
    options.context = context;
    options.allLogits = allLogits;
    if (failed(quantc::buildLanguageModel(*module, *params, options)))
      return false;
    SmallString<128> library;
    if (std::error_code ec =
            sys::fs::createTemporaryFile("quantc-lm", "so", library))
      return fail("cannot create a temporary file: " + ec.message()), false;
    llvm::scope_exit remove([&] { sys::fs::remove(library); });
    quantc::CPUCompileOptions compile;
    compile.modelName = "lm";
    // The weights stay in the GGUF/safetensors file, mapped at run time.
    compile.weights = quantc::WeightBinding::Auto;
    if (failed(quantc::compileModuleForCPU(*module, compile, library,
                                           quantc::EmitKind::SharedLib)))
      return false;
    std::string error;
    if (!quantc::loadModelLibrary(library, loaded, error))
      return fail(error), false;
    return true;
  }
};

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

/// Greedy at temperature 0; otherwise llama.cpp's sampler chain: the K
/// likeliest, then the smallest prefix of them holding probability mass P
/// (at temperature 1), then a draw at temperature T.
int32_t sample(const std::vector<float> &logits, std::mt19937 &rng) {
  if (genTemp <= 0)
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                logits.begin());
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  size_t k =
      genTopK > 0 ? std::min<size_t>(genTopK, order.size()) : order.size();
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  order.resize(k);
  double top = logits[order[0]], sum = 0;
  std::vector<double> probs(k);
  for (size_t i = 0; i < k; ++i)
    sum += probs[i] = std::exp(double(logits[order[i]]) - top);
  size_t keep = k;
  double mass = 0;
  for (size_t i = 0; i < k; ++i) {
    mass += probs[i] / sum;
    if (mass >= genTopP) {
      keep = i + 1;
      break;
    }
  }
  for (size_t i = 0; i < keep; ++i)
    probs[i] = std::exp((double(logits[order[i]]) - top) / genTemp);
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
  LanguageModel lm;
  // A prompt shorter than a chunk is one call of exactly its length.
  int64_t chunk = std::clamp<int64_t>(quantc::languageModelPrefillChunk(), 1,
                                      prompt.size());
  if (!lm.open(genModel, chunk, /*decode=*/true,
               quantc::languageModelContext(), genThreads))
    return 1;
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const LanguageModel::Entry &decode = lm.stepEntry();
  // A library whose @prefill has no `last` input pads its last call; the
  // padding's keys and values land beyond the prompt (overwritten by the
  // generated tokens', never read before).
  std::vector<LanguageModel::Call> calls = lm.prefillCalls(prompt.size());
  const LanguageModel::Call &lastCall = calls.back();
  int64_t padded = static_cast<int64_t>(lastCall.at) +
                   (lastCall.entry->last >= 0 ? static_cast<int64_t>(lastCall.n)
                                              : lastCall.entry->size);
  int64_t needed = std::max<int64_t>(padded, prompt.size() + genTokens - 1 +
                                                 decode.size);
  if (needed > lm.context) {
    std::string what =
        "the prompt (" + std::to_string(prompt.size()) + " tokens";
    if (padded > static_cast<int64_t>(prompt.size()))
      what +=
          ", " + std::to_string(padded) + " with the padding of its last call";
    return fail(what + ") and " + Twine(genTokens) +
                " new tokens do not fit a context of " + Twine(lm.context) +
                " (--lm-context)");
  }

  outs() << genPrompt;
  outs().flush();
  std::vector<float> logits;
  auto t0 = std::chrono::steady_clock::now();
  for (const LanguageModel::Call &call : calls)
    if (!lm.run(*call.entry, ArrayRef<int32_t>(prompt).slice(call.at, call.n),
                static_cast<int32_t>(call.at), logits))
      return 1;
  // The last real token's row.
  logits.erase(logits.begin(), logits.end() - lm.vocab);
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
    if (!lm.run(decode, {next}, pos++, logits))
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
  outs().flush();
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

//===----------------------------------------------------------------------===//
// quantc perplexity / quantc kld
//===----------------------------------------------------------------------===//

static cl::opt<std::string> evalModel(cl::Positional, cl::Required,
                                      cl::sub(perplexityCmd), cl::sub(kldCmd),
                                      cl::desc("<model.gguf | safetensors "
                                                "dir | model.so>"));
static cl::opt<std::string> evalFile("file", cl::Required,
                                     cl::sub(perplexityCmd), cl::sub(kldCmd),
                                     cl::desc("UTF-8 text to evaluate on"));
static cl::opt<std::string> evalBase("base", cl::Required, cl::sub(kldCmd),
                                     cl::desc("The base model (GGUF, safetensors, or a compiled library)"));
static cl::opt<int64_t> evalCtx("ctx", cl::sub(perplexityCmd), cl::sub(kldCmd),
                                cl::init(128),
                                cl::desc("Tokens per chunk; the second half "
                                         "of each chunk is scored"));
static cl::opt<int64_t> evalChunks("chunks", cl::sub(perplexityCmd),
                                   cl::sub(kldCmd), cl::init(0),
                                   cl::desc("Evaluate at most this many "
                                            "chunks (0: all)"));
static cl::opt<int> evalThreads("threads", cl::sub(perplexityCmd),
                                cl::sub(kldCmd), cl::init(0),
                                cl::desc("Threads (0: one per core)"));

namespace {

/// A compiled model evaluating `ctx`-token chunks with @prefill.
struct Evaluator {
  LanguageModel lm;

  bool open(StringRef path, int64_t ctx) {
    // One call per chunk when it fits, else calls of 32.
    int64_t t = ctx <= 256 ? ctx : 32;
    if (!lm.open(path, t, /*decode=*/false, ctx, evalThreads,
                 /*allLogits=*/true))
      return false;
    if (lm.chunkEntry().last >= 0)
      return fail(path + ": its @prefill returns the logits of one row; "
                         "evaluating needs every row's: compile it with "
                         "--prefill-logits all"),
             false;
    if (lm.context < ctx)
      return fail(formatv("{0} has a context of {1}, less than --ctx {2}",
                          path, lm.context, ctx)),
             false;
    return true;
  }

  /// Log-probabilities of every position of `tokens` (the chunk starts at
  /// position 0 with an empty cache).
  bool run(const std::vector<int32_t> &tokens,
           std::vector<std::vector<float>> &logprobs) {
    const LanguageModel::Entry &entry = lm.chunkEntry();
    const int64_t V = lm.vocab;
    logprobs.clear();
    if (!lm.reset())
      return false;
    std::vector<float> logits;
    for (size_t at = 0; at < tokens.size(); at += entry.size) {
      ArrayRef<int32_t> part = ArrayRef<int32_t>(tokens).slice(
          at, std::min<size_t>(entry.size, tokens.size() - at));
      if (!lm.run(entry, part, static_cast<int32_t>(at), logits))
        return false;
      for (size_t i = 0; i < part.size(); ++i) {
        const float *row = logits.data() + i * V;
        float top = *std::max_element(row, row + V);
        double z = 0;
        for (int64_t v = 0; v < V; ++v)
          z += std::exp(double(row[v]) - top);
        float lz = top + static_cast<float>(std::log(z));
        std::vector<float> lp(row, row + V);
        for (float &x : lp)
          x -= lz;
        logprobs.push_back(std::move(lp));
      }
    }
    return true;
  }
};

/// The file's tokens (BOS first, as llama-perplexity) in chunks of `ctx`,
/// with the vocabulary of --vocab or else of `model`.
bool chunkFile(StringRef modelPath, std::vector<std::vector<int32_t>> &chunks) {
  std::string model = genVocab.empty() ? modelPath.str() : genVocab.getValue();
  absl::StatusOr<quantc::gguf::File> gguf = quantc::gguf::File::open(model);
  if (!gguf.ok())
    return fail(std::string(gguf.status().message()) +
                (genVocab.empty() ? " (a safetensors model or a compiled "
                                    "library needs --vocab FILE.gguf)"
                                  : "")),
           false;
  absl::StatusOr<quantc::tokenizer::Vocabulary> vocab =
      quantc::tokenizer::readVocabulary(*gguf);
  if (!vocab.ok())
    return fail(model + ": " + std::string(vocab.status().message())), false;
  int32_t bos = vocab->bosId;
  std::string error;
  auto tokenizer =
      quantc::tokenizer::Tokenizer::create(std::move(*vocab), error);
  if (!tokenizer)
    return fail(model + ": " + error), false;
  auto buffer = MemoryBuffer::getFile(evalFile);
  if (!buffer)
    return fail("cannot read " + evalFile + ": " + buffer.getError().message()),
           false;
  std::vector<int32_t> tokens =
      tokenizer->encode((*buffer)->getBuffer().str(), true, false);
  int64_t ctx = evalCtx;
  if (ctx < 4)
    return fail("--ctx must be at least 4"), false;
  for (size_t at = 0; at + ctx <= tokens.size(); at += ctx) {
    std::vector<int32_t> chunk(tokens.begin() + at, tokens.begin() + at + ctx);
    if (bos >= 0)
      chunk[0] = bos;
    chunks.push_back(std::move(chunk));
    if (evalChunks > 0 && int64_t(chunks.size()) == evalChunks)
      break;
  }
  if (chunks.empty())
    return fail(formatv("{0} has {1} tokens, fewer than one chunk of {2} "
                        "(--ctx)",
                        evalFile, tokens.size(), ctx)),
           false;
  return true;
}

int runPerplexity() {
  std::vector<std::vector<int32_t>> chunks;
  if (!chunkFile(evalModel, chunks))
    return 1;
  Evaluator model;
  if (!model.open(evalModel, evalCtx))
    return 1;
  double nll = 0;
  int64_t count = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t c = 0; c < chunks.size(); ++c) {
    std::vector<std::vector<float>> lp;
    if (!model.run(chunks[c], lp))
      return 1;
    for (size_t i = chunks[c].size() / 2; i + 1 < chunks[c].size();
         ++i, ++count)
      nll -= lp[i][chunks[c][i + 1]];
    outs() << formatv("[{0}]{1:f4} ", c + 1, std::exp(nll / count));
    outs().flush();
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  outs() << formatv("\nperplexity: {0:f4} over {1} tokens in {2} chunks of "
                    "{3} ({4:f1} tokens/s)\n",
                    std::exp(nll / count), count, chunks.size(),
                    evalCtx.getValue(), chunks.size() * evalCtx / secs);
  return 0;
}

int runKld() {
  std::vector<std::vector<int32_t>> chunks;
  if (!chunkFile(evalBase, chunks))
    return 1;
  Evaluator base, model;
  if (!base.open(evalBase, evalCtx) || !model.open(evalModel, evalCtx))
    return 1;
  if (base.lm.vocab != model.lm.vocab)
    return fail(formatv("the models' vocabularies differ ({0} and {1} tokens)",
                        base.lm.vocab, model.lm.vocab));
  double kl = 0, nllBase = 0, nllModel = 0, maxKl = 0;
  int64_t count = 0, same = 0;
  for (const std::vector<int32_t> &chunk : chunks) {
    std::vector<std::vector<float>> a, b;
    if (!base.run(chunk, a) || !model.run(chunk, b))
      return 1;
    for (size_t i = chunk.size() / 2; i + 1 < chunk.size(); ++i, ++count) {
      double k = 0;
      for (size_t v = 0; v < a[i].size(); ++v)
        k += std::exp(double(a[i][v])) * (a[i][v] - b[i][v]);
      kl += k;
      maxKl = std::max(maxKl, k);
      nllBase -= a[i][chunk[i + 1]];
      nllModel -= b[i][chunk[i + 1]];
      same += std::max_element(a[i].begin(), a[i].end()) - a[i].begin() ==
              std::max_element(b[i].begin(), b[i].end()) - b[i].begin();
    }
  }
  outs() << formatv("positions: {0} ({1} chunks of {2})\n", count,
                    chunks.size(), evalCtx.getValue());
  outs() << formatv("perplexity: base {0:f4}, model {1:f4}\n",
                    std::exp(nllBase / count), std::exp(nllModel / count));
  outs() << formatv("mean KLD: {0:f6} (max {1:f6})\n", kl / count, maxKl);
  outs() << formatv("same top token: {0:f2}%\n", 100.0 * same / count);
  return 0;
}

} // namespace

static quantc::driver::Command perplexityReg(perplexityCmd, runPerplexity);
static quantc::driver::Command kldReg(kldCmd, runKld);
