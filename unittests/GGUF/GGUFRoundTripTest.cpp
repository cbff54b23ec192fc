//===- GGUFRoundTripTest.cpp - GGUF writer and reader round trips ---------===//
//
// Part of quantc.
//
// Write then read back: every metadata type, nested arrays, tensors of many
// types, alignments 32 and 64, version 2. A file laid out by hand the way
// llama.cpp's gguf.cpp writes it must be rewritten byte for byte. The
// writer's temporary file must never be left behind.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "GGUFTestUtil.h"

import quantc.gguf;

using namespace quantc::gguf;
using quantc::testing::Bytes;
using quantc::testing::randomBytes;
using quantc::testing::readWholeFile;
using quantc::testing::ScratchDir;

namespace {

bool contains(const absl::Status &status, const std::string &text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

/// Metadata of every type, in a fixed order.
std::vector<KeyValue> everyMetadataType() {
  std::vector<KeyValue> kvs;
  kvs.push_back({"general.architecture", Value("llama")});
  kvs.push_back({"t.u8", Value(uint8_t(250))});
  kvs.push_back({"t.i8", Value(int8_t(-100))});
  kvs.push_back({"t.u16", Value(uint16_t(65000))});
  kvs.push_back({"t.i16", Value(int16_t(-30000))});
  kvs.push_back({"t.u32", Value(uint32_t(4000000000u))});
  kvs.push_back({"t.i32", Value(int32_t(-2000000000))});
  kvs.push_back({"t.f32", Value(1.5f)});
  kvs.push_back({"t.bool.true", Value(true)});
  kvs.push_back({"t.bool.false", Value(false)});
  kvs.push_back({"t.string", Value(std::string("héllo, 世界 \xF0\x9F\x98\x80"))});
  kvs.push_back({"t.string.empty", Value(std::string())});
  kvs.push_back({"t.u64", Value(uint64_t(1) << 63)});
  kvs.push_back({"t.i64", Value(std::numeric_limits<int64_t>::min())});
  kvs.push_back({"t.f64", Value(-0.1)});
  kvs.push_back({"a.u8", Value(Array(std::vector<uint8_t>{0, 1, 255}))});
  kvs.push_back({"a.i8", Value(Array(std::vector<int8_t>{-128, 0, 127}))});
  kvs.push_back({"a.u16", Value(Array(std::vector<uint16_t>{1, 65535}))});
  kvs.push_back({"a.i16", Value(Array(std::vector<int16_t>{-32768, 32767}))});
  kvs.push_back({"a.u32", Value(Array(std::vector<uint32_t>{7, 8, 9}))});
  kvs.push_back({"a.i32", Value(Array(std::vector<int32_t>{-7, 8}))});
  kvs.push_back({"a.f32", Value(Array(std::vector<float>{0.0f, -1.25f, 3e38f}))});
  kvs.push_back({"a.bool", Value(Array(std::vector<bool>{true, false, true}))});
  kvs.push_back({"a.string", Value(Array(std::vector<std::string>{"<s>", "", "▁the"}))});
  kvs.push_back({"a.u64", Value(Array(std::vector<uint64_t>{0, ~uint64_t(0)}))});
  kvs.push_back({"a.i64", Value(Array(std::vector<int64_t>{-1, 1}))});
  kvs.push_back({"a.f64", Value(Array(std::vector<double>{1e300, -2.5}))});
  kvs.push_back({"a.empty", Value(Array(std::vector<uint32_t>{}))});
  // Nested: an array of arrays of different element types, three deep.
  std::vector<Array> inner = {Array(std::vector<std::string>{"a", "b"}),
                              Array(std::vector<int32_t>{1, 2, 3}),
                              Array(std::vector<Array>{Array(std::vector<float>{0.5f})}),
                              Array(std::vector<bool>{})};
  kvs.push_back({"a.nested", Value(Array(std::move(inner)))});
  return kvs;
}

struct TestTensor {
  std::string name;
  std::vector<int64_t> dims;
  uint32_t type;
};

std::vector<TestTensor> someTensors() {
  return {
      {"token_embd.weight", {64, 10}, kTypeF16},
      {"blk.0.attn_norm.weight", {64}, kTypeF32},
      {"blk.0.attn_q.weight", {64, 64}, 2 /* Q4_0 */},
      {"blk.0.attn_k.weight", {256, 3}, 12 /* Q4_K */},
      {"blk.0.ffn_down.weight", {32, 5, 2}, 8 /* Q8_0 */},
      {"blk.0.ffn_gate.weight", {256, 1, 1, 2}, 14 /* Q6_K */},
      {"empty", {0, 4}, kTypeF32},
      {"scalar", {}, kTypeI32},
      {"odd.bytes", {3}, kTypeI8},
      {"bf16", {5, 3}, kTypeBF16},
      {"mxfp4", {32}, 39},
      {"trailing.empty", {0}, kTypeF16},
  };
}

/// Writes `kvs` and `tensors` (with data from randomBytes) to `path`.
absl::Status writeTestFile(const std::string &path, const std::vector<KeyValue> &kvs,
                           const std::vector<TestTensor> &tensors, WriterOptions options = {},
                           size_t chunk = 0) {
  Writer writer(path, options);
  for (const KeyValue &kv : kvs)
    if (absl::Status s = writer.addMetadata(kv.key, kv.value); !s.ok())
      return s;
  std::vector<uint64_t> sizes;
  for (const TestTensor &t : tensors) {
    absl::StatusOr<uint64_t> size = writer.addTensor(t.name, t.dims, t.type);
    if (!size.ok())
      return size.status();
    sizes.push_back(*size);
  }
  if (absl::Status s = writer.writeHeader(); !s.ok())
    return s;
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::vector<std::byte> data = randomBytes(sizes[i], static_cast<uint32_t>(i));
    std::span<const std::byte> rest(data);
    while (!rest.empty()) {
      size_t n = chunk ? std::min(chunk, rest.size()) : rest.size();
      if (absl::Status s = writer.writeTensorData(rest.first(n)); !s.ok())
        return s;
      rest = rest.subspan(n);
    }
  }
  return writer.finish();
}

TEST(GGUFRoundTripTest, EveryMetadataTypeInFileOrder) {
  ScratchDir dir;
  std::string path = dir.path("meta.gguf");
  std::vector<KeyValue> kvs = everyMetadataType();
  ASSERT_TRUE(writeTestFile(path, kvs, {}).ok());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->version(), 3u);
  ASSERT_EQ(file->metadata().size(), kvs.size());
  for (size_t i = 0; i < kvs.size(); ++i) {
    EXPECT_EQ(file->metadata()[i].key, kvs[i].key);
    EXPECT_TRUE(file->metadata()[i].value == kvs[i].value) << kvs[i].key;
    EXPECT_EQ(file->metadata()[i].value.type(), kvs[i].value.type()) << kvs[i].key;
  }
  EXPECT_TRUE(file->tensors().empty());
}

TEST(GGUFRoundTripTest, Accessors) {
  ScratchDir dir;
  std::string path = dir.path("meta.gguf");
  ASSERT_TRUE(writeTestFile(path, everyMetadataType(), {}).ok());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();

  EXPECT_EQ(*file->getString("general.architecture"), "llama");
  EXPECT_EQ(*file->getU8("t.u8"), 250);
  EXPECT_EQ(*file->getI8("t.i8"), -100);
  EXPECT_EQ(*file->getU16("t.u16"), 65000);
  EXPECT_EQ(*file->getI16("t.i16"), -30000);
  EXPECT_EQ(*file->getU32("t.u32"), 4000000000u);
  EXPECT_EQ(*file->getI32("t.i32"), -2000000000);
  EXPECT_EQ(*file->getF32("t.f32"), 1.5f);
  EXPECT_EQ(*file->getBool("t.bool.true"), true);
  EXPECT_EQ(*file->getU64("t.u64"), uint64_t(1) << 63);
  EXPECT_EQ(*file->getI64("t.i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*file->getF64("t.f64"), -0.1);
  EXPECT_EQ(*file->getUnsigned("t.u8"), 250u);
  EXPECT_EQ(*file->getUnsigned("t.u32"), 4000000000u);

  absl::StatusOr<std::span<const std::string>> tokens =
      file->getArrayOf<std::string>("a.string");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[2], "▁the");
  EXPECT_EQ(file->getArrayOf<float>("a.f32")->size(), 3u);
  absl::StatusOr<const Array *> nested = file->getArray("a.nested");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ((*nested)->elementType(), ValueType::Array);
  EXPECT_EQ((*nested)->getIf<Array>()->at(2).getIf<Array>()->at(0).getIf<float>()->at(0), 0.5f);

  absl::StatusOr<uint32_t> missing = file->getU32("no.such.key");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(contains(missing.status(), path));
  EXPECT_TRUE(contains(missing.status(), "'no.such.key' not found"));

  absl::StatusOr<uint32_t> wrong = file->getU32("t.i32");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(wrong.status(), "'t.i32' is a i32, not a u32")) << wrong.status();

  absl::StatusOr<std::span<const int32_t>> wrongArray = file->getArrayOf<int32_t>("a.u32");
  EXPECT_TRUE(contains(wrongArray.status(), "is an array of u32, not of i32"))
      << wrongArray.status();
  EXPECT_TRUE(contains(file->getUnsigned("t.i8").status(), "negative"));
  EXPECT_TRUE(contains(file->getUnsigned("t.f32").status(), "not an integer"));
  EXPECT_TRUE(contains(file->getArray("t.u8").status(), "is a u8, not a array"));
}

TEST(GGUFRoundTripTest, TensorsAndByteIdenticalRewrite) {
  ScratchDir dir;
  std::string path = dir.path("model.gguf");
  ASSERT_TRUE(writeTestFile(path, everyMetadataType(), someTensors()).ok());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();

  std::vector<TestTensor> expected = someTensors();
  ASSERT_EQ(file->tensors().size(), expected.size());
  std::span<const std::byte> whole = file->bytes();
  EXPECT_EQ(file->dataOffset() % 32, 0u);
  for (size_t i = 0; i < expected.size(); ++i) {
    const TensorInfo &info = file->tensors()[i];
    SCOPED_TRACE(info.name);
    EXPECT_EQ(info.name, expected[i].name);
    EXPECT_EQ(info.dims, expected[i].dims);
    EXPECT_EQ(info.type, expected[i].type);
    EXPECT_EQ(info.offset % 32, 0u);
    EXPECT_EQ(info.byteSize, *tensorByteSize(info.type, info.dims));
    EXPECT_EQ(info.numElements, *numElements(info.dims));
    std::vector<std::byte> data = randomBytes(info.byteSize, static_cast<uint32_t>(i));
    ASSERT_EQ(info.data.size(), data.size());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), info.data.begin()));
    // A view into the mapping, not a copy.
    if (!info.data.empty()) {
      EXPECT_GE(info.data.data(), whole.data());
      EXPECT_LE(info.data.data() + info.data.size(), whole.data() + whole.size());
      EXPECT_EQ(info.data.data(), whole.data() + file->dataOffset() + info.offset);
    }
    EXPECT_EQ(file->findTensor(info.name), &info);
  }
  EXPECT_EQ(file->findTensor("nope"), nullptr);
  // Each tensor is padded, the last one too.
  EXPECT_EQ(whole.size() % 32, 0u);

  std::string copy = dir.path("copy.gguf");
  ASSERT_TRUE(writeFile(*file, copy).ok());
  EXPECT_EQ(readWholeFile(copy), readWholeFile(path));
}

class GGUFAlignmentTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GGUFAlignmentTest, OffsetsAndRewrite) {
  uint32_t alignment = GetParam();
  ScratchDir dir;
  std::string path = dir.path("aligned.gguf");
  std::vector<KeyValue> kvs = {{"general.alignment", Value(alignment)},
                               {"general.name", Value("aligned")}};
  ASSERT_TRUE(writeTestFile(path, kvs, someTensors()).ok());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->alignment(), alignment);
  EXPECT_EQ(file->dataOffset() % alignment, 0u);
  EXPECT_GT(file->dataOffset(), file->headerSize() - 1);
  EXPECT_LT(file->dataOffset() - file->headerSize(), alignment);
  uint64_t expectedOffset = 0;
  for (const TensorInfo &info : file->tensors()) {
    EXPECT_EQ(info.offset, expectedOffset) << info.name;
    expectedOffset += (info.byteSize + alignment - 1) / alignment * alignment;
  }
  EXPECT_EQ(file->bytes().size(), file->dataOffset() + expectedOffset);
  std::string copy = dir.path("copy.gguf");
  ASSERT_TRUE(writeFile(*file, copy).ok());
  EXPECT_EQ(readWholeFile(copy), readWholeFile(path));
}

INSTANTIATE_TEST_SUITE_P(Alignments, GGUFAlignmentTest, ::testing::Values(32u, 64u, 1u, 256u));

// A file laid out by hand following ggml/src/gguf.cpp's writer: header,
// key-values, tensor infos with offsets that advance by the padded size,
// zero padding to the alignment, then each tensor's data padded. Reading and
// rewriting it must reproduce it exactly.
TEST(GGUFRoundTripTest, LlamaCppLayoutRewritesByteIdentical) {
  for (uint32_t alignment : {32u, 64u}) {
    SCOPED_TRACE(alignment);
    std::vector<std::byte> a = randomBytes(64 * 4, 1);   // F32 [64]
    std::vector<std::byte> b = randomBytes(2 * 34 * 3, 2); // Q8_0 [64, 3]
    std::vector<std::byte> c = randomBytes(144, 3);      // Q4_K [256]
    Bytes gguf;
    gguf.header(3, 3, 4);
    gguf.str("general.architecture").u32(8).str("llama");
    gguf.str("general.alignment").u32(4).u32(alignment);
    gguf.str("llama.block_count").u32(4).u32(1);
    gguf.str("tokenizer.ggml.tokens").u32(9).u32(8).u64(2).str("a").str("bc");
    uint64_t offset = 0;
    auto padded = [&](uint64_t n) { return (n + alignment - 1) / alignment * alignment; };
    gguf.tensorInfo("a", {64}, 0, offset);
    offset += padded(a.size());
    gguf.tensorInfo("b", {64, 3}, 8, offset);
    offset += padded(b.size());
    gguf.tensorInfo("c", {256}, 12, offset);
    gguf.pad(alignment).raw(a).pad(alignment).raw(b).pad(alignment).raw(c).pad(alignment);

    ScratchDir dir;
    std::string path = dir.path("llama.gguf");
    quantc::testing::writeWholeFile(path, gguf.span());
    absl::StatusOr<File> file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_EQ(file->tensors().size(), 3u);
    EXPECT_TRUE(std::equal(b.begin(), b.end(), file->tensors()[1].data.begin()));
    std::string copy = dir.path("copy.gguf");
    ASSERT_TRUE(writeFile(*file, copy).ok());
    EXPECT_EQ(readWholeFile(copy), gguf.data);
  }
}

// Without tensors, gguf.cpp pads the header to the alignment and gguf-py
// does not; both rewrite to themselves.
TEST(GGUFRoundTripTest, NoTensorsWithAndWithoutPadding) {
  for (bool padded : {true, false}) {
    SCOPED_TRACE(padded);
    Bytes gguf;
    gguf.header(3, 0, 1).str("general.architecture").u32(8).str("llama");
    ASSERT_NE(gguf.size() % 32, 0u);
    if (padded)
      gguf.pad(32);
    ScratchDir dir;
    std::string path = dir.path("vocab.gguf");
    quantc::testing::writeWholeFile(path, gguf.span());
    absl::StatusOr<File> file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->headerPadded(), padded);
    std::string copy = dir.path("copy.gguf");
    ASSERT_TRUE(writeFile(*file, copy).ok());
    EXPECT_EQ(readWholeFile(copy), gguf.data);
  }
}

TEST(GGUFRoundTripTest, Version2) {
  ScratchDir dir;
  std::string path = dir.path("v2.gguf");
  ASSERT_TRUE(writeTestFile(path, everyMetadataType(), someTensors(), {.version = 2}).ok());
  absl::StatusOr<File> file = File::open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->version(), 2u);
  std::string copy = dir.path("copy.gguf");
  ASSERT_TRUE(writeFile(*file, copy).ok());
  EXPECT_EQ(readWholeFile(copy), readWholeFile(path));
}

TEST(GGUFRoundTripTest, ChunkedTensorDataIsTheSame) {
  ScratchDir dir;
  ASSERT_TRUE(writeTestFile(dir.path("whole.gguf"), {}, someTensors()).ok());
  ASSERT_TRUE(writeTestFile(dir.path("chunks.gguf"), {}, someTensors(), {}, 7).ok());
  EXPECT_EQ(readWholeFile(dir.path("whole.gguf")), readWholeFile(dir.path("chunks.gguf")));
}

TEST(GGUFRoundTripTest, ParseFromMemoryMatchesOpen) {
  ScratchDir dir;
  std::string path = dir.path("m.gguf");
  ASSERT_TRUE(writeTestFile(path, everyMetadataType(), someTensors()).ok());
  std::vector<std::byte> bytes = readWholeFile(path);
  absl::StatusOr<File> file = File::parse(bytes, "in-memory");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path(), "in-memory");
  EXPECT_EQ(file->tensors().size(), someTensors().size());
  EXPECT_EQ(file->tensors()[2].data.data(), bytes.data() + file->dataOffset() +
                                                file->tensors()[2].offset);
}

//===----------------------------------------------------------------------===//
// The writer's temporary file and its errors
//===----------------------------------------------------------------------===//

TEST(GGUFWriterTest, NoPartialOutputWithoutFinish) {
  ScratchDir dir;
  std::string path = dir.path("out.gguf");
  {
    Writer writer(path);
    ASSERT_TRUE(writer.addMetadata("general.name", Value("x")).ok());
    ASSERT_TRUE(writer.addTensor("t", {32}, kTypeF32).ok());
    ASSERT_TRUE(writer.writeHeader().ok());
    std::vector<std::byte> half(64);
    ASSERT_TRUE(writer.writeTensorData(half).ok());
    // Only the temporary file exists, beside the output.
    std::vector<std::string> names = dir.list();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0].rfind("out.gguf.tmp-", 0), 0u) << names[0];
    EXPECT_EQ(dir.path(names[0]), writer.temporaryPath());
  }
  EXPECT_TRUE(dir.list().empty());
}

TEST(GGUFWriterTest, FinishRenamesOntoThePath) {
  ScratchDir dir;
  std::string path = dir.path("out.gguf");
  quantc::testing::writeWholeFile(path, randomBytes(10, 9)); // replaced atomically
  {
    Writer writer(path);
    ASSERT_TRUE(writer.addTensor("t", {4}, kTypeF32).ok());
    ASSERT_TRUE(writer.writeHeader().ok());
    ASSERT_TRUE(writer.writeTensorData(randomBytes(16, 1)).ok());
    ASSERT_TRUE(writer.finish().ok());
    EXPECT_FALSE(writer.finish().ok());
  }
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.gguf"});
  EXPECT_TRUE(File::open(path).ok());
}

TEST(GGUFWriterTest, FinishWithMissingDataFailsAndLeavesNothing) {
  ScratchDir dir;
  std::string path = dir.path("out.gguf");
  Writer writer(path);
  ASSERT_TRUE(writer.addTensor("a", {4}, kTypeF32).ok());
  ASSERT_TRUE(writer.addTensor("b", {4}, kTypeF32).ok());
  ASSERT_TRUE(writer.writeHeader().ok());
  ASSERT_TRUE(writer.writeTensorData(randomBytes(16, 1)).ok());
  absl::Status status = writer.finish();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status, path));
  EXPECT_TRUE(contains(status, "tensor 'b' (2 of 2) at 0 of 16 bytes")) << status;
  EXPECT_TRUE(dir.list().empty());
}

TEST(GGUFWriterTest, TooMuchTensorData) {
  ScratchDir dir;
  std::string path = dir.path("out.gguf");
  Writer writer(path);
  ASSERT_TRUE(writer.addTensor("a", {4}, kTypeF32).ok());
  ASSERT_TRUE(writer.writeHeader().ok());
  absl::Status status = writer.writeTensorData(randomBytes(17, 1));
  EXPECT_TRUE(contains(status, "17 bytes given for tensor 'a', which has 16 of its 16 bytes left"))
      << status;
  // The writer stays failed and has removed its temporary file.
  EXPECT_FALSE(writer.finish().ok());
  EXPECT_TRUE(dir.list().empty());
}

TEST(GGUFWriterTest, DeclarationErrors) {
  ScratchDir dir;
  std::string path = dir.path("out.gguf");
  Writer writer(path);
  ASSERT_TRUE(writer.addMetadata("k", Value(uint32_t(1))).ok());
  auto expectError = [&](absl::Status status, const std::string &text) {
    EXPECT_FALSE(status.ok());
    EXPECT_TRUE(contains(status, path)) << status;
    EXPECT_TRUE(contains(status, text)) << status;
  };
  expectError(writer.addMetadata("k", Value(uint32_t(2))), "'k' is declared twice");
  expectError(writer.addMetadata("", Value(uint32_t(2))), "empty metadata key");
  expectError(writer.addMetadata("bad\xFF", Value(uint32_t(2))), "not valid UTF-8");
  expectError(writer.addMetadata("s", Value(std::string("\xC0\x80"))), "not valid UTF-8");
  expectError(writer.addMetadata("general.alignment", Value(uint32_t(48))),
              "48, not a power of two");
  expectError(writer.addMetadata("general.alignment", Value(uint64_t(64))), "must be a u32");
  Array deep(std::vector<uint8_t>{1});
  for (unsigned i = 0; i < kMaxArrayDepth; ++i)
    deep = Array(std::vector<Array>{deep});
  expectError(writer.addMetadata("deep", Value(deep)), "nests arrays more than 8 levels");
  expectError(writer.addTensor("t", {33}, 2).status(), "not a multiple of the block size 32");
  expectError(writer.addTensor("t", {32}, 31).status(), "unknown ggml type 31");
  expectError(writer.addTensor(std::string(65, 'x'), {32}, 0).status(), "GGUF allows 64");
  ASSERT_TRUE(writer.addTensor("t", {32}, 0).ok());
  expectError(writer.addTensor("t", {32}, 0).status(), "'t' is declared twice");
  ASSERT_TRUE(writer.writeHeader().ok());
  EXPECT_EQ(writer.addMetadata("late", Value(true)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(GGUFWriterTest, MissingDirectory) {
  ScratchDir dir;
  std::string path = dir.path("no/such/dir/out.gguf");
  Writer writer(path);
  absl::Status status = writer.finish();
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(contains(status, "cannot create")) << status;
}

} // namespace
