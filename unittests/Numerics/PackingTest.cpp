//===- PackingTest.cpp - Sub-byte packing tests ---------------------------===//

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"

import quantc.numerics;

using namespace quantc::numerics;

namespace {

static_assert(packedBytes(0, 4) == 0);
static_assert(packedBytes(1, 4) == 1);
static_assert(packedBytes(3, 4) == 2);

/// Packs bit by bit: bit j of value i goes to stream bit i * bits + j.
std::vector<uint8_t> referencePack(const std::vector<uint8_t> &values, unsigned bits) {
  std::vector<uint8_t> out((values.size() * bits + 7) / 8, 0);
  for (size_t i = 0; i < values.size(); ++i)
    for (unsigned j = 0; j < bits; ++j)
      if ((values[i] >> j) & 1) {
        size_t bit = i * bits + j;
        out[bit / 8] |= uint8_t(1u << (bit % 8));
      }
  return out;
}

TEST(PackedBytesTest, RoundsUp) {
  EXPECT_EQ(packedBytes(0, 1), 0u);
  EXPECT_EQ(packedBytes(8, 1), 1u);
  EXPECT_EQ(packedBytes(9, 1), 2u);
  EXPECT_EQ(packedBytes(5, 3), 2u);
  EXPECT_EQ(packedBytes(6, 3), 3u);
  EXPECT_EQ(packedBytes(7, 4), 4u);
  EXPECT_EQ(packedBytes(10, 8), 10u);
  EXPECT_EQ(packedBytes(uint64_t(1) << 40, 4), uint64_t(1) << 39);
}

TEST(PackBitsTest, RandomRoundTripEveryWidth) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  for (unsigned bits = 1; bits <= 8; ++bits) {
    for (size_t count : {0u, 1u, 2u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 100u, 1001u}) {
      std::vector<uint8_t> values(count);
      for (uint8_t &v : values)
        v = uint8_t(byte(rng)); // high bits set too: they must be ignored
      std::vector<uint8_t> masked(values);
      for (uint8_t &v : masked)
        v = uint8_t(v & ((1u << bits) - 1));

      std::vector<uint8_t> packed(packedBytes(count, bits), 0xAA);
      ASSERT_TRUE(packBits(values, bits, packed).ok()) << bits << " " << count;
      EXPECT_EQ(packed, referencePack(masked, bits)) << bits << " " << count;

      std::vector<uint8_t> unpacked(count, 0xCC);
      ASSERT_TRUE(unpackBits(packed, bits, unpacked).ok());
      EXPECT_EQ(unpacked, masked) << bits << " " << count;
    }
  }
}

TEST(PackBitsTest, KnownLayouts) {
  std::vector<uint8_t> out(1);
  ASSERT_TRUE(packBits(std::vector<uint8_t>{1, 2}, 4, out).ok());
  EXPECT_EQ(out[0], 0x21); // element 0 in the low nibble
  ASSERT_TRUE(packBits(std::vector<uint8_t>{0xFF}, 3, out).ok());
  EXPECT_EQ(out[0], 0x07); // masked to 3 bits, padding zero
  std::vector<uint8_t> two(2);
  // 3-bit codes 1, 2, 3: 001 | 010 << 3 | 011 << 6 -> bits 0..8.
  ASSERT_TRUE(packBits(std::vector<uint8_t>{1, 2, 3}, 3, two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{0xD1, 0x00}));
  ASSERT_TRUE(packBits(std::vector<uint8_t>{1, 2, 7}, 3, two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{0xD1, 0x01})); // code 2 straddles bytes
  ASSERT_TRUE(packBits(std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 0, 1, 1}, 1, two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{0x8D, 0x01}));
}

TEST(PackBitsTest, Errors) {
  std::vector<uint8_t> values(10, 1);
  std::vector<uint8_t> out(5);
  for (unsigned bits : {0u, 9u}) {
    absl::Status s = packBits(values, bits, out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bits;
    EXPECT_NE(s.message().find("bit width"), absl::string_view::npos) << s;
    EXPECT_EQ(unpackBits(out, bits, values).code(), absl::StatusCode::kInvalidArgument);
  }
  // 10 x 3 bits need 4 bytes: too small and too large both fail.
  std::vector<uint8_t> small(3, 0x55), large(5, 0x55);
  absl::Status s = packBits(values, 3, small);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("holds 3 bytes, expected 4"), absl::string_view::npos) << s;
  EXPECT_EQ(small, std::vector<uint8_t>(3, 0x55)); // untouched
  EXPECT_EQ(packBits(values, 3, large).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpackBits(small, 3, values).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpackBits(large, 3, values).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Int4Test, KnownLayouts) {
  std::vector<uint8_t> one(1), two(2);
  ASSERT_TRUE(packInt4(std::vector<int8_t>{1, -1}, one).ok());
  EXPECT_EQ(one[0], 0xF1);
  ASSERT_TRUE(packInt4(std::vector<int8_t>{-8, 7}, one).ok());
  EXPECT_EQ(one[0], 0x78);
  ASSERT_TRUE(packInt4(std::vector<int8_t>{3}, one).ok());
  EXPECT_EQ(one[0], 0x03); // odd count: the high nibble is zero padding
  ASSERT_TRUE(packInt4(std::vector<int8_t>{-2, 5, -7}, two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{0x5E, 0x09}));

  std::vector<int8_t> values(2);
  ASSERT_TRUE(unpackInt4(std::vector<uint8_t>{0xF1}, values).ok());
  EXPECT_EQ(values, (std::vector<int8_t>{1, -1}));
  std::vector<uint8_t> uvalues(2);
  ASSERT_TRUE(unpackUInt4(std::vector<uint8_t>{0xF1}, uvalues).ok());
  EXPECT_EQ(uvalues, (std::vector<uint8_t>{1, 15}));
  std::vector<int8_t> three(3);
  ASSERT_TRUE(unpackInt4(two, three).ok());
  EXPECT_EQ(three, (std::vector<int8_t>{-2, 5, -7}));
}

TEST(Int4Test, AllPairsRoundTrip) {
  std::vector<int8_t> values, back(512);
  for (int a = -8; a <= 7; ++a)
    for (int b = -8; b <= 7; ++b) {
      values.push_back(int8_t(a));
      values.push_back(int8_t(b));
    }
  std::vector<uint8_t> packed(256);
  ASSERT_TRUE(packInt4(values, packed).ok());
  for (size_t i = 0; i < 256; ++i)
    EXPECT_EQ(packed[i], uint8_t((values[2 * i] & 0xF) | ((values[2 * i + 1] & 0xF) << 4)));
  ASSERT_TRUE(unpackInt4(packed, back).ok());
  EXPECT_EQ(back, values);
}

TEST(Int4Test, UInt4MatchesPackBits) {
  std::vector<uint8_t> values(37), packed(19), back(37);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = uint8_t((i * 7 + 3) % 16);
  ASSERT_TRUE(packBits(values, 4, packed).ok());
  ASSERT_TRUE(unpackUInt4(packed, back).ok());
  EXPECT_EQ(back, values);
}

TEST(Int4Test, Errors) {
  std::vector<int8_t> values(5);
  std::vector<uint8_t> out(2);
  absl::Status s = packInt4(values, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 3"), absl::string_view::npos) << s;
  EXPECT_EQ(unpackInt4(out, values).code(), absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> uvalues(5);
  EXPECT_EQ(unpackUInt4(out, uvalues).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Int2Test, KnownLayouts) {
  std::vector<uint8_t> one(1), two(2);
  // 1 -> 01, -1 -> 11, -2 -> 10, 0 -> 00, element 0 lowest.
  ASSERT_TRUE(packInt2(std::vector<int8_t>{1, -1, -2, 0}, one).ok());
  EXPECT_EQ(one[0], 0x2D);
  ASSERT_TRUE(packInt2(std::vector<int8_t>{-1, -1, -1, -1, 1}, two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{0xFF, 0x01}));
  std::vector<int8_t> values(4);
  ASSERT_TRUE(unpackInt2(std::vector<uint8_t>{0x2D}, values).ok());
  EXPECT_EQ(values, (std::vector<int8_t>{1, -1, -2, 0}));
}

TEST(Int2Test, AllQuadruplesRoundTrip) {
  std::vector<int8_t> values;
  for (unsigned byte = 0; byte < 256; ++byte)
    for (unsigned k = 0; k < 4; ++k) {
      int code = (byte >> (2 * k)) & 3;
      values.push_back(int8_t(code >= 2 ? code - 4 : code));
    }
  std::vector<uint8_t> packed(256);
  ASSERT_TRUE(packInt2(values, packed).ok());
  for (unsigned byte = 0; byte < 256; ++byte)
    ASSERT_EQ(packed[byte], byte);
  std::vector<int8_t> back(values.size());
  ASSERT_TRUE(unpackInt2(packed, back).ok());
  EXPECT_EQ(back, values);
}

TEST(Int2Test, Errors) {
  std::vector<int8_t> values(5);
  std::vector<uint8_t> out(1);
  EXPECT_EQ(packInt2(values, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unpackInt2(out, values).code(), absl::StatusCode::kInvalidArgument);
}

} // namespace
