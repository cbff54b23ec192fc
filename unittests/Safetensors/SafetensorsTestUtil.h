//===- SafetensorsTestUtil.h - Building safetensors files in tests -*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_SAFETENSORS_SAFETENSORSTESTUTIL_H
#define QUANTC_UNITTESTS_SAFETENSORS_SAFETENSORSTESTUTIL_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace quantc::testing {

/// A safetensors image: the u64 header length, `header` and `data`.
inline std::vector<std::byte> safetensorsImage(std::string_view header,
                                               const std::vector<std::byte> &data) {
  std::vector<std::byte> out(8 + header.size());
  uint64_t length = header.size();
  std::memcpy(out.data(), &length, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// `n` bytes counting up from `start`.
inline std::vector<std::byte> countingBytes(size_t n, uint8_t start = 0) {
  std::vector<std::byte> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::byte>(start + i);
  return out;
}

inline void writeFileBytes(const std::filesystem::path &path, const std::vector<std::byte> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void writeFileText(const std::filesystem::path &path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A fresh, empty directory for one test, removed afterwards.
class TempModelDir {
public:
  TempModelDir() {
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = std::filesystem::path(::testing::TempDir()) /
          ("quantc-st-" + std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~TempModelDir() { std::filesystem::remove_all(dir); }
  std::string path(std::string_view name) const { return (dir / name).string(); }

  std::filesystem::path dir;
};

} // namespace quantc::testing

#endif // QUANTC_UNITTESTS_SAFETENSORS_SAFETENSORSTESTUTIL_H
