//===- TensorIORealFilesTest.cpp - ONNX's backend test data ---------------===//
//
// Part of quantc.
//
// The TensorProto files of ONNX's backend tests (Debian's libonnx-testdata;
// skipped when absent): known files have the dims and types ONNX gives
// them, test_add's expected output equals the sum of its inputs under
// compareTensors, and every one of the ~3,200 .pb files either parses into
// a consistent tensor that re-serializes and re-parses unchanged, or fails
// with a message (string, sequence and optional values, which are not
// tensors of a qc_dtype).
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

import quantc.runtime;
import quantc.tensorio;

using namespace quantc::tensorio;
namespace fs = std::filesystem;

namespace {

const fs::path kDataDir = QUANTC_ONNX_TESTDATA_DIR;

#define REQUIRE_TESTDATA()                                                                         \
  if (!fs::exists(kDataDir / "node"))                                                              \
  GTEST_SKIP() << kDataDir << " is missing (apt-get install libonnx-testdata)"

Tensor read(const std::string &relative) {
  absl::StatusOr<Tensor> t = readTensorFile((kDataDir / relative).string());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor{};
}

std::vector<std::byte> fileBytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

TEST(TensorIORealFiles, KnownTensors) {
  REQUIRE_TESTDATA();
  struct {
    const char *file;
    const char *name;
    int32_t dtype;
    std::vector<int64_t> dims;
  } known[] = {
      {"node/test_add/test_data_set_0/input_0.pb", "x", 1, {3, 4, 5}},
      {"node/test_add/test_data_set_0/input_1.pb", "y", 1, {3, 4, 5}},
      {"node/test_add/test_data_set_0/output_0.pb", "sum", 1, {3, 4, 5}},
      {"node/test_argmax_default_axis_example/test_data_set_0/output_0.pb", "result", 7, {1, 2}},
      {"node/test_equal/test_data_set_0/output_0.pb", "z", 9, {3, 4, 5}},
      {"node/test_cast_FLOAT_to_FLOAT16/test_data_set_0/output_0.pb", "output", 10, {3, 4}},
      {"node/test_cast_FLOAT_to_DOUBLE/test_data_set_0/output_0.pb", "output", 11, {3, 4}},
      // Older ONNX releases stored bfloat16 results as uint16.
      {"node/test_cast_FLOAT_to_BFLOAT16/test_data_set_0/output_0.pb", "output", 4, {3, 4}},
  };
  for (const auto &k : known) {
    Tensor t = read(k.file);
    EXPECT_EQ(t.name, k.name) << k.file;
    EXPECT_EQ(t.dtype, k.dtype) << k.file;
    EXPECT_EQ(t.dims, k.dims) << k.file;
    EXPECT_TRUE(checkTensor(t).ok()) << k.file;
  }
}

TEST(TensorIORealFiles, AddOutputIsTheSumOfItsInputs) {
  REQUIRE_TESTDATA();
  Tensor x = read("node/test_add/test_data_set_0/input_0.pb");
  Tensor y = read("node/test_add/test_data_set_0/input_1.pb");
  Tensor expected = read("node/test_add/test_data_set_0/output_0.pb");
  ASSERT_EQ(x.data.size(), 240u);
  Tensor sum = x;
  sum.name = "sum";
  for (size_t i = 0; i < 60; ++i) {
    float a, b;
    std::memcpy(&a, x.data.data() + 4 * i, 4);
    std::memcpy(&b, y.data.data() + 4 * i, 4);
    float s = a + b;
    std::memcpy(sum.data.data() + 4 * i, &s, 4);
  }
  Comparison exact = compareTensors(expected, sum, 0, 0);
  EXPECT_TRUE(exact.equal) << exact.message;
  // And a wrong answer is caught.
  Comparison wrong = compareTensors(expected, x, 1e-3, 1e-5);
  EXPECT_FALSE(wrong.equal);
  EXPECT_EQ(wrong.mismatches, 60u) << wrong.message;
}

TEST(TensorIORealFiles, EveryFileParsesOrFailsCleanly) {
  REQUIRE_TESTDATA();
  size_t files = 0, parsed = 0, byteIdentical = 0;
  std::map<int32_t, size_t> perType;
  std::map<std::string, size_t> failures;
  for (const fs::directory_entry &entry : fs::recursive_directory_iterator(kDataDir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".pb")
      continue;
    ++files;
    std::vector<std::byte> bytes = fileBytes(entry.path());
    absl::StatusOr<Tensor> t = parseTensorPb(bytes, entry.path().string());
    if (!t.ok()) {
      std::string message(t.status().message());
      ASSERT_EQ(message.rfind(entry.path().string() + ": ", 0), 0u) << message;
      // Group by problem, without the path and the offset.
      std::string problem = message.substr(entry.path().string().size() + 2);
      failures[problem.substr(0, problem.find(" ("))]++;
      continue;
    }
    ++parsed;
    ++perType[t->dtype];
    ASSERT_TRUE(checkTensor(*t).ok()) << entry.path();
    absl::StatusOr<std::vector<std::byte>> again = serializeTensorPb(*t);
    ASSERT_TRUE(again.ok()) << entry.path();
    byteIdentical += *again == bytes;
    absl::StatusOr<Tensor> reparsed = parseTensorPb(*again, "again");
    ASSERT_TRUE(reparsed.ok()) << entry.path() << ": " << reparsed.status();
    ASSERT_EQ(*reparsed, *t) << entry.path();
  }
  std::string summary;
  for (const auto &[type, count] : perType)
    summary += std::string(quantc::runtime::dtypeName(type)) + ": " + std::to_string(count) + "\n";
  for (const auto &[problem, count] : failures)
    summary += "rejected " + std::to_string(count) + ": " + problem + "\n";
  RecordProperty("summary", summary);
  std::printf("%zu files, %zu parsed, %zu byte-identical when written back\n%s", files, parsed,
              byteIdentical, summary.c_str());
  EXPECT_GT(files, 3000u);
  EXPECT_GT(parsed, 2900u);
  // Almost all were written by numpy_helper.from_array, whose layout the
  // writer reproduces.
  EXPECT_GT(byteIdentical, 2500u);
  EXPECT_GE(perType.size(), 10u);
}

} // namespace
