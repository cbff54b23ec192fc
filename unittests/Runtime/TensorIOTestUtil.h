//===- TensorIOTestUtil.h - Building tensor files by hand -------*- C++ -*-===//
//
// Part of quantc.
//
// A protobuf wire-format builder (to write TensorProtos field by field,
// independently of the writer under test), tensors of every type filled with
// deterministic values, and a scratch directory per test.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_RUNTIME_TENSORIOTESTUTIL_H
#define QUANTC_UNITTESTS_RUNTIME_TENSORIOTESTUTIL_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace quantc::testing {

/// Protobuf fields, appended in order.
class Proto {
public:
  Proto &varint(uint64_t v) {
    while (v >= 0x80) {
      bytes.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    bytes.push_back(static_cast<std::byte>(v));
    return *this;
  }
  Proto &key(uint32_t field, uint32_t wireType) { return varint((uint64_t(field) << 3) | wireType); }
  Proto &varintField(uint32_t field, uint64_t v) { return key(field, 0).varint(v); }
  Proto &raw(std::span<const std::byte> data) {
    bytes.insert(bytes.end(), data.begin(), data.end());
    return *this;
  }
  Proto &raw(std::string_view text) {
    return raw(std::span(reinterpret_cast<const std::byte *>(text.data()), text.size()));
  }
  template <typename T> Proto &fixed(T v) {
    const auto *p = reinterpret_cast<const std::byte *>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }
  Proto &bytesField(uint32_t field, std::span<const std::byte> data) {
    key(field, 2).varint(data.size());
    return raw(data);
  }
  Proto &stringField(uint32_t field, std::string_view text) {
    return bytesField(field,
                      std::span(reinterpret_cast<const std::byte *>(text.data()), text.size()));
  }
  /// A packed run of varints.
  Proto &packedVarints(uint32_t field, const std::vector<uint64_t> &values) {
    Proto inner;
    for (uint64_t v : values)
      inner.varint(v);
    return bytesField(field, inner.bytes);
  }
  /// A packed run of fixed-size values.
  template <typename T> Proto &packedFixed(uint32_t field, const std::vector<T> &values) {
    Proto inner;
    for (T v : values)
      inner.fixed(v);
    return bytesField(field, inner.bytes);
  }

  std::vector<std::byte> bytes;
};

/// `count` bytes of a tensor of `dtype` with deterministic values (0 or 1
/// for bool).
inline std::vector<std::byte> sampleData(int32_t dtype, size_t count, size_t elementSize,
                                         uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(count * elementSize);
  for (std::byte &b : out)
    b = static_cast<std::byte>(rng() & 0xFF);
  if (dtype == 9)
    for (std::byte &b : out)
      b = static_cast<std::byte>(static_cast<uint8_t>(b) & 1);
  return out;
}

inline std::vector<std::byte> toBytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

/// A fresh directory under the test temporary directory, removed afterwards.
class ScratchDir {
public:
  ScratchDir() {
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = std::filesystem::path(::testing::TempDir()) /
           (std::string("quantc-tensorio-") + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::string file(std::string_view name) const { return (path / name).string(); }

  std::filesystem::path path;
};

} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_RUNTIME_TENSORIOTESTUTIL_H
