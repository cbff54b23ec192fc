//===- LanguageModel.h - Decoder-only transformer graphs -------*- C++ -*-===//
//
// Part of quantc.
//
// GGUF and safetensors files hold a language model's weights, not its graph:
// llama.cpp builds the graph in code from the file's metadata, and so does
// quantc. `buildLanguageModel` adds to a module of `qc.global` weights (as
// the GGUF and safetensors importers make it) public entry functions that
// compute the model over a key/value cache:
//
//   func.func @prefill(%tokens: tensor<T x i32>, %pos: tensor<1 x i32>,
//       %last: tensor<1 x i32>,
//       %k_cache: tensor<L x C x Hkv x D x f32> {qc.kind = "state"},
//       %v_cache: tensor<L x C x Hkv x D x f32> {qc.kind = "state"})
//       -> (tensor<1 x V x f32>,
//           tensor<L x C x Hkv x D x f32> {qc.state = 3},
//           tensor<L x C x Hkv x D x f32> {qc.state = 4})
//   func.func @decode(%token: tensor<1 x i32>, %pos: tensor<1 x i32>, ...)
//       -> (tensor<1 x V x f32>, ...)
//
// Each writes the tokens' keys and values into the caches at positions
// pos .. pos + T (the caches are state: the CPU backend updates them in
// place) and returns logits. @prefill returns those of the chunk's row
// %last only (clamped to 0 .. T - 1: the last real token of a padded
// chunk), as llama.cpp computes a prompt's logits for its last token, and
// spares the output projection of the other rows; with `allLogits` it has
// no %last and returns the logits of all T rows (perplexity needs them):
// tensor<T x V x f32>, the states then arguments 2 and 3. Attention reads
// the cache's positions 0 .. pos + T only.
// Projections are `qc.matmul` on the file's weights (any block type, F32,
// F16), the embedding `qc.gather_rows`, attention `qc.attention`; RMSNorm,
// RoPE, SwiGLU and the residual adds are linalg on static shapes.
//
// Architectures (llama.cpp's graphs): `llama` (Llama 2/3, TinyLlama,
// Mistral: NORM RoPE on the GGUF's permuted q/k rows), `qwen2` (q/k/v
// biases, NEOX RoPE), `phi3` (fused attn_qkv, fused gate/up ffn_up, NEOX
// RoPE) and `gemma` (Gemma 1: embeddings scaled by sqrt(E), queries by
// 1/sqrt(D), GELU gate, NEOX RoPE, tied output, a head size that may differ
// from E / heads).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_LLM_LANGUAGEMODEL_H
#define QUANTC_TARGET_LLM_LANGUAGEMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace quantc {

/// The hyperparameters of a decoder-only transformer.
struct LanguageModelParams {
  std::string architecture; ///< general.architecture: llama, qwen2, phi3, gemma
  int64_t layers = 0, embedding = 0, feedForward = 0, heads = 0, kvHeads = 0,
          headSize = 0, vocab = 0, trainContext = 0;
  int64_t ropeDimensions = 0;
  double ropeBase = 10000.0;
  bool ropeFactors = false; ///< rope_freqs.weight divides the angles (Llama 3)
  double rmsEpsilon = 1e-5;
  bool neoxRope = false;   ///< rotate (i, i + n/2) pairs instead of (2i, 2i+1)
  bool qkvBias = false;    ///< qwen2
  bool fusedQKV = false;   ///< phi3: one attn_qkv.weight of [E + 2 Hkv D, E]
  bool fusedGateUp = false; ///< phi3: ffn_up.weight is [2F, E], gate first
  bool tiedOutput = false; ///< no output.weight: logits from token_embd
  bool scaleQueries = false; ///< phi3, gemma: q * 1/sqrt(D), attention scale 1
  double embeddingScale = 1.0; ///< gemma: the embeddings times sqrt(E)
  bool geluFFN = false;      ///< gemma: gelu(gate) * up instead of silu
};

/// The architectures `buildLanguageModel` knows, for messages.
llvm::StringRef supportedLanguageModelArchitectures();

/// Reads the hyperparameters from the module's `qc.metadata` (GGUF keys)
/// and weight shapes; a diagnostic names what is missing or unsupported
/// (an architecture other than llama, qwen2, phi3 and gemma, for instance).
mlir::FailureOr<LanguageModelParams>
readLanguageModelParams(mlir::ModuleOp module);

struct LanguageModelOptions {
  int64_t prefillTokens = 128; ///< T of @prefill; 0: no @prefill
  bool decode = true;         ///< build @decode (one token per call)
  int64_t context = 0;        ///< C: cache positions; 0: min(trained, 2048)
  bool allLogits = false; ///< @prefill returns every row's logits (no %last)
};

/// The cache positions a model gets for `requested` (0: the default).
int64_t languageModelContext(const LanguageModelParams &params,
                             int64_t requested);

/// Adds the entries (see above) to `module`. Fails with a diagnostic, and
/// leaves the module as it was, on a missing or misshapen weight or on a
/// module that already has a function of an entry's name.
mlir::LogicalResult buildLanguageModel(mlir::ModuleOp module,
                                       const LanguageModelParams &params,
                                       const LanguageModelOptions &options);

/// Registers quantc-translate's --build-graph, --prefill-chunk,
/// --lm-context and --lm-entries (the GGUF and safetensors translations call
/// it; once is enough).
void registerLanguageModelTranslateOptions();

/// With --build-graph, adds the language model's entries to a module the
/// GGUF or safetensors importer made (null, with a diagnostic, on failure);
/// otherwise returns `module` as it is.
mlir::OwningOpRef<mlir::ModuleOp>
buildLanguageModelIfRequested(mlir::OwningOpRef<mlir::ModuleOp> module);

} // namespace quantc

#endif // QUANTC_TARGET_LLM_LANGUAGEMODEL_H
