//===- GGUFHostileTest.cpp - Malformed and hostile GGUF files -------------===//
//
// Part of quantc.
//
// One test per way a GGUF file can be wrong. Each builds the file field by
// field and checks that the reader fails with one message naming the file
// and the problem. The cases that come from a file on disk go through
// File::open (the mmap path); the rest through File::parse.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "GGUFTestUtil.h"

import quantc.gguf;

using namespace quantc::gguf;
using quantc::testing::Bytes;
using quantc::testing::ScratchDir;

namespace {

constexpr const char *kName = "hostile.gguf";

/// Parses `bytes` and expects a failure whose message names the file and
/// contains each of `problems`.
void expectRejected(const Bytes &bytes, std::initializer_list<std::string> problems) {
  absl::StatusOr<File> file = File::parse(bytes.span(), kName);
  ASSERT_FALSE(file.ok()) << "accepted a hostile file";
  std::string message(file.status().message());
  EXPECT_EQ(message.rfind(std::string(kName) + ": ", 0), 0u) << message;
  for (const std::string &problem : problems)
    EXPECT_NE(message.find(problem), std::string::npos)
        << "expected \"" << problem << "\" in: " << message;
}

/// A valid file with one F32 tensor [8] to mutate.
Bytes validFile() {
  Bytes b;
  b.header(3, 1, 1).str("general.architecture").u32(8).str("llama");
  b.tensorInfo("t", {8}, kTypeF32, 0).pad(32);
  for (int i = 0; i < 8; ++i)
    b.u32(0);
  return b;
}

TEST(GGUFHostileTest, ValidBaseFileIsAccepted) {
  absl::StatusOr<File> file = File::parse(validFile().span(), kName);
  ASSERT_TRUE(file.ok()) << file.status();
}

TEST(GGUFHostileTest, EmptyFile) {
  ScratchDir dir;
  std::string path = dir.path("empty.gguf");
  quantc::testing::writeWholeFile(path, {});
  absl::StatusOr<File> file = File::open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find(path + ": truncated file"), std::string::npos)
      << file.status();
}

TEST(GGUFHostileTest, TruncatedHeader) {
  Bytes b;
  b.raw("GGUF").u32(3).u32(0);
  expectRejected(b, {"truncated file", "tensor count", "byte offset 8"});
}

TEST(GGUFHostileTest, TruncatedInMetadata) {
  Bytes b;
  b.header(3, 0, 1).str("general.architecture").u32(8).u64(5).raw("lla");
  expectRejected(b, {"truncated file", "value of 'general.architecture'"});
}

TEST(GGUFHostileTest, TruncatedInTensorInfo) {
  Bytes b;
  b.header(3, 1, 0).str("blk.0.attn_q.weight").u32(2).i64(8);
  expectRejected(b, {"truncated file", "tensor 'blk.0.attn_q.weight' dimensions"});
}

TEST(GGUFHostileTest, TruncatedBeforeDataSection) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {0}, kTypeF32, 0);
  expectRejected(b, {"truncated file", "the data section"});
}

TEST(GGUFHostileTest, TruncatedFileOnDisk) {
  Bytes b = validFile();
  b.data.resize(b.size() - 3);
  ScratchDir dir;
  std::string path = dir.path("cut.gguf");
  quantc::testing::writeWholeFile(path, b.span());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find(path + ": tensor 't' data of 32 bytes"),
            std::string::npos)
      << file.status();
  EXPECT_NE(file.status().message().find("runs past the end of the file"), std::string::npos);
}

TEST(GGUFHostileTest, BadMagic) {
  Bytes b;
  b.raw("GGML").u32(3).u64(0).u64(0);
  expectRejected(b, {"bad magic 'GGML'", "not a GGUF file"});
}

TEST(GGUFHostileTest, Version1Rejected) {
  Bytes b;
  b.header(1, 0, 0);
  expectRejected(b, {"GGUF version 1 is not supported"});
}

TEST(GGUFHostileTest, VersionZero) {
  Bytes b;
  b.header(0, 0, 0);
  expectRejected(b, {"unsupported GGUF version 0"});
}

TEST(GGUFHostileTest, FutureVersion) {
  Bytes b;
  b.header(4, 0, 0);
  expectRejected(b, {"unsupported GGUF version 4"});
}

TEST(GGUFHostileTest, BigEndianFile) {
  Bytes b;
  b.header(0x03000000, 0, 0);
  expectRejected(b, {"byte-swapped", "only little-endian"});
}

TEST(GGUFHostileTest, MetadataCountTooLarge) {
  Bytes b;
  b.header(3, 0, uint64_t(1) << 60);
  expectRejected(b, {"metadata count 1152921504606846976 is too large"});
}

TEST(GGUFHostileTest, TensorCountTooLarge) {
  Bytes b;
  b.header(3, ~uint64_t(0), 0);
  expectRejected(b, {"tensor count 18446744073709551615 is too large"});
}

TEST(GGUFHostileTest, StringLengthPastEndOfFile) {
  Bytes b;
  b.header(3, 0, 1).str("k").u32(8).u64(1000).raw("short");
  expectRejected(b, {"value of 'k' of 1000 bytes", "runs past the end of the file"});
}

TEST(GGUFHostileTest, AbsurdStringLength) {
  Bytes b;
  b.header(3, 0, 1).u64(uint64_t(1) << 40).raw("key").u64(0).u64(0);
  expectRejected(b, {"metadata key #0 has length 1099511627776", "more than the 1 GiB"});
}

TEST(GGUFHostileTest, InvalidUTF8InKey) {
  Bytes b;
  b.header(3, 0, 1).str("gen\xFF").u32(4).u32(1);
  expectRejected(b, {"metadata key #0 is not valid UTF-8", "byte offset 35"});
}

TEST(GGUFHostileTest, InvalidUTF8InStringValue) {
  // An overlong encoding of '/'.
  Bytes b;
  b.header(3, 0, 1).str("k").u32(8).str("a\xC0\xAF");
  expectRejected(b, {"value of 'k' is not valid UTF-8"});
}

TEST(GGUFHostileTest, InvalidUTF8InStringArray) {
  // A UTF-16 surrogate encoded in UTF-8.
  Bytes b;
  b.header(3, 0, 1).str("tokens").u32(9).u32(8).u64(2).str("ok").str("\xED\xA0\x80");
  expectRejected(b, {"value of 'tokens' element 1 is not valid UTF-8"});
}

TEST(GGUFHostileTest, InvalidUTF8InTensorName) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("w\xF5", {8}, kTypeF32, 0).pad(32);
  expectRejected(b, {"tensor name #0 is not valid UTF-8"});
}

TEST(GGUFHostileTest, DuplicateKey) {
  Bytes b;
  b.header(3, 0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  expectRejected(b, {"duplicate metadata key 'k'", "byte offset 41"});
}

TEST(GGUFHostileTest, EmptyKey) {
  Bytes b;
  b.header(3, 0, 1).str("").u32(4).u32(1);
  expectRejected(b, {"metadata key #0 is empty"});
}

TEST(GGUFHostileTest, DuplicateTensorName) {
  Bytes b;
  b.header(3, 2, 0).tensorInfo("t", {8}, kTypeF32, 0).tensorInfo("t", {8}, kTypeF32, 32);
  b.pad(32);
  for (int i = 0; i < 16; ++i)
    b.u32(0);
  expectRejected(b, {"duplicate tensor name 't'"});
}

TEST(GGUFHostileTest, TensorNameTooLong) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo(std::string(65, 'n'), {8}, kTypeF32, 0);
  expectRejected(b, {"is 65 bytes long; GGUF allows 64"});
}

TEST(GGUFHostileTest, NestedArraysTooDeep) {
  Bytes b;
  b.header(3, 0, 1).str("deep").u32(9);
  for (unsigned i = 0; i < kMaxArrayDepth; ++i)
    b.u32(9).u64(1); // an array of one array
  b.u32(4).u64(0);   // the innermost: an empty u32 array
  expectRejected(b, {"value of 'deep' element 0", "nests arrays more than 8 levels deep"});
}

TEST(GGUFHostileTest, NestedArraysAtTheLimitAreAccepted) {
  Bytes b;
  b.header(3, 0, 1).str("deep").u32(9);
  for (unsigned i = 1; i < kMaxArrayDepth; ++i)
    b.u32(9).u64(1);
  b.u32(4).u64(1).u32(42);
  absl::StatusOr<File> file = File::parse(b.span(), kName);
  ASSERT_TRUE(file.ok()) << file.status();
}

TEST(GGUFHostileTest, ArrayCountTooLarge) {
  Bytes b;
  b.header(3, 0, 1).str("a").u32(9).u32(10).u64(uint64_t(1) << 61).u64(0);
  expectRejected(b, {"value of 'a' claims 2305843009213693952 u64 elements",
                     "more than the 8 bytes left"});
}

TEST(GGUFHostileTest, UnknownMetadataValueType) {
  Bytes b;
  b.header(3, 0, 1).str("k").u32(13).u32(0);
  expectRejected(b, {"value type of 'k' 13 is not a GGUF value type"});
}

TEST(GGUFHostileTest, UnknownArrayElementType) {
  Bytes b;
  b.header(3, 0, 1).str("k").u32(9).u32(0xFFFFFFFF).u64(0);
  expectRejected(b, {"value of 'k' element type 4294967295 is not a GGUF value type"});
}

TEST(GGUFHostileTest, BadBool) {
  Bytes b;
  b.header(3, 0, 1).str("flag").u32(7).u8(2).pad(32);
  expectRejected(b, {"value of 'flag' is a bool of value 2, not 0 or 1"});
}

TEST(GGUFHostileTest, AlignmentNotAPowerOfTwo) {
  Bytes b;
  b.header(3, 0, 1).str("general.alignment").u32(4).u32(48);
  expectRejected(b, {"'general.alignment' is 48, not a power of two"});
}

TEST(GGUFHostileTest, AlignmentZero) {
  Bytes b;
  b.header(3, 0, 1).str("general.alignment").u32(4).u32(0);
  expectRejected(b, {"'general.alignment' is 0, not a power of two"});
}

TEST(GGUFHostileTest, AlignmentOfTheWrongType) {
  Bytes b;
  b.header(3, 0, 1).str("general.alignment").u32(10).u64(32);
  expectRejected(b, {"'general.alignment' is a u64; it must be a u32"});
}

TEST(GGUFHostileTest, UnknownTensorType) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {32}, 31, 0).pad(32);
  expectRejected(b, {"tensor 't' has unknown ggml type 31"});
}

TEST(GGUFHostileTest, TooManyDimensions) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {1, 1, 1, 1, 1}, kTypeF32, 0);
  expectRejected(b, {"tensor 't' has 5 dimensions; GGUF allows 4"});
}

TEST(GGUFHostileTest, NegativeDimension) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {8, -2}, kTypeF32, 0);
  expectRejected(b, {"tensor 't': dimension 1 is negative (-2)"});
}

TEST(GGUFHostileTest, DimensionProductOverflow) {
  Bytes b;
  int64_t big = int64_t(1) << 32;
  b.header(3, 1, 0).tensorInfo("t", {big, big, big}, kTypeF32, 0);
  expectRejected(b, {"tensor 't'", "element count of shape [4294967296, 4294967296, "
                                   "4294967296] overflows int64"});
}

TEST(GGUFHostileTest, ByteSizeOverflow) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {int64_t(1) << 31, int64_t(1) << 31}, kTypeF64, 0);
  expectRejected(b, {"tensor 't'", "overflows 64 bits"});
}

TEST(GGUFHostileTest, RowNotAMultipleOfTheBlockSize) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {48, 2}, 12 /* Q4_K */, 0).pad(32);
  expectRejected(b, {"tensor 't'", "ne0 = 48 is not a multiple of the block size 256 of Q4_K"});
}

TEST(GGUFHostileTest, OffsetNotAligned) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {4}, kTypeF32, 16).pad(32);
  for (int i = 0; i < 16; ++i)
    b.u32(0);
  expectRejected(b, {"tensor 't' has data offset 16, not a multiple of the alignment 32"});
}

TEST(GGUFHostileTest, TensorDataPastEndOfFile) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {64}, kTypeF32, 0).pad(32);
  for (int i = 0; i < 10; ++i)
    b.u32(0);
  expectRejected(b, {"tensor 't' data of 256 bytes at byte offset 64",
                     "runs past the end of the file (104 bytes)"});
}

TEST(GGUFHostileTest, TensorOffsetFarPastEndOfFile) {
  Bytes b;
  b.header(3, 1, 0).tensorInfo("t", {8}, kTypeF32, ~uint64_t(31)).pad(32);
  expectRejected(b, {"tensor 't' data of 32 bytes", "runs past the end of the file"});
}

TEST(GGUFHostileTest, OverlappingTensors) {
  Bytes b;
  b.header(3, 2, 0).tensorInfo("a", {16}, kTypeF32, 0).tensorInfo("b", {8}, kTypeF32, 32);
  b.pad(32);
  for (int i = 0; i < 24; ++i)
    b.u32(0);
  expectRejected(b, {"tensors 'a'", "and 'b'", "overlap"});
}

TEST(GGUFHostileTest, GapsAndAnyOrderAreAccepted) {
  // Non-overlapping tensors need not be consecutive or in offset order.
  Bytes b;
  b.header(3, 2, 0).tensorInfo("late", {8}, kTypeF32, 96).tensorInfo("early", {8}, kTypeF32, 0);
  b.pad(32);
  for (int i = 0; i < 32; ++i)
    b.u32(i);
  absl::StatusOr<File> file = File::parse(b.span(), kName);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->tensors()[0].offset, 96u);
}

TEST(GGUFHostileTest, NotAFile) {
  ScratchDir dir;
  absl::StatusOr<File> file = File::open(dir.dir.string());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("not a regular file"), std::string::npos);
  absl::StatusOr<File> missing = File::open(dir.path("missing.gguf"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing.gguf: cannot open"), std::string::npos);
}

} // namespace
