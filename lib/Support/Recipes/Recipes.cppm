//===- Recipes.cppm - llama.cpp quantization mixes --------------*- C++ -*-===//
//
// Part of quantc.
//
// Which ggml type each tensor of a model gets for a llama-quantize file type
// (Q4_K_M, Q3_K_S, ...). The rules follow llama.cpp's published behaviour
// (src/llama-quant.cpp, llama_tensor_get_type): which tensors may be
// quantized at all, the extra bits that attn_v, ffn_down, output and
// token_embd get in the _S/_M/_L mixes, the fall-backs for rows that are not
// a whole number of blocks, and the --pure and --tensor-type overrides.
// LLVM-free: the MLIR pass and `quantc quantize` both call it.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/statusor.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module quantc.recipes;

export namespace quantc::recipes {

/// A llama.cpp file type (`enum llama_ftype`; the value is written to
/// `general.file_type`).
enum class FileType : uint32_t {
  AllF32 = 0,
  MostlyF16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q8_0 = 7,
  Q5_0 = 8,
  Q5_1 = 9,
  Q2_K = 10,
  Q3_K_S = 11,
  Q3_K_M = 12,
  Q3_K_L = 13,
  Q4_K_S = 14,
  Q4_K_M = 15,
  Q5_K_S = 16,
  Q5_K_M = 17,
  Q6_K = 18,
  Q2_K_S = 21,
  MostlyBF16 = 32,
};

struct FileTypeInfo {
  FileType fileType;
  /// llama-quantize's name ("Q4_K_M").
  std::string_view name;
  /// The ggml type most tensors get.
  uint32_t defaultType;
  std::string_view description;
};

/// Every file type `quantc quantize` accepts, in llama-quantize's order.
std::span<const FileTypeInfo> fileTypes();

/// Parses llama-quantize's names, case-insensitively; "Q3_K", "Q4_K" and
/// "Q5_K" are its aliases for the _M mixes.
std::optional<FileTypeInfo> parseFileType(std::string_view name);

/// What the recipe needs to know of the model (from GGUF metadata or
/// config.json).
struct ModelParams {
  std::string architecture;
  uint32_t blockCount = 0;
  uint32_t headCount = 0;
  uint32_t headCountKV = 0;
  uint32_t expertCount = 0;
};

struct TensorDesc {
  std::string name;
  /// ggml order: ne[0] is the row length.
  std::vector<int64_t> ne;
  /// The tensor's current ggml type.
  uint32_t type;
};

struct TypeOverride {
  /// An ECMAScript regular expression searched in the tensor name.
  std::string pattern;
  uint32_t type;
};

struct RecipeOptions {
  FileType fileType = FileType::Q8_0;
  /// Every quantizable tensor gets the file type's default type.
  bool pure = false;
  /// --tensor-type REGEX=TYPE, first match wins.
  std::vector<TypeOverride> overrides;
  std::optional<uint32_t> outputType;
  std::optional<uint32_t> tokenEmbeddingType;
  bool hasImatrix = false;
  bool quantizeOutput = true;
};

struct TensorPlan {
  /// The ggml type to store the tensor in (its current type when it is not
  /// quantized).
  uint32_t type;
  /// Whether the recipe may change the tensor at all.
  bool quantizable;
  /// The chosen type did not fit the row length and a fall-back was used.
  bool fellBack;
  /// llama.cpp refuses this type without an importance matrix.
  bool requiresImatrix;
};

/// One plan per tensor, in order. Fails on an invalid override pattern or an
/// unknown tensor type.
absl::StatusOr<std::vector<TensorPlan>>
planModel(const ModelParams &model, std::span<const TensorDesc> tensors,
          const RecipeOptions &options);

} // namespace quantc::recipes
