//===- UTF8.cpp - Strict UTF-8 validation ---------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

module quantc.formatsupport;

namespace quantc {

std::optional<size_t> findInvalidUTF8(std::string_view text) {
  const auto *bytes = reinterpret_cast<const uint8_t *>(text.data());
  size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    uint8_t lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The valid ranges of the second byte follow RFC 3629's table; they
    // exclude overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    size_t length;
    uint8_t lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0)
        lo = 0xA0;
      else if (lead == 0xED)
        hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0)
        lo = 0x90;
      else if (lead == 0xF4)
        hi = 0x8F;
    } else {
      return i;
    }
    if (size - i < length)
      return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi)
      return i;
    for (size_t k = 2; k < length; ++k)
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF)
        return i;
    i += length;
  }
  return std::nullopt;
}

} // namespace quantc
