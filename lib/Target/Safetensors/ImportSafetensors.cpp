//===- ImportSafetensors.cpp - safetensors to qc.global -------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Target/LLM/LanguageModel.h"
#include "quantc/Target/Safetensors/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include "absl/status/statusor.h"

#include <cstring>
#include <memory>
#include <span>

import quantc.safetensors;

using namespace mlir;
using namespace quantc;
namespace st = quantc::safetensors;
namespace json = quantc::json;

namespace {

Type elementTypeOf(MLIRContext *ctx, st::DType dtype) {
  Builder b(ctx);
  auto unsignedInt = [&](unsigned width) {
    return IntegerType::get(ctx, width, IntegerType::Unsigned);
  };
  switch (dtype) {
  case st::DType::BOOL:
    return b.getI1Type();
  case st::DType::U8:
    return unsignedInt(8);
  case st::DType::I8:
    return b.getIntegerType(8);
  case st::DType::F8_E4M3:
    return b.getType<Float8E4M3FNType>();
  case st::DType::F8_E5M2:
    return b.getType<Float8E5M2Type>();
  case st::DType::I16:
    return b.getIntegerType(16);
  case st::DType::U16:
    return unsignedInt(16);
  case st::DType::F16:
    return b.getF16Type();
  case st::DType::BF16:
    return b.getBF16Type();
  case st::DType::I32:
    return b.getIntegerType(32);
  case st::DType::U32:
    return unsignedInt(32);
  case st::DType::F32:
    return b.getF32Type();
  case st::DType::I64:
    return b.getIntegerType(64);
  case st::DType::U64:
    return unsignedInt(64);
  case st::DType::F64:
    return b.getF64Type();
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Hugging Face llama-family models in GGUF terms
//===----------------------------------------------------------------------===//

/// The architectures whose tensors and hyper-parameters map onto llama.cpp's
/// llama graph (qwen2 adds q/k/v biases and uses NeoX RoPE; phi3 has fused
/// qkv_proj and gate_up_proj and uses NeoX RoPE).
struct Architecture {
  StringRef modelType;
  StringRef ggufName;
  /// convert_hf_to_gguf.py permutes q/k rows for llama's RoPE layout.
  bool permuteQK;
};
constexpr Architecture kArchitectures[] = {
    {"llama", "llama", true},
    {"mistral", "llama", true},
    {"qwen2", "qwen2", false},
    {"phi3", "phi3", false},
};

/// HF names -> GGUF names ("model.layers.3.mlp.up_proj.weight" ->
/// "blk.3.ffn_up.weight"); empty for tensors llama.cpp does not use.
std::optional<std::string> ggufName(StringRef name) {
  static const std::pair<StringRef, StringRef> kGlobal[] = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
  };
  for (auto [hf, gguf] : kGlobal)
    if (name == hf)
      return gguf.str();
  static const std::pair<StringRef, StringRef> kLayer[] = {
      {"input_layernorm", "attn_norm"},
      {"self_attn.q_proj", "attn_q"},
      {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"},
      {"self_attn.o_proj", "attn_output"},
      {"self_attn.qkv_proj", "attn_qkv"},
      {"mlp.gate_up_proj", "ffn_up"},
      {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},
      {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"},
  };
  if (!name.consume_front("model.layers."))
    return std::nullopt;
  auto [layer, rest] = name.split('.');
  unsigned index;
  if (layer.getAsInteger(10, index))
    return std::nullopt;
  if (rest == "self_attn.rotary_emb.inv_freq")
    return std::string();
  for (auto [hf, gguf] : kLayer) {
    StringRef suffix = rest;
    if (suffix.consume_front(hf) && (suffix == ".weight" || suffix == ".bias"))
      return ("blk." + Twine(index) + "." + gguf + suffix).str();
  }
  return std::nullopt;
}

/// convert_hf_to_gguf.py's permute(): within each head, rows
/// [0, d/2) and [d/2, d) are interleaved.
std::vector<char> permuteRows(ArrayRef<char> data, int64_t rows,
                              int64_t rowBytes, int64_t heads) {
  std::vector<char> out(data.size());
  int64_t headDim = rows / heads;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < headDim / 2; ++i)
      for (int64_t half = 0; half < 2; ++half) {
        int64_t ggufRow = h * headDim + 2 * i + half;
        int64_t hfRow = h * headDim + half * (headDim / 2) + i;
        std::memcpy(out.data() + ggufRow * rowBytes,
                    data.data() + hfRow * rowBytes, rowBytes);
      }
  return out;
}

int64_t intConfig(const json::Object &config, std::string_view key,
                  int64_t fallback) {
  if (const json::Value *v = config.find(key))
    if (std::optional<int64_t> i = v->getInt())
      return *i;
  return fallback;
}

double numberConfig(const json::Object &config, std::string_view key,
                    double fallback) {
  if (const json::Value *v = config.find(key))
    if (std::optional<double> d = v->getNumber())
      return *d;
  return fallback;
}

/// Builds the GGUF metadata of a llama-family model.
struct MetadataBuilder {
  Builder b;
  SmallVector<Attribute> entries;

  explicit MetadataBuilder(MLIRContext *ctx) : b(ctx) {}

  void add(StringRef key, Attribute value) {
    entries.push_back(b.getArrayAttr({b.getStringAttr(key), value}));
  }
  void addU32(StringRef key, int64_t value) {
    add(key, b.getIntegerAttr(
                 IntegerType::get(b.getContext(), 32, IntegerType::Unsigned),
                 value));
  }
  void addF32(StringRef key, double value) {
    add(key, b.getF32FloatAttr(static_cast<float>(value)));
  }
  void addString(StringRef key, StringRef value) {
    add(key, b.getStringAttr(value));
  }
};

/// tokenizer.json (Hugging Face `tokenizers`) as GGUF's tokenizer.ggml.*: a
/// BPE with byte fall-back (Llama 2, Mistral) becomes llama.cpp's "llama"
/// SentencePiece vocabulary, a byte-level BPE (GPT-2, Llama 3, Qwen2) its
/// "gpt2" vocabulary with the merges. Returns false, with a reason, for
/// anything else.
bool addTokenizer(MetadataBuilder &md, const json::Value &tokenizer,
                  const json::Object &config, StringRef modelType,
                  std::string &reason) {
  const json::Value *model = tokenizer.find("model");
  const json::Value *type = model ? model->find("type") : nullptr;
  if (!type || !type->getString() || *type->getString() != "BPE") {
    reason = "only BPE tokenizers are converted";
    return false;
  }
  const json::Value *vocab = model->find("vocab");
  if (!vocab || !vocab->getObject()) {
    reason = "tokenizer.json has no model.vocab";
    return false;
  }
  // Tokens by id: the vocabulary, then the added tokens.
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto place = [&](int64_t id, const std::string &text, int32_t tokenType) {
    if (id < 0 || id > (1 << 24))
      return false;
    if (static_cast<size_t>(id) >= tokens.size()) {
      tokens.resize(id + 1);
      types.resize(id + 1, 1);
    }
    tokens[id] = text;
    types[id] = tokenType;
    return true;
  };
  const json::Value *fallback = model->find("byte_fallback");
  bool byteFallback = fallback && fallback->getBool().value_or(false);
  for (const json::Member &member : *vocab->getObject()) {
    std::optional<int64_t> id = member.value.getInt();
    int32_t tokenType = 1;
    if (byteFallback && member.key.size() == 6 &&
        StringRef(member.key).starts_with("<0x"))
      tokenType = 6;
    if (!id || !place(*id, member.key, tokenType)) {
      reason = "tokenizer.json has a bad id for '" + member.key + "'";
      return false;
    }
  }
  if (const json::Value *added = tokenizer.find("added_tokens");
      added && added->getArray())
    for (const json::Value &token : *added->getArray()) {
      const json::Value *id = token.find("id");
      const json::Value *content = token.find("content");
      const json::Value *special = token.find("special");
      if (!id || !id->getInt() || !content || !content->getString())
        continue;
      bool isSpecial = special && special->getBool().value_or(false);
      place(*id->getInt(), *content->getString(), isSpecial ? 3 : 4);
    }
  if (const json::Value *unk = model->find("unk_token");
      unk && unk->getString())
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] == *unk->getString())
        types[i] = 2;

  SmallVector<Attribute> tokenAttrs;
  for (const std::string &t : tokens)
    tokenAttrs.push_back(md.b.getStringAttr(t));
  auto i32 = IntegerType::get(md.b.getContext(), 32, IntegerType::Signed);
  auto typesAttr = DenseElementsAttr::get(
      RankedTensorType::get({static_cast<int64_t>(types.size())}, i32),
      ArrayRef<int32_t>(types));

  if (byteFallback) {
    // SentencePiece scores: earlier (more frequent) pieces score higher.
    SmallVector<float> scores(tokens.size());
    for (size_t i = 0; i < scores.size(); ++i)
      scores[i] = types[i] == 1 ? -static_cast<float>(i) : 0.0f;
    md.addString("tokenizer.ggml.model", "llama");
    md.add("tokenizer.ggml.tokens", md.b.getArrayAttr(tokenAttrs));
    md.add("tokenizer.ggml.scores",
           DenseElementsAttr::get(
               RankedTensorType::get({static_cast<int64_t>(scores.size())},
                                     md.b.getF32Type()),
               ArrayRef<float>(scores)));
    md.add("tokenizer.ggml.token_type", typesAttr);
  } else {
    md.addString("tokenizer.ggml.model", "gpt2");
    md.addString("tokenizer.ggml.pre", modelType == "qwen2" ? "qwen2" : "default");
    md.add("tokenizer.ggml.tokens", md.b.getArrayAttr(tokenAttrs));
    md.add("tokenizer.ggml.token_type", typesAttr);
    SmallVector<Attribute> merges;
    if (const json::Value *m = model->find("merges"); m && m->getArray())
      for (const json::Value &merge : *m->getArray()) {
        if (const std::string *s = merge.getString())
          merges.push_back(md.b.getStringAttr(*s));
        else if (const json::Array *pair = merge.getArray();
                 pair && pair->size() == 2 && (*pair)[0].getString() &&
                 (*pair)[1].getString())
          merges.push_back(md.b.getStringAttr(*(*pair)[0].getString() + " " +
                                              *(*pair)[1].getString()));
      }
    md.add("tokenizer.ggml.merges", md.b.getArrayAttr(merges));
  }
  if (int64_t bos = intConfig(config, "bos_token_id", -1); bos >= 0)
    md.addU32("tokenizer.ggml.bos_token_id", bos);
  if (int64_t eos = intConfig(config, "eos_token_id", -1); eos >= 0)
    md.addU32("tokenizer.ggml.eos_token_id", eos);
  return true;
}

OwningOpRef<ModuleOp> importModel(std::shared_ptr<const st::Model> model,
                                  StringRef path, MLIRContext *context,
                                  const SafetensorsImportOptions &options) {
  context->loadDialect<qc::QCDialect>();
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());
  auto &blobManager = DenseResourceElementsHandle::getManagerInterface(context);

  // Is this a llama-family model we can describe in GGUF terms?
  const json::Object *config = model->config();
  const Architecture *arch = nullptr;
  if (options.ggufNames && config)
    if (const json::Value *type = config->find("model_type");
        type && type->getString())
      for (const Architecture &candidate : kArchitectures)
        if (candidate.modelType == *type->getString())
          arch = &candidate;

  int64_t heads = 0, headsKV = 0;
  MetadataBuilder md(context);
  if (arch) {
    int64_t hidden = intConfig(*config, "hidden_size", 0);
    heads = intConfig(*config, "num_attention_heads", 0);
    headsKV = intConfig(*config, "num_key_value_heads", heads);
    int64_t layers = intConfig(*config, "num_hidden_layers", 0);
    if (hidden <= 0 || heads <= 0 || headsKV <= 0 || layers <= 0 ||
        heads % headsKV != 0) {
      emitError(loc) << path
                     << ": config.json needs positive hidden_size, "
                        "num_attention_heads, num_hidden_layers and a "
                        "num_key_value_heads that divides the heads";
      return nullptr;
    }
    std::string name = llvm::sys::path::filename(
                           model->directory().empty() ? path.str()
                                                      : model->directory())
                           .str();
    std::string a = arch->ggufName.str();
    md.addString("general.architecture", a);
    md.addString("general.name", name);
    md.addU32(a + ".context_length",
              intConfig(*config, "max_position_embeddings", 2048));
    md.addU32(a + ".embedding_length", hidden);
    md.addU32(a + ".block_count", layers);
    md.addU32(a + ".feed_forward_length",
              intConfig(*config, "intermediate_size", 0));
    // Partial rotary embeddings (Phi-4-mini) rotate a fraction of each head.
    int64_t headDim = intConfig(*config, "head_dim", hidden / heads);
    md.addU32(a + ".rope.dimension_count",
              static_cast<int64_t>(
                  headDim * numberConfig(*config, "partial_rotary_factor", 1.0)));
    if (const json::Value *scaling = config->find("rope_scaling");
        scaling && scaling->getObject()) {
      emitError(loc) << path
                     << ": config.json has rope_scaling, which quantc's "
                        "language models do not support";
      return nullptr;
    }
    md.addU32(a + ".attention.head_count", heads);
    md.addU32(a + ".attention.head_count_kv", headsKV);
    md.addF32(a + ".attention.layer_norm_rms_epsilon",
              numberConfig(*config, "rms_norm_eps", 1e-5));
    md.addF32(a + ".rope.freq_base", numberConfig(*config, "rope_theta", 10000));
    if (int64_t vocab = intConfig(*config, "vocab_size", 0); vocab > 0)
      md.addU32(a + ".vocab_size", vocab);
    md.addU32("general.file_type", 0);

    // The vocabulary, when the directory has tokenizer.json.
    SmallString<256> tokenizerPath(model->directory());
    llvm::sys::path::append(tokenizerPath, "tokenizer.json");
    if (llvm::sys::fs::exists(tokenizerPath)) {
      auto buffer = llvm::MemoryBuffer::getFile(tokenizerPath);
      absl::StatusOr<json::Value> tokenizer =
          buffer ? json::parse((*buffer)->getBuffer().str(),
                               tokenizerPath.str().str())
                 : absl::NotFoundError("unreadable");
      std::string reason;
      if (!tokenizer.ok()) {
        emitError(loc) << std::string(tokenizer.status().message());
        return nullptr;
      }
      if (!addTokenizer(md, *tokenizer, *config, arch->modelType, reason))
        emitWarning(loc) << tokenizerPath << ": " << reason
                         << "; the GGUF file will have no vocabulary";
    } else {
      emitWarning(loc) << path
                       << ": no tokenizer.json beside the model; the GGUF "
                          "file will have no vocabulary (llama.cpp needs one)";
    }
  } else {
    // Not a model we map: keep the file's own metadata, prefixed, and the
    // config's model_type, so that a graph builder can name it.
    for (const st::File &shard : model->shards())
      for (const auto &[key, value] : shard.metadata())
        md.addString("safetensors." + key, value);
    if (config)
      if (const json::Value *type = config->find("model_type");
          type && type->getString())
        md.addString("hf.model_type", *type->getString());
  }
  if (!md.entries.empty())
    (*module)->setAttr(qc::QCDialect::kMetadataAttrName,
                       b.getArrayAttr(md.entries));

  // The shards can keep the weights of a compiled model: record where they
  // are (the header hash tells the runtime it maps the same layout).
  SmallVector<Attribute> files;
  for (const st::File &shard : model->shards()) {
    ArrayRef<char> fileBytes(
        reinterpret_cast<const char *>(shard.bytes().data()),
        shard.bytes().size());
    files.push_back(qc::getWeightFileAttr(context, shard.path(), fileBytes,
                                          shard.dataOffset()));
  }
  (*module)->setAttr(qc::QCDialect::kWeightFilesAttrName,
                     b.getArrayAttr(files));

  int64_t fileTypeBytes = 0;
  for (const st::ModelTensor &tensor : model->tensors()) {
    const st::TensorInfo &info = *tensor.info;
    std::string name = info.name;
    bool permute = false;
    int64_t permuteHeads = 0;
    if (arch) {
      std::optional<std::string> mapped = ggufName(info.name);
      if (!mapped) {
        emitError(loc) << path << ": tensor '" << info.name
                       << "' has no GGUF name for a " << arch->modelType
                       << " model";
        return nullptr;
      }
      if (mapped->empty())
        continue;
      name = *mapped;
      if (arch->permuteQK && StringRef(name).ends_with("attn_q.weight")) {
        permute = true;
        permuteHeads = heads;
      } else if (arch->permuteQK &&
                 StringRef(name).ends_with("attn_k.weight")) {
        permute = true;
        permuteHeads = headsKV;
      }
    }
    Type element = elementTypeOf(context, info.dtype);
    SmallVector<int64_t> shape(info.shape.begin(), info.shape.end());
    auto type = RankedTensorType::get(shape, element);
    ArrayRef<char> bytes(reinterpret_cast<const char *>(info.data.data()),
                         info.data.size());
    AsmResourceBlob blob;
    if (permute) {
      if (shape.size() != 2 || shape[0] % (2 * permuteHeads) != 0) {
        emitError(loc) << path << ": '" << info.name << "' of shape "
                       << type << " cannot be split into " << permuteHeads
                       << " heads";
        return nullptr;
      }
      std::vector<char> rows = permuteRows(
          bytes, shape[0], bytes.size() / shape[0], permuteHeads);
      blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(rows));
    } else {
      blob = UnmanagedAsmResourceBlob::allocateWithAlign(
          bytes, 1, [model](void *, size_t, size_t) {});
    }
    if (element.isF16() || element.isBF16())
      fileTypeBytes = element.isF16() ? 1 : 32;
    auto dataType = RankedTensorType::get(
        {static_cast<int64_t>(bytes.size())}, b.getIntegerType(8));
    auto data = DenseResourceElementsAttr::get(
        dataType, blobManager.insert(name, std::move(blob)));
    auto global = qc::GlobalOp::create(b, loc, b.getStringAttr(name),
                                       TypeAttr::get(type), data);
    // A permuted weight is a copy; the others are the file's bytes.
    if (!permute)
      global->setAttr(
          qc::QCDialect::kFileOffsetAttrName,
          b.getDenseI64ArrayAttr(
              {static_cast<int64_t>(tensor.shard),
               static_cast<int64_t>(
                   info.data.data() -
                   model->shards()[tensor.shard].bytes().data())}));
  }
  // general.file_type follows the weights' dtype (F16: 1, BF16: 32).
  if (arch && fileTypeBytes) {
    for (Attribute &entry : md.entries) {
      auto kv = cast<ArrayAttr>(entry);
      if (cast<StringAttr>(kv[0]).getValue() == "general.file_type")
        entry = b.getArrayAttr(
            {kv[0], b.getIntegerAttr(IntegerType::get(context, 32,
                                                      IntegerType::Unsigned),
                                     fileTypeBytes)});
    }
    (*module)->setAttr(qc::QCDialect::kMetadataAttrName,
                       b.getArrayAttr(md.entries));
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp>
quantc::importSafetensors(StringRef path, MLIRContext *context,
                          const SafetensorsImportOptions &options) {
  absl::StatusOr<st::Model> model = st::Model::open(path.str());
  if (!model.ok()) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << std::string(model.status().message());
    return nullptr;
  }
  auto shared = std::make_shared<const st::Model>(std::move(*model));
  return importModel(shared, path, context, options);
}

void quantc::registerSafetensorsTranslations() {
  registerLanguageModelTranslateOptions();
  static llvm::cl::opt<bool> keepNames(
      "safetensors-keep-names",
      llvm::cl::desc("--import-safetensors: keep the file's tensor names "
                     "instead of mapping llama-family models to GGUF's"));
  static TranslateToMLIRRegistration importST(
      "import-safetensors",
      "Import a safetensors model (file, or model.safetensors.index.json) as "
      "qc.global weights",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        // The model is opened (memory-mapped) by path, so that its shards and
        // config.json beside it are found.
        StringRef path =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
                ->getBufferIdentifier();
        SafetensorsImportOptions options;
        options.ggufNames = !keepNames;
        return buildLanguageModelIfRequested(
            importSafetensors(path, context, options));
      });
}
