//===- GGUFVocabulary.cppm - A tokenizer's vocabulary from GGUF -*- C++ -*-===//
//
// Part of quantc.
//
// Reads `tokenizer.ggml.*` (and `general.name`, `general.architecture`) of a
// GGUF file into the plain quantc::tokenizer::Vocabulary the LLVM-free
// tokenizer takes.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module quantc.tokenizer.gguf;

import quantc.gguf;
import quantc.tokenizer;

export namespace quantc::tokenizer {

/// The vocabulary of `file`; NotFound when it has no `tokenizer.ggml.tokens`,
/// InvalidArgument when a key has an unexpected type.
absl::StatusOr<Vocabulary> readVocabulary(const gguf::File &file);

} // namespace quantc::tokenizer

namespace quantc::tokenizer {

namespace {

absl::Status readString(const gguf::File &file, std::string_view key, std::string &out) {
  if (!file.find(key))
    return absl::OkStatus();
  absl::StatusOr<std::string_view> value = file.getString(key);
  if (!value.ok())
    return value.status();
  out = std::string(*value);
  return absl::OkStatus();
}

absl::Status readId(const gguf::File &file, std::string_view key, int32_t &out) {
  if (!file.find(key))
    return absl::OkStatus();
  absl::StatusOr<uint64_t> value = file.getUnsigned(key);
  if (!value.ok())
    return value.status();
  out = *value > INT32_MAX ? -1 : static_cast<int32_t>(*value);
  return absl::OkStatus();
}

absl::Status readFlag(const gguf::File &file, std::string_view key, std::optional<bool> &out) {
  if (!file.find(key))
    return absl::OkStatus();
  absl::StatusOr<bool> value = file.getBool(key);
  if (!value.ok())
    return value.status();
  out = *value;
  return absl::OkStatus();
}

template <typename T>
absl::Status readArray(const gguf::File &file, std::string_view key, std::vector<T> &out) {
  if (!file.find(key))
    return absl::OkStatus();
  absl::StatusOr<std::span<const T>> values = file.getArrayOf<T>(key);
  if (!values.ok())
    return values.status();
  out.assign(values->begin(), values->end());
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<Vocabulary> readVocabulary(const gguf::File &file) {
  Vocabulary vocab;
  if (!file.find("tokenizer.ggml.tokens"))
    return absl::NotFoundError(file.path() + ": no tokenizer.ggml.tokens (not a model with a vocabulary)");
  for (absl::Status status : {
           readString(file, "tokenizer.ggml.model", vocab.model),
           readString(file, "tokenizer.ggml.pre", vocab.pre),
           readString(file, "general.name", vocab.modelName),
           readString(file, "general.architecture", vocab.architecture),
           readArray(file, "tokenizer.ggml.tokens", vocab.tokens),
           readArray(file, "tokenizer.ggml.scores", vocab.scores),
           readArray(file, "tokenizer.ggml.token_type", vocab.tokenTypes),
           readArray(file, "tokenizer.ggml.merges", vocab.merges),
           readId(file, "tokenizer.ggml.bos_token_id", vocab.bosId),
           readId(file, "tokenizer.ggml.eos_token_id", vocab.eosId),
           readId(file, "tokenizer.ggml.unknown_token_id", vocab.unkId),
           readId(file, "tokenizer.ggml.padding_token_id", vocab.padId),
           readFlag(file, "tokenizer.ggml.add_bos_token", vocab.addBos),
           readFlag(file, "tokenizer.ggml.add_eos_token", vocab.addEos),
           readFlag(file, "tokenizer.ggml.add_space_prefix", vocab.addSpacePrefix),
       })
    if (!status.ok())
      return status;
  return vocab;
}

} // namespace quantc::tokenizer
