//===- Detail.cppm - Unicode classes and pre-tokenizers ---------*- C++ -*-===//
//
// Part of quantc.
//
// The tokenizer's internals: code point classes (from the generated
// UnicodeTable.inc), UTF-8 decoding as llama.cpp does it, and the
// pre-tokenizers that split text into words before BPE.
//
//===----------------------------------------------------------------------===//

module;

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

module quantc.tokenizer:detail;

namespace quantc::tokenizer::detail {

/// Code point classes; the values are those scripts/gen_unicode_table.py
/// writes.
enum CodepointFlags : uint16_t {
  kUndefined = 0x001,
  kNumber = 0x002,      // \p{N}
  kLetter = 0x004,      // \p{L}
  kSeparator = 0x008,   // \p{Z}
  kMark = 0x010,        // \p{M}
  kPunctuation = 0x020, // \p{P}
  kSymbol = 0x040,      // \p{S}
  kControl = 0x080,     // \p{C}
  kCategories = 0x0FF,
  kWhitespace = 0x100, // White_Space
};

/// The flags of `cp` (kUndefined beyond U+10FFFF).
uint16_t codepointFlags(uint32_t cp);

/// Decodes UTF-8; a byte that does not start a valid sequence becomes
/// U+FFFD and decoding resumes at the next byte.
std::vector<uint32_t> decodeUtf8(std::string_view text);
void appendUtf8(std::string &out, uint32_t cp);

/// One step of a pre-tokenizer: it refines a split of the text into pieces
/// (lengths in code points) into a finer split.
class SplitStep {
public:
  virtual ~SplitStep() = default;
  virtual void split(const std::vector<uint32_t> &cps, size_t begin, size_t end,
                     std::vector<size_t> &pieces) const = 0;
};

/// The steps of llama.cpp's pre-tokenizer named `pre` (a
/// `tokenizer.ggml.pre` value), with `canonical` set to the name of its
/// family; empty when unknown.
std::vector<std::unique_ptr<SplitStep>> makePreTokenizer(std::string_view pre,
                                                         std::string &canonical,
                                                         std::string &error);

/// A step matching one regular expression of the small ECMAScript subset
/// llama.cpp's simpler pre-tokenizers use; nullptr with `error` when the
/// expression is outside it.
std::unique_ptr<SplitStep> makeRegexStep(std::string_view regex, std::string &error);

/// Splits `text` into words with `steps`.
std::vector<std::string> splitWords(std::string_view text,
                                    const std::vector<std::unique_ptr<SplitStep>> &steps);

} // namespace quantc::tokenizer::detail
