//===- PreTokenizer.cpp - Splitting text into words before BPE ------------===//
//
// Part of quantc.
//
// llama.cpp's pre-tokenizers: for each `tokenizer.ggml.pre` a list of regular
// expressions applied in turn, each splitting every piece the previous ones
// made into matches and the text between them. llama.cpp runs the common
// expressions (GPT-2's, Llama 3's, Qwen2's) with hand-written matchers and the
// rest with std::regex over a "collapsed" text, where every non-ASCII code
// point is replaced by one byte for its class (\p{L} -> 0xD2, ...). Both are
// reproduced here, the second by a small backtracking matcher for the subset
// of ECMAScript regular expressions those pre-tokenizers use, so that the
// words, and hence the token ids, are the same.
//
//===----------------------------------------------------------------------===//

module;

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module quantc.tokenizer;

import :detail;

namespace quantc::tokenizer::detail {

namespace {

constexpr uint32_t kOutOfRange = 0xFFFFFFFF;

/// Walks the pieces of `pieces`, calling `fn(cps, begin, end, out)` on each.
template <typename Fn>
std::vector<size_t> refine(const std::vector<uint32_t> &cps, const std::vector<size_t> &pieces,
                           Fn &&fn) {
  std::vector<size_t> out;
  out.reserve(pieces.size());
  size_t start = 0;
  for (size_t length : pieces) {
    fn(cps, start, start + length, out);
    start += length;
  }
  return out;
}

/// The contraction `'s|'t|'re|'ve|'m|'ll|'d` at `pos` (case-insensitively
/// when `anyCase`): its length, or 0.
size_t contraction(const std::vector<uint32_t> &cps, size_t pos, size_t end, bool anyCase) {
  if (cps[pos] != '\'' || pos + 1 >= end)
    return 0;
  auto lower = [&](uint32_t c) { return anyCase && c >= 'A' && c <= 'Z' ? c + 32 : c; };
  uint32_t a = lower(cps[pos + 1]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if (pos + 2 >= end)
    return 0;
  uint32_t b = lower(cps[pos + 2]);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S), as
/// llama.cpp's matcher for it (which also takes \s+ at the end of a piece).
class Gpt2Step : public SplitStep {
public:
  void split(const std::vector<uint32_t> &cps, size_t begin, size_t end,
             std::vector<size_t> &pieces) const override {
    auto cpt = [&](size_t p) { return p >= begin && p < end ? cps[p] : kOutOfRange; };
    auto flags = [&](size_t p) -> uint16_t {
      return p >= begin && p < end ? codepointFlags(cps[p]) : 0;
    };
    size_t prev = begin;
    auto emit = [&](size_t to) {
      size_t length = to - prev;
      if (length)
        pieces.push_back(length);
      prev = to;
      return length;
    };
    auto other = [](uint16_t f) { return !(f & (kWhitespace | kLetter | kNumber)) && f; };
    for (size_t pos = begin; pos < end;) {
      uint32_t c = cps[pos];
      if (size_t n = contraction(cps, pos, end, /*anyCase=*/false)) {
        pos += emit(pos + n);
        continue;
      }
      uint16_t f2 = c == ' ' ? flags(pos + 1) : flags(pos);
      if (f2 & kLetter) {
        pos += c == ' ';
        while (flags(pos) & kLetter)
          ++pos;
        emit(pos);
        continue;
      }
      if (f2 & kNumber) {
        pos += c == ' ';
        while (flags(pos) & kNumber)
          ++pos;
        emit(pos);
        continue;
      }
      if (other(f2)) {
        pos += c == ' ';
        while (other(flags(pos)))
          ++pos;
        emit(pos);
        continue;
      }
      size_t spaces = 0;
      while (flags(pos + spaces) & kWhitespace)
        ++spaces;
      if (spaces > 1 && cpt(pos + spaces) != kOutOfRange) {
        pos += spaces - 1;
        emit(pos);
        continue;
      }
      if (spaces > 0) {
        pos += spaces;
        emit(pos);
        continue;
      }
      emit(++pos);
    }
  }
};

/// Llama 3's expression and its relatives, as llama.cpp's matchers:
///   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// with D = 3 (llama3) or 1 (qwen2), and \p{M} counted with \p{L} (qwen35).
class Llama3Step : public SplitStep {
public:
  Llama3Step(size_t maxDigits, bool marksAreLetters)
      : maxDigits(maxDigits), marks(marksAreLetters) {}

  void split(const std::vector<uint32_t> &cps, size_t begin, size_t end,
             std::vector<size_t> &pieces) const override {
    auto cpt = [&](size_t p) { return p >= begin && p < end ? cps[p] : kOutOfRange; };
    auto flags = [&](size_t p) -> uint16_t {
      return p >= begin && p < end ? codepointFlags(cps[p]) : 0;
    };
    const uint16_t letter = marks ? uint16_t(kLetter | kMark) : uint16_t(kLetter);
    size_t prev = begin;
    auto emit = [&](size_t to) {
      size_t length = to - prev;
      if (length)
        pieces.push_back(length);
      prev = to;
      return length;
    };
    auto other = [&](uint16_t f) { return !(f & (kWhitespace | letter | kNumber)); };
    for (size_t pos = begin; pos < end;) {
      uint32_t c = cps[pos];
      uint16_t f = flags(pos);
      if (size_t n = contraction(cps, pos, end, /*anyCase=*/true)) {
        pos += emit(pos + n);
        continue;
      }
      if (!(c == '\r' || c == '\n' || (f & kNumber))) {
        if ((f & letter) || (flags(pos + 1) & letter)) {
          ++pos;
          while (flags(pos) & letter)
            ++pos;
          emit(pos);
          continue;
        }
      }
      if (f & kNumber) {
        if (maxDigits == 1) {
          ++pos;
        } else {
          size_t first = pos;
          while (flags(pos) & kNumber) {
            if (++pos - first >= maxDigits) {
              emit(pos);
              first = pos;
            }
          }
        }
        emit(pos);
        continue;
      }
      uint16_t f2 = c == ' ' ? flags(pos + 1) : f;
      if (other(f2) && f) {
        pos += c == ' ';
        while (other(f2) && f2)
          f2 = flags(++pos);
        for (uint32_t c2 = cpt(pos); c2 == '\r' || c2 == '\n';)
          c2 = cpt(++pos);
        emit(pos);
        continue;
      }
      size_t spaces = 0, lastNewlineEnd = 0;
      while (flags(pos + spaces) & kWhitespace) {
        uint32_t c2 = cpt(pos + spaces);
        if (c2 == '\r' || c2 == '\n')
          lastNewlineEnd = pos + spaces + 1;
        ++spaces;
      }
      if (lastNewlineEnd > 0) {
        pos = lastNewlineEnd;
        emit(pos);
        continue;
      }
      if (spaces > 1 && cpt(pos + spaces) != kOutOfRange) {
        pos += spaces - 1;
        emit(pos);
        continue;
      }
      if (spaces > 0) {
        pos += spaces;
        emit(pos);
        continue;
      }
      emit(++pos);
    }
  }

private:
  size_t maxDigits;
  bool marks;
};

/// [^\n]+|[\n]+: runs of newlines and runs of anything else.
class NewlineStep : public SplitStep {
public:
  void split(const std::vector<uint32_t> &cps, size_t begin, size_t end,
             std::vector<size_t> &pieces) const override {
    for (size_t pos = begin; pos < end;) {
      bool newline = cps[pos] == '\n';
      size_t start = pos;
      while (pos < end && (cps[pos] == '\n') == newline)
        ++pos;
      pieces.push_back(pos - start);
    }
  }
};

//===----------------------------------------------------------------------===//
// The regular expression subset
//===----------------------------------------------------------------------===//

/// The collapsed byte llama.cpp gives non-ASCII code points of a class.
uint32_t collapsedUnit(uint32_t cp) {
  if (cp < 128)
    return cp;
  uint16_t f = codepointFlags(cp);
  if (f & kWhitespace)
    return 0x0B;
  switch (f & kCategories) {
  case kNumber:
    return 0xD1;
  case kLetter:
    return 0xD2;
  case kPunctuation:
    return 0xD3;
  case kMark:
    return 0xD4;
  case kSymbol:
    return 0xD5;
  default:
    return 0xD0;
  }
}

/// A set of units, as sorted-or-not ranges.
struct CharClass {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  bool negated = false;
  bool contains(uint32_t u) const {
    bool in = false;
    for (auto [lo, hi] : ranges)
      if (u >= lo && u <= hi) {
        in = true;
        break;
      }
    return in != negated;
  }
};

/// One element of a sequence: a class repeated min..max times, or `$`.
struct Element {
  CharClass cls;
  size_t min = 1, max = 1;
  bool endAnchor = false;
};

/// Adds ECMAScript's \s: [\t\n\v\f\r ] (non-ASCII white space arrives as \v).
void addSpace(CharClass &c) {
  c.ranges.push_back({0x09, 0x0D});
  c.ranges.push_back({0x20, 0x20});
}

/// Adds \p{X} in the collapsed text: X's collapsed byte and its ASCII members.
bool addCategory(CharClass &c, std::string_view name) {
  uint16_t flag;
  uint32_t unit;
  if (name == "N") {
    flag = kNumber, unit = 0xD1;
  } else if (name == "L" || name == "Lu" || name == "Ll" || name == "Lt" || name == "Lm" ||
             name == "Lo") {
    flag = kLetter, unit = 0xD2;
  } else if (name == "P") {
    flag = kPunctuation, unit = 0xD3;
  } else if (name == "M") {
    flag = kMark, unit = 0xD4;
  } else if (name == "S") {
    flag = kSymbol, unit = 0xD5;
  } else {
    return false;
  }
  c.ranges.push_back({unit, unit});
  for (uint32_t cp = 0; cp < 128; ++cp)
    if ((codepointFlags(cp) & kCategories) == flag)
      c.ranges.push_back({cp, cp});
  return true;
}

class RegexStep : public SplitStep {
public:
  std::vector<std::vector<Element>> alternatives;
  bool collapsed = false;

  void split(const std::vector<uint32_t> &cps, size_t begin, size_t end,
             std::vector<size_t> &pieces) const override {
    std::vector<uint32_t> units(cps.begin() + begin, cps.begin() + end);
    for (uint32_t &u : units) {
      if (collapsed)
        u = collapsedUnit(u);
      else if (u > 0x7F && (codepointFlags(u) & kWhitespace))
        u = 0x0B;
    }
    size_t n = units.size(), done = 0;
    for (size_t start = 0; start < n;) {
      size_t matchEnd = SIZE_MAX;
      for (const auto &alt : alternatives) {
        matchEnd = matchSeq(alt, 0, units, start);
        if (matchEnd != SIZE_MAX)
          break;
      }
      if (matchEnd == SIZE_MAX || matchEnd == start) {
        ++start;
        continue;
      }
      if (start > done)
        pieces.push_back(start - done);
      pieces.push_back(matchEnd - start);
      done = start = matchEnd;
    }
    if (n > done)
      pieces.push_back(n - done);
  }

private:
  static size_t matchSeq(const std::vector<Element> &seq, size_t i,
                         const std::vector<uint32_t> &units, size_t pos) {
    if (i == seq.size())
      return pos;
    const Element &e = seq[i];
    if (e.endAnchor)
      return pos == units.size() ? matchSeq(seq, i + 1, units, pos) : SIZE_MAX;
    size_t count = 0;
    while (count < e.max && pos + count < units.size() && e.cls.contains(units[pos + count]))
      ++count;
    for (size_t k = count + 1; k-- > e.min;) {
      size_t r = matchSeq(seq, i + 1, units, pos + k);
      if (r != SIZE_MAX)
        return r;
    }
    return SIZE_MAX;
  }
};

/// Parses the regex subset: alternatives of sequences of atoms (a literal,
/// `\s`, `\S`, `\d`, `\p{X}`, a bracket class) with ?, *, +, {n}, {n,},
/// {n,m}, and `$`.
class RegexParser {
public:
  RegexParser(std::string_view regex, std::string &error)
      : cps(decodeUtf8(regex)), error(error) {}

  std::unique_ptr<RegexStep> parse() {
    auto step = std::make_unique<RegexStep>();
    for (uint32_t c : cps)
      if (c >= 128)
        hasNonAscii = true;
    step->alternatives.emplace_back();
    while (pos < cps.size()) {
      uint32_t c = cps[pos];
      if (c == '|') {
        ++pos;
        step->alternatives.emplace_back();
        continue;
      }
      Element e;
      if (c == '$') {
        ++pos;
        e.endAnchor = true;
        step->alternatives.back().push_back(std::move(e));
        continue;
      }
      if (c == '(' || c == ')' || c == '.' || c == '^')
        return fail("groups, '.' and '^' are not supported");
      if (!parseAtom(e.cls))
        return nullptr;
      if (!parseQuantifier(e))
        return nullptr;
      step->alternatives.back().push_back(std::move(e));
    }
    if (usesCategory && hasNonAscii)
      return fail("unicode categories together with non-ASCII characters");
    step->collapsed = usesCategory;
    return step;
  }

private:
  std::nullptr_t fail(const std::string &why) {
    error = "unsupported pre-tokenizer expression: " + why;
    return nullptr;
  }

  bool parseEscape(CharClass &c, bool inBracket) {
    ++pos; // the backslash
    if (pos >= cps.size())
      return fail("trailing backslash"), false;
    uint32_t e = cps[pos++];
    switch (e) {
    case 's':
      addSpace(c);
      return true;
    case 'S':
      if (inBracket)
        return fail("\\S in a bracket"), false;
      addSpace(c);
      c.negated = true;
      return true;
    case 'd':
      c.ranges.push_back({'0', '9'});
      return true;
    case 'n':
      c.ranges.push_back({'\n', '\n'});
      return true;
    case 'r':
      c.ranges.push_back({'\r', '\r'});
      return true;
    case 't':
      c.ranges.push_back({'\t', '\t'});
      return true;
    case 'p': {
      if (pos >= cps.size() || cps[pos] != '{')
        return fail("\\p without a category"), false;
      size_t close = pos;
      while (close < cps.size() && cps[close] != '}')
        ++close;
      std::string name;
      for (size_t i = pos + 1; i < close; ++i)
        name += static_cast<char>(cps[i]);
      pos = close + 1;
      usesCategory = true;
      if (!addCategory(c, name))
        return fail("\\p{" + name + "}"), false;
      return true;
    }
    default:
      if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
        return fail(std::string("escape \\") + static_cast<char>(e)), false;
      c.ranges.push_back({e, e});
      return true;
    }
  }

  /// A single character of a bracket (for ranges), or -1 for a class escape.
  bool bracketChar(uint32_t &out) {
    uint32_t c = cps[pos];
    if (c != '\\') {
      out = c;
      ++pos;
      return true;
    }
    if (pos + 1 < cps.size()) {
      uint32_t e = cps[pos + 1];
      if (e == 'n' || e == 'r' || e == 't') {
        out = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
        pos += 2;
        return true;
      }
      if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))) {
        out = e;
        pos += 2;
        return true;
      }
    }
    return false;
  }

  bool parseAtom(CharClass &c) {
    uint32_t ch = cps[pos];
    if (ch == '\\')
      return parseEscape(c, /*inBracket=*/false);
    if (ch != '[') {
      c.ranges.push_back({ch, ch});
      ++pos;
      return true;
    }
    ++pos;
    if (pos < cps.size() && cps[pos] == '^') {
      c.negated = true;
      ++pos;
    }
    bool first = true;
    while (pos < cps.size() && (cps[pos] != ']' || first)) {
      first = false;
      uint32_t lo;
      if (!bracketChar(lo)) {
        if (!parseEscape(c, /*inBracket=*/true))
          return false;
        continue;
      }
      if (pos + 1 < cps.size() && cps[pos] == '-' && cps[pos + 1] != ']') {
        ++pos;
        uint32_t hi;
        if (!bracketChar(hi))
          return fail("a range ending in a class"), false;
        c.ranges.push_back({lo, hi});
      } else {
        c.ranges.push_back({lo, lo});
      }
    }
    if (pos >= cps.size())
      return fail("unterminated bracket"), false;
    ++pos; // ]
    return true;
  }

  bool parseNumber(size_t &out) {
    size_t start = pos;
    out = 0;
    while (pos < cps.size() && cps[pos] >= '0' && cps[pos] <= '9')
      out = out * 10 + (cps[pos++] - '0');
    return pos > start;
  }

  bool parseQuantifier(Element &e) {
    if (pos >= cps.size())
      return true;
    switch (cps[pos]) {
    case '?':
      e.min = 0, e.max = 1;
      break;
    case '*':
      e.min = 0, e.max = SIZE_MAX;
      break;
    case '+':
      e.min = 1, e.max = SIZE_MAX;
      break;
    case '{': {
      ++pos;
      if (!parseNumber(e.min))
        return fail("bad {n,m}"), false;
      e.max = e.min;
      if (pos < cps.size() && cps[pos] == ',') {
        ++pos;
        if (!parseNumber(e.max))
          e.max = SIZE_MAX;
      }
      if (pos >= cps.size() || cps[pos] != '}')
        return fail("bad {n,m}"), false;
      break;
    }
    default:
      return true;
    }
    ++pos;
    if (pos < cps.size() && (cps[pos] == '?' || cps[pos] == '+'))
      return fail("lazy or possessive quantifiers"), false;
    return true;
  }

  std::vector<uint32_t> cps;
  std::string &error;
  size_t pos = 0;
  bool usesCategory = false;
  bool hasNonAscii = false;
};

/// The families of `tokenizer.ggml.pre` values and their expressions (from
/// llama.cpp's llm_tokenizer_bpe); "@gpt2", "@llama3", "@qwen2", "@qwen35"
/// and "@newlines" name the hand-written matchers.
struct PreFamily {
  std::string_view name;
  std::vector<std::string_view> members;
  std::vector<std::string_view> steps;
};

const std::vector<PreFamily> &preFamilies() {
  static const std::vector<PreFamily> families = {
      {"default", {"default", ""},
       {"[\\p{P}\\$\\+<=>\\^~\\|]+", "@gpt2", "\\p{N}+", "[0-9][0-9][0-9]"}},
      {"llama3",
       {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
        "jina-v5-nano", "dbrx", "smaug-bpe"},
       {"@llama3"}},
      {"deepseek-llm",
       {"deepseek-llm"},
       {"[\r\n]",
        "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295"
        "-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-"
        "\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5"
        "\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-"
        "\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-"
        "\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-"
        "\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-"
        "\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E"
        "\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-"
        "\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17"
        "\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-"
        "\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-"
        "\U0001E943]+",
        "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"}},
      {"deepseek-coder",
       {"deepseek-coder"},
       {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}},
      {"falcon", {"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", "@gpt2", "[0-9][0-9][0-9]"}},
      {"starcoder",
       {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b",
        "mellum2"},
       {"\\p{N}", "@gpt2"}},
      {"gpt2",
       {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
        "a.x-4.0", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe",
        "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling"},
       {"@gpt2"}},
      {"qwen2",
       {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
        "solar-open"},
       {"@qwen2"}},
      {"qwen35", {"qwen35"}, {"@qwen35"}},
      {"bloom", {"poro-chat", "bloom", "gpt3-finnish"}, {" ?[^(\\s|.,!?…。，、।۔،)]+"}},
      {"viking", {"viking"}, {" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"}},
      {"gemma4", {"gemma4"}, {"@newlines"}},
  };
  return families;
}

} // namespace

std::unique_ptr<SplitStep> makeRegexStep(std::string_view regex, std::string &error) {
  return RegexParser(regex, error).parse();
}

std::vector<std::unique_ptr<SplitStep>> makePreTokenizer(std::string_view pre,
                                                         std::string &canonical,
                                                         std::string &error) {
  std::vector<std::unique_ptr<SplitStep>> steps;
  for (const PreFamily &family : preFamilies()) {
    bool member = false;
    for (std::string_view m : family.members)
      member |= m == pre;
    if (!member)
      continue;
    canonical = family.name;
    for (std::string_view step : family.steps) {
      if (step == "@gpt2")
        steps.push_back(std::make_unique<Gpt2Step>());
      else if (step == "@llama3")
        steps.push_back(std::make_unique<Llama3Step>(3, false));
      else if (step == "@qwen2")
        steps.push_back(std::make_unique<Llama3Step>(1, false));
      else if (step == "@qwen35")
        steps.push_back(std::make_unique<Llama3Step>(1, true));
      else if (step == "@newlines")
        steps.push_back(std::make_unique<NewlineStep>());
      else if (auto regex = makeRegexStep(step, error))
        steps.push_back(std::move(regex));
      else
        return {};
    }
    return steps;
  }
  error = "unsupported pre-tokenizer '" + std::string(pre) + "'";
  return {};
}

std::vector<std::string> splitWords(std::string_view text,
                                    const std::vector<std::unique_ptr<SplitStep>> &steps) {
  std::vector<uint32_t> cps = decodeUtf8(text);
  std::vector<size_t> pieces = {cps.size()};
  for (const auto &step : steps)
    pieces = refine(cps, pieces,
                    [&](const std::vector<uint32_t> &c, size_t b, size_t e, std::vector<size_t> &out) {
                      step->split(c, b, e, out);
                    });
  std::vector<std::string> words;
  words.reserve(pieces.size());
  size_t start = 0;
  for (size_t length : pieces) {
    std::string &word = words.emplace_back();
    for (size_t i = start; i < start + length; ++i)
      appendUtf8(word, cps[i]);
    start += length;
  }
  return words;
}

} // namespace quantc::tokenizer::detail
