//===- TensorIOHostileTest.cpp - Malformed .pb and .npy files -------------===//
//
// Part of quantc.
//
// One test per way a file can be wrong, each expecting one error whose
// message names the file (and the byte offset where there is one); every
// truncation of valid files at every byte; and random corruptions, which
// must never crash or allocate more than the file's size.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "TensorIOTestUtil.h"

import quantc.tensorio;

using namespace quantc::tensorio;
using quantc::testing::Proto;
using quantc::testing::toBytes;

namespace {

/// Expects `status` to fail with a message starting with `file` and holding
/// each of `parts`.
void expectError(const absl::Status &status, const std::string &file,
                 std::initializer_list<std::string> parts) {
  ASSERT_FALSE(status.ok()) << "accepted a hostile file";
  std::string message(status.message());
  EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
  for (const std::string &part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << "no '" << part << "' in: " << message;
}

void expectPbError(const Proto &p, std::initializer_list<std::string> parts) {
  expectError(parseTensorPb(p.bytes, "bad.pb").status(), "bad.pb", parts);
}

void expectNpyError(const std::string &bytes, std::initializer_list<std::string> parts) {
  expectError(parseNpy(toBytes(bytes), "bad.npy").status(), "bad.npy", parts);
}

std::string v1(const std::string &header) {
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xFF));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header;
}

std::vector<std::byte> validPb() {
  Tensor t;
  t.name = "input";
  t.dtype = 1;
  t.dims = {2, 3};
  t.data.resize(24, std::byte{0x3F});
  return *serializeTensorPb(t);
}

std::vector<std::byte> validNpy() {
  Tensor t;
  t.dtype = 7;
  t.dims = {3, 1};
  t.data.resize(24, std::byte{0x01});
  return *serializeNpy(t);
}

TEST(TensorIOHostile, PbWireErrors) {
  Proto longVarint;
  longVarint.raw(std::string(11, '\xFF'));
  expectPbError(longVarint, {"varint", "at byte offset 0"});
  Proto overflowVarint; // tenth byte above 1: more than 64 bits
  overflowVarint.raw(std::string(9, '\x80') + "\x02");
  expectPbError(overflowVarint, {"varint longer than 64 bits"});
  Proto truncatedVarint;
  truncatedVarint.varintField(1, 2).raw("\x08\x80");
  expectPbError(truncatedVarint, {"truncated varint", "at byte offset 3"});
  Proto fieldZero;
  fieldZero.raw(std::string("\x00\x01", 2));
  expectPbError(fieldZero, {"invalid field number 0"});
  for (uint32_t wire : {3u, 4u}) {
    Proto group;
    group.key(20, wire);
    expectPbError(group, {"groups are not supported"});
  }
  for (uint32_t wire : {6u, 7u}) {
    Proto invalid;
    invalid.key(20, wire);
    expectPbError(invalid, {"invalid wire type"});
  }
  Proto pastEnd;
  pastEnd.varintField(2, 1).key(9, 2).varint(1000).raw("abc");
  expectPbError(pastEnd, {"length 1000 runs past the end", "at byte offset 3"});
  Proto wrongWire;
  wrongWire.key(2, 2).varint(0);
  expectPbError(wrongWire, {"data_type has wire type 2"});
  Proto packedFloat;
  packedFloat.varintField(2, 1).key(4, 2).varint(3).raw("abc");
  expectPbError(packedFloat, {"not a whole number of 4-byte values"});
  Proto packedVarint; // the run ends inside a varint
  packedVarint.varintField(2, 7).key(7, 2).varint(1).raw("\x80");
  expectPbError(packedVarint, {"truncated varint in a packed field"});
  Proto truncatedFixed;
  truncatedFixed.varintField(2, 1).key(4, 5).raw("ab");
  expectPbError(truncatedFixed, {"truncated fixed-size field"});
}

TEST(TensorIOHostile, PbTensorErrors) {
  Proto noType;
  noType.varintField(1, 2).bytesField(9, toBytes("ab"));
  expectPbError(noType, {"no data_type"});
  Proto string;
  string.varintField(2, 8).stringField(6, "hello");
  expectPbError(string, {"string tensors are not supported"});
  Proto complex;
  complex.varintField(2, 14);
  expectPbError(complex, {"unsupported data_type 14 (COMPLEX64)"});
  Proto external;
  external.varintField(2, 1).varintField(14, 1);
  expectPbError(external, {"data_location EXTERNAL"});
  Proto sizeMismatch;
  sizeMismatch.varintField(1, 3).varintField(1, 4).varintField(2, 1).bytesField(
      9, std::vector<std::byte>(47));
  expectPbError(sizeMismatch,
                {"raw_data holds 47 bytes, but dims [3, 4] of float32 need 48", "at byte offset 6"});
  Proto countMismatch;
  countMismatch.varintField(1, 3).varintField(2, 7).packedVarints(7, {1, 2});
  expectPbError(countMismatch, {"int64_data holds 2 values, but dims [3] of int64 need 3"});
  Proto noData;
  noData.varintField(1, 3).varintField(2, 1);
  expectPbError(noData, {"no data", "need 3 elements"});
  // dims whose product overflows must not be allocated.
  Proto huge;
  huge.varintField(1, uint64_t(1) << 62).varintField(1, uint64_t(1) << 62).varintField(2, 1);
  huge.bytesField(9, toBytes("abcd"));
  expectPbError(huge, {"invalid dims"});
  Proto bigButFinite; // 2^40 floats claimed, 4 bytes given
  bigButFinite.varintField(1, uint64_t(1) << 40).varintField(2, 1).bytesField(9, toBytes("abcd"));
  expectPbError(bigButFinite, {"raw_data holds 4 bytes"});
  Proto negative;
  negative.varintField(1, static_cast<uint64_t>(-2LL)).varintField(2, 1);
  expectPbError(negative, {"invalid dims [-2]"});
  Proto both;
  both.varintField(1, 1).varintField(2, 1).bytesField(9, toBytes("abcd")).key(4, 5).fixed(1.0f);
  expectPbError(both, {"both raw_data and typed data"});
  Proto wrongField;
  wrongField.varintField(1, 1).varintField(2, 7).key(4, 5).fixed(1.0f);
  expectPbError(wrongField, {"int64 tensor must keep its values in int64_data"});
  Proto int8Range;
  int8Range.varintField(1, 1).varintField(2, 3).varintField(5, 300);
  expectPbError(int8Range, {"int32_data value 300", "out of range"});
  Proto uint32Range;
  uint32Range.varintField(1, 1).varintField(2, 12).varintField(11, uint64_t(1) << 32);
  expectPbError(uint32Range, {"out of range"});
  Proto badBool;
  badBool.varintField(1, 2).varintField(2, 9).bytesField(9, toBytes(std::string("\x01\x02", 2)));
  expectPbError(badBool, {"bool element 1 is 2"});
}

TEST(TensorIOHostile, NpyErrors) {
  std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  std::string data(8, '\0');
  expectNpyError("", {"no \\x93NUMPY magic"});
  expectNpyError("\x93NUMPX", {"magic"});
  expectNpyError("\x93NUMPY", {"truncated .npy version"});
  expectNpyError(std::string("\x93NUMPY\x04\x00", 8), {"unsupported .npy format version 4.0"});
  expectNpyError(std::string("\x93NUMPY\x01\x00\x05", 9), {"truncated .npy header length"});
  expectNpyError(std::string("\x93NUMPY\x02\x00\xFF\xFF\xFF\xFF", 12) + good,
                 {"runs past the end", "at byte offset 8"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }") +
                     std::string(16, '\0'),
                 {"Fortran-order"});
  expectNpyError(v1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }") + data,
                 {"big-endian dtype '>f4'", "at byte offset 20"});
  expectNpyError(v1("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }") + data,
                 {"unsupported dtype '<c8'"});
  expectNpyError(v1("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }") + data,
                 {"lacks a byte order"});
  expectNpyError(v1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }") +
                     data,
                 {"structured dtypes"});
  expectNpyError(v1("{'descr': '<f4', 'shape': (2,), }") + data, {"lacks one of"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}") + data,
                 {"unexpected or repeated header key 'x'"});
  expectNpyError(v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}") +
                     data,
                 {"repeated header key 'descr'"});
  expectNpyError(v1("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }") + data,
                 {"expected ',' or '}'"});
  expectNpyError(v1("{'descr': '<f4") + data, {"unterminated string"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}") + data,
                 {"expected True or False"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}") + data,
                 {"must be written (n,)"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}") + data,
                 {"non-negative integer"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
                 {"dimension too large"});
  expectNpyError(
      v1("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4)}"),
      {"too many elements"});
  expectNpyError(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,)}"),
                 {"the data holds 0 bytes, but shape [1000000000000] of float32 needs"});
  expectNpyError(v1(good) + data + "x", {"the data holds 9 bytes"});
  expectNpyError(v1(good) + "1234567", {"the data holds 7 bytes"});
  expectNpyError(v1(good + "junk") + data, {"unexpected text after the header"});
  expectNpyError(v1("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }") + "\x01\x07",
                 {"bool element 1 is 7"});
}

TEST(TensorIOHostile, EveryTruncationFails) {
  for (const auto &[name, bytes] :
       {std::pair{std::string("valid.pb"), validPb()}, {std::string("valid.npy"), validNpy()}}) {
    ASSERT_TRUE(parseTensorFile(bytes, name).ok());
    for (size_t size = 0; size < bytes.size(); ++size) {
      std::span<const std::byte> prefix(bytes.data(), size);
      absl::StatusOr<Tensor> t = parseTensorFile(prefix, name);
      ASSERT_FALSE(t.ok()) << name << " truncated to " << size << " bytes was accepted";
      std::string message(t.status().message());
      ASSERT_EQ(message.rfind(name + ": ", 0), 0u) << message;
      ASSERT_NE(message.find("byte offset"), std::string::npos) << message;
    }
  }
}

TEST(TensorIOHostile, RandomCorruptionsNeverCrash) {
  std::mt19937 rng(42);
  size_t accepted = 0;
  for (const std::vector<std::byte> &valid : {validPb(), validNpy()})
    for (int iteration = 0; iteration < 20000; ++iteration) {
      std::vector<std::byte> bytes = valid;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f)
        bytes[rng() % bytes.size()] = static_cast<std::byte>(rng() & 0xFF);
      if (rng() % 4 == 0)
        bytes.resize(rng() % bytes.size());
      absl::StatusOr<Tensor> t = parseTensorFile(bytes, "corrupt");
      if (t.ok()) {
        ++accepted;
        // What is accepted is consistent, and survives a round trip.
        ASSERT_TRUE(checkTensor(*t).ok()) << checkTensor(*t);
        absl::StatusOr<std::vector<std::byte>> again = serializeTensorPb(*t);
        ASSERT_TRUE(again.ok());
        absl::StatusOr<Tensor> reparsed = parseTensorPb(*again, "again");
        ASSERT_TRUE(reparsed.ok()) << reparsed.status();
        ASSERT_EQ(*reparsed, *t);
      } else {
        ASSERT_FALSE(t.status().message().empty());
      }
    }
  // Flipping data bytes keeps most files valid.
  EXPECT_GT(accepted, 1000u);
}

} // namespace
