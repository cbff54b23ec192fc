//===- SafetensorsTest.cpp - The safetensors file reader ------------------===//
//
// Part of quantc.
//
// Valid files of every dtype, then one test per way a file can be wrong,
// each checking that the message names the file and the problem.
//
//===----------------------------------------------------------------------===//

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "SafetensorsTestUtil.h"

import quantc.safetensors;

using namespace quantc::safetensors;
using quantc::testing::countingBytes;
using quantc::testing::safetensorsImage;

namespace {

constexpr const char *kName = "model.safetensors";

absl::StatusOr<File> parseImage(const std::vector<std::byte> &image) {
  return File::parse(image, kName);
}

void expectRejected(const std::vector<std::byte> &image,
                    std::initializer_list<std::string> problems) {
  absl::StatusOr<File> file = parseImage(image);
  ASSERT_FALSE(file.ok()) << "accepted a hostile file";
  std::string message(file.status().message());
  EXPECT_EQ(message.rfind(std::string(kName) + ": ", 0), 0u) << message;
  for (const std::string &problem : problems)
    EXPECT_NE(message.find(problem), std::string::npos)
        << "expected \"" << problem << "\" in: " << message;
}

void expectRejected(const std::string &header, size_t dataSize,
                    std::initializer_list<std::string> problems) {
  expectRejected(safetensorsImage(header, countingBytes(dataSize)), problems);
}

TEST(SafetensorsTest, ValidFile) {
  std::string header = R"({"__metadata__":{"format":"pt","note":"é"},)"
                       R"("b":{"dtype":"F16","shape":[2,3],"data_offsets":[16,28]},)"
                       R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                       R"("empty":{"dtype":"I64","shape":[0,5],"data_offsets":[28,28]},)"
                       R"("scalar":{"dtype":"U8","shape":[],"data_offsets":[28,29]}})";
  // The safetensors crate pads the header with spaces to a multiple of 8.
  while ((header.size() + 8) % 8 != 0)
    header += ' ';
  std::vector<std::byte> image = safetensorsImage(header, countingBytes(29));
  absl::StatusOr<File> file = parseImage(image);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->headerSize(), header.size());
  EXPECT_EQ(file->dataOffset(), 8 + header.size());
  ASSERT_EQ(file->metadata().size(), 2u);
  EXPECT_EQ(file->metadata()[0].first, "format");
  EXPECT_EQ(*file->findMetadata("note"), "é");
  EXPECT_EQ(file->findMetadata("nope"), nullptr);

  ASSERT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(file->tensors()[0].name, "b"); // header order
  const TensorInfo *a = file->findTensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(a->numElements, 4u);
  EXPECT_EQ(a->data.data(), image.data() + file->dataOffset());
  EXPECT_EQ(a->data.size(), 16u);
  const TensorInfo *b = file->findTensor("b");
  EXPECT_EQ(b->data.data(), image.data() + file->dataOffset() + 16);
  EXPECT_EQ(static_cast<uint8_t>(b->data[0]), 16);
  EXPECT_EQ(file->findTensor("empty")->numElements, 0u);
  EXPECT_EQ(file->findTensor("scalar")->numElements, 1u);
  EXPECT_EQ(file->findTensor("missing"), nullptr);
}

TEST(SafetensorsTest, EveryDType) {
  struct Expected {
    const char *name;
    uint32_t size;
  };
  const Expected expected[] = {{"F64", 8},     {"F32", 4},    {"F16", 2},    {"BF16", 2},
                               {"I64", 8},     {"I32", 4},    {"I16", 2},    {"I8", 1},
                               {"U8", 1},      {"BOOL", 1},   {"F8_E4M3", 1}, {"F8_E5M2", 1},
                               {"U16", 2},     {"U32", 4},    {"U64", 8}};
  EXPECT_EQ(dtypes().size(), std::size(expected));
  for (const Expected &e : expected) {
    SCOPED_TRACE(e.name);
    std::optional<DType> dtype = parseDType(e.name);
    ASSERT_TRUE(dtype.has_value());
    EXPECT_EQ(getDTypeInfo(*dtype).size, e.size);
    EXPECT_EQ(getDTypeInfo(*dtype).name, e.name);
    uint64_t bytes = 6 * e.size;
    std::string header = std::string(R"({"t":{"dtype":")") + e.name +
                         R"(","shape":[3,2],"data_offsets":[0,)" + std::to_string(bytes) +
                         "]}}";
    absl::StatusOr<File> file = parseImage(safetensorsImage(header, countingBytes(bytes)));
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->tensors()[0].dtype, *dtype);
    // One byte short of the size dtype x shape asks for.
    std::string shortHeader = std::string(R"({"t":{"dtype":")") + e.name +
                              R"(","shape":[3,2],"data_offsets":[0,)" +
                              std::to_string(bytes - 1) + "]}}";
    EXPECT_FALSE(parseImage(safetensorsImage(shortHeader, countingBytes(bytes))).ok());
  }
  EXPECT_FALSE(parseDType("f32").has_value());
  EXPECT_FALSE(parseDType("F4").has_value());
}

TEST(SafetensorsTest, OpenMapsTheFile) {
  quantc::testing::TempModelDir dir;
  std::string path = dir.path("x.safetensors");
  quantc::testing::writeFileBytes(
      path, safetensorsImage(R"({"t":{"dtype":"I8","shape":[3],"data_offsets":[0,3]}})",
                             countingBytes(3, 7)));
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path(), path);
  EXPECT_EQ(static_cast<int>(file->tensors()[0].data[2]), 9);
  absl::StatusOr<File> missing = File::open(dir.path("none.safetensors"));
  EXPECT_NE(missing.status().message().find("none.safetensors: cannot open"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Hostile files
//===----------------------------------------------------------------------===//

TEST(SafetensorsHostileTest, TooShortForTheHeaderLength) {
  expectRejected(countingBytes(5), {"truncated file: 5 bytes"});
}

TEST(SafetensorsHostileTest, HeaderLengthOverTheLimit) {
  std::vector<std::byte> image = countingBytes(16);
  uint64_t length = 100'000'001;
  std::memcpy(image.data(), &length, 8);
  expectRejected(image, {"header length 100000001 is larger than the limit"});
}

TEST(SafetensorsHostileTest, HeaderLengthPastEndOfFile) {
  std::vector<std::byte> image = safetensorsImage("{}", {});
  uint64_t length = 3;
  std::memcpy(image.data(), &length, 8);
  expectRejected(image, {"truncated file: the header of 3 bytes", "runs past the end"});
}

TEST(SafetensorsHostileTest, HeaderNotJSON) {
  expectRejected(R"({"t": {"dtype": "F32",}})", 0,
                 {"header", "JSON error at byte offset 22", "expected a string key"});
}

TEST(SafetensorsHostileTest, HeaderInvalidUTF8) {
  expectRejected("{\"t\xFF\": {}}", 0, {"JSON error at byte offset 3: invalid UTF-8"});
}

TEST(SafetensorsHostileTest, HeaderNotAnObject) {
  expectRejected("[1, 2]", 0, {"the header is a JSON array, not an object"});
}

TEST(SafetensorsHostileTest, HeaderTooDeep) {
  std::string header = R"({"__metadata__":)" + std::string(100, '[') + std::string(100, ']') + "}";
  expectRejected(header, 0, {"nesting deeper than 64 levels"});
}

TEST(SafetensorsHostileTest, DuplicateTensor) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                 R"("t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                 2, {"duplicate key \"t\""});
}

TEST(SafetensorsHostileTest, MetadataNotAnObject) {
  expectRejected(R"({"__metadata__":["a"]})", 0, {"__metadata__ is a JSON array, not an object"});
}

TEST(SafetensorsHostileTest, MetadataValueNotAString) {
  expectRejected(R"({"__metadata__":{"format":"pt","n":3}})", 0,
                 {"__metadata__ value of 'n' is a JSON integer, not a string"});
}

TEST(SafetensorsHostileTest, TensorNotAnObject) {
  expectRejected(R"({"t":7})", 0, {"tensor 't' is a JSON integer, not an object"});
}

TEST(SafetensorsHostileTest, EmptyTensorName) {
  expectRejected(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 1,
                 {"a tensor has an empty name"});
}

TEST(SafetensorsHostileTest, UnknownField) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}})", 1,
                 {"tensor 't' has an unknown field 'x'"});
}

TEST(SafetensorsHostileTest, MissingDType) {
  expectRejected(R"({"t":{"shape":[1],"data_offsets":[0,1]}})", 1, {"tensor 't' has no dtype"});
}

TEST(SafetensorsHostileTest, UnknownDType) {
  expectRejected(R"({"t":{"dtype":"F4","shape":[1],"data_offsets":[0,1]}})", 1,
                 {"tensor 't' has unknown dtype 'F4'"});
}

TEST(SafetensorsHostileTest, MissingShape) {
  expectRejected(R"({"t":{"dtype":"U8","data_offsets":[0,1]}})", 1, {"tensor 't' has no shape"});
}

TEST(SafetensorsHostileTest, NegativeShape) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[2,-1],"data_offsets":[0,1]}})", 1,
                 {"tensor 't' has a shape entry that is not a non-negative integer: -1"});
}

TEST(SafetensorsHostileTest, FractionalShape) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", 2,
                 {"not a non-negative integer: 1.5"});
}

TEST(SafetensorsHostileTest, ShapeOverflow) {
  expectRejected(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4],)"
                 R"("data_offsets":[0,1]}})",
                 1, {"tensor 't' has shape [4294967296,4294967296,4]", "overflows 64 bits"});
}

TEST(SafetensorsHostileTest, ByteSizeOverflow) {
  // The element count fits; times 8 bytes it does not.
  expectRejected(R"({"t":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,1]}})",
                 1, {"overflows 64 bits"});
}

TEST(SafetensorsHostileTest, DataOffsetsNotAPair) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1,
                 {"tensor 't' has data_offsets [0], not two non-negative integers"});
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,-1]}})", 1,
                 {"not two non-negative integers"});
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":"0,1"}})", 1,
                 {"not two non-negative integers"});
}

TEST(SafetensorsHostileTest, DataOffsetsBackwards) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}})", 2,
                 {"data_offsets [2, 1] that end before they begin"});
}

TEST(SafetensorsHostileTest, SizeMismatch) {
  expectRejected(R"({"t":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,6]}})", 8,
                 {"tensor 't' has data_offsets [0, 6] of 6 bytes, but BF16 x [2,2] takes 8 bytes"});
}

TEST(SafetensorsHostileTest, DataPastEndOfFile) {
  expectRejected(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 12,
                 {"tensor 't' data [0, 16) runs past the end of the data section (12 bytes"});
}

TEST(SafetensorsHostileTest, HugeOffsets) {
  expectRejected(R"({"t":{"dtype":"U8","shape":[1],)"
                 R"("data_offsets":[9223372036854775806,9223372036854775807]}})",
                 4, {"runs past the end of the data section"});
}

TEST(SafetensorsHostileTest, OverlappingTensors) {
  expectRejected(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                 20, {"tensors 'a' [0, 16) and 'b' [12, 20) overlap"});
}

TEST(SafetensorsHostileTest, GapsAreAccepted) {
  absl::StatusOr<File> file = parseImage(safetensorsImage(
      R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},)"
      R"("a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
      countingBytes(10)));
  EXPECT_TRUE(file.ok()) << file.status();
}

} // namespace
