//===- BlockDecoders.cpp - Decoding llama.cpp blocks in registers ---------===//
//
// Part of quantc.
//
// The layouts are ggml's (ggml-common.h); each decoder's comment gives the
// block's fields and how its groups of 32 map to them, as in ggml's
// reference dequantize_row_* functions.
//
//===----------------------------------------------------------------------===//

#include "BlockDecoders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::detail;

//===----------------------------------------------------------------------===//
// Emit
//===----------------------------------------------------------------------===//

Value Emit::index(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

Value Emit::i32(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIntOp::create(b, b.getI32Type(), v);
}

Value Emit::f32(ImplicitLocOpBuilder &b, double v) {
  return arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(float(v)));
}

Value Emit::splat(ImplicitLocOpBuilder &b, Type element, int64_t n,
                  int64_t value) {
  auto type = VectorType::get({n}, element);
  return arith::ConstantOp::create(
      b, type, DenseElementsAttr::get(type, b.getIntegerAttr(element, value)));
}

Value Emit::splatF(ImplicitLocOpBuilder &b, int64_t n, double value) {
  auto type = VectorType::get({n}, b.getF32Type());
  return arith::ConstantOp::create(
      b, type, DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
}

Value Emit::add(ImplicitLocOpBuilder &b, Value base, int64_t offset) {
  if (offset == 0)
    return base;
  return arith::AddIOp::create(b, base, index(b, offset));
}

Value Emit::bytes(ImplicitLocOpBuilder &b, Value w, Value at, int64_t n) {
  return vector::LoadOp::create(b, VectorType::get({n}, b.getI8Type()), w,
                                ValueRange{at});
}

Value Emit::byte(ImplicitLocOpBuilder &b, Value w, Value at) {
  Value v = memref::LoadOp::create(b, w, ValueRange{at});
  return arith::ExtUIOp::create(b, b.getI32Type(), v);
}

Value Emit::half(ImplicitLocOpBuilder &b, Value w, Value at) {
  Value two = bytes(b, w, at, 2);
  Value h =
      vector::BitCastOp::create(b, VectorType::get({1}, b.getF16Type()), two);
  Value e = vector::ExtractOp::create(b, h, ArrayRef<int64_t>{0});
  return arith::ExtFOp::create(b, b.getF32Type(), e);
}

Value Emit::concat(ImplicitLocOpBuilder &b, Value lo, Value hi) {
  int64_t n = cast<VectorType>(lo.getType()).getNumElements();
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < 2 * n; ++i)
    mask.push_back(i);
  return vector::ShuffleOp::create(b, lo, hi, mask);
}

Value Emit::sum4(ImplicitLocOpBuilder &b, Value v) {
  auto pairs = [&](Value x) {
    int64_t n = cast<VectorType>(x.getType()).getNumElements();
    SmallVector<int64_t> even, odd;
    for (int64_t i = 0; i < n; i += 2) {
      even.push_back(i);
      odd.push_back(i + 1);
    }
    Value e = vector::ShuffleOp::create(b, x, x, even);
    Value o = vector::ShuffleOp::create(b, x, x, odd);
    return arith::AddIOp::create(b, e, o).getResult();
  };
  return pairs(pairs(v));
}

//===----------------------------------------------------------------------===//
// Helpers for the decoders
//===----------------------------------------------------------------------===//

namespace {

Type i8v(ImplicitLocOpBuilder &b, int64_t n) {
  return VectorType::get({n}, b.getI8Type());
}

/// v & mask for a vector<n x i8>.
Value andMask(ImplicitLocOpBuilder &b, Value v, int64_t mask) {
  int64_t n = cast<VectorType>(v.getType()).getNumElements();
  return arith::AndIOp::create(b, v, Emit::splat(b, b.getI8Type(), n, mask));
}

/// v >> s (logical) for a vector<n x i8>.
Value shr(ImplicitLocOpBuilder &b, Value v, int64_t s) {
  if (s == 0)
    return v;
  int64_t n = cast<VectorType>(v.getType()).getNumElements();
  return arith::ShRUIOp::create(b, v, Emit::splat(b, b.getI8Type(), n, s));
}

Value shl(ImplicitLocOpBuilder &b, Value v, int64_t s) {
  if (s == 0)
    return v;
  int64_t n = cast<VectorType>(v.getType()).getNumElements();
  return arith::ShLIOp::create(b, v, Emit::splat(b, b.getI8Type(), n, s));
}

/// 32 bytes whose lane j is bit j of the little-endian 32-bit word at byte
/// `at` of `w`, as 0 or `value`.
Value spreadBits(ImplicitLocOpBuilder &b, Value w, Value at, int64_t value) {
  Value four = Emit::bytes(b, w, at, 4);
  SmallVector<int64_t> mask;
  for (int64_t j = 0; j < 32; ++j)
    mask.push_back(j / 8);
  Value spread = vector::ShuffleOp::create(b, four, four, mask);
  SmallVector<Attribute> bits;
  for (int64_t j = 0; j < 32; ++j)
    bits.push_back(b.getI8IntegerAttr(static_cast<int8_t>(1u << (j % 8))));
  auto type = cast<VectorType>(i8v(b, 32));
  Value bitMask =
      arith::ConstantOp::create(b, type, DenseElementsAttr::get(type, bits));
  Value set = arith::AndIOp::create(b, spread, bitMask);
  Value zero = Emit::splat(b, b.getI8Type(), 32, 0);
  Value isSet = arith::CmpIOp::create(b, arith::CmpIPredicate::ne, set, zero);
  return arith::SelectOp::create(
      b, isSet, Emit::splat(b, b.getI8Type(), 32, value), zero);
}

/// `v` (vector<n x i8>) as f32 times `scale`, unsigned or signed.
Value scaledLanes(ImplicitLocOpBuilder &b, Value v, Value scale,
                  bool isSigned) {
  int64_t n = cast<VectorType>(v.getType()).getNumElements();
  auto type = VectorType::get({n}, b.getF32Type());
  Value f = isSigned ? arith::SIToFPOp::create(b, type, v).getResult()
                     : arith::UIToFPOp::create(b, type, v).getResult();
  return arith::MulFOp::create(b, f,
                               vector::BroadcastOp::create(b, type, scale));
}

Value extractLane(ImplicitLocOpBuilder &b, Value v, int64_t lane) {
  return vector::ExtractOp::create(b, v, ArrayRef<int64_t>{lane});
}

/// A constant vector<n x i8>.
Value bytesConst(ImplicitLocOpBuilder &b, ArrayRef<int64_t> values) {
  auto type = VectorType::get({int64_t(values.size())}, b.getI8Type());
  SmallVector<Attribute> attrs;
  for (int64_t v : values)
    attrs.push_back(b.getI8IntegerAttr(static_cast<int8_t>(v)));
  return arith::ConstantOp::create(b, type,
                                   DenseElementsAttr::get(type, attrs));
}

/// The eight six-bit scales and mins of q4_K/q5_K's scales[12] at byte
/// `at` (ggml's get_scale_min_k4 for j = 0..7, in vector form).
std::pair<Value, Value> scalesMinsK4(ImplicitLocOpBuilder &b, Value w,
                                     Value at) {
  Value raw = Emit::bytes(b, w, at, 12);
  auto pick = [&](ArrayRef<int64_t> lanes) {
    return vector::ShuffleOp::create(b, raw, raw, lanes).getResult();
  };
  auto band = [&](Value v, ArrayRef<int64_t> m) {
    return arith::AndIOp::create(b, v, bytesConst(b, m)).getResult();
  };
  // High two bits of j >= 4: (q[j - 4] >> 6) << 4 for scales, (q[j] >> 6)
  // << 4 for mins; as (x >> 2) & 0x30.
  Value two = bytesConst(b, {2, 2, 2, 2, 2, 2, 2, 2});
  Value hiMask = bytesConst(b, {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30});
  Value sc = arith::OrIOp::create(
      b,
      band(pick({0, 1, 2, 3, 8, 9, 10, 11}), {63, 63, 63, 63, 15, 15, 15, 15}),
      arith::AndIOp::create(
          b, arith::ShRUIOp::create(b, pick({0, 1, 2, 3, 0, 1, 2, 3}), two),
          hiMask));
  Value mRaw = pick({4, 5, 6, 7, 8, 9, 10, 11});
  Value mLow = arith::SelectOp::create(
      b,
      arith::ConstantOp::create(
          b, VectorType::get({8}, b.getI1Type()),
          DenseElementsAttr::get(VectorType::get({8}, b.getI1Type()),
                                 ArrayRef<bool>{true, true, true, true, false,
                                                false, false, false})),
      band(mRaw, {63, 63, 63, 63, 63, 63, 63, 63}),
      arith::ShRUIOp::create(b, mRaw, bytesConst(b, {4, 4, 4, 4, 4, 4, 4, 4})));
  Value m = arith::OrIOp::create(
      b, mLow,
      arith::AndIOp::create(
          b, arith::ShRUIOp::create(b, pick({0, 1, 2, 3, 4, 5, 6, 7}), two),
          hiMask));
  return {sc, m};
}

/// Low nibbles then high nibbles of 16 bytes: 32 values in [0, 16).
Value nibbles32(ImplicitLocOpBuilder &b, Value w, Value at) {
  Value v = Emit::bytes(b, w, at, 16);
  return Emit::concat(b, andMask(b, v, 15), shr(b, v, 4));
}

//===----------------------------------------------------------------------===//
// 32-weight formats
//===----------------------------------------------------------------------===//

/// q4_0 (18 bytes): f16 d; 16 bytes, element j in the low nibble of byte j
/// and element j + 16 in its high nibble. w = d * (q - 8).
class Q4_0 : public BlockDecoder {
public:
  Q4_0() { bytes = 18, qOffset = 8; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base, d = Emit::half(b, w, base);
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t) override {
    DecodedGroup g;
    g.q = nibbles32(b, w, Emit::add(b, base, 2));
    g.scale = d;
    return g;
  }

private:
  Value w, base, d;
};

/// q4_1 (20 bytes): f16 d, f16 m; nibbles as q4_0. w = d * q + m.
class Q4_1 : public BlockDecoder {
public:
  Q4_1() { bytes = 20, minKind = MinKind::PerGroup; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    d = Emit::half(b, w, base);
    m = Emit::half(b, w, Emit::add(b, base, 2));
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t) override {
    DecodedGroup g;
    g.q = nibbles32(b, w, Emit::add(b, base, 4));
    g.scale = d;
    g.min = m;
    return g;
  }

private:
  Value w, base, d, m;
};

/// q5_0 (22 bytes): f16 d; u32 qh (bit j = fifth bit of element j); nibbles
/// as q4_0. w = d * (q - 16).
class Q5_0 : public BlockDecoder {
public:
  Q5_0() { bytes = 22, qOffset = 16; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base, d = Emit::half(b, w, base);
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t) override {
    DecodedGroup g;
    Value lo = nibbles32(b, w, Emit::add(b, base, 6));
    g.q = arith::OrIOp::create(b, lo,
                               spreadBits(b, w, Emit::add(b, base, 2), 16));
    g.scale = d;
    return g;
  }

private:
  Value w, base, d;
};

/// q5_1 (24 bytes): f16 d, f16 m, u32 qh, nibbles. w = d * q + m.
class Q5_1 : public BlockDecoder {
public:
  Q5_1() { bytes = 24, minKind = MinKind::PerGroup; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    d = Emit::half(b, w, base);
    m = Emit::half(b, w, Emit::add(b, base, 2));
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t) override {
    DecodedGroup g;
    Value lo = nibbles32(b, w, Emit::add(b, base, 8));
    g.q = arith::OrIOp::create(b, lo,
                               spreadBits(b, w, Emit::add(b, base, 4), 16));
    g.scale = d;
    g.min = m;
    return g;
  }

private:
  Value w, base, d, m;
};

/// q8_0 (34 bytes): f16 d; 32 signed bytes. w = d * q. For vpdpbusd, whose
/// first operand is unsigned, the bytes are flipped to q + 128 and 128 is
/// the offset; other ISAs multiply signed bytes.
class Q8_0 : public BlockDecoder {
public:
  explicit Q8_0(bool unsignedDot) : unsignedDot(unsignedDot) {
    bytes = 34, qOffset = unsignedDot ? 128 : 0;
  }
  bool decodesByLoad() const override { return true; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base, d = Emit::half(b, w, base);
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t) override {
    DecodedGroup g;
    g.q = Emit::bytes(b, w, Emit::add(b, base, 2), 32);
    if (unsignedDot)
      g.q = arith::XOrIOp::create(b, g.q,
                                  Emit::splat(b, b.getI8Type(), 32, -128));
    else
      g.isSigned = true;
    g.scale = d;
    return g;
  }

private:
  bool unsignedDot;
  Value w, base, d;
};

//===----------------------------------------------------------------------===//
// K-quants (256 weights, 8 groups)
//===----------------------------------------------------------------------===//

/// q2_K (84 bytes): scales[16] (low nibble scale, high nibble min of each
/// 16 weights), qs[64], f16 d, f16 dmin. Group g (half h = g / 4, shift
/// 2 * (g % 4)) is (qs[32h .. 32h + 32] >> shift) & 3, halves scaled by
/// scales[2g], scales[2g + 1]: w = d * sc * q - dmin * m.
class Q2_K : public BlockDecoder {
public:
  Q2_K() {
    groups = 8, bytes = 84, minKind = MinKind::BlockPerHalf;
    perHalfScales = true;
  }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    Value d = Emit::half(b, w, Emit::add(b, base, 80));
    Value dmin = Emit::half(b, w, Emit::add(b, base, 82));
    Value raw = Emit::bytes(b, w, base, 16);
    scales = scaledLanes(b, andMask(b, raw, 15), d, false);
    mins =
        arith::NegFOp::create(b, scaledLanes(b, shr(b, raw, 4), dmin, false));
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t g) override {
    DecodedGroup out;
    int64_t h = g / 4, shift = 2 * (g % 4);
    Value q = Emit::bytes(b, w, Emit::add(b, base, 16 + 32 * h), 32);
    out.q = andMask(b, shr(b, q, shift), 3);
    out.scaleVec = scales;
    for (int64_t s = 0; s < 2; ++s) {
      out.lane[s] = 2 * g + s;
      out.scaleHalf[s] = extractLane(b, scales, 2 * g + s);
      out.minHalf[s] = extractLane(b, mins, 2 * g + s);
    }
    return out;
  }

private:
  Value w, base, scales;
};

/// q3_K (110 bytes): hmask[32], qs[64], scales[12] (16 six-bit scales, minus
/// 32), f16 d. Group g (h = g / 4, j = g % 4): the low two bits are
/// (qs[32h ..] >> 2j) & 3 and the third bit is bit 4h + j of hmask[0 .. 32];
/// w = d * (sc - 32) * (q - 4).
class Q3_K : public BlockDecoder {
public:
  Q3_K() { groups = 8, bytes = 110, qOffset = 4, perHalfScales = true; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    Value d = Emit::half(b, w, Emit::add(b, base, 108));
    // Scale i: low four bits from byte i (i < 8) or the high nibble of byte
    // i - 8; high two bits (byte 8 + i % 4) >> 2 (i / 4).
    Value raw = Emit::bytes(b, w, Emit::add(b, base, 96), 12);
    SmallVector<int64_t> lowPick, highPick;
    for (int64_t i = 0; i < 16; ++i) {
      lowPick.push_back(i % 8);
      highPick.push_back(8 + i % 4);
    }
    Value low = vector::ShuffleOp::create(b, raw, raw, lowPick);
    SmallVector<int64_t> lowShift, highShift;
    for (int64_t i = 0; i < 16; ++i) {
      lowShift.push_back(i < 8 ? 0 : 4);
      highShift.push_back(2 * (i / 4));
    }
    low =
        andMask(b, arith::ShRUIOp::create(b, low, bytesConst(b, lowShift)), 15);
    Value high = vector::ShuffleOp::create(b, raw, raw, highPick);
    high = andMask(b, arith::ShRUIOp::create(b, high, bytesConst(b, highShift)),
                   3);
    Value sc = arith::OrIOp::create(b, low, shl(b, high, 4));
    sc = arith::SubIOp::create(b, sc, Emit::splat(b, b.getI8Type(), 16, 32));
    scales = scaledLanes(b, sc, d, /*isSigned=*/true);
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t g) override {
    DecodedGroup out;
    int64_t h = g / 4, j = g % 4;
    Value low = Emit::bytes(b, w, Emit::add(b, base, 32 + 32 * h), 32);
    low = andMask(b, shr(b, low, 2 * j), 3);
    Value hm = Emit::bytes(b, w, base, 32);
    Value high = shl(b, andMask(b, shr(b, hm, 4 * h + j), 1), 2);
    out.q = arith::OrIOp::create(b, low, high);
    out.scaleVec = scales;
    for (int64_t s = 0; s < 2; ++s) {
      out.lane[s] = 2 * g + s;
      out.scaleHalf[s] = extractLane(b, scales, 2 * g + s);
    }
    return out;
  }

private:
  Value w, base, scales;
};

/// q4_K and q5_K share their head: f16 d, f16 dmin, scales[12] (eight
/// six-bit scale/min pairs); w = d * sc * q - dmin * m for sub-block g.
/// `nibbles` is the offset of qs[128] (group g: the low (g even) or high
/// nibbles of qs[32 (g / 2) ..]); q5_K adds the fifth bit of group g from
/// bit g of qh[32] at `highBits`.
class KQuantWithMins : public BlockDecoder {
public:
  KQuantWithMins(int64_t blockBytes, int64_t nibbles, int64_t highBits)
      : nibbles(nibbles), highBits(highBits) {
    groups = 8, bytes = blockBytes, minKind = MinKind::BlockPerGroup;
  }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    Value d = Emit::half(b, w, base);
    Value dmin = Emit::half(b, w, Emit::add(b, base, 2));
    auto [sc, m] = scalesMinsK4(b, w, Emit::add(b, base, 4));
    scales = scaledLanes(b, sc, d, false);
    mins = arith::NegFOp::create(b, scaledLanes(b, m, dmin, false));
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    scInt = arith::ExtUIOp::create(b, v8i32, sc);
    minInt = arith::ExtUIOp::create(b, v8i32, m);
    dBlock = d, dminBlock = dmin;
  }
  bool integerScales() const override { return true; }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t g) override {
    DecodedGroup out;
    Value q = Emit::bytes(b, w, Emit::add(b, base, nibbles + 32 * (g / 2)), 32);
    out.q = g % 2 ? shr(b, q, 4) : andMask(b, q, 15);
    if (highBits >= 0) {
      Value qh = Emit::bytes(b, w, Emit::add(b, base, highBits), 32);
      out.q = arith::OrIOp::create(b, out.q,
                                   shl(b, andMask(b, shr(b, qh, g), 1), 4));
    }
    out.scaleVec = scales;
    out.lane[0] = out.lane[1] = g;
    out.scale = extractLane(b, scales, g);
    out.min = extractLane(b, mins, g);
    return out;
  }

private:
  int64_t nibbles, highBits;
  Value w, base, scales;
};

/// q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Group g
/// (h = g / 4, t = g % 4): low four bits from the low (t < 2) or high
/// nibbles of ql[64h + 32 (t % 2) ..], high two bits (qh[32h ..] >> 2t) & 3;
/// halves scaled by scales[8h + 2t], scales[8h + 2t + 1]; w = d * sc *
/// (q - 32).
class Q6_K : public BlockDecoder {
public:
  Q6_K() { groups = 8, bytes = 210, qOffset = 32, perHalfScales = true; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    Value d = Emit::half(b, w, Emit::add(b, base, 208));
    Value sc = Emit::bytes(b, w, Emit::add(b, base, 192), 16);
    scales = scaledLanes(b, sc, d, /*isSigned=*/true);
    scInt = arith::ExtSIOp::create(b, VectorType::get({16}, b.getI32Type()),
                                   sc);
    dBlock = d;
  }
  bool integerScales() const override { return true; }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t g) override {
    DecodedGroup out;
    int64_t h = g / 4, t = g % 4;
    Value ql = Emit::bytes(b, w, Emit::add(b, base, 64 * h + 32 * (t % 2)), 32);
    ql = t < 2 ? andMask(b, ql, 15) : shr(b, ql, 4);
    Value qh = Emit::bytes(b, w, Emit::add(b, base, 128 + 32 * h), 32);
    qh = shl(b, andMask(b, shr(b, qh, 2 * t), 3), 4);
    out.q = arith::OrIOp::create(b, ql, qh);
    out.scaleVec = scales;
    for (int64_t s = 0; s < 2; ++s) {
      out.lane[s] = 8 * h + 2 * t + s;
      out.scaleHalf[s] = extractLane(b, scales, 8 * h + 2 * t + s);
    }
    return out;
  }

private:
  Value w, base, scales;
};

//===----------------------------------------------------------------------===//
// Group-wise affine (!qc.group<bits, size, scale_type, offset>)
//===----------------------------------------------------------------------===//

/// A scalar of `type` (f16, bf16, f32) at byte `at` of `w`, as f32.
Value loadScale(ImplicitLocOpBuilder &b, Value w, Value at, FloatType type) {
  if (type.isF16())
    return Emit::half(b, w, at);
  int64_t n = type.getWidth() / 8;
  Value raw = Emit::bytes(b, w, at, n);
  Value v = vector::BitCastOp::create(b, VectorType::get({1}, type), raw);
  Value s = vector::ExtractOp::create(b, v, ArrayRef<int64_t>{0});
  if (!type.isF32())
    s = arith::ExtFOp::create(b, b.getF32Type(), s);
  return s;
}

/// One group of `groupSize` weights of `bits` (4 or 8) bits stored as the
/// scale, the zero point (one byte) or bias (of the scale type), then the
/// integers as an LSB-first bit stream: for 4 bits, byte j holds weights 2j
/// (low nibble) and 2j + 1. Each 32 weights are one decoded group.
///   none:       w = s * q, q signed: u = q + 2^(bits-1) (offset 2^(bits-1))
///   zero_point: w = s * (q - zp) = s * q - s * zp (min -s * zp)
///   bias:       w = s * q + bias (min bias)
/// For 8-bit codes, the dot product's unsigned operand on x86 without VNNI
/// saturates, so 8-bit codes are recentred as signed bytes there.
class GroupDecoder : public BlockDecoder {
public:
  GroupDecoder(qc::GroupType type, KernelISA isa) : type(type) {
    isGroup = true;
    groups = type.getGroupSize() / 32;
    bytes = type.getBytesPerBlock();
    unsignedDot = isa == KernelISA::AVX512VNNI || isa == KernelISA::AVXVNNI;
    int64_t half = int64_t(1) << (type.getBits() - 1);
    switch (type.getOffset()) {
    case qc::GroupOffset::none:
      // 8-bit signed codes: flipped to unsigned for vpdpbusd, else signed.
      qOffset = type.getBits() == 8 && !unsignedDot ? 0 : half;
      signedCodes = type.getBits() == 8 && !unsignedDot;
      break;
    case qc::GroupOffset::zero_point:
    case qc::GroupOffset::bias:
      minKind = MinKind::PerGroup;
      // Unsigned 8-bit codes as signed bytes (q - 128) off VNNI.
      recentre = type.getBits() == 8 && !unsignedDot;
      break;
    }
  }
  bool decodesByLoad() const override { return type.getBits() == 8; }
  void prepare(ImplicitLocOpBuilder &b, Value w, Value base) override {
    this->w = w, this->base = base;
    FloatType st = type.getScaleType();
    int64_t sb = st.getWidth() / 8;
    scale = loadScale(b, w, base, st);
    dataAt = sb;
    min = Value();
    switch (type.getOffset()) {
    case qc::GroupOffset::none:
      break;
    case qc::GroupOffset::zero_point: {
      Value zp = arith::UIToFPOp::create(
          b, b.getF32Type(), Emit::byte(b, w, Emit::add(b, base, sb)));
      if (recentre)
        zp = arith::SubFOp::create(b, zp, Emit::f32(b, 128.0));
      min = arith::NegFOp::create(b, arith::MulFOp::create(b, scale, zp));
      dataAt = sb + 1;
      break;
    }
    case qc::GroupOffset::bias:
      min = loadScale(b, w, Emit::add(b, base, sb), st);
      if (recentre)
        min = arith::AddFOp::create(
            b, min, arith::MulFOp::create(b, scale, Emit::f32(b, 128.0)));
      dataAt = 2 * sb;
      break;
    }
  }
  DecodedGroup group(ImplicitLocOpBuilder &b, int64_t g) override {
    DecodedGroup out;
    if (type.getBits() == 8) {
      out.q = Emit::bytes(b, w, Emit::add(b, base, dataAt + 32 * g), 32);
      bool isSignedCode = type.getOffset() == qc::GroupOffset::none;
      if (isSignedCode && unsignedDot)
        out.q = arith::XOrIOp::create(b, out.q,
                                      Emit::splat(b, b.getI8Type(), 32, -128));
      if (!isSignedCode && recentre)
        out.q = arith::XOrIOp::create(b, out.q,
                                      Emit::splat(b, b.getI8Type(), 32, -128));
      out.isSigned = signedCodes || recentre;
    } else {
      Value v = Emit::bytes(b, w, Emit::add(b, base, dataAt + 16 * g), 16);
      SmallVector<int64_t> interleave;
      for (int64_t j = 0; j < 16; ++j) {
        interleave.push_back(j);
        interleave.push_back(16 + j);
      }
      out.q = vector::ShuffleOp::create(b, andMask(b, v, 15), shr(b, v, 4),
                                        interleave);
      if (type.getOffset() == qc::GroupOffset::none)
        out.q = arith::XOrIOp::create(b, out.q,
                                      Emit::splat(b, b.getI8Type(), 32, 8));
    }
    out.scale = scale;
    out.min = min;
    return out;
  }

private:
  qc::GroupType type;
  bool unsignedDot = false, signedCodes = false, recentre = false;
  Value w, base, scale, min;
  int64_t dataAt = 0;
};

} // namespace

std::unique_ptr<BlockDecoder> BlockDecoder::create(Type type, KernelISA isa) {
  if (auto group = dyn_cast<qc::GroupType>(type)) {
    if ((group.getBits() == 4 || group.getBits() == 8) &&
        group.getGroupSize() % 32 == 0)
      return std::make_unique<GroupDecoder>(group, isa);
    return nullptr;
  }
  auto block = dyn_cast<qc::BlockType>(type);
  if (!block)
    return nullptr;
  using qc::BlockFormat;
  switch (block.getFormat()) {
  case BlockFormat::q4_0:
    return std::make_unique<Q4_0>();
  case BlockFormat::q4_1:
    return std::make_unique<Q4_1>();
  case BlockFormat::q5_0:
    return std::make_unique<Q5_0>();
  case BlockFormat::q5_1:
    return std::make_unique<Q5_1>();
  case BlockFormat::q8_0:
    return std::make_unique<Q8_0>(isa == KernelISA::AVX512VNNI ||
                                  isa == KernelISA::AVXVNNI);
  case BlockFormat::q2_K:
    return std::make_unique<Q2_K>();
  case BlockFormat::q3_K:
    return std::make_unique<Q3_K>();
  case BlockFormat::q4_K: // 144 bytes: head, qs[128]
    return std::make_unique<KQuantWithMins>(144, 16, -1);
  case BlockFormat::q5_K: // 176 bytes: head, qh[32], qs[128]
    return std::make_unique<KQuantWithMins>(176, 48, 16);
  case BlockFormat::q6_K:
    return std::make_unique<Q6_K>();
  default:
    return nullptr;
  }
}
