//===- NpyTest.cpp - numpy .npy details -----------------------------------===//
//
// Part of quantc.
//
// The writer against bytes numpy 1.24's numpy.save produced (captured once,
// embedded here), and the reader on the header variants numpy and other
// writers produce: versions 2 and 3, old 16-byte padding, double quotes,
// keys in any order, Python 2 long suffixes, '=' byte order.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "TensorIOTestUtil.h"

import quantc.tensorio;

using namespace quantc::tensorio;
using quantc::testing::toBytes;

namespace {

/// The magic, version 1.0 and a u16 header length, then `header` padded as
/// numpy pads it (spaces and a newline to a multiple of 64).
std::string v1(const std::string &header) {
  size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  std::string padded = header + std::string(total - 10 - header.size() - 1, ' ') + "\n";
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(padded.size() & 0xFF));
  out.push_back(static_cast<char>(padded.size() >> 8));
  return out + padded;
}

std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (float v : values)
    out.append(reinterpret_cast<const char *>(&v), 4);
  return out;
}

TEST(TensorIONpy, WriterMatchesNumpySave) {
  // np.save(f, np.array([[1, 2, 3], [4, 5, 6]], np.float32))
  Tensor t;
  t.dtype = 1;
  t.dims = {2, 3};
  t.data = toBytes(floats({1, 2, 3, 4, 5, 6}));
  std::string numpy = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                      std::string(58, ' ') + "\n" + floats({1, 2, 3, 4, 5, 6});
  ASSERT_EQ(numpy.size(), 152u);
  absl::StatusOr<std::vector<std::byte>> bytes = serializeNpy(t);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, toBytes(numpy));

  // np.save(f, np.array(7, np.int64)) and np.save(f, np.array([True, False]))
  Tensor scalar;
  scalar.dtype = 7;
  int64_t seven = 7;
  scalar.data.resize(8);
  std::memcpy(scalar.data.data(), &seven, 8);
  std::string scalarHeader = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
  EXPECT_EQ(*serializeNpy(scalar),
            toBytes(v1(scalarHeader) + std::string(reinterpret_cast<char *>(&seven), 8)));
  Tensor flags;
  flags.dtype = 9;
  flags.dims = {2};
  flags.data = toBytes(std::string("\x01\x00", 2));
  EXPECT_EQ(*serializeNpy(flags),
            toBytes(v1("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }") +
                    std::string("\x01\x00", 2)));
}

TEST(TensorIONpy, EveryDescr) {
  struct {
    const char *descr;
    int32_t dtype;
    size_t size;
  } cases[] = {{"<f4", 1, 4}, {"<f8", 11, 8}, {"<f2", 10, 2}, {"|i1", 3, 1}, {"|u1", 2, 1},
               {"<i2", 5, 2}, {"<u2", 4, 2},  {"<i4", 6, 4},  {"<u4", 12, 4}, {"<i8", 7, 8},
               {"<u8", 13, 8}, {"|b1", 9, 1}, {"=f4", 1, 4},  {"<i1", 3, 1}, {"=b1", 9, 1}};
  for (const auto &c : cases) {
    std::string file = v1(std::string("{'descr': '") + c.descr +
                          "', 'fortran_order': False, 'shape': (3,), }") +
                       std::string(3 * c.size, '\0');
    absl::StatusOr<Tensor> t = parseNpy(toBytes(file), "x.npy");
    ASSERT_TRUE(t.ok()) << c.descr << ": " << t.status();
    EXPECT_EQ(t->dtype, c.dtype) << c.descr;
    EXPECT_EQ(t->dims, (std::vector<int64_t>{3}));
    EXPECT_EQ(t->data.size(), 3 * c.size);
  }
}

TEST(TensorIONpy, HeaderVariants) {
  std::string data = floats({1, 2, 3, 4, 5, 6});
  auto expectShape23 = [&](const std::string &file, const char *what) {
    absl::StatusOr<Tensor> t = parseNpy(toBytes(file), "x.npy");
    ASSERT_TRUE(t.ok()) << what << ": " << t.status();
    EXPECT_EQ(t->dims, (std::vector<int64_t>{2, 3})) << what;
    EXPECT_EQ(t->dtype, 1) << what;
  };
  expectShape23(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") + data,
                "numpy's own");
  expectShape23(v1("{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}") + data,
                "keys reordered, no trailing comma");
  expectShape23(v1("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 3L)}") + data,
                "double quotes, Python 2 longs");
  // Old numpy padded to 16 bytes.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string padded = header + std::string(15 - (10 + header.size()) % 16, ' ') + "\n";
  ASSERT_EQ((10 + padded.size()) % 16, 0u);
  std::string old = std::string("\x93NUMPY\x01\x00", 8);
  old.push_back(static_cast<char>(padded.size()));
  old.push_back('\0');
  expectShape23(old + padded + data, "16-byte padding");
  // Versions 2.0 and 3.0: a u32 header length.
  for (char major : {'\x02', '\x03'}) {
    std::string h = header + std::string(64 - (12 + header.size() + 1) % 64, ' ') + "\n";
    std::string file = std::string("\x93NUMPY", 6) + major + '\0';
    uint32_t length = static_cast<uint32_t>(h.size());
    file.append(reinterpret_cast<const char *>(&length), 4);
    expectShape23(file + h + data, major == 2 ? "version 2" : "version 3");
  }
}

} // namespace
