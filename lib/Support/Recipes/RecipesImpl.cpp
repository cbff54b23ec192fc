//===- RecipesImpl.cpp - llama.cpp quantization mixes ---------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

module quantc.recipes;

import quantc.gguf;
import quantc.numerics;

namespace quantc::recipes {
namespace {

namespace num = quantc::numerics;

constexpr uint32_t ggml(num::BlockFormat format) {
  return num::getBlockFormatInfo(format).ggmlType;
}

constexpr uint32_t Q4_0 = ggml(num::BlockFormat::Q4_0);
constexpr uint32_t Q4_1 = ggml(num::BlockFormat::Q4_1);
constexpr uint32_t Q5_0 = ggml(num::BlockFormat::Q5_0);
constexpr uint32_t Q5_1 = ggml(num::BlockFormat::Q5_1);
constexpr uint32_t Q8_0 = ggml(num::BlockFormat::Q8_0);
constexpr uint32_t Q2_K = ggml(num::BlockFormat::Q2_K);
constexpr uint32_t Q3_K = ggml(num::BlockFormat::Q3_K);
constexpr uint32_t Q4_K = ggml(num::BlockFormat::Q4_K);
constexpr uint32_t Q5_K = ggml(num::BlockFormat::Q5_K);
constexpr uint32_t Q6_K = ggml(num::BlockFormat::Q6_K);

constexpr std::array<FileTypeInfo, 18> kFileTypes = {{
    {FileType::Q4_0, "Q4_0", Q4_0, "4.34G, +0.4685 ppl @ Llama-3-8B"},
    {FileType::Q4_1, "Q4_1", Q4_1, "4.78G, +0.4511 ppl @ Llama-3-8B"},
    {FileType::Q5_0, "Q5_0", Q5_0, "5.21G, +0.1316 ppl @ Llama-3-8B"},
    {FileType::Q5_1, "Q5_1", Q5_1, "5.65G, +0.1062 ppl @ Llama-3-8B"},
    {FileType::Q2_K, "Q2_K", Q2_K, "2.96G, +3.5199 ppl @ Llama-3-8B"},
    {FileType::Q2_K_S, "Q2_K_S", Q2_K, "2.96G, +3.1836 ppl @ Llama-3-8B"},
    {FileType::Q3_K_S, "Q3_K_S", Q3_K, "3.41G, +1.6321 ppl @ Llama-3-8B"},
    {FileType::Q3_K_M, "Q3_K_M", Q3_K, "3.74G, +0.6569 ppl @ Llama-3-8B"},
    {FileType::Q3_K_L, "Q3_K_L", Q3_K, "4.03G, +0.5562 ppl @ Llama-3-8B"},
    {FileType::Q4_K_S, "Q4_K_S", Q4_K, "4.37G, +0.2689 ppl @ Llama-3-8B"},
    {FileType::Q4_K_M, "Q4_K_M", Q4_K, "4.58G, +0.1754 ppl @ Llama-3-8B"},
    {FileType::Q5_K_S, "Q5_K_S", Q5_K, "5.21G, +0.1049 ppl @ Llama-3-8B"},
    {FileType::Q5_K_M, "Q5_K_M", Q5_K, "5.33G, +0.0569 ppl @ Llama-3-8B"},
    {FileType::Q6_K, "Q6_K", Q6_K, "6.14G, +0.0217 ppl @ Llama-3-8B"},
    {FileType::Q8_0, "Q8_0", Q8_0, "7.96G, +0.0026 ppl @ Llama-3-8B"},
    {FileType::MostlyF16, "F16", gguf::kTypeF16, "14.00G, +0.0020 ppl @ Mistral-7B"},
    {FileType::MostlyBF16, "BF16", gguf::kTypeBF16, "14.00G, -0.0050 ppl @ Mistral-7B"},
    {FileType::AllF32, "F32", gguf::kTypeF32, "26.00G @ 7B"},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

/// Weights per block of a ggml type (1 for the plain types), from the one
/// ggml type table (quantc.gguf); nullopt for an unknown id.
std::optional<uint32_t> blockSize(uint32_t ggmlType) {
  if (const gguf::TypeInfo *info = gguf::getTypeInfo(ggmlType))
    return info->blockSize;
  return std::nullopt;
}

bool isQuantized(uint32_t ggmlType) {
  const gguf::TypeInfo *info = gguf::getTypeInfo(ggmlType);
  return info && info->blockFormat.has_value();
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

enum class Category {
  TokenEmbd,
  AttentionQ,
  AttentionV,
  AttentionK,
  AttentionQKV,
  AttentionKVB,
  AttentionOutput,
  FFNUp,
  FFNGate,
  FFNDown,
  Output,
  Other,
};

bool isTokenEmbd(std::string_view name) {
  return name == "token_embd.weight" || name == "per_layer_token_embd.weight";
}

Category categorize(std::string_view name) {
  if (name == "output.weight")
    return Category::Output;
  if (isTokenEmbd(name))
    return Category::TokenEmbd;
  if (contains(name, "attn_qkv.weight"))
    return Category::AttentionQKV;
  if (contains(name, "attn_kv_b.weight"))
    return Category::AttentionKVB;
  if (contains(name, "attn_v.weight"))
    return Category::AttentionV;
  if (contains(name, "attn_k.weight"))
    return Category::AttentionK;
  if (contains(name, "attn_q.weight"))
    return Category::AttentionQ;
  if (contains(name, "attn_output.weight"))
    return Category::AttentionOutput;
  if (contains(name, "ffn_up"))
    return Category::FFNUp;
  if (contains(name, "ffn_gate"))
    return Category::FFNGate;
  if (contains(name, "ffn_down"))
    return Category::FFNDown;
  return Category::Other;
}

bool isAttnVLike(Category c) {
  return c == Category::AttentionV || c == Category::AttentionQKV ||
         c == Category::AttentionKVB;
}

/// ggml_n_dims: the number of dimensions up to the last one larger than 1.
int numDims(std::span<const int64_t> ne) {
  int dims = 1;
  for (size_t i = 1; i < ne.size(); ++i)
    if (ne[i] > 1)
      dims = static_cast<int>(i) + 1;
  return dims;
}

/// Tensors llama.cpp never quantizes: 1-D tensors, norms, routers, small
/// special-purpose matrices (tensor_allows_quantization).
bool allowsQuantization(const TensorDesc &t, const RecipeOptions &options) {
  if (numDims(t.ne) < 2)
    return false;
  std::string_view name = t.name;
  if (!name.ends_with("weight"))
    return false;
  if (contains(name, "_norm.weight"))
    return false;
  if (!options.quantizeOutput && name == "output.weight")
    return false;
  static constexpr std::string_view kExcluded[] = {
      "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
      "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
      "indexer.k_proj.weight", "indexer.q_proj.weight",
      "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
      "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
      "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
      "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
      "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
      "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd",
      "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
      ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"};
  for (std::string_view part : kExcluded)
    if (contains(name, part))
      return false;
  // Positional embeddings and token types (BERT).
  if (name == "position_embd.weight" || name == "token_types.weight")
    return false;
  return true;
}

struct State {
  const ModelParams &model;
  const RecipeOptions &options;
  int nAttentionWV = 0;
  int nLayers = 0;
  int iAttentionWV = 0;
  int iFFNDown = 0;
  int iFFNGate = 0;
  int iFFNUp = 0;
  bool hasTiedEmbeddings = true;

  uint32_t nGQA() const {
    return model.headCountKV == 0 ? 0 : model.headCount / model.headCountKV;
  }
  bool isFalcon() const { return model.architecture == "falcon"; }
  bool is70B() const {
    return model.architecture == "llama" && model.blockCount == 80 &&
           model.headCount != model.headCountKV;
  }
};

bool useMoreBits(int iLayer, int nLayers) {
  return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 ||
         (iLayer - nLayers / 8) % 3 == 2;
}

/// The layer of a tensor: its position among its kind, or for mixtures of
/// experts (whose expert tensors are not in layer order) the number in its
/// `blk.N.` name.
absl::StatusOr<int> layerOf(const State &s, int counter, const std::string &name) {
  if (std::max<uint32_t>(1, s.model.expertCount) <= 1)
    return counter;
  int layer = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot determine the layer of tensor '", name, "'"));
  if (layer < 0 || layer >= s.nLayers)
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", name, "' is in layer ", layer, " of ", s.nLayers));
  return layer;
}

/// llama_tensor_get_type_impl for the file types quantc accepts.
absl::StatusOr<uint32_t> mixType(State &s, uint32_t type, const TensorDesc &t,
                                 Category category) {
  const FileType ft = s.options.fileType;
  if (category == Category::Output ||
      (s.hasTiedEmbeddings && category == Category::TokenEmbd)) {
    if (s.options.outputType)
      return *s.options.outputType;
    if (s.isFalcon() || t.ne[0] % *blockSize(type) != 0)
      return Q8_0;
    return type != Q8_0 ? Q6_K : type;
  }
  if (category == Category::TokenEmbd) {
    if (s.options.tokenEmbeddingType)
      return *s.options.tokenEmbeddingType;
    return type;
  }
  if (isAttnVLike(category)) {
    if (ft == FileType::Q2_K)
      type = s.nGQA() >= 4 ? Q4_K : Q3_K;
    else if (ft == FileType::Q2_K_S && s.nGQA() >= 4)
      type = Q4_K;
    else if (ft == FileType::Q3_K_M)
      type = s.iAttentionWV < 2 ? Q5_K : Q4_K;
    else if (ft == FileType::Q3_K_L)
      type = Q5_K;
    else if ((ft == FileType::Q4_K_M || ft == FileType::Q5_K_M) &&
             useMoreBits(s.iAttentionWV, s.nAttentionWV))
      type = Q6_K;
    else if (ft == FileType::Q4_K_S && s.iAttentionWV < 4)
      type = Q5_K;
    if (s.is70B() && (type == Q3_K || type == Q4_K))
      type = Q5_K;
    if (s.model.expertCount == 8)
      type = Q8_0;
    ++s.iAttentionWV;
    return type;
  }
  if (category == Category::AttentionK) {
    if (s.model.expertCount == 8)
      type = Q8_0;
    return type;
  }
  if (category == Category::FFNDown) {
    absl::StatusOr<int> layer = layerOf(s, s.iFFNDown, t.name);
    if (!layer.ok())
      return layer.status();
    const int i = *layer, n = s.nLayers;
    if (ft == FileType::Q2_K)
      type = Q3_K;
    else if (ft == FileType::Q2_K_S) {
      if (i < n / 8)
        type = Q4_K;
    } else if (ft == FileType::Q3_K_M)
      type = i < n / 16                            ? Q5_K
             : !s.isFalcon() || useMoreBits(i, n) ? Q4_K
                                                   : Q3_K;
    else if (ft == FileType::Q3_K_L)
      type = s.isFalcon() ? Q4_K : Q5_K;
    else if (ft == FileType::Q4_K_M) {
      if (s.isFalcon())
        type = i < n / 16 ? Q6_K : useMoreBits(i, n) ? Q5_K : Q4_K;
      else if (useMoreBits(i, n))
        type = Q6_K;
    } else if (ft == FileType::Q5_K_M && useMoreBits(i, n))
      type = Q6_K;
    else if (ft == FileType::Q4_K_S && !s.isFalcon() && i < n / 8)
      type = Q5_K;
    else if ((ft == FileType::Q4_0 || ft == FileType::Q5_0) &&
             s.options.hasImatrix && i < n / 8)
      type = ft == FileType::Q4_0 ? Q4_1 : Q5_1;
    ++s.iFFNDown;
    return type;
  }
  if (category == Category::AttentionOutput) {
    if (!s.isFalcon()) {
      if (s.model.expertCount == 8) {
        if (ft == FileType::Q2_K || ft == FileType::Q3_K_S ||
            ft == FileType::Q3_K_M || ft == FileType::Q4_K_S ||
            ft == FileType::Q4_K_M)
          type = Q5_K;
      } else if (ft == FileType::Q2_K) {
        type = Q3_K;
      } else if (ft == FileType::Q3_K_M) {
        type = Q4_K;
      } else if (ft == FileType::Q3_K_L) {
        type = Q5_K;
      }
    } else if (ft == FileType::Q3_K_L) {
      type = Q4_K;
    }
    return type;
  }
  if (category == Category::AttentionQKV) {
    if (ft == FileType::Q3_K_M || ft == FileType::Q3_K_L)
      type = Q4_K;
    else if (ft == FileType::Q4_K_M)
      type = Q5_K;
    else if (ft == FileType::Q5_K_M)
      type = Q6_K;
    return type;
  }
  if (category == Category::FFNGate) {
    ++s.iFFNGate;
    return type;
  }
  if (category == Category::FFNUp) {
    ++s.iFFNUp;
    return type;
  }
  return type;
}

/// tensor_type_fallback: a type whose block does not divide the row length
/// falls back to a 32-weight format, then to F16.
uint32_t fallBack(uint32_t type, int64_t rowLength, bool &fellBack) {
  if (rowLength % *blockSize(type) == 0)
    return type;
  fellBack = true;
  uint32_t result = type;
  if (type == Q2_K || type == Q3_K || type == ggml(num::BlockFormat::TQ1_0) ||
      type == ggml(num::BlockFormat::TQ2_0))
    result = Q4_0;
  else if (type == Q4_K)
    result = Q5_0;
  else if (type == ggml(num::BlockFormat::Q5_K))
    result = Q5_1;
  else if (type == Q6_K)
    result = Q8_0;
  else if (isQuantized(type) && *blockSize(type) == 256)
    result = ggml(num::BlockFormat::IQ4_NL);
  if (rowLength % *blockSize(result) != 0)
    result = gguf::kTypeF16;
  return result;
}

bool requiresImatrix(const std::string &name, uint32_t type, FileType ft) {
  if (isTokenEmbd(name) || name == "output.weight")
    return false;
  using BF = num::BlockFormat;
  for (BF f : {BF::IQ3_XXS, BF::IQ2_XXS, BF::IQ2_XS, BF::IQ2_S, BF::IQ1_M,
               BF::IQ1_S})
    if (type == ggml(f))
      return true;
  return type == Q2_K && ft == FileType::Q2_K_S;
}

} // namespace

std::span<const FileTypeInfo> fileTypes() { return kFileTypes; }

std::optional<FileTypeInfo> parseFileType(std::string_view name) {
  for (const FileTypeInfo &info : kFileTypes)
    if (equalsIgnoreCase(info.name, name))
      return info;
  static constexpr std::pair<std::string_view, FileType> kAliases[] = {
      {"Q3_K", FileType::Q3_K_M},
      {"Q4_K", FileType::Q4_K_M},
      {"Q5_K", FileType::Q5_K_M}};
  for (auto [alias, fileType] : kAliases)
    if (equalsIgnoreCase(alias, name))
      for (const FileTypeInfo &info : kFileTypes)
        if (info.fileType == fileType)
          return info;
  return std::nullopt;
}

absl::StatusOr<std::vector<TensorPlan>>
planModel(const ModelParams &model, std::span<const TensorDesc> tensors,
          const RecipeOptions &options) {
  const FileTypeInfo *info = nullptr;
  for (const FileTypeInfo &candidate : kFileTypes)
    if (candidate.fileType == options.fileType)
      info = &candidate;
  if (!info)
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported file type ", static_cast<uint32_t>(options.fileType)));

  std::vector<std::pair<std::regex, uint32_t>> overrides;
  for (const TypeOverride &o : options.overrides) {
    if (!blockSize(o.type))
      return absl::InvalidArgumentError(absl::StrCat(
          "--tensor-type ", o.pattern, ": unknown ggml type ", o.type));
    try {
      overrides.emplace_back(std::regex(o.pattern), o.type);
    } catch (const std::regex_error &e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tensor-type: invalid regular expression '", o.pattern,
          "': ", e.what()));
    }
  }

  State state{model, options};
  state.nLayers = static_cast<int>(model.blockCount);
  for (const TensorDesc &t : tensors) {
    if (t.ne.empty())
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name, "' has no dimensions"));
    if (!blockSize(t.type))
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", t.name, "' has unknown ggml type ", t.type));
    Category c = categorize(t.name);
    if (isAttnVLike(c))
      ++state.nAttentionWV;
    if (c == Category::Output)
      state.hasTiedEmbeddings = false;
  }

  std::vector<TensorPlan> plans;
  plans.reserve(tensors.size());
  for (const TensorDesc &t : tensors) {
    TensorPlan plan{t.type, allowsQuantization(t, options), false, false};
    if (plan.quantizable) {
      Category category = categorize(t.name);
      uint32_t type = info->defaultType;
      if (options.tokenEmbeddingType && category == Category::TokenEmbd) {
        type = *options.tokenEmbeddingType;
      } else if (options.outputType && category == Category::Output) {
        type = *options.outputType;
      } else if (isQuantized(type)) {
        bool manual = false;
        for (const auto &[pattern, overrideType] : overrides) {
          if (std::regex_search(t.name, pattern)) {
            type = overrideType;
            manual = true;
            break;
          }
        }
        if (!manual && !options.pure) {
          absl::StatusOr<uint32_t> mixed = mixType(state, type, t, category);
          if (!mixed.ok())
            return mixed.status();
          type = *mixed;
        }
        type = fallBack(type, t.ne[0], plan.fellBack);
      }
      plan.type = type;
    }
    plan.requiresImatrix =
        plan.quantizable && requiresImatrix(t.name, plan.type, options.fileType);
    plans.push_back(plan);
  }
  return plans;
}

} // namespace quantc::recipes
