//===- LanguageModel.h - Decoder-only transformer graphs ---------*- C++
//-*-===//
//
// Part of quantc.
//
// GGUF and safetensors files hold a language model's weights, not its graph:
// llama.cpp builds the graph in code from the file's metadata, and so does
// quantc. `buildLanguageModel` adds to a module of `qc.global` weights (as
// the GGUF importer makes it) a public function computing the model on T
// tokens at a run-time position over a key/value cache:
//
//   func.func @forward(%tokens: tensor<T x i32>, %pos: tensor<1 x i32>,
//                      %k_cache: tensor<L x C x Hkv x D x f32>,
//                      %v_cache: tensor<L x C x Hkv x D x f32>)
//       -> (tensor<T x V x f32>, tensor<L x C x Hkv x D x f32>,
//           tensor<L x C x Hkv x D x f32>)
//
// returning the logits of the T positions and the caches with the T tokens'
// keys and values written at positions pos .. pos + T. Projections are
// `qc.matmul` (any weight type), the embedding `qc.gather_rows`, attention
// `qc.attention`; RMSNorm, RoPE, SwiGLU and the residual adds are linalg.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_LLM_LANGUAGEMODEL_H
#define QUANTC_TARGET_LLM_LANGUAGEMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace quantc {

/// The hyperparameters of a decoder-only transformer.
struct LanguageModelParams {
  std::string architecture; ///< general.architecture: llama, qwen2
  int64_t layers = 0, embedding = 0, feedForward = 0, heads = 0, kvHeads = 0,
          headSize = 0, vocab = 0, trainContext = 0;
  int64_t ropeDimensions = 0;
  double ropeBase = 10000.0;
  double rmsEpsilon = 1e-5;
  bool neoxRope = false;   ///< rotate (i, i + n/2) pairs instead of (2i, 2i+1)
  bool qkvBias = false;    ///< qwen2
  bool tiedOutput = false; ///< no output.weight: logits from token_embd
};

/// Reads the hyperparameters from the module's `qc.metadata` (GGUF keys)
/// and weight shapes; a diagnostic names what is missing or unsupported
/// (an architecture other than llama and qwen2, for instance).
mlir::FailureOr<LanguageModelParams>
readLanguageModelParams(mlir::ModuleOp module);

struct LanguageModelOptions {
  int64_t tokens = 1;  ///< T: tokens per call
  int64_t context = 0; ///< C: cache positions; 0: min(trained, 2048)
};

/// Adds @forward (see above) to `module`. Fails with a diagnostic on a
/// missing or misshapen weight.
mlir::LogicalResult buildLanguageModel(mlir::ModuleOp module,
                                       const LanguageModelParams &params,
                                       const LanguageModelOptions &options);

} // namespace quantc

#endif // QUANTC_TARGET_LLM_LANGUAGEMODEL_H
