//===- GGUFTestUtil.h - Building GGUF bytes by hand in tests ----*- C++ -*-===//
//
// Part of quantc.
//
// A little-endian byte builder for writing GGUF images field by field (to
// make hostile files and to check the writer against llama.cpp's layout
// independently of it), and a scratch directory per test.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_GGUF_GGUFTESTUTIL_H
#define QUANTC_UNITTESTS_GGUF_GGUFTESTUTIL_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace quantc::testing {

/// Appends little-endian fields.
class Bytes {
public:
  template <typename T> Bytes &put(T value) {
    const auto *raw = reinterpret_cast<const std::byte *>(&value);
    data.insert(data.end(), raw, raw + sizeof(T));
    return *this;
  }
  Bytes &u8(uint8_t v) { return put(v); }
  Bytes &u32(uint32_t v) { return put(v); }
  Bytes &i32(int32_t v) { return put(v); }
  Bytes &u64(uint64_t v) { return put(v); }
  Bytes &i64(int64_t v) { return put(v); }
  Bytes &raw(std::string_view text) {
    const auto *p = reinterpret_cast<const std::byte *>(text.data());
    data.insert(data.end(), p, p + text.size());
    return *this;
  }
  Bytes &raw(std::span<const std::byte> bytes) {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return *this;
  }
  /// A GGUF string: u64 length and the bytes.
  Bytes &str(std::string_view text) { return u64(text.size()).raw(text); }
  /// Zero bytes up to a multiple of `alignment`.
  Bytes &pad(size_t alignment) {
    while (data.size() % alignment != 0)
      data.push_back(std::byte{0});
    return *this;
  }
  /// "GGUF", version, tensor count, metadata count.
  Bytes &header(uint32_t version, uint64_t tensors, uint64_t keys) {
    return raw("GGUF").u32(version).u64(tensors).u64(keys);
  }
  /// A tensor info.
  Bytes &tensorInfo(std::string_view name, std::vector<int64_t> dims, uint32_t type,
                    uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (int64_t d : dims)
      i64(d);
    return u32(type).u64(offset);
  }
  size_t size() const { return data.size(); }
  std::span<const std::byte> span() const { return data; }

  std::vector<std::byte> data;
};

/// Deterministic pseudo-random bytes.
inline std::vector<std::byte> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (std::byte &b : out)
    b = static_cast<std::byte>(rng() & 0xFF);
  return out;
}

inline std::vector<std::byte> readWholeFile(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  if (!chars.empty())
    std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

inline void writeWholeFile(const std::filesystem::path &path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh, empty directory for one test, removed afterwards.
class ScratchDir {
public:
  ScratchDir() {
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string leaf = std::string(info ? info->test_suite_name() : "suite") + "." +
                       (info ? info->name() : "test");
    for (char &c : leaf)
      if (c == '/')
        c = '_';
    dir = std::filesystem::path(::testing::TempDir()) / ("quantc-" + leaf);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~ScratchDir() { std::filesystem::remove_all(dir); }

  std::string path(std::string_view name) const { return (dir / name).string(); }
  /// The names in the directory.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
      names.push_back(entry.path().filename().string());
    return names;
  }

  std::filesystem::path dir;
};

} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_GGUF_GGUFTESTUTIL_H
