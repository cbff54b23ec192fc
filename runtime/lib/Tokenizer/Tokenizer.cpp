//===- Tokenizer.cpp - SentencePiece and BPE tokenization -----------------===//
//
// Part of quantc.
//
// Follows llama.cpp's llama_vocab (src/llama-vocab.cpp): which tokens count
// as special, how they are cut out of the text, the SentencePiece merge by
// score and the BPE merge by rank, and their byte fallbacks.
//
//===----------------------------------------------------------------------===//

module;

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

module quantc.tokenizer;

import :detail;

namespace quantc::tokenizer {

namespace {

enum Attr : uint32_t {
  kAttrUnknown = 1 << 1,
  kAttrUnused = 1 << 2,
  kAttrNormal = 1 << 3,
  kAttrControl = 1 << 4,
  kAttrUserDefined = 1 << 5,
  kAttrByte = 1 << 6,
  kAttrLStrip = 1 << 8,
  kAttrRStrip = 1 << 9,
};

uint32_t attrOfType(int32_t type) {
  switch (static_cast<TokenType>(type)) {
  case TokenType::Unknown:
    return kAttrUnknown;
  case TokenType::Unused:
    return kAttrUnused;
  case TokenType::Normal:
    return kAttrNormal;
  case TokenType::Control:
    return kAttrControl;
  case TokenType::UserDefined:
    return kAttrUserDefined;
  case TokenType::Byte:
    return kAttrByte;
  default:
    return 0; // undefined
  }
}

/// Texts llama.cpp treats as end-of-generation or fill-in-the-middle tokens,
/// which it makes control tokens whatever their type.
constexpr std::string_view kControlLooking[] = {
    // end of generation
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~[",
    // fill in the middle
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
    "<|code_prefix|>", "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
    "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>", "<|fim_middle|>",
    "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>",
    "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>",
    "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>"};

enum class Kind { Spm, Bpe };

bool isCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

size_t utf8Length(char lead) {
  static constexpr size_t lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[static_cast<uint8_t>(lead) >> 4];
}

std::string replaceSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == ' ')
      out += "\xE2\x96\x81";
    else
      out += c;
  }
  return out;
}

/// GPT-2's byte-to-unicode table: printable bytes map to themselves, the
/// others to U+0100 onwards, in byte order.
const std::vector<std::string> &byteToUnicode() {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> t(256);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      detail::appendUtf8(t[b], printable ? b : next++);
    }
    return t;
  }();
  return table;
}

std::string hexByteToken(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  return buf;
}

} // namespace

struct Tokenizer::Impl {
  Vocabulary vocab;
  Kind kind = Kind::Spm;
  std::string preName;
  std::vector<std::unique_ptr<detail::SplitStep>> pre;
  std::unordered_map<std::string, int32_t> ids;
  std::unordered_map<std::string, int32_t> ranks;
  std::vector<uint32_t> attrs;
  std::vector<int32_t> specials; // longest first
  bool addSpacePrefix = false;
  bool escapeSpaces = false;
  bool byteEncode = true;
  bool ignoreMerges = false;
  bool addBos = false;
  bool addEos = false;

  int32_t lookup(std::string_view text) const {
    auto it = ids.find(std::string(text));
    return it == ids.end() ? -1 : it->second;
  }

  static std::string rankKey(std::string_view left, std::string_view right) {
    std::string key;
    key.reserve(left.size() + right.size() + 4);
    uint32_t n = static_cast<uint32_t>(left.size());
    key.append(reinterpret_cast<const char *>(&n), sizeof(n));
    key += left;
    key += right;
    return key;
  }

  void spm(std::string_view text, std::vector<int32_t> &out) const;
  void bpe(std::string_view text, std::vector<int32_t> &out) const;
  void bpeWord(const std::string &word, std::vector<int32_t> &out) const;
};

std::unique_ptr<Tokenizer> Tokenizer::create(Vocabulary vocab, std::string &error) {
  auto impl = std::make_unique<Impl>();
  Impl &t = *impl;
  const size_t n = vocab.tokens.size();
  if (n == 0)
    return error = "the vocabulary has no tokens", nullptr;
  if (!vocab.scores.empty() && vocab.scores.size() < n)
    return error = "fewer scores than tokens", nullptr;
  if (!vocab.tokenTypes.empty() && vocab.tokenTypes.size() < n)
    return error = "fewer token types than tokens", nullptr;

  if (vocab.model == "llama") {
    t.kind = Kind::Spm;
    t.preName = "spm";
    t.addSpacePrefix = true;
    t.addBos = true;
  } else if (vocab.model == "gpt2" || vocab.model == "gemma4") {
    t.kind = Kind::Bpe;
    std::string pre = vocab.model == "gemma4" ? "gemma4" : vocab.pre;
    t.pre = detail::makePreTokenizer(pre, t.preName, error);
    if (t.pre.empty())
      return nullptr;
    if (t.preName == "gemma4") {
      t.escapeSpaces = true;
      t.byteEncode = false;
      t.addBos = true; // llama.cpp forces it for Gemma 4
    }
    t.ignoreMerges = t.preName == "llama3";
    for (size_t i = 0; i < vocab.merges.size(); ++i) {
      const std::string &m = vocab.merges[i];
      size_t space = m.find(' ', 1);
      std::string key = space == std::string::npos
                            ? Impl::rankKey("", "")
                            : Impl::rankKey(std::string_view(m).substr(0, space),
                                            std::string_view(m).substr(space + 1));
      t.ranks.emplace(std::move(key), static_cast<int32_t>(i));
    }
  } else {
    return error = "unsupported tokenizer model '" + vocab.model +
                   "' (supported: llama, gpt2, gemma4)",
           nullptr;
  }
  if (vocab.addSpacePrefix)
    t.addSpacePrefix = *vocab.addSpacePrefix;
  if (vocab.addBos && !(t.preName == "gemma4" && !*vocab.addBos))
    t.addBos = *vocab.addBos;
  if (vocab.addEos)
    t.addEos = *vocab.addEos;

  t.attrs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.ids[vocab.tokens[i]] = static_cast<int32_t>(i);
    t.attrs[i] = vocab.tokenTypes.empty() ? kAttrNormal : attrOfType(vocab.tokenTypes[i]);
  }
  for (std::string_view text : kControlLooking)
    if (int32_t id = t.lookup(text); id >= 0)
      t.attrs[id] |= kAttrControl;
  // gpt-oss's channel tokens, Gemma 4's </s> (see llama.cpp's load).
  for (std::string_view text : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})
    if (int32_t id = t.lookup(text); id >= 0)
      t.attrs[id] = kAttrUserDefined;
  if ((t.lookup("<|return|>") >= 0 && t.lookup("<|call|>") >= 0) ||
      (t.lookup("<|calls|>") >= 0 && t.lookup("<|flush|>") >= 0))
    if (int32_t id = t.lookup("<|end|>"); id >= 0)
      t.attrs[id] = kAttrUserDefined;
  if (t.lookup("<|tool_response>") >= 0)
    if (int32_t id = t.lookup("</s>"); id >= 0)
      t.attrs[id] = kAttrNormal;

  for (size_t i = 0; i < n; ++i)
    if (t.attrs[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      t.specials.push_back(static_cast<int32_t>(i));
  // Longest first (llama.cpp's order among equal lengths is unspecified).
  std::sort(t.specials.begin(), t.specials.end(), [&](int32_t a, int32_t b) {
    size_t la = vocab.tokens[a].size(), lb = vocab.tokens[b].size();
    return la != lb ? la > lb : a < b;
  });

  // Per-model attributes llama.cpp sets by name.
  std::string name = vocab.modelName;
  for (char &c : name)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  auto contains = [](std::string_view s, std::string_view sub) {
    return s.find(sub) != std::string_view::npos;
  };
  auto setAttr = [&](std::string_view text, uint32_t attr, bool on) {
    if (int32_t id = t.lookup(text); id >= 0)
      t.attrs[id] = on ? t.attrs[id] | attr : t.attrs[id] & ~attr;
  };
  if (contains(vocab.pre, "jina-v2-de") || contains(vocab.pre, "jina-v2-es") ||
      contains(vocab.pre, "jina-v2-code") || contains(vocab.architecture, "nomic-bert-moe") ||
      contains(vocab.architecture, "jina-bert-v3")) {
    setAttr("<mask>", kAttrLStrip, true);
  } else if (contains(name, "phi-3") || contains(name, "phi3")) {
    for (int32_t id : t.specials)
      t.attrs[id] |= kAttrRStrip;
    setAttr("</s>", kAttrRStrip, true);
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"})
      setAttr(text, kAttrRStrip, false);
  } else if (contains(name, "modern-bert")) {
    setAttr("[MASK]", kAttrLStrip, true);
  }

  t.vocab = std::move(vocab);
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

size_t Tokenizer::size() const { return impl->vocab.tokens.size(); }
const std::string &Tokenizer::tokenText(int32_t id) const { return impl->vocab.tokens.at(id); }
int32_t Tokenizer::find(std::string_view text) const { return impl->lookup(text); }
std::string_view Tokenizer::preTokenizer() const { return impl->preName; }

void Tokenizer::Impl::spm(std::string_view text, std::vector<int32_t> &out) const {
  // Symbols are UTF-8 characters; repeatedly merge the adjacent pair whose
  // text is the token of highest score (the leftmost on ties).
  std::vector<std::string> symbols;
  for (size_t i = 0; i < text.size();) {
    size_t len = std::min(utf8Length(text[i]), text.size() - i);
    symbols.emplace_back(text.substr(i, len));
    i += len;
  }
  std::vector<float> pairScore;
  std::vector<bool> pairValid;
  auto scoreOf = [&](size_t i, float &score) {
    int32_t id = lookup(symbols[i] + symbols[i + 1]);
    if (id < 0)
      return false;
    score = vocab.scores.empty() ? 0.0f : vocab.scores[id];
    return true;
  };
  while (symbols.size() > 1) {
    size_t best = SIZE_MAX;
    float bestScore = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      float s;
      if (scoreOf(i, s) && (best == SIZE_MAX || s > bestScore)) {
        best = i;
        bestScore = s;
      }
    }
    if (best == SIZE_MAX)
      break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + best + 1);
  }
  for (const std::string &s : symbols) {
    if (int32_t id = lookup(s); id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : s) {
      int32_t id = lookup(hexByteToken(static_cast<uint8_t>(c)));
      if (id < 0)
        id = lookup(std::string(1, c));
      out.push_back(id >= 0 ? id : vocab.unkId);
    }
  }
}

void Tokenizer::Impl::bpeWord(const std::string &word, std::vector<int32_t> &out) const {
  std::vector<std::string> symbols;
  bool whole = false;
  if (ignoreMerges && lookup(word) >= 0) {
    whole = true;
  } else if (preName == "gemma4" && word.find_first_not_of('\n') == std::string::npos &&
             lookup(word) >= 0) {
    whole = true;
  }
  if (whole) {
    symbols.push_back(word);
  } else {
    for (size_t i = 0; i < word.size();) {
      size_t len = std::min(utf8Length(word[i]), word.size() - i);
      symbols.push_back(word.substr(i, len));
      i += len;
    }
    // Repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
    while (symbols.size() > 1) {
      size_t best = SIZE_MAX;
      int32_t bestRank = 0;
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        auto it = ranks.find(rankKey(symbols[i], symbols[i + 1]));
        if (it != ranks.end() && (best == SIZE_MAX || it->second < bestRank)) {
          best = i;
          bestRank = it->second;
        }
      }
      if (best == SIZE_MAX)
        break;
      symbols[best] += symbols[best + 1];
      symbols.erase(symbols.begin() + best + 1);
    }
  }
  for (const std::string &s : symbols) {
    if (int32_t id = lookup(s); id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : s) {
      int32_t id = byteEncode ? lookup(std::string(1, c))
                              : lookup(hexByteToken(static_cast<uint8_t>(c)));
      if (id >= 0)
        out.push_back(id);
    }
  }
}

void Tokenizer::Impl::bpe(std::string_view text, std::vector<int32_t> &out) const {
  std::string escaped;
  if (escapeSpaces) {
    escaped = replaceSpaces(text);
    text = escaped;
  }
  for (const std::string &word : detail::splitWords(text, pre)) {
    if (!byteEncode) {
      bpeWord(word, out);
      continue;
    }
    std::string encoded;
    for (char c : word)
      encoded += byteToUnicode()[static_cast<uint8_t>(c)];
    bpeWord(encoded, out);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial,
                                       bool parseSpecial) const {
  const Impl &t = *impl;
  // Fragments: a token (id >= 0) or a range of the text (id == -1).
  struct Fragment {
    int32_t id;
    size_t offset, length;
  };
  std::list<Fragment> fragments;
  if (!text.empty())
    fragments.push_back({-1, 0, text.size()});
  for (int32_t special : t.specials) {
    uint32_t attr = t.attrs[special];
    if (!parseSpecial && (attr & (kAttrControl | kAttrUnknown)))
      continue;
    const std::string &s = t.vocab.tokens[special];
    for (auto it = fragments.begin(); it != fragments.end(); ++it) {
      if (it->id >= 0)
        continue;
      size_t base = it->offset, length = it->length;
      auto source = it;
      while (true) {
        size_t match = text.substr(0, base + length).find(s, base);
        if (match == std::string_view::npos)
          break;
        if (match > base) {
          size_t leftLength = match - base;
          if (attr & kAttrLStrip)
            while (leftLength > 0 && isCSpace(text[base + leftLength - 1]))
              --leftLength;
          if (leftLength > 0)
            it = fragments.insert(std::next(it), {-1, base, leftLength});
        }
        it = fragments.insert(std::next(it), {special, 0, 0});
        if (match + s.size() < base + length) {
          size_t rightOffset = match + s.size();
          size_t rightLength = length - ((match - base) + s.size());
          if (attr & kAttrRStrip)
            while (rightLength > 0 && isCSpace(text[rightOffset])) {
              ++rightOffset;
              --rightLength;
            }
          if (rightLength > 0)
            it = fragments.insert(std::next(it), {-1, rightOffset, rightLength});
          fragments.erase(source);
          source = it; // the right remainder, searched next (or nothing left)
          if (rightLength == 0)
            break;
          base = rightOffset;
          length = rightLength;
        } else {
          fragments.erase(source);
          break;
        }
      }
    }
  }

  std::vector<int32_t> out;
  if (addSpecial && t.addBos && t.vocab.bosId >= 0)
    out.push_back(t.vocab.bosId);
  bool prevSpecial = true;
  for (const Fragment &f : fragments) {
    if (f.id >= 0) {
      out.push_back(f.id);
      prevSpecial = true;
      continue;
    }
    std::string_view piece = text.substr(f.offset, f.length);
    if (t.kind == Kind::Spm) {
      std::string s = t.addSpacePrefix && prevSpecial ? " " : "";
      s += piece;
      t.spm(replaceSpaces(s), out);
    } else {
      t.bpe(piece, out);
    }
    prevSpecial = false;
  }
  if (addSpecial && t.addEos && t.vocab.eosId >= 0)
    out.push_back(t.vocab.eosId);
  return out;
}

} // namespace quantc::tokenizer
