//===- Packing.cppm - Sub-byte packing --------------------------*- C++ -*-===//
//
// Packing of 1..8-bit codes into bytes. Every layout here is the same
// little-endian, LSB-first bitstream: code i occupies bits
// [i * bits, (i + 1) * bits) of the stream, bit k of the stream being bit
// k % 8 of byte k / 8. For 4 bits that is ONNX's int4/uint4 layout (element
// 2i in the low nibble of byte i); for 2 bits, element 4i in the lowest two
// bits. Padding bits in the last byte are written as zero.
//
// The span functions check sizes and return InvalidArgument, writing nothing,
// when a buffer does not hold exactly what the count calls for.
//
//===----------------------------------------------------------------------===//

module;

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

export module quantc.numerics:packing;

export namespace quantc::numerics {

/// Bytes needed for `count` codes of `bits` bits: ceil(count * bits / 8).
constexpr uint64_t packedBytes(uint64_t count, unsigned bits) {
  return (count * bits + 7) / 8;
}

} // namespace quantc::numerics

namespace quantc::numerics::detail {

absl::Status checkBits(const char *fn, unsigned bits) {
  if (bits < 1 || bits > 8)
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": bit width ", bits, " is outside 1..8"));
  return absl::OkStatus();
}

/// Checks that `packed` is exactly the size `count` codes of `bits` bits take.
absl::Status checkPackedSize(const char *fn, size_t packed, size_t count,
                             unsigned bits) {
  uint64_t expected = packedBytes(count, bits);
  if (packed != expected)
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": packed buffer holds ", packed, " bytes, expected ", expected,
                     " for ", count, " ", bits, "-bit values"));
  return absl::OkStatus();
}

/// Packs the low `bits` bits of each code; sizes already checked.
void packStream(std::span<const uint8_t> codes, unsigned bits, std::span<uint8_t> out) {
  const uint32_t mask = (uint32_t(1) << bits) - 1;
  uint32_t acc = 0;     // pending bits, LSB first
  unsigned pending = 0; // how many bits of acc are pending (< 8 between codes)
  size_t o = 0;
  for (uint8_t code : codes) {
    acc |= (code & mask) << pending;
    pending += bits;
    while (pending >= 8) {
      out[o++] = uint8_t(acc);
      acc >>= 8;
      pending -= 8;
    }
  }
  if (pending > 0)
    out[o] = uint8_t(acc);
}

/// Unpacks `codes.size()` codes of `bits` bits, zero-extended; sizes already
/// checked.
void unpackStream(std::span<const uint8_t> in, unsigned bits, std::span<uint8_t> codes) {
  const uint32_t mask = (uint32_t(1) << bits) - 1;
  uint32_t acc = 0;
  unsigned available = 0;
  size_t i = 0;
  for (uint8_t &code : codes) {
    if (available < bits) {
      acc |= uint32_t(in[i++]) << available;
      available += 8;
    }
    code = uint8_t(acc & mask);
    acc >>= bits;
    available -= bits;
  }
}

/// Sign-extends the low `bits` bits of `code`.
constexpr int8_t signExtend(uint8_t code, unsigned bits) {
  unsigned shift = 8 - bits;
  return int8_t(int8_t(uint8_t(code << shift)) >> shift);
}

absl::Status packSigned(const char *fn, std::span<const int8_t> values, unsigned bits,
                        std::span<uint8_t> out) {
  if (absl::Status s = checkPackedSize(fn, out.size(), values.size(), bits); !s.ok())
    return s;
  // Two's complement: the low `bits` bits of the byte are the code.
  packStream(std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(values.data()),
                                      values.size()),
             bits, out);
  return absl::OkStatus();
}

absl::Status unpackSigned(const char *fn, std::span<const uint8_t> in, unsigned bits,
                          std::span<int8_t> values) {
  if (absl::Status s = checkPackedSize(fn, in.size(), values.size(), bits); !s.ok())
    return s;
  std::span<uint8_t> codes(reinterpret_cast<uint8_t *>(values.data()), values.size());
  unpackStream(in, bits, codes);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = signExtend(codes[i], bits);
  return absl::OkStatus();
}

} // namespace quantc::numerics::detail

export namespace quantc::numerics {

/// Packs the low `bits` bits (1..8) of each value into the LSB-first
/// bitstream; higher bits are ignored. `out` must hold exactly
/// packedBytes(values.size(), bits) bytes.
absl::Status packBits(std::span<const uint8_t> values, unsigned bits, std::span<uint8_t> out) {
  if (absl::Status s = detail::checkBits("packBits", bits); !s.ok())
    return s;
  if (absl::Status s = detail::checkPackedSize("packBits", out.size(), values.size(), bits);
      !s.ok())
    return s;
  detail::packStream(values, bits, out);
  return absl::OkStatus();
}

/// Unpacks values.size() codes of `bits` bits (1..8), zero-extended. `in`
/// must hold exactly packedBytes(values.size(), bits) bytes.
absl::Status unpackBits(std::span<const uint8_t> in, unsigned bits, std::span<uint8_t> values) {
  if (absl::Status s = detail::checkBits("unpackBits", bits); !s.ok())
    return s;
  if (absl::Status s = detail::checkPackedSize("unpackBits", in.size(), values.size(), bits);
      !s.ok())
    return s;
  detail::unpackStream(in, bits, values);
  return absl::OkStatus();
}

/// Packs signed 4-bit values as two's complement nibbles, element 2i in the
/// low nibble of byte i (ONNX int4). Values outside [-8, 7] wrap: only the
/// low nibble is stored. `out` must hold exactly ceil(n / 2) bytes.
absl::Status packInt4(std::span<const int8_t> values, std::span<uint8_t> out) {
  return detail::packSigned("packInt4", values, 4, out);
}

/// Unpacks ONNX int4 nibbles, sign-extending each to [-8, 7]. `in` must hold
/// exactly ceil(values.size() / 2) bytes.
absl::Status unpackInt4(std::span<const uint8_t> in, std::span<int8_t> values) {
  return detail::unpackSigned("unpackInt4", in, 4, values);
}

/// Unpacks ONNX uint4 nibbles to [0, 15]. `in` must hold exactly
/// ceil(values.size() / 2) bytes. (packBits with 4 bits packs them.)
absl::Status unpackUInt4(std::span<const uint8_t> in, std::span<uint8_t> values) {
  if (absl::Status s = detail::checkPackedSize("unpackUInt4", in.size(), values.size(), 4);
      !s.ok())
    return s;
  detail::unpackStream(in, 4, values);
  return absl::OkStatus();
}

/// Packs signed 2-bit values, four per byte, element 4i in the lowest two
/// bits of byte i. Values outside [-2, 1] wrap. `out` must hold exactly
/// ceil(n / 4) bytes.
absl::Status packInt2(std::span<const int8_t> values, std::span<uint8_t> out) {
  return detail::packSigned("packInt2", values, 2, out);
}

/// Unpacks signed 2-bit values, sign-extending each to [-2, 1]. `in` must hold
/// exactly ceil(values.size() / 4) bytes.
absl::Status unpackInt2(std::span<const uint8_t> in, std::span<int8_t> values) {
  return detail::unpackSigned("unpackInt2", in, 2, values);
}

} // namespace quantc::numerics
