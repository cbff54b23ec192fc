//===- Tokenizer.cppm - Text to token ids from a GGUF vocabulary -*- C++ -*-===//
//
// Part of quantc.
//
// The tokenizer of a GGUF vocabulary, giving the token ids llama.cpp gives:
// SentencePiece-style BPE by score (`tokenizer.ggml.model` "llama", with byte
// fallback to <0xXX> tokens and spaces escaped as U+2581) and byte-level BPE
// by merge rank ("gpt2", and "gemma4"'s BPE over escaped UTF-8), each after
// llama.cpp's pre-tokenizer for `tokenizer.ggml.pre` and after special tokens
// (control, user-defined and unknown types) are cut out of the text.
//
// LLVM-free: it takes the vocabulary as plain data, so compiled-model
// runtimes can link it; `quantc.tokenizer.gguf` fills a Vocabulary from a
// GGUF file.
//
//===----------------------------------------------------------------------===//

module;

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

export module quantc.tokenizer;

export namespace quantc::tokenizer {

/// `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

/// A vocabulary as a GGUF file stores it (`tokenizer.ggml.*`), plus the
/// model's name and architecture, which llama.cpp consults for a few
/// per-model special-token attributes.
struct Vocabulary {
  /// `tokenizer.ggml.model`: "llama", "gpt2", "gemma4" (supported); "bert",
  /// "t5", "rwkv", ... are refused.
  std::string model;
  /// `tokenizer.ggml.pre`; empty means "default".
  std::string pre;
  std::vector<std::string> tokens;
  /// Empty, or one per token.
  std::vector<float> scores;
  /// Empty, or one TokenType value per token.
  std::vector<int32_t> tokenTypes;
  /// BPE merges, "left right", in rank order.
  std::vector<std::string> merges;
  int32_t bosId = -1;
  int32_t eosId = -1;
  int32_t unkId = -1;
  int32_t padId = -1;
  std::optional<bool> addBos;
  std::optional<bool> addEos;
  std::optional<bool> addSpacePrefix;
  /// `general.name` and `general.architecture`.
  std::string modelName;
  std::string architecture;
};

class Tokenizer {
public:
  /// A tokenizer for `vocab`, or nullptr with `error` saying why (an
  /// unsupported model or pre-tokenizer, inconsistent arrays).
  static std::unique_ptr<Tokenizer> create(Vocabulary vocab, std::string &error);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// The token ids of `text` (UTF-8; invalid bytes read as U+FFFD), as
  /// llama_tokenize(vocab, text, addSpecial, parseSpecial) gives them. With
  /// parseSpecial, the text of a special token becomes that token; without
  /// it, only user-defined tokens do. addSpecial adds BOS/EOS as the
  /// vocabulary asks.
  std::vector<int32_t> encode(std::string_view text, bool addSpecial = false,
                              bool parseSpecial = true) const;

  size_t size() const;
  /// The text of token `id` as the vocabulary stores it.
  const std::string &tokenText(int32_t id) const;
  /// The token whose text is exactly `text`, or -1.
  int32_t find(std::string_view text) const;
  /// The pre-tokenizer in use ("llama3", "gpt2", "default", ...).
  std::string_view preTokenizer() const;

  struct Impl;

private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace quantc::tokenizer
