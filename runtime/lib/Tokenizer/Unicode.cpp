//===- Unicode.cpp - Code point classes and UTF-8 -------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module quantc.tokenizer;

import :detail;

namespace quantc::tokenizer::detail {

namespace {
struct Run {
  uint32_t first;
  uint16_t flags;
};
constexpr Run kRuns[] = {
#include "UnicodeTable.inc"
};
} // namespace

uint16_t codepointFlags(uint32_t cp) {
  if (cp >= 0x110000)
    return kUndefined;
  const Run *run = std::upper_bound(std::begin(kRuns), std::end(kRuns), cp,
                                    [](uint32_t c, const Run &r) { return c < r.first; });
  return (run - 1)->flags;
}

std::vector<uint32_t> decodeUtf8(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  size_t i = 0;
  auto cont = [&](size_t k) {
    return i + k < text.size() && (static_cast<uint8_t>(text[i + k]) & 0xC0) == 0x80;
  };
  while (i < text.size()) {
    uint8_t b = static_cast<uint8_t>(text[i]);
    auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(text[i + k]) & 0x3F); };
    if (b < 0x80) {
      cps.push_back(b);
      i += 1;
    } else if ((b & 0xE0) == 0xC0 && cont(1)) {
      cps.push_back((uint32_t(b & 0x1F) << 6) | at(1));
      i += 2;
    } else if ((b & 0xF0) == 0xE0 && cont(1) && cont(2)) {
      cps.push_back((uint32_t(b & 0x0F) << 12) | (at(1) << 6) | at(2));
      i += 3;
    } else if ((b & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
      cps.push_back((uint32_t(b & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3));
      i += 4;
    } else {
      cps.push_back(0xFFFD);
      i += 1;
    }
  }
  return cps;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

} // namespace quantc::tokenizer::detail
