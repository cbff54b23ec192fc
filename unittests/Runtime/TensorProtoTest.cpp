//===- TensorProtoTest.cpp - TensorProto wire format details --------------===//
//
// Part of quantc.
//
// TensorProtos written field by field: each typed data field ONNX prescribes
// (float_data, int32_data for the narrow types, int64_data, double_data,
// uint64_data), packed and unpacked, split across several occurrences,
// sign-extended negative int32 varints, unknown fields skipped, and the
// writer's layout (the one onnx.numpy_helper.from_array produces).
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
using quantc::testing::Proto;

namespace {

Tensor parseOk(const Proto &proto) {
  absl::StatusOr<Tensor> t = parseTensorPb(proto.bytes, "built.pb");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor{};
}

template <typename T> std::vector<T> values(const Tensor &t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

/// A negative int32 as protobuf writes it: sign-extended to 64 bits.
uint64_t int32Varint(int32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }

TEST(TensorIOProto, FloatDataPackedUnpackedAndSplit) {
  Proto p;
  p.packedVarints(1, {2, 2}).varintField(2, 1).stringField(8, "w");
  p.packedFixed<float>(4, {1.5f, -2.0f});
  p.key(4, 5).fixed(3.25f);
  p.key(4, 5).fixed(-0.0f);
  Tensor t = parseOk(p);
  EXPECT_EQ(t.name, "w");
  EXPECT_EQ(t.dtype, 1);
  EXPECT_EQ(t.dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values<float>(t), (std::vector<float>{1.5f, -2.0f, 3.25f, -0.0f}));
}

TEST(TensorIOProto, Int32DataCarriesNarrowTypes) {
  struct Case {
    int32_t dtype;
    std::vector<int32_t> in;
  };
  // int8 with negatives (10-byte varints), uint8, int16, uint16, and the bit
  // patterns of float16 and bfloat16.
  Proto i8;
  i8.varintField(1, 4).varintField(2, 3);
  for (int32_t v : {-128, -1, 0, 127})
    i8.varintField(5, int32Varint(v));
  EXPECT_EQ(values<int8_t>(parseOk(i8)), (std::vector<int8_t>{-128, -1, 0, 127}));

  Proto u8;
  u8.varintField(1, 3).varintField(2, 2).packedVarints(5, {0, 200, 255});
  EXPECT_EQ(values<uint8_t>(parseOk(u8)), (std::vector<uint8_t>{0, 200, 255}));

  Proto i16;
  i16.varintField(1, 2).varintField(2, 5).packedVarints(5, {int32Varint(-32768), 32767});
  EXPECT_EQ(values<int16_t>(parseOk(i16)), (std::vector<int16_t>{-32768, 32767}));

  Proto u16;
  u16.varintField(1, 2).varintField(2, 4).packedVarints(5, {0, 65535});
  EXPECT_EQ(values<uint16_t>(parseOk(u16)), (std::vector<uint16_t>{0, 65535}));

  Proto f16;
  f16.varintField(1, 2).varintField(2, 10).packedVarints(5, {0x3C00, 0xFC00});
  Tensor half = parseOk(f16);
  EXPECT_EQ(halfToFloat(values<uint16_t>(half)[0]), 1.0f);
  EXPECT_EQ(values<uint16_t>(half)[1], 0xFC00);

  Proto bf16;
  bf16.varintField(1, 1).varintField(2, 16).packedVarints(5, {0x3F80});
  EXPECT_EQ(values<uint16_t>(parseOk(bf16)), (std::vector<uint16_t>{0x3F80}));

  Proto i32;
  i32.varintField(1, 2).varintField(2, 6).packedVarints(5, {int32Varint(INT32_MIN), 7});
  EXPECT_EQ(values<int32_t>(parseOk(i32)), (std::vector<int32_t>{INT32_MIN, 7}));

  // Booleans: any non-zero value is true, as numpy's astype(bool).
  Proto b;
  b.varintField(1, 3).varintField(2, 9).packedVarints(5, {0, 1, 5});
  EXPECT_EQ(values<uint8_t>(parseOk(b)), (std::vector<uint8_t>{0, 1, 1}));
}

TEST(TensorIOProto, WideTypedFields) {
  Proto i64;
  i64.varintField(1, 3).varintField(2, 7).packedVarints(
      7, {static_cast<uint64_t>(INT64_MIN), static_cast<uint64_t>(-1LL), 42});
  EXPECT_EQ(values<int64_t>(parseOk(i64)), (std::vector<int64_t>{INT64_MIN, -1, 42}));

  Proto f64;
  f64.varintField(1, 2).varintField(2, 11).packedFixed<double>(10, {0.1, -1e300});
  EXPECT_EQ(values<double>(parseOk(f64)), (std::vector<double>{0.1, -1e300}));
  Proto f64Unpacked;
  f64Unpacked.varintField(1, 1).varintField(2, 11).key(10, 1).fixed(2.5);
  EXPECT_EQ(values<double>(parseOk(f64Unpacked)), (std::vector<double>{2.5}));

  Proto u32;
  u32.varintField(1, 2).varintField(2, 12).packedVarints(11, {0, 4294967295u});
  EXPECT_EQ(values<uint32_t>(parseOk(u32)), (std::vector<uint32_t>{0, 4294967295u}));

  Proto u64;
  u64.varintField(1, 1).varintField(2, 13).varintField(11, UINT64_MAX);
  EXPECT_EQ(values<uint64_t>(parseOk(u64)), (std::vector<uint64_t>{UINT64_MAX}));
}

TEST(TensorIOProto, ScalarsEmptyTensorsAndLastFieldWins) {
  Proto scalar;
  scalar.varintField(2, 1).key(4, 5).fixed(9.0f);
  Tensor s = parseOk(scalar);
  EXPECT_TRUE(s.dims.empty());
  EXPECT_EQ(values<float>(s), (std::vector<float>{9.0f}));

  Proto empty;
  empty.varintField(1, 0).varintField(1, 3).varintField(2, 7);
  Tensor e = parseOk(empty);
  EXPECT_EQ(e.dims, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(e.data.empty());

  // Singular fields: the last occurrence wins.
  Proto twice;
  twice.varintField(1, 1).varintField(2, 6).stringField(8, "first").stringField(8, "second");
  twice.varintField(2, 1);
  twice.bytesField(9, quantc::testing::toBytes("abcd"));
  Tensor t = parseOk(twice);
  EXPECT_EQ(t.name, "second");
  EXPECT_EQ(t.dtype, 1);
  EXPECT_EQ(t.data.size(), 4u);
}

TEST(TensorIOProto, SkipsUnknownFields) {
  Proto p;
  p.varintField(1, 2);
  p.stringField(12, "doc string");                        // doc_string
  p.key(3, 2).varint(4).varintField(1, 0).varintField(2, 2); // segment {begin, end}
  p.key(99, 5).fixed<uint32_t>(1).key(98, 1).fixed<uint64_t>(2).varintField(97, 300);
  p.varintField(14, 0); // data_location DEFAULT
  p.varintField(2, 2).bytesField(9, quantc::testing::toBytes("\x01\x02"));
  Tensor t = parseOk(p);
  EXPECT_EQ(values<uint8_t>(t), (std::vector<uint8_t>{1, 2}));
}

TEST(TensorIOProto, WriterLayoutIsNumpyHelpers) {
  // onnx.numpy_helper.from_array(np.array([[1, 2]], np.int16), "ab")
  // serializes as: dims 1, dims 2, data_type 5, name "ab", raw_data.
  Tensor t;
  t.name = "ab";
  t.dtype = 5;
  t.dims = {1, 2};
  t.data = quantc::testing::toBytes(std::string("\x01\x00\x02\x00", 4));
  absl::StatusOr<std::vector<std::byte>> bytes = serializeTensorPb(t);
  ASSERT_TRUE(bytes.ok());
  std::vector<std::byte> expected =
      quantc::testing::toBytes(std::string("\x08\x01\x08\x02\x10\x05\x42\x02"
                                           "ab\x4a\x04\x01\x00\x02\x00",
                                           16));
  EXPECT_EQ(*bytes, expected);
}

} // namespace
