//===- QCTypesTest.cpp - qc types against the numerics block table --------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

import quantc.numerics;

using namespace mlir;
using namespace quantc;

namespace {

class QCTypesTest : public ::testing::Test {
protected:
  QCTypesTest() { ctx.loadDialect<qc::QCDialect>(); }
  MLIRContext ctx;
};

// The ODS enum and the numerics table are kept apart (one is generated, the
// other is LLVM-free); this pins them to each other.
TEST_F(QCTypesTest, BlockFormatsMatchNumericsTable) {
  for (const numerics::BlockFormatInfo &info : numerics::kBlockFormats) {
    auto format = static_cast<qc::BlockFormat>(info.format);
    EXPECT_EQ(llvm::StringRef(qc::stringifyBlockFormat(format)).lower(),
              std::string(info.name));
    auto type = qc::BlockType::get(&ctx, format);
    EXPECT_EQ(type.getBlockSize(), info.blockSize) << info.name;
    EXPECT_EQ(type.getBytesPerBlock(), info.bytesPerBlock) << info.name;
  }
  EXPECT_DOUBLE_EQ(
      qc::BlockType::get(&ctx, qc::BlockFormat::q4_K).getBitsPerWeight(), 4.5);
  EXPECT_DOUBLE_EQ(
      qc::BlockType::get(&ctx, qc::BlockFormat::q6_K).getBitsPerWeight(),
      6.5625);
}

TEST_F(QCTypesTest, GroupTypeBytesPerBlock) {
  Builder b(&ctx);
  // 4-bit, 32 per group, f16 scale: 2 + 16 bytes.
  auto g = qc::GroupType::get(&ctx, 4, 32, b.getF16Type(), qc::GroupOffset::none);
  EXPECT_EQ(g.getBytesPerBlock(), 18u);
  // With a one-byte zero point.
  g = qc::GroupType::get(&ctx, 4, 32, b.getF16Type(), qc::GroupOffset::zero_point);
  EXPECT_EQ(g.getBytesPerBlock(), 19u);
  // 3-bit, 128 per group, bf16 scale and bf16 bias: 2 + 2 + 48.
  g = qc::GroupType::get(&ctx, 3, 128, b.getBF16Type(), qc::GroupOffset::bias);
  EXPECT_EQ(g.getBytesPerBlock(), 52u);
  EXPECT_DOUBLE_EQ(g.getBitsPerWeight(), 52.0 * 8 / 128);
}

TEST_F(QCTypesTest, QuantUniformStorage) {
  Builder b(&ctx);
  auto i4 = quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, b.getIntegerType(4), b.getF32Type(),
      0.5, 0, -8, 7);
  auto iface = dyn_cast<qc::QuantizedTypeInterface>(Type(i4));
  ASSERT_TRUE(iface);
  EXPECT_EQ(iface.getBlockSize(), 2u);
  EXPECT_EQ(iface.getBytesPerBlock(), 1u);

  auto tensor = RankedTensorType::get({3, 8}, i4);
  FailureOr<int64_t> size = qc::getStorageSize(tensor);
  ASSERT_TRUE(succeeded(size));
  EXPECT_EQ(*size, 12);

  // An odd innermost dimension is not a whole number of i4 pairs.
  EXPECT_TRUE(failed(qc::getStorageSize(RankedTensorType::get({3, 7}, i4))));
}

TEST_F(QCTypesTest, StorageSizeOfBlockTensors) {
  auto q4k = qc::BlockType::get(&ctx, qc::BlockFormat::q4_K);
  FailureOr<int64_t> size =
      qc::getStorageSize(RankedTensorType::get({4096, 4096}, q4k));
  ASSERT_TRUE(succeeded(size));
  EXPECT_EQ(*size, int64_t(4096) * 16 * 144);
  EXPECT_TRUE(failed(qc::getStorageSize(RankedTensorType::get({4, 100}, q4k))));
  EXPECT_TRUE(failed(qc::getStorageSize(
      RankedTensorType::get({ShapedType::kDynamic, 256}, q4k))));
  // 2^62 rows of one block overflow int64 bytes.
  EXPECT_TRUE(failed(qc::getStorageSize(
      RankedTensorType::get({int64_t(1) << 62, 256}, q4k))));
  // Plain element types: bool as one byte, f16 as two.
  Builder b(&ctx);
  EXPECT_EQ(*qc::getStorageSize(RankedTensorType::get({5}, b.getI1Type())), 5);
  EXPECT_EQ(*qc::getStorageSize(RankedTensorType::get({5}, b.getF16Type())), 10);
}

} // namespace
