//===- Kernels.cpp - Quantized CPU kernels built in MLIR ------------------===//
//
// Part of quantc.
//
// See Kernels.h for the functions and their contracts. The matmul kernel:
//
//   1. quantizes each activation row to blocks of 32 int8 values with an
//      f32 scale (round to nearest even; what ggml does for Q8 activations),
//      and keeps per block: -offset * (sums of 4 consecutive values), the
//      starting value of the int32 dot product so that unsigned weight codes
//      need no correction, and scale * sum for each half (for formats with
//      mins);
//   2. splits [column blocks of 64 activations] x [tiles of R weight rows]
//      across the runtime's threads; each tile walks the K blocks once,
//      decoding each weight group of 32 into a vector<32xi8> and multiplying
//      it with C activation columns: an int8 dot product into 8 int32 lanes
//      (4 products each), converted to f32 and scaled by weight scale x
//      activation scale into 8 f32 accumulators per (row, column);
//   3. reduces the accumulators (and the scalar min terms) into y.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToVector/Kernels.h"

#include "BlockDecoders.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::detail;

StringRef quantc::stringifyKernelISA(KernelISA isa) {
  switch (isa) {
  case KernelISA::Generic:
    return "generic";
  case KernelISA::AVX2:
    return "avx2";
  case KernelISA::AVXVNNI:
    return "avxvnni";
  case KernelISA::AVX512VNNI:
    return "avx512vnni";
  case KernelISA::NEONDot:
    return "neon-dotprod";
  }
  return "generic";
}

std::optional<KernelISA> quantc::symbolizeKernelISA(StringRef name) {
  return llvm::StringSwitch<std::optional<KernelISA>>(name)
      .Case("generic", KernelISA::Generic)
      .Case("avx2", KernelISA::AVX2)
      .Case("avxvnni", KernelISA::AVXVNNI)
      .Case("avx512vnni", KernelISA::AVX512VNNI)
      .Case("neon-dotprod", KernelISA::NEONDot)
      .Default(std::nullopt);
}

KernelISA quantc::selectKernelISA(StringRef triple, StringRef features) {
  auto has = [&](StringRef f) {
    SmallVector<StringRef> parts;
    features.split(parts, ',');
    return llvm::is_contained(parts, ("+" + f).str());
  };
  if (triple.starts_with("x86_64")) {
    if (has("avx512vnni") && has("avx512vl") && has("avx512bw"))
      return KernelISA::AVX512VNNI;
    if (has("avxvnni") && has("avx2") && has("fma") && has("f16c"))
      return KernelISA::AVXVNNI;
    if (has("avx2") && has("fma") && has("f16c"))
      return KernelISA::AVX2;
    return KernelISA::Generic;
  }
  if (triple.starts_with("aarch64") || triple.starts_with("arm64"))
    return has("dotprod") ? KernelISA::NEONDot : KernelISA::Generic;
  return KernelISA::Generic;
}

namespace {

constexpr int64_t kColumnBlock = 64;

/// Whether `type` is a quantized type the block decoders take.
bool isDecodable(Type type) {
  return BlockDecoder::create(type, KernelISA::Generic) != nullptr;
}

bool isFloatWeight(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

std::string typeName(Type type) {
  if (auto block = dyn_cast<qc::BlockType>(type))
    return qc::stringifyBlockFormat(block.getFormat()).str();
  if (auto group = dyn_cast<qc::GroupType>(type)) {
    std::string scale;
    llvm::raw_string_ostream os(scale);
    group.getScaleType().print(os);
    return llvm::formatv("g{0}_{1}_{2}_{3}", group.getBits(),
                         group.getGroupSize(), scale,
                         qc::stringifyGroupOffset(group.getOffset()))
        .str();
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

/// Emission of one kernel function.
class KernelEmitter {
public:
  KernelEmitter(ImplicitLocOpBuilder &b, KernelISA isa) : b(b), isa(isa) {}

  /// The fused epilogue: y[m, n] = epilogue(sum, extras[i][n or m, n]...).
  struct Epilogue {
    FlatSymbolRefAttr fn;
    SmallVector<Value> extras; ///< memref<?xf32> (by n) or memref<?x?xf32>
  };
  Epilogue *epilogue = nullptr;
  KernelEmitter &with(Epilogue *e) {
    epilogue = e;
    return *this;
  }

  /// Stores one output element, through the epilogue when there is one.
  void storeResult(Value sum, Value y, Value m, Value n) {
    if (epilogue && epilogue->fn) {
      SmallVector<Value> args = {sum};
      for (Value extra : epilogue->extras) {
        auto type = cast<MemRefType>(extra.getType());
        args.push_back(memref::LoadOp::create(
            b, extra, type.getRank() == 1 ? ValueRange{n} : ValueRange{m, n}));
      }
      sum =
          func::CallOp::create(b, epilogue->fn, TypeRange{b.getF32Type()}, args)
              .getResult(0);
    }
    memref::StoreOp::create(b, sum, y, ValueRange{m, n});
  }

  /// GEMM tile shape: R weight rows x C activation columns, per ISA and
  /// format (measured on Zen 4 with 2 threads, 512 x 4096 x 4096: K-quants
  /// decode 8 groups per block and keep 4 x 4; q8_0, whose decoding is a
  /// load, 4 x 3; the nibble formats, whose decoding needs registers, 3 x 3).
  /// `decoder` is null for float weights.
  std::pair<int64_t, int64_t> tileShape(const BlockDecoder *decoder) const {
    switch (isa) {
    case KernelISA::AVX512VNNI:
    case KernelISA::NEONDot: {
      if (!decoder || decoder->groupsPerBlock() == 8)
        return {4, 4};
      if (decoder->decodesByLoad())
        return {4, 3};
      return {3, 3};
    }
    case KernelISA::AVX2:
    case KernelISA::AVXVNNI:
      // 16 vector registers.
      return {4, 2};
    case KernelISA::Generic:
      return {2, 2};
    }
    return {2, 2};
  }

  Value cIdx(int64_t v) { return Emit::index(b, v); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value addI(Value x, int64_t y) { return Emit::add(b, x, y); }
  Value mulI(Value x, int64_t y) { return y == 1 ? x : mul(x, cIdx(y)); }

  /// acc + sum4(q * a) as vector<8xi32>; q unsigned (or signed when
  /// `qSigned`) bytes, a signed bytes.
  Value dot4(Value acc, Value q, Value a, bool qSigned) {
    MLIRContext *ctx = b.getContext();
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    auto v32i8 = VectorType::get({32}, b.getI8Type());
    auto v16i16 = VectorType::get({16}, b.getI16Type());
    auto intrinsic = [&](StringRef name, Type result, ValueRange args) {
      return LLVM::CallIntrinsicOp::create(b, result,
                                           StringAttr::get(ctx, name), args)
          .getResult(0);
    };
    auto maddubs = [&](Value u, Value s) {
      Value pairs = intrinsic("llvm.x86.avx2.pmadd.ub.sw", v16i16, {u, s});
      Value ones = Emit::splat(b, b.getI16Type(), 16, 1);
      Value quads = intrinsic("llvm.x86.avx2.pmadd.wd", v8i32, {pairs, ones});
      return arith::AddIOp::create(b, acc, quads).getResult();
    };
    switch (isa) {
    case KernelISA::AVX512VNNI:
    case KernelISA::AVXVNNI:
      if (!qSigned) {
        // LLVM 22 takes the byte operands as <32 x i8>; the same intrinsic
        // selects the VEX (AVX-VNNI) or EVEX (AVX512-VNNI + VL) encoding.
        return intrinsic("llvm.x86.avx512.vpdpbusd.256", v8i32, {acc, q, a});
      }
      [[fallthrough]];
    case KernelISA::AVX2:
      if (qSigned) {
        // |q| * (a with q's sign): pmaddubsw takes its first operand
        // unsigned.
        Value absQ = math::AbsIOp::create(b, q);
        Value signedA = intrinsic("llvm.x86.avx2.psign.b", v32i8, {a, q});
        return maddubs(absQ, signedA);
      }
      return maddubs(q, a);
    case KernelISA::NEONDot: {
      auto v16i8 = VectorType::get({16}, b.getI8Type());
      auto v4i32 = VectorType::get({4}, b.getI32Type());
      SmallVector<Value> halves;
      for (int64_t h = 0; h < 2; ++h) {
        auto slice = [&](Value v, int64_t n, int64_t at) {
          return vector::ExtractStridedSliceOp::create(
                     b, v, ArrayRef<int64_t>{at}, ArrayRef<int64_t>{n},
                     ArrayRef<int64_t>{1})
              .getResult();
        };
        Value accH = slice(acc, 4, 4 * h);
        halves.push_back(
            intrinsic("llvm.aarch64.neon.sdot.v4i32.v16i8", v4i32,
                      {accH, slice(q, 16, 16 * h), slice(a, 16, 16 * h)}));
        (void)v16i8;
      }
      return Emit::concat(b, halves[0], halves[1]);
    }
    case KernelISA::Generic: {
      auto v32i32 = VectorType::get({32}, b.getI32Type());
      Value qw = qSigned ? arith::ExtSIOp::create(b, v32i32, q).getResult()
                         : arith::ExtUIOp::create(b, v32i32, q).getResult();
      Value aw = arith::ExtSIOp::create(b, v32i32, a);
      return arith::AddIOp::create(
          b, acc, Emit::sum4(b, arith::MulIOp::create(b, qw, aw)));
    }
    }
    llvm_unreachable("unknown ISA");
  }

  /// dot4 on vectors of 8 or 16 int32 lanes (4 x 8 or 4 x 16 bytes): 512-bit
  /// vpdpbusd for unsigned `q` with AVX-512, else per 256-bit half.
  Value dotRows(Value acc, Value q, Value a, bool qSigned) {
    auto type = cast<VectorType>(acc.getType());
    if (type.getNumElements() == 8)
      return dot4(acc, q, a, qSigned);
    if (isa == KernelISA::AVX512VNNI && !qSigned)
      return LLVM::CallIntrinsicOp::create(
                 b, type, StringAttr::get(b.getContext(),
                                          "llvm.x86.avx512.vpdpbusd.512"),
                 ValueRange{acc, q, a})
          .getResult(0);
    auto half = [&](Value v, int64_t n, int64_t h) {
      return vector::ExtractStridedSliceOp::create(
                 b, v, ArrayRef<int64_t>{n * h}, ArrayRef<int64_t>{n},
                 ArrayRef<int64_t>{1})
          .getResult();
    };
    return Emit::concat(b, dot4(half(acc, 8, 0), half(q, 32, 0), half(a, 32, 0), qSigned),
                        dot4(half(acc, 8, 1), half(q, 32, 1), half(a, 32, 1), qSigned));
  }

  /// Broadcast of `s` to vector<8xf32>.
  Value bcast8(Value s) {
    return vector::BroadcastOp::create(b, VectorType::get({8}, b.getF32Type()),
                                       s);
  }

  /// Per-lane scale of the int32 dot-product lanes (weight scale times
  /// activation scale): lanes 0-3 hold the first half of the group, 4-7 the
  /// second. `da` is the activation scale, `daVec` its broadcast.
  Value laneScale(const DecodedGroup &g, Value da, Value daVec) {
    if (g.scaleVec) {
      int64_t l0 = g.lane[0], l1 = g.lane[1];
      Value s = vector::ShuffleOp::create(
          b, g.scaleVec, g.scaleVec,
          ArrayRef<int64_t>{l0, l0, l0, l0, l1, l1, l1, l1});
      return arith::MulFOp::create(b, s, daVec);
    }
    if (g.scale)
      return bcast8(arith::MulFOp::create(b, g.scale, da));
    Value s0 = bcast8(g.scaleHalf[0]);
    Value s1 = bcast8(g.scaleHalf[1]);
    Value s = vector::ShuffleOp::create(
        b, s0, s1, ArrayRef<int64_t>{0, 1, 2, 3, 8, 9, 10, 11});
    return arith::MulFOp::create(b, s, daVec);
  }

  //===--------------------------------------------------------------------===//
  // Block-quantized matmul
  //===--------------------------------------------------------------------===//

  void emitQuantizedMatmul(func::FuncOp func, Type format) {
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0), w = entry->getArgument(1),
          y = entry->getArgument(2);
    if (epilogue)
      epilogue->extras.assign(entry->args_begin() + 3, entry->args_end());
    std::unique_ptr<BlockDecoder> proto = BlockDecoder::create(format, isa);
    const int64_t wpb = proto->weightsPerBlock(), bpb = proto->bytesPerBlock(),
                  groups = proto->groupsPerBlock(), off = proto->offset();
    const MinKind minKind = proto->getMinKind();

    Value M = memref::DimOp::create(b, x, 0);
    Value K = memref::DimOp::create(b, x, 1);
    Value N = memref::DimOp::create(b, y, 1);
    Value G = arith::DivUIOp::create(b, K, cIdx(32));
    Value nb = arith::DivUIOp::create(b, K, cIdx(wpb));
    Value rowBytes = mulI(nb, bpb);
    Value MG = mul(M, G);

    // GEMV of formats with integer group scales: its own activations (see
    // emitIntegerScaleGEMV); everything below is the else branch.
    scf::IfOp integerGemv;
    if (proto->integerScales()) {
      Value small = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, M,
                                          cIdx(tileShape(proto.get()).second));
      integerGemv = scf::IfOp::create(b, small, /*withElseRegion=*/true);
      b.setInsertionPointToStart(&integerGemv.getThenRegion().front());
      emitIntegerScaleGEMV(format, x, w, y, M, N, K, G, nb, rowBytes, bpb,
                           off);
      b.setInsertionPointToStart(&integerGemv.getElseRegion().front());
    }

    auto alloc = [&](Type element, Value n) {
      return memref::AllocOp::create(
          b, MemRefType::get({ShapedType::kDynamic}, element), ValueRange{n},
          b.getI64IntegerAttr(64));
    };
    Value aq = alloc(b.getI8Type(), mul(M, K));
    Value ad = alloc(b.getF32Type(), MG);
    Value anc = off ? alloc(b.getI32Type(), mulI(MG, 8)).getResult() : Value();
    // Activation sums (times the block scale) per group, or per half.
    bool perGroupSums =
        minKind == MinKind::PerGroup || minKind == MinKind::BlockPerGroup;
    Value at = perGroupSums ? alloc(b.getF32Type(), MG).getResult() : Value();
    Value as = minKind == MinKind::BlockPerHalf
                   ? alloc(b.getF32Type(), mulI(MG, 2)).getResult()
                   : Value();
    // GEMM with 8 weight rows interleaved in registers (see
    // emitInterleavedGEMM): on x86, for every format but q2_K (whose
    // 16-weight halves have mins). The offset correction is then one scalar
    // per activation group, or per half for the formats with a scale per
    // half (q3_K, q6_K).
    const bool perHalf = !proto->hasGroupScales();
    const bool interleaved = minKind != MinKind::BlockPerHalf &&
                             (isa == KernelISA::AVX512VNNI ||
                              isa == KernelISA::AVXVNNI ||
                              isa == KernelISA::AVX2);
    Value ancs = interleaved && off
                     ? alloc(b.getI32Type(), perHalf ? mulI(MG, 2) : MG)
                           .getResult()
                     : Value();

    // 1. Activations to int8 blocks.
    scf::ParallelOp::create(
        b, ValueRange{cIdx(0)}, ValueRange{M}, ValueRange{cIdx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter inner(ib, isa);
          inner.emitQuantizeRow(x, ivs[0], K, G, aq, ad, anc, at, as, off,
                                proto->f16ActivationScales(), ancs, perHalf);
        });

    // 2. Tiles across threads.
    auto [R, C] = tileShape(proto.get());
    auto tile = [&](ImplicitLocOpBuilder &ib, int64_t r, int64_t c, Value n0,
                    Value m0) {
      KernelEmitter inner(ib, isa);
      inner.with(epilogue);
      inner.emitQuantizedTile(format, r, c, n0, m0, w, y, K, G, nb, rowBytes,
                              aq, ad, anc, at, as, wpb, bpb, groups, off,
                              minKind);
    };
    if (interleaved)
      emitTiles(M, N, R, C, tile, [&] {
        emitInterleavedGEMM(format, M, N, w, y, K, G, nb, rowBytes, aq, ad,
                            ancs, at, wpb, bpb, groups, perHalf, tile);
      });
    else
      emitTiles(M, N, R, C, tile);
    for (Value scratch : {aq, ad, anc, at, as, ancs})
      if (scratch)
        memref::DeallocOp::create(b, scratch);
    if (integerGemv)
      b.setInsertionPointAfter(integerGemv);
    func::ReturnOp::create(b);
  }

  /// Lane i of the result is the sum of the lanes of v[i], for 8 vectors of
  /// 8 lanes (f32 or i32): in-lane pairwise sums, then the two halves (14
  /// shuffles and 7 adds, where 8 horizontal sums take about 48 operations).
  Value reduceEight(ArrayRef<Value> v) {
    bool isFloat = llvm::isa<FloatType>(
        cast<VectorType>(v.front().getType()).getElementType());
    auto pairSum = [&](Value x, Value y, ArrayRef<int64_t> even,
                       ArrayRef<int64_t> odd) -> Value {
      Value e = vector::ShuffleOp::create(b, x, y, even);
      Value o = vector::ShuffleOp::create(b, x, y, odd);
      return isFloat ? arith::AddFOp::create(b, e, o).getResult()
                     : arith::AddIOp::create(b, e, o).getResult();
    };
    const int64_t inEven[8] = {0, 2, 8, 10, 4, 6, 12, 14};
    const int64_t inOdd[8] = {1, 3, 9, 11, 5, 7, 13, 15};
    SmallVector<Value> l1, l2;
    for (int64_t p = 0; p < 8; p += 2)
      l1.push_back(pairSum(v[p], v[p + 1], inEven, inOdd));
    for (int64_t p = 0; p < 4; p += 2)
      l2.push_back(pairSum(l1[p], l1[p + 1], inEven, inOdd));
    // l2[0]: vectors 0-3 (first halves), 0-3 (second halves); l2[1] the
    // same for vectors 4-7.
    return pairSum(l2[0], l2[1], {0, 1, 2, 3, 8, 9, 10, 11},
                   {4, 5, 6, 7, 12, 13, 14, 15});
  }

  /// GEMV (fewer activation rows than a tile) for formats whose group
  /// scales (and mins) are small integers under one f32 scale (and min)
  /// per 256-weight block (q4_K, q5_K, q6_K), multiplied as ggml multiplies
  /// them with its Q8_K activations: the activations quantized per 256
  /// with one f32 scale (and their code sums per 16). Per block, q4_K and
  /// q5_K reduce the 8 groups' int32 dot products together into one vector
  /// (lane g: group g) and multiply it by the integer scales, and the code
  /// sums by the integer mins; q6_K multiplies each group's dot lanes by
  /// their half's scale and subtracts 32 x the halves' code sums times
  /// their scales. One convert and one FMA per block (and per mins), where
  /// the per-32 path converts and scales every group.
  void emitIntegerScaleGEMV(Type format, Value x, Value w, Value y, Value M,
                            Value N, Value K, Value G, Value nb,
                            Value rowBytes, int64_t bpb, int64_t off) {
    auto f32 = b.getF32Type();
    auto i32 = b.getI32Type();
    auto v8f32 = VectorType::get({8}, f32);
    auto v8i32 = VectorType::get({8}, i32);
    auto v32f32 = VectorType::get({32}, f32);
    auto v32i32 = VectorType::get({32}, i32);
    auto v32i8 = VectorType::get({32}, b.getI8Type());
    auto alloc = [&](Type element, Value n) {
      return memref::AllocOp::create(
                 b, MemRefType::get({ShapedType::kDynamic}, element),
                 ValueRange{n}, b.getI64IntegerAttr(64))
          .getResult();
    };
    Value aq = alloc(b.getI8Type(), mul(M, K));
    Value ad = alloc(f32, mul(M, nb));
    Value G2 = mulI(G, 2);
    Value as = alloc(i32, mul(M, G2));
    // 1. Each activation row per 256: d = amax / 127, codes round(x * 127 /
    // amax) to nearest even, and each 16's sum of codes.
    scf::ParallelOp::create(
        b, ValueRange{cIdx(0)}, ValueRange{M}, ValueRange{cIdx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter e(ib, isa);
          Value m = ivs[0];
          e.forLoop(e.cIdx(0), nb, 1, [&](ImplicitLocOpBuilder &lb, Value sb) {
            KernelEmitter le(lb, isa);
            Value k0 = le.mulI(sb, 256);
            SmallVector<Value> v;
            Value amax = Emit::f32(lb, 0.0);
            for (int64_t g = 0; g < 8; ++g) {
              v.push_back(vector::LoadOp::create(
                  lb, v32f32, x, ValueRange{m, le.addI(k0, 32 * g)}));
              amax = arith::MaxNumFOp::create(
                  lb, amax,
                  vector::ReductionOp::create(lb, vector::CombiningKind::MAXNUMF,
                                              math::AbsFOp::create(lb, v[g])));
            }
            Value d = arith::DivFOp::create(lb, amax, Emit::f32(lb, 127.0));
            Value id = arith::SelectOp::create(
                lb,
                arith::CmpFOp::create(lb, arith::CmpFPredicate::ONE, amax,
                                      Emit::f32(lb, 0.0)),
                arith::DivFOp::create(lb, Emit::f32(lb, 127.0), amax),
                Emit::f32(lb, 0.0));
            Value idVec = vector::BroadcastOp::create(lb, v32f32, id);
            Value row = le.add(le.mul(m, K), k0);
            Value half = le.add(le.mul(m, G2), le.mulI(sb, 16));
            for (int64_t g = 0; g < 8; ++g) {
              Value qi = arith::FPToSIOp::create(
                  lb, v32i32,
                  math::RoundEvenOp::create(
                      lb, arith::MulFOp::create(lb, v[g], idVec)));
              vector::StoreOp::create(lb,
                                      arith::TruncIOp::create(lb, v32i8, qi),
                                      aq, ValueRange{le.addI(row, 32 * g)});
              for (int64_t h = 0; h < 2; ++h)
                memref::StoreOp::create(
                    lb,
                    vector::ReductionOp::create(
                        lb, vector::CombiningKind::ADD,
                        vector::ExtractStridedSliceOp::create(
                            lb, qi, ArrayRef<int64_t>{16 * h},
                            ArrayRef<int64_t>{16}, ArrayRef<int64_t>{1})),
                    as, ValueRange{le.addI(half, 2 * g + h)});
            }
            memref::StoreOp::create(lb, d, ad,
                                    ValueRange{le.add(le.mul(m, nb), sb)});
          });
        });
    // 2. One weight row per step across the threads.
    scf::ParallelOp::create(
        b, ValueRange{cIdx(0)}, ValueRange{N}, ValueRange{cIdx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter e(ib, isa);
          e.with(epilogue);
          Value n = ivs[0];
          Value rowBase = e.mul(n, rowBytes);
          e.forLoop(e.cIdx(0), M, 1, [&](ImplicitLocOpBuilder &mb, Value m) {
            KernelEmitter me(mb, isa);
            me.with(epilogue);
            Value zero = Emit::splatF(mb, 8, 0.0);
            auto loop = scf::ForOp::create(
                mb, me.cIdx(0), nb, me.cIdx(1), ValueRange{zero, zero},
                [&](OpBuilder &nb2, Location l2, Value sb, ValueRange acc) {
                  ImplicitLocOpBuilder lb(l2, nb2);
                  KernelEmitter le(lb, isa);
                  std::unique_ptr<BlockDecoder> dec =
                      BlockDecoder::create(format, isa);
                  dec->prepare(lb, w, le.add(rowBase, le.mulI(sb, bpb)));
                  Value aRow = le.add(le.mul(m, K), le.mulI(sb, 256));
                  Value zero8 = Emit::splat(lb, i32, 8, 0);
                  SmallVector<Value> dots;
                  for (int64_t g = 0; g < 8; ++g) {
                    DecodedGroup q = dec->group(lb, g);
                    Value a = vector::LoadOp::create(
                        lb, v32i8, aq, ValueRange{le.addI(aRow, 32 * g)});
                    dots.push_back(le.dot4(zero8, q.q, a, q.isSigned));
                  }
                  Value da = memref::LoadOp::create(
                      lb, ad, ValueRange{le.add(le.mul(m, nb), sb)});
                  // The 16 halves' code sums.
                  Value sums16 = vector::LoadOp::create(
                      lb, VectorType::get({16}, i32), as,
                      ValueRange{le.add(le.mul(m, G2), le.mulI(sb, 16))});
                  auto halves = [&](Value v16, int64_t h) {
                    return vector::ExtractStridedSliceOp::create(
                               lb, v16, ArrayRef<int64_t>{8 * h},
                               ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1})
                        .getResult();
                  };
                  Value isum;
                  if (off) {
                    // A scale per half (q6_K): group g's dot has half 0 in
                    // lanes 0-3 and half 1 in lanes 4-7; each lane takes
                    // its half's scale, and the offset is the halves' code
                    // sums times their scales.
                    Value sc16 = dec->intScales();
                    isum = Emit::splat(lb, i32, 8, 0);
                    for (int64_t g = 0; g < 8; ++g) {
                      SmallVector<int64_t> lanes(4, 2 * g);
                      lanes.append(4, 2 * g + 1);
                      Value sv = vector::ShuffleOp::create(lb, sc16, sc16, lanes);
                      isum = arith::AddIOp::create(
                          lb, isum, arith::MulIOp::create(lb, dots[g], sv));
                    }
                    Value corr = arith::MulIOp::create(lb, sums16, sc16);
                    corr = arith::AddIOp::create(lb, halves(corr, 0),
                                                 halves(corr, 1));
                    isum = arith::SubIOp::create(
                        lb, isum,
                        arith::MulIOp::create(
                            lb, corr, Emit::splat(lb, i32, 8, off)));
                  } else {
                    isum = arith::MulIOp::create(lb, le.reduceEight(dots),
                                                 dec->intScales());
                  }
                  Value dd = arith::MulFOp::create(lb, dec->superScale(), da);
                  Value acc0 = math::FmaOp::create(
                      lb, arith::SIToFPOp::create(lb, v8f32, isum),
                      vector::BroadcastOp::create(lb, v8f32, dd), acc[0]);
                  Value acc1 = acc[1];
                  if (Value mins = dec->intMins()) {
                    // The groups' code sums: the two halves' added.
                    Value even = vector::ShuffleOp::create(
                        lb, sums16, sums16,
                        ArrayRef<int64_t>{0, 2, 4, 6, 8, 10, 12, 14});
                    Value odd = vector::ShuffleOp::create(
                        lb, sums16, sums16,
                        ArrayRef<int64_t>{1, 3, 5, 7, 9, 11, 13, 15});
                    Value sums = arith::AddIOp::create(lb, even, odd);
                    Value msum = arith::MulIOp::create(lb, sums, mins);
                    Value dm = arith::MulFOp::create(lb, dec->superMin(), da);
                    acc1 = math::FmaOp::create(
                        lb, arith::SIToFPOp::create(lb, v8f32, msum),
                        vector::BroadcastOp::create(lb, v8f32, dm), acc1);
                  }
                  scf::YieldOp::create(lb, ValueRange{acc0, acc1});
                });
            Value sum = arith::SubFOp::create(
                mb,
                vector::ReductionOp::create(mb, vector::CombiningKind::ADD,
                                            loop.getResult(0)),
                vector::ReductionOp::create(mb, vector::CombiningKind::ADD,
                                            loop.getResult(1)));
            me.storeResult(sum, y, m, n);
          });
        });
    for (Value scratch : {aq, ad, as})
      memref::DeallocOp::create(b, scratch);
  }

  void emitQuantizeRow(Value x, Value m, Value K, Value G, Value aq, Value ad,
                       Value anc, Value at, Value as, int64_t off,
                       bool f16Scales, Value ancs = Value(),
                       bool halfSums = false) {
    auto f32 = b.getF32Type();
    auto v32f32 = VectorType::get({32}, f32);
    auto v32i32 = VectorType::get({32}, b.getI32Type());
    auto v32i8 = VectorType::get({32}, b.getI8Type());
    scf::ForOp::create(
        b, cIdx(0), G, cIdx(1), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value gi, ValueRange) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter e(ib, isa);
          Value k = e.mulI(gi, 32);
          Value v = vector::LoadOp::create(ib, v32f32, x, ValueRange{m, k});
          Value amax = vector::ReductionOp::create(
              ib, vector::CombiningKind::MAXNUMF, math::AbsFOp::create(ib, v));
          // As ggml's quantize_row_q8_0: d = amax / 127, codes
          // round(x * 127 / amax) to nearest even, and for the formats whose
          // activations ggml keeps as Q8_0/Q8_1 the scale is stored (and
          // used) in f16.
          Value d = arith::DivFOp::create(ib, amax, Emit::f32(ib, 127.0));
          Value nonzero = arith::CmpFOp::create(ib, arith::CmpFPredicate::ONE,
                                                amax, Emit::f32(ib, 0.0));
          Value id = arith::SelectOp::create(
              ib, nonzero,
              arith::DivFOp::create(ib, Emit::f32(ib, 127.0), amax),
              Emit::f32(ib, 0.0));
          if (f16Scales)
            d = arith::ExtFOp::create(
                ib, ib.getF32Type(),
                arith::TruncFOp::create(ib, ib.getF16Type(), d).getResult());
          Value scaled = arith::MulFOp::create(
              ib, v, vector::BroadcastOp::create(ib, v32f32, id));
          Value qi = arith::FPToSIOp::create(
              ib, v32i32, math::RoundEvenOp::create(ib, scaled));
          Value q8 = arith::TruncIOp::create(ib, v32i8, qi);
          Value row = ib.create<arith::AddIOp>(e.mul(m, K), k);
          vector::StoreOp::create(ib, q8, aq, ValueRange{row});
          Value agi = e.add(e.mul(m, G), gi);
          memref::StoreOp::create(ib, d, ad, ValueRange{agi});
          if (off) {
            Value nc = arith::MulIOp::create(
                ib, Emit::sum4(ib, qi),
                Emit::splat(ib, ib.getI32Type(), 8, -off));
            vector::StoreOp::create(ib, nc, anc, ValueRange{e.mulI(agi, 8)});
            // The whole group's -off * sum(q), or each half's.
            if (ancs && !halfSums)
              memref::StoreOp::create(
                  ib,
                  vector::ReductionOp::create(ib, vector::CombiningKind::ADD,
                                              nc),
                  ancs, ValueRange{agi});
            for (int64_t h = 0; ancs && halfSums && h < 2; ++h)
              memref::StoreOp::create(
                  ib,
                  vector::ReductionOp::create(
                      ib, vector::CombiningKind::ADD,
                      vector::ExtractStridedSliceOp::create(
                          ib, nc, ArrayRef<int64_t>{4 * h},
                          ArrayRef<int64_t>{4}, ArrayRef<int64_t>{1})),
                  ancs, ValueRange{e.addI(e.mulI(agi, 2), h)});
          }
          if (at) {
            Value sum =
                vector::ReductionOp::create(ib, vector::CombiningKind::ADD, qi);
            Value sf = arith::MulFOp::create(
                ib, d, arith::SIToFPOp::create(ib, f32, sum));
            memref::StoreOp::create(ib, sf, at, ValueRange{agi});
          }
          if (as) {
            for (int64_t h = 0; h < 2; ++h) {
              Value half = vector::ExtractStridedSliceOp::create(
                  ib, qi, ArrayRef<int64_t>{16 * h}, ArrayRef<int64_t>{16},
                  ArrayRef<int64_t>{1});
              Value sum = vector::ReductionOp::create(
                  ib, vector::CombiningKind::ADD, half);
              Value sf = arith::MulFOp::create(
                  ib, d, arith::SIToFPOp::create(ib, f32, sum));
              memref::StoreOp::create(ib, sf, as,
                                      ValueRange{e.addI(e.mulI(agi, 2), h)});
            }
          }
          scf::YieldOp::create(ib);
        });
  }

  using TileFn = llvm::function_ref<void(ImplicitLocOpBuilder &, int64_t,
                                         int64_t, Value, Value)>;

  /// Runs `tile(rows, cols, n0, m0)` over all of [0, N) x [0, M): full
  /// R x C tiles on the threads (column blocks of 64 outermost, so that a
  /// thread's activations stay in cache), remainders with 1.
  void emitTiles(Value M, Value N, int64_t R, int64_t C, TileFn tile,
                 llvm::function_ref<void()> gemm = nullptr) {
    // Fewer columns than a tile (decoding, GEMV): one weight row at a time
    // across the threads, so that each thread streams one contiguous range
    // of the weights.
    Value gemv =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, M, cIdx(C));
    auto branch = scf::IfOp::create(b, gemv, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&branch.getThenRegion().front());
      scf::ParallelOp::create(
          b, ValueRange{cIdx(0)}, ValueRange{N}, ValueRange{cIdx(1)},
          [&](OpBuilder &nested, Location loc, ValueRange ivs) {
            ImplicitLocOpBuilder ib(loc, nested);
            KernelEmitter e(ib, isa);
            e.forLoop(e.cIdx(0), M, 1, [&](ImplicitLocOpBuilder &fb, Value m0) {
              tile(fb, 1, 1, ivs[0], m0);
            });
          });
      b.setInsertionPointToStart(&branch.getElseRegion().front());
      if (gemm)
        gemm();
      else
        emitTiledGEMM(M, N, R, C, tile);
    }
  }

  /// An scf.parallel over (column block of 64, tile of R rows) pairs, the
  /// rows' tiles inner: `body(builder, n0, mStart, mEnd)` for the rows
  /// n0 .. n0 + R of the columns mStart .. mEnd. Returns the number of full
  /// row tiles.
  using RowTileFn = llvm::function_ref<void(ImplicitLocOpBuilder &, Value,
                                            Value, Value)>;
  Value parallelRowTiles(Value M, Value N, int64_t R, RowTileFn body) {
    Value nT = arith::DivUIOp::create(b, N, cIdx(R));
    Value nMB = arith::CeilDivUIOp::create(b, M, cIdx(kColumnBlock));
    scf::ParallelOp::create(
        b, ValueRange{cIdx(0)}, ValueRange{mul(nMB, nT)}, ValueRange{cIdx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter e(ib, isa);
          Value mb = arith::DivUIOp::create(ib, ivs[0], nT);
          Value t = arith::RemUIOp::create(ib, ivs[0], nT);
          Value mStart = e.mulI(mb, kColumnBlock);
          body(ib, e.mulI(t, R), mStart,
               arith::MinUIOp::create(ib, e.addI(mStart, kColumnBlock), M));
        });
    return nT;
  }

  void emitTiledGEMM(Value M, Value N, int64_t R, int64_t C, TileFn tile) {
    Value nT = parallelRowTiles(
        M, N, R,
        [&](ImplicitLocOpBuilder &ib, Value n0, Value mStart, Value mEnd) {
          KernelEmitter e(ib, isa);
          Value span = arith::SubIOp::create(ib, mEnd, mStart);
          Value mFull = e.add(
              mStart, e.mulI(arith::DivUIOp::create(ib, span, e.cIdx(C)), C));
          e.forLoop(mStart, mFull, C, [&](ImplicitLocOpBuilder &fb, Value m0) {
            tile(fb, R, C, n0, m0);
          });
          e.forLoop(mFull, mEnd, 1, [&](ImplicitLocOpBuilder &fb, Value m0) {
            tile(fb, R, 1, n0, m0);
          });
        });
    remainderRows(M, N, nT, R, tile);
  }

  /// The last N % R rows (after nT tiles of R), one at a time.
  void remainderRows(Value M, Value N, Value nT, int64_t R, TileFn tile) {
    forLoop(mulI(nT, R), N, 1, [&](ImplicitLocOpBuilder &rb, Value n) {
      KernelEmitter e(rb, isa);
      e.forLoop(e.cIdx(0), M, 1, [&](ImplicitLocOpBuilder &fb, Value m0) {
        tile(fb, 1, 1, n, m0);
      });
    });
  }

  /// The 8 x 8 transpose of 8 vector<8xi32> (row r, dword i) by shuffles
  /// (unpack 32-bit, unpack 64-bit, combine 128-bit halves): result j holds
  /// dword kTransposedQuad[j] of every row, row r in lane r.
  static constexpr int64_t kTransposedQuad[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  SmallVector<Value> transpose8x8(ArrayRef<Value> rows) {
    auto shuffle = [&](Value x, Value y, ArrayRef<int64_t> mask) {
      return vector::ShuffleOp::create(b, x, y, mask).getResult();
    };
    SmallVector<Value> s1, s2, s3;
    for (int64_t p = 0; p < 8; p += 2) {
      s1.push_back(shuffle(rows[p], rows[p + 1], {0, 8, 1, 9, 4, 12, 5, 13}));
      s1.push_back(
          shuffle(rows[p], rows[p + 1], {2, 10, 3, 11, 6, 14, 7, 15}));
    }
    using Pairs = std::initializer_list<std::pair<int, int>>;
    for (auto [x, y] : Pairs{{0, 2}, {1, 3}, {4, 6}, {5, 7}}) {
      s2.push_back(shuffle(s1[x], s1[y], {0, 1, 8, 9, 4, 5, 12, 13}));
      s2.push_back(shuffle(s1[x], s1[y], {2, 3, 10, 11, 6, 7, 14, 15}));
    }
    for (auto [x, y] : Pairs{{0, 4}, {1, 5}, {2, 6}, {3, 7}}) {
      s3.push_back(shuffle(s2[x], s2[y], {0, 1, 2, 3, 8, 9, 10, 11}));
      s3.push_back(shuffle(s2[x], s2[y], {4, 5, 6, 7, 12, 13, 14, 15}));
    }
    return s3;
  }

  /// GEMM for one-scale 32-weight blocks with 8 weight rows interleaved in
  /// registers, as ggml's repacked q4_0 layout has them in memory, but made
  /// on the fly from the file's layout. Threads take (column block of 64,
  /// 8 rows); for each block of K, the 8 rows' blocks are decoded and
  /// transposed (8 x 8 dwords) so that register j holds 4 weights of every
  /// row, and every column of the block then takes 8 dot4s (one per 4
  /// activations, broadcast), leaving the 8 rows' block sums in the lanes of
  /// one vector: one convert and one FMA (with the rows' scales as a vector)
  /// for 8 outputs, where a row-per-vector tile needs one per output. The
  /// 8-lane accumulators of the column block live in a stack buffer. The
  /// last N % 8 rows go through `tile` one at a time.
  void emitInterleavedGEMM(Type format, Value M, Value N, Value w, Value y,
                           Value K, Value G, Value nb, Value rowBytes,
                           Value aq, Value ad, Value ancs, Value at,
                           int64_t wpb, int64_t bpb, int64_t groups,
                           bool perHalf, TileFn tile) {
    // Rows per tile: 16 in the lanes of 512-bit vectors with AVX-512 (half
    // the instructions of two 8-row tiles), else 8.
    const int64_t RT = isa == KernelISA::AVX512VNNI ? 16 : 8;
    auto f32 = b.getF32Type();
    auto vf = VectorType::get({RT}, f32);
    auto vi = VectorType::get({RT}, b.getI32Type());
    auto vb = VectorType::get({4 * RT}, b.getI8Type());
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    auto v4i8 = VectorType::get({4}, b.getI8Type());
    auto v1i32 = VectorType::get({1}, b.getI32Type());
    Value nT = parallelRowTiles(
        M, N, RT,
        [&](ImplicitLocOpBuilder &ib, Value n0, Value mStart, Value mEnd) {
          KernelEmitter e(ib, isa);
          e.with(epilogue);
          auto accType = MemRefType::get({kColumnBlock, RT}, f32);
          Value accs = memref::AllocOp::create(ib, accType,
                                               ib.getI64IntegerAttr(64));
          Value zero = Emit::splatF(ib, RT, 0.0);
          e.forLoop(mStart, mEnd, 1, [&](ImplicitLocOpBuilder &fb, Value m) {
            Value i = arith::SubIOp::create(fb, m, mStart);
            vector::StoreOp::create(fb, zero, accs,
                                    ValueRange{i, Emit::index(fb, 0)});
          });
          SmallVector<Value> rowBase;
          for (int64_t r = 0; r < RT; ++r)
            rowBase.push_back(e.mul(e.addI(n0, r), rowBytes));
          e.forLoop(e.cIdx(0), nb, 1, [&](ImplicitLocOpBuilder &kb, Value sb) {
            KernelEmitter ke(kb, isa);
            Value blockOff = ke.mulI(sb, bpb);
            SmallVector<std::unique_ptr<BlockDecoder>> decoders;
            for (int64_t r = 0; r < RT; ++r) {
              decoders.push_back(BlockDecoder::create(format, isa));
              decoders.back()->prepare(kb, w, ke.add(rowBase[r], blockOff));
            }
            for (int64_t gi = 0; gi < groups; ++gi) {
            SmallVector<Value> rows, scales, scales1, mins;
            bool isSigned = false;
            for (int64_t r = 0; r < RT; ++r) {
              DecodedGroup g = decoders[r]->group(kb, gi);
              isSigned = g.isSigned;
              rows.push_back(vector::BitCastOp::create(kb, v8i32, g.q));
              scales.push_back(perHalf ? g.scaleHalf[0] : g.scale);
              if (perHalf)
                scales1.push_back(g.scaleHalf[1]);
              if (at)
                mins.push_back(g.min);
            }
            // Each 8 rows transposed; with 16, rows 8-15 in the upper half.
            SmallVector<Value> quads =
                ke.transpose8x8(ArrayRef<Value>(rows).take_front(8));
            if (RT == 16) {
              SmallVector<Value> upper =
                  ke.transpose8x8(ArrayRef<Value>(rows).drop_front(8));
              for (int64_t j = 0; j < 8; ++j)
                quads[j] = Emit::concat(kb, quads[j], upper[j]);
            }
            for (Value &q : quads)
              q = vector::BitCastOp::create(kb, vb, q);
            // The rows' scales (of the first half, and of the second).
            Value rowScales = vector::FromElementsOp::create(kb, vf, scales);
            Value rowScales1 =
                perHalf ? vector::FromElementsOp::create(kb, vf, scales1)
                              .getResult()
                        : Value();
            Value rowMins =
                at ? vector::FromElementsOp::create(kb, vf, mins).getResult()
                   : Value();
            Value zero8 = Emit::splat(kb, kb.getI32Type(), RT, 0);
            ke.forLoop(mStart, mEnd, 1, [&](ImplicitLocOpBuilder &cb, Value m) {
              KernelEmitter ce(cb, isa);
              Value agi =
                  ce.addI(ce.add(ce.mul(m, G), ce.mulI(sb, groups)), gi);
              Value kBase =
                  ce.addI(ce.add(ce.mul(m, K), ce.mulI(sb, wpb)), 32 * gi);
              // Two chains of 4 dot4s (their latency overlaps): the even
              // registers hold quads 0-3 (the first 16 weights), the odd
              // ones quads 4-7.
              auto correction = [&](Value at) {
                return vector::BroadcastOp::create(
                           cb, vi,
                           memref::LoadOp::create(cb, ancs, ValueRange{at}))
                    .getResult();
              };
              Value acc[2] = {zero8, zero8};
              if (ancs && perHalf) {
                acc[0] = correction(ce.mulI(agi, 2));
                acc[1] = correction(ce.addI(ce.mulI(agi, 2), 1));
              } else if (ancs) {
                acc[0] = correction(agi);
              }
              for (int64_t j = 0; j < 8; ++j) {
                Value at = ce.addI(kBase, 4 * kTransposedQuad[j]);
                Value four = vector::LoadOp::create(cb, v4i8, aq, ValueRange{at});
                Value word = vector::BitCastOp::create(cb, v1i32, four);
                Value a = vector::BitCastOp::create(
                    cb, vb,
                    vector::BroadcastOp::create(
                        cb, vi,
                        vector::ExtractOp::create(cb, word, ArrayRef<int64_t>{0})));
                acc[j % 2] = ce.dotRows(acc[j % 2], quads[j], a, isSigned);
              }
              Value da = vector::BroadcastOp::create(
                  cb, vf, memref::LoadOp::create(cb, ad, ValueRange{agi}));
              Value i = arith::SubIOp::create(cb, m, mStart);
              Value c0 = Emit::index(cb, 0);
              Value old = vector::LoadOp::create(cb, vf, accs, ValueRange{i, c0});
              Value next;
              if (perHalf) {
                next = math::FmaOp::create(
                    cb, arith::SIToFPOp::create(cb, vf, acc[0]),
                    arith::MulFOp::create(cb, rowScales, da), old);
                next = math::FmaOp::create(
                    cb, arith::SIToFPOp::create(cb, vf, acc[1]),
                    arith::MulFOp::create(cb, rowScales1, da), next);
              } else {
                Value sum = arith::AddIOp::create(cb, acc[0], acc[1]);
                next = math::FmaOp::create(
                    cb, arith::SIToFPOp::create(cb, vf, sum),
                    arith::MulFOp::create(cb, rowScales, da), old);
              }
              // Mins: the rows' mins times the activations' group sum.
              if (rowMins)
                next = math::FmaOp::create(
                    cb, rowMins,
                    vector::BroadcastOp::create(
                        cb, vf, memref::LoadOp::create(cb, at, ValueRange{agi})),
                    next);
              vector::StoreOp::create(cb, next, accs, ValueRange{i, c0});
            });
            }
          });
          e.forLoop(mStart, mEnd, 1, [&](ImplicitLocOpBuilder &sb, Value m) {
            KernelEmitter se(sb, isa);
            se.with(epilogue);
            Value i = arith::SubIOp::create(sb, m, mStart);
            Value vec = vector::LoadOp::create(sb, vf, accs,
                                               ValueRange{i, Emit::index(sb, 0)});
            for (int64_t r = 0; r < RT; ++r)
              se.storeResult(vector::ExtractOp::create(sb, vec, ArrayRef<int64_t>{r}),
                             y, m, se.addI(n0, r));
          });
          memref::DeallocOp::create(ib, accs);
        });
    remainderRows(M, N, nT, RT, tile);
  }

  void forLoop(Value lb, Value ub, int64_t step,
               llvm::function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    scf::ForOp::create(
        b, lb, ub, cIdx(step), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value iv, ValueRange) {
          ImplicitLocOpBuilder ib(loc, nested);
          body(ib, iv);
          scf::YieldOp::create(ib);
        });
  }

  void emitQuantizedTile(Type format, int64_t R, int64_t C, Value n0, Value m0,
                         Value w, Value y, Value K, Value G, Value nb,
                         Value rowBytes, Value aq, Value ad, Value anc,
                         Value at, Value as, int64_t wpb, int64_t bpb,
                         int64_t groups, int64_t off, MinKind minKind) {
    const bool mins = minKind == MinKind::PerGroup;
    auto f32 = b.getF32Type();
    auto v8f32 = VectorType::get({8}, f32);
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    auto v32i8 = VectorType::get({32}, b.getI8Type());
    // Small tiles (GEMV) keep A independent accumulators per output so that
    // the FMA latency does not serialize the blocks, and unroll U blocks of
    // 32-weight formats per iteration.
    const int64_t P = R * C;
    const int64_t A = P <= 2 ? 4 : 1;
    const int64_t U = (P <= 2 && groups == 1) ? 4 : 1;
    // accs: A slots x P vector accumulators, then A slots x P scalar mins.
    SmallVector<Value> inits;
    for (int64_t i = 0; i < A * P; ++i)
      inits.push_back(Emit::splatF(b, 8, 0.0));
    if (mins)
      for (int64_t i = 0; i < A * P; ++i)
        inits.push_back(Emit::f32(b, 0.0));
    SmallVector<Value> rowBase;
    for (int64_t r = 0; r < R; ++r)
      rowBase.push_back(mul(addI(n0, r), rowBytes));
    SmallVector<Value> colRow, colGroup;
    for (int64_t c = 0; c < C; ++c) {
      Value m = addI(m0, c);
      colRow.push_back(mul(m, K));
      colGroup.push_back(mul(m, G));
    }

    // One block `sb` of each of the R rows against the C columns; `slot`
    // counts the groups emitted so far in this iteration.
    auto emitBlock = [&](ImplicitLocOpBuilder &ib, Value sb,
                         SmallVectorImpl<Value> &accs, int64_t &slot) {
      KernelEmitter e(ib, isa);
      SmallVector<std::unique_ptr<BlockDecoder>> decoders;
      Value blockOff = e.mulI(sb, bpb);
      for (int64_t r = 0; r < R; ++r) {
        decoders.push_back(BlockDecoder::create(format, isa));
        decoders.back()->prepare(ib, w, e.add(rowBase[r], blockOff));
      }
      Value kBase = e.mulI(sb, wpb);
      Value gBase = e.mulI(sb, groups);
      Value zero8 = off ? Value() : Emit::splat(ib, ib.getI32Type(), 8, 0);
      for (int64_t g = 0; g < groups; ++g, ++slot) {
        int64_t s = slot % A;
        SmallVector<DecodedGroup> dec;
        for (int64_t r = 0; r < R; ++r)
          dec.push_back(decoders[r]->group(ib, g));
        for (int64_t c = 0; c < C; ++c) {
          Value k = e.addI(e.add(colRow[c], kBase), 32 * g);
          Value a = vector::LoadOp::create(ib, v32i8, aq, ValueRange{k});
          Value agi = e.addI(e.add(colGroup[c], gBase), g);
          Value nc = off ? vector::LoadOp::create(ib, v8i32, anc,
                                                  ValueRange{e.mulI(agi, 8)})
                               .getResult()
                         : zero8;
          Value da = memref::LoadOp::create(ib, ad, ValueRange{agi});
          Value daVec = e.bcast8(da);
          Value sum =
              mins ? memref::LoadOp::create(ib, at, ValueRange{agi}).getResult()
                   : Value();
          for (int64_t r = 0; r < R; ++r) {
            const DecodedGroup &d = dec[r];
            Value dot = e.dot4(nc, d.q, a, d.isSigned);
            Value f = arith::SIToFPOp::create(ib, v8f32, dot);
            Value &acc = accs[s * P + r * C + c];
            acc = math::FmaOp::create(ib, f, e.laneScale(d, da, daVec), acc);
            if (mins) {
              Value &accm = accs[A * P + s * P + r * C + c];
              accm = math::FmaOp::create(ib, d.min, sum, accm);
            }
          }
        }
      }
      // Block-level mins: the decoder's vector of mins times the
      // activations' sums, lane by lane, into the vector accumulators
      // (whose lanes are summed at the end anyway).
      if (minKind == MinKind::BlockPerGroup ||
          minKind == MinKind::BlockPerHalf) {
        int64_t s = slot % A;
        for (int64_t c = 0; c < C; ++c) {
          Value first = e.add(colGroup[c], gBase);
          SmallVector<Value> sums;
          if (minKind == MinKind::BlockPerGroup) {
            sums.push_back(
                vector::LoadOp::create(ib, v8f32, at, ValueRange{first}));
          } else {
            Value at2 = e.mulI(first, 2);
            sums.push_back(
                vector::LoadOp::create(ib, v8f32, as, ValueRange{at2}));
            sums.push_back(vector::LoadOp::create(ib, v8f32, as,
                                                  ValueRange{e.addI(at2, 8)}));
          }
          for (int64_t r = 0; r < R; ++r) {
            Value minsVec = decoders[r]->blockMins();
            Value &acc = accs[s * P + r * C + c];
            for (auto [i, sumVec] : llvm::enumerate(sums)) {
              Value part = minsVec;
              if (sums.size() > 1)
                part = vector::ExtractStridedSliceOp::create(
                    ib, minsVec, ArrayRef<int64_t>{int64_t(8 * i)},
                    ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1});
              acc = math::FmaOp::create(ib, part, sumVec, acc);
            }
          }
        }
      }
    };
    auto blockLoop = [&](Value lb, Value ub, int64_t step, ValueRange in) {
      return scf::ForOp::create(
          b, lb, ub, cIdx(step), in,
          [&](OpBuilder &nested, Location loc, Value iv, ValueRange accsIn) {
            ImplicitLocOpBuilder ib(loc, nested);
            KernelEmitter e(ib, isa);
            SmallVector<Value> accs(accsIn.begin(), accsIn.end());
            int64_t slot = 0;
            for (int64_t u = 0; u < step; ++u)
              emitBlock(ib, e.addI(iv, u), accs, slot);
            scf::YieldOp::create(ib, accs);
          });
    };
    ValueRange results = inits;
    scf::ForOp main;
    scf::ForOp rest;
    if (U > 1) {
      Value nbU = mulI(arith::DivUIOp::create(b, nb, cIdx(U)), U);
      main = blockLoop(cIdx(0), nbU, U, inits);
      rest = blockLoop(nbU, nb, 1, main.getResults());
      results = rest.getResults();
    } else {
      main = blockLoop(cIdx(0), nb, 1, inits);
      results = main.getResults();
    }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) {
        Value vec = results[r * C + c];
        for (int64_t sl = 1; sl < A; ++sl)
          vec = arith::AddFOp::create(b, vec, results[sl * P + r * C + c]);
        Value sum =
            vector::ReductionOp::create(b, vector::CombiningKind::ADD, vec);
        if (mins)
          for (int64_t sl = 0; sl < A; ++sl)
            sum = arith::AddFOp::create(b, sum,
                                        results[A * P + sl * P + r * C + c]);
        storeResult(sum, y, addI(m0, c), addI(n0, r));
      }
  }

  //===--------------------------------------------------------------------===//
  // Float-weight matmul
  //===--------------------------------------------------------------------===//

  /// Eight weights of a float row at element `k` as vector<8xf32>.
  Value loadFloat8(Value w, Value byteAt, Type elt) {
    int64_t eb = elt.getIntOrFloatBitWidth() / 8;
    Value raw = Emit::bytes(b, w, byteAt, 8 * eb);
    Value v = vector::BitCastOp::create(b, VectorType::get({8}, elt), raw);
    if (!elt.isF32())
      v = arith::ExtFOp::create(b, VectorType::get({8}, b.getF32Type()), v);
    return v;
  }
  Value loadFloat1(Value w, Value byteAt, Type elt) {
    int64_t eb = elt.getIntOrFloatBitWidth() / 8;
    Value raw = Emit::bytes(b, w, byteAt, eb);
    Value v = vector::BitCastOp::create(b, VectorType::get({1}, elt), raw);
    Value s = vector::ExtractOp::create(b, v, ArrayRef<int64_t>{0});
    if (!elt.isF32())
      s = arith::ExtFOp::create(b, b.getF32Type(), s);
    return s;
  }

  void emitFloatMatmul(func::FuncOp func, Type elt) {
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0), w = entry->getArgument(1),
          y = entry->getArgument(2);
    if (epilogue)
      epilogue->extras.assign(entry->args_begin() + 3, entry->args_end());
    int64_t eb = elt.getIntOrFloatBitWidth() / 8;
    Value M = memref::DimOp::create(b, x, 0);
    Value K = memref::DimOp::create(b, x, 1);
    Value N = memref::DimOp::create(b, y, 1);
    Value rowBytes = mulI(K, eb);
    Value K8 = mulI(arith::DivUIOp::create(b, K, cIdx(8)), 8);
    auto [R, C] = tileShape(nullptr);
    emitTiles(
        M, N, R, C,
        [&](ImplicitLocOpBuilder &ib, int64_t R, int64_t C, Value n0,
            Value m0) {
          KernelEmitter e(ib, isa);
          e.with(epilogue);
          auto v8f32 = VectorType::get({8}, ib.getF32Type());
          SmallVector<Value> inits;
          for (int64_t i = 0; i < R * C; ++i)
            inits.push_back(Emit::splatF(ib, 8, 0.0));
          SmallVector<Value> rowBase;
          for (int64_t r = 0; r < R; ++r)
            rowBase.push_back(e.mul(e.addI(n0, r), rowBytes));
          auto loop = scf::ForOp::create(
              ib, e.cIdx(0), K8, e.cIdx(8), inits,
              [&](OpBuilder &nested, Location loc, Value k, ValueRange in) {
                ImplicitLocOpBuilder lb(loc, nested);
                KernelEmitter le(lb, isa);
                SmallVector<Value> accs(in.begin(), in.end());
                SmallVector<Value> wv;
                for (int64_t r = 0; r < R; ++r)
                  wv.push_back(le.loadFloat8(
                      w, le.add(rowBase[r], le.mulI(k, eb)), elt));
                for (int64_t c = 0; c < C; ++c) {
                  Value xv = vector::LoadOp::create(
                      lb, v8f32, x, ValueRange{le.addI(m0, c), k});
                  for (int64_t r = 0; r < R; ++r)
                    accs[r * C + c] =
                        math::FmaOp::create(lb, xv, wv[r], accs[r * C + c]);
                }
                scf::YieldOp::create(lb, accs);
              });
          for (int64_t r = 0; r < R; ++r)
            for (int64_t c = 0; c < C; ++c) {
              Value sum = vector::ReductionOp::create(
                  ib, vector::CombiningKind::ADD, loop.getResult(r * C + c));
              // K % 8 trailing elements.
              auto tail = scf::ForOp::create(
                  ib, K8, K, e.cIdx(1), ValueRange{sum},
                  [&](OpBuilder &nested, Location loc, Value k, ValueRange in) {
                    ImplicitLocOpBuilder lb(loc, nested);
                    KernelEmitter le(lb, isa);
                    Value wk = le.loadFloat1(
                        w, le.add(rowBase[r], le.mulI(k, eb)), elt);
                    Value xk = memref::LoadOp::create(
                        lb, x, ValueRange{le.addI(m0, c), k});
                    scf::YieldOp::create(
                        lb, ValueRange{math::FmaOp::create(lb, xk, wk, in[0])});
                  });
              e.storeResult(tail.getResult(0), y, e.addI(m0, c), e.addI(n0, r));
            }
        });
    func::ReturnOp::create(b);
  }

  //===--------------------------------------------------------------------===//
  // Row gather
  //===--------------------------------------------------------------------===//

  void emitGatherRows(func::FuncOp func, Type tableType) {
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value table = entry->getArgument(0), ids = entry->getArgument(1),
          out = entry->getArgument(2);
    Value T = memref::DimOp::create(b, ids, 0);
    Value K = memref::DimOp::create(b, out, 1);
    Value tableBytes = memref::DimOp::create(b, table, 0);
    std::unique_ptr<BlockDecoder> proto =
        BlockDecoder::create(tableType, KernelISA::Generic);
    int64_t eb = proto ? 0 : tableType.getIntOrFloatBitWidth() / 8;
    Value rowBytes =
        proto
            ? mulI(arith::DivUIOp::create(b, K, cIdx(proto->weightsPerBlock())),
                   proto->bytesPerBlock())
            : mulI(K, eb);
    Value V = arith::DivUIOp::create(b, tableBytes, rowBytes);
    Value last = arith::SubIOp::create(b, V, cIdx(1));
    forLoop(cIdx(0), T, 1, [&](ImplicitLocOpBuilder &ib, Value i) {
      KernelEmitter e(ib, isa);
      Value raw = memref::LoadOp::create(ib, ids, ValueRange{i});
      Value id = arith::IndexCastOp::create(ib, ib.getIndexType(), raw);
      id = arith::MaxSIOp::create(ib, id, e.cIdx(0));
      id = arith::MinSIOp::create(ib, id, last);
      Value rowBase = e.mul(id, rowBytes);
      if (!proto) {
        Value K8 = e.mulI(arith::DivUIOp::create(ib, K, e.cIdx(8)), 8);
        e.forLoop(e.cIdx(0), K8, 8, [&](ImplicitLocOpBuilder &lb, Value k) {
          KernelEmitter le(lb, isa);
          Value v =
              le.loadFloat8(table, le.add(rowBase, le.mulI(k, eb)), tableType);
          vector::StoreOp::create(lb, v, out, ValueRange{i, k});
        });
        e.forLoop(K8, K, 1, [&](ImplicitLocOpBuilder &lb, Value k) {
          KernelEmitter le(lb, isa);
          Value v =
              le.loadFloat1(table, le.add(rowBase, le.mulI(k, eb)), tableType);
          memref::StoreOp::create(lb, v, out, ValueRange{i, k});
        });
        return;
      }
      Value nb =
          arith::DivUIOp::create(ib, K, e.cIdx(proto->weightsPerBlock()));
      e.forLoop(e.cIdx(0), nb, 1, [&](ImplicitLocOpBuilder &lb, Value sb) {
        KernelEmitter le(lb, isa);
        std::unique_ptr<BlockDecoder> dec =
            BlockDecoder::create(tableType, KernelISA::Generic);
        dec->prepare(lb, table,
                     le.add(rowBase, le.mulI(sb, proto->bytesPerBlock())));
        for (int64_t g = 0; g < dec->groupsPerBlock(); ++g) {
          DecodedGroup d = dec->group(lb, g);
          le.storeDequantized(
              d, dec->offset(), out, i,
              le.addI(le.mulI(sb, dec->weightsPerBlock()), 32 * g));
        }
      });
    });
    func::ReturnOp::create(b);
  }

  /// out[i, k .. k + 32] = scale * (q - offset) + min.
  void storeDequantized(const DecodedGroup &d, int64_t off, Value out, Value i,
                        Value k) {
    vector::StoreOp::create(b, dequantGroup(d, off), out, ValueRange{i, k});
  }

  /// The 32 weights of a decoded group as vector<32xf32>.
  Value dequantGroup(const DecodedGroup &d, int64_t off) {
    auto v32f32 = VectorType::get({32}, b.getF32Type());
    Value q = d.isSigned ? arith::SIToFPOp::create(b, v32f32, d.q).getResult()
                         : arith::UIToFPOp::create(b, v32f32, d.q).getResult();
    if (off)
      q = arith::SubFOp::create(b, q, Emit::splatF(b, 32, double(off)));
    auto perLane = [&](Value whole, Value h0, Value h1) -> Value {
      if (whole)
        return vector::BroadcastOp::create(b, v32f32, whole);
      auto v16 = VectorType::get({16}, b.getF32Type());
      Value a = vector::BroadcastOp::create(b, v16, h0);
      Value c = vector::BroadcastOp::create(b, v16, h1);
      return Emit::concat(b, a, c);
    };
    Value y = arith::MulFOp::create(
        b, q, perLane(d.scale, d.scaleHalf[0], d.scaleHalf[1]));
    if (d.min || d.minHalf[0])
      y = arith::AddFOp::create(b, y,
                                perLane(d.min, d.minHalf[0], d.minHalf[1]));
    return y;
  }

  //===--------------------------------------------------------------------===//
  // Weight-only matmul: f32 activations, weights decoded to f32 in registers
  //===--------------------------------------------------------------------===//

  void emitWeightOnlyMatmul(func::FuncOp func, Type format) {
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0), w = entry->getArgument(1),
          y = entry->getArgument(2);
    if (epilogue)
      epilogue->extras.assign(entry->args_begin() + 3, entry->args_end());
    std::unique_ptr<BlockDecoder> proto =
        BlockDecoder::create(format, KernelISA::Generic);
    const int64_t wpb = proto->weightsPerBlock(), bpb = proto->bytesPerBlock(),
                  groups = proto->groupsPerBlock(), off = proto->offset();
    Value M = memref::DimOp::create(b, x, 0);
    Value K = memref::DimOp::create(b, x, 1);
    Value N = memref::DimOp::create(b, y, 1);
    Value nb = arith::DivUIOp::create(b, K, cIdx(wpb));
    Value rowBytes = mulI(nb, bpb);
    auto [R, C] = tileShape(nullptr);
    emitTiles(
        M, N, R, C,
        [&](ImplicitLocOpBuilder &ib, int64_t R, int64_t C, Value n0,
            Value m0) {
          KernelEmitter e(ib, isa);
          e.with(epilogue);
          auto v8f32 = VectorType::get({8}, ib.getF32Type());
          const int64_t P = R * C, A = P <= 2 ? 4 : 1;
          SmallVector<Value> inits;
          for (int64_t i = 0; i < A * P; ++i)
            inits.push_back(Emit::splatF(ib, 8, 0.0));
          SmallVector<Value> rowBase;
          for (int64_t r = 0; r < R; ++r)
            rowBase.push_back(e.mul(e.addI(n0, r), rowBytes));
          auto loop = scf::ForOp::create(
              ib, e.cIdx(0), nb, e.cIdx(1), inits,
              [&](OpBuilder &nested, Location loc, Value sb, ValueRange in) {
                ImplicitLocOpBuilder lb(loc, nested);
                KernelEmitter le(lb, isa);
                SmallVector<Value> accs(in.begin(), in.end());
                SmallVector<std::unique_ptr<BlockDecoder>> decoders;
                for (int64_t r = 0; r < R; ++r) {
                  decoders.push_back(
                      BlockDecoder::create(format, KernelISA::Generic));
                  decoders.back()->prepare(
                      lb, w, le.add(rowBase[r], le.mulI(sb, bpb)));
                }
                Value kBase = le.mulI(sb, wpb);
                int64_t slot = 0;
                for (int64_t g = 0; g < groups; ++g) {
                  SmallVector<Value> wv;
                  for (int64_t r = 0; r < R; ++r)
                    wv.push_back(
                        le.dequantGroup(decoders[r]->group(lb, g), off));
                  for (int64_t part = 0; part < 4; ++part, ++slot) {
                    int64_t sl = slot % A;
                    Value k = le.addI(kBase, 32 * g + 8 * part);
                    SmallVector<Value> wp;
                    for (int64_t r = 0; r < R; ++r)
                      wp.push_back(vector::ExtractStridedSliceOp::create(
                          lb, wv[r], ArrayRef<int64_t>{8 * part},
                          ArrayRef<int64_t>{8}, ArrayRef<int64_t>{1}));
                    for (int64_t c = 0; c < C; ++c) {
                      Value xv = vector::LoadOp::create(
                          lb, v8f32, x, ValueRange{le.addI(m0, c), k});
                      for (int64_t r = 0; r < R; ++r) {
                        Value &acc = accs[sl * P + r * C + c];
                        acc = math::FmaOp::create(lb, xv, wp[r], acc);
                      }
                    }
                  }
                }
                scf::YieldOp::create(lb, accs);
              });
          for (int64_t r = 0; r < R; ++r)
            for (int64_t c = 0; c < C; ++c) {
              Value vec = loop.getResult(r * C + c);
              for (int64_t sl = 1; sl < A; ++sl)
                vec = arith::AddFOp::create(ib, vec,
                                            loop.getResult(sl * P + r * C + c));
              Value sum = vector::ReductionOp::create(
                  ib, vector::CombiningKind::ADD, vec);
              e.storeResult(sum, y, e.addI(m0, c), e.addI(n0, r));
            }
        });
    func::ReturnOp::create(b);
  }

  //===--------------------------------------------------------------------===//
  // Attention
  //===--------------------------------------------------------------------===//

  /// Causal grouped-query attention over the filled part of the cache, in
  /// two passes per query and head: the scores, 8 positions at a time (their
  /// 8 dot products reduced together into one vector by shuffles and adds,
  /// no horizontal sum per position) into a stack buffer, with their
  /// maximum; then their exponentials (one vector polynomial per 8) and the
  /// weighted sum of the values, the head's output in D / 8 vector
  /// registers. No rescaling: the maximum is known before the second pass.
  void emitAttention(func::FuncOp func, int64_t D) {
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value q = entry->getArgument(0), k = entry->getArgument(1),
          v = entry->getArgument(2), pos = entry->getArgument(3),
          out = entry->getArgument(4), scale = entry->getArgument(5);
    auto f32 = b.getF32Type();
    auto v8f32 = VectorType::get({8}, f32);
    const int64_t nv = D / 8;
    Value T = memref::DimOp::create(b, q, 0);
    Value H = memref::DimOp::create(b, q, 1);
    Value C = memref::DimOp::create(b, k, 0);
    Value Hkv = memref::DimOp::create(b, k, 1);
    Value group = arith::DivUIOp::create(b, H, Hkv);
    Value p0 = arith::IndexCastOp::create(
        b, b.getIndexType(),
        memref::LoadOp::create(b, pos, ValueRange{cIdx(0)}));
    Value negInf = arith::ConstantFloatOp::create(
        b, f32, APFloat::getInf(APFloat::IEEEsingle(), /*Negative=*/true));
    scf::ParallelOp::create(
        b, ValueRange{cIdx(0)}, ValueRange{mul(T, H)}, ValueRange{cIdx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder ib(loc, nested);
          KernelEmitter e(ib, isa);
          Value t = arith::DivUIOp::create(ib, ivs[0], H);
          Value h = arith::RemUIOp::create(ib, ivs[0], H);
          Value kvh = arith::DivUIOp::create(ib, h, group);
          // Positions 0 .. pos + t (inclusive), within the cache.
          Value end =
              arith::MinSIOp::create(ib, e.add(e.add(p0, t), e.cIdx(1)), C);
          end = arith::MaxSIOp::create(ib, end, e.cIdx(0));
          Value scaleVec = vector::BroadcastOp::create(ib, v8f32, scale);
          SmallVector<Value> qv;
          for (int64_t i = 0; i < nv; ++i) {
            Value x = vector::LoadOp::create(ib, v8f32, q,
                                             ValueRange{t, h, e.cIdx(8 * i)});
            qv.push_back(arith::MulFOp::create(ib, x, scaleVec));
          }
          // One position's dot product with the query, as 8 partial sums
          // (two chains).
          auto keyDot = [&](ImplicitLocOpBuilder &lb, Value j) {
            KernelEmitter le(lb, isa);
            Value dot[2] = {Emit::splatF(lb, 8, 0.0), Emit::splatF(lb, 8, 0.0)};
            for (int64_t i = 0; i < nv; ++i) {
              Value kv = vector::LoadOp::create(
                  lb, v8f32, k, ValueRange{j, kvh, le.cIdx(8 * i)});
              dot[i % 2] = math::FmaOp::create(lb, qv[i], kv, dot[i % 2]);
            }
            return nv > 1
                       ? arith::AddFOp::create(lb, dot[0], dot[1]).getResult()
                       : dot[0];
          };
          // The scores, kept in a stack buffer of the cache's length: two
          // passes (scores and their maximum, then exponentials and the
          // weighted sum of values) leave no dependence between blocks of
          // positions but the accumulators'.
          auto scope =
              memref::AllocaScopeOp::create(ib, ib.getLoc(), TypeRange{});
          {
            ImplicitLocOpBuilder ab(ib.getLoc(), ib.getContext());
            ab.setInsertionPointToStart(&scope.getBodyRegion().emplaceBlock());
            KernelEmitter ae(ab, isa);
            Value buf = memref::AllocaOp::create(
                ab, MemRefType::get({ShapedType::kDynamic}, f32),
                ValueRange{C});
            Value full =
                ae.mulI(arith::DivUIOp::create(ab, end, ae.cIdx(8)), 8);
            // Pass 1, 8 positions at a time: their 8 partial-sum vectors are
            // reduced together (reduceEight), so lane jj holds position j0 +
            // jj's score.
            auto maxBlocks = scf::ForOp::create(
                ab, ae.cIdx(0), full, ae.cIdx(8),
                ValueRange{vector::BroadcastOp::create(ab, v8f32, negInf)},
                [&](OpBuilder &nb2, Location l2, Value j0, ValueRange st) {
                  ImplicitLocOpBuilder lb(l2, nb2);
                  KernelEmitter le(lb, isa);
                  SmallVector<Value> dots;
                  for (int64_t jj = 0; jj < 8; ++jj)
                    dots.push_back(keyDot(lb, le.addI(j0, jj)));
                  Value scores = le.reduceEight(dots);
                  vector::StoreOp::create(lb, scores, buf, ValueRange{j0});
                  scf::YieldOp::create(lb, ValueRange{arith::MaxNumFOp::create(
                                               lb, st[0], scores)});
                });
            Value m = vector::ReductionOp::create(
                ab, vector::CombiningKind::MAXNUMF, maxBlocks.getResult(0));
            auto maxTail = scf::ForOp::create(
                ab, full, end, ae.cIdx(1), ValueRange{m},
                [&](OpBuilder &nb2, Location l2, Value j, ValueRange st) {
                  ImplicitLocOpBuilder lb(l2, nb2);
                  Value sc = vector::ReductionOp::create(
                      lb, vector::CombiningKind::ADD, keyDot(lb, j));
                  memref::StoreOp::create(lb, sc, buf, ValueRange{j});
                  scf::YieldOp::create(
                      lb, ValueRange{arith::MaxNumFOp::create(lb, st[0], sc)});
                });
            m = maxTail.getResult(0);
            Value mVec = vector::BroadcastOp::create(ab, v8f32, m);
            // Pass 2: the running sum (8 lanes) and acc[nv].
            SmallVector<Value> init = {Emit::splatF(ab, 8, 0.0)};
            for (int64_t i = 0; i < nv; ++i)
              init.push_back(Emit::splatF(ab, 8, 0.0));
            auto accumulate = [&](ImplicitLocOpBuilder &lb, Value j, Value p,
                                  SmallVector<Value> &acc) {
              KernelEmitter le(lb, isa);
              Value pVec = vector::BroadcastOp::create(lb, v8f32, p);
              for (int64_t i = 0; i < nv; ++i) {
                Value vv = vector::LoadOp::create(
                    lb, v8f32, v, ValueRange{j, kvh, le.cIdx(8 * i)});
                acc[i] = math::FmaOp::create(lb, pVec, vv, acc[i]);
              }
            };
            auto sumBlocks = scf::ForOp::create(
                ab, ae.cIdx(0), full, ae.cIdx(8), init,
                [&](OpBuilder &nb2, Location l2, Value j0, ValueRange st) {
                  ImplicitLocOpBuilder lb(l2, nb2);
                  KernelEmitter le(lb, isa);
                  Value sc =
                      vector::LoadOp::create(lb, v8f32, buf, ValueRange{j0});
                  Value p = math::ExpOp::create(
                      lb, arith::SubFOp::create(lb, sc, mVec));
                  SmallVector<Value> next = {
                      arith::AddFOp::create(lb, st[0], p)};
                  SmallVector<Value> acc(st.drop_front());
                  for (int64_t jj = 0; jj < 8; ++jj)
                    accumulate(lb, le.addI(j0, jj),
                               vector::ExtractOp::create(lb, p, jj), acc);
                  next.append(acc);
                  scf::YieldOp::create(lb, next);
                });
            auto sumTail = scf::ForOp::create(
                ab, full, end, ae.cIdx(1), sumBlocks.getResults(),
                [&](OpBuilder &nb2, Location l2, Value j, ValueRange st) {
                  ImplicitLocOpBuilder lb(l2, nb2);
                  Value sc = memref::LoadOp::create(lb, buf, ValueRange{j});
                  Value p =
                      math::ExpOp::create(lb, arith::SubFOp::create(lb, sc, m));
                  // p goes into lane 0 of the sum.
                  Value pLane = vector::InsertOp::create(
                      lb, p, Emit::splatF(lb, 8, 0.0), 0);
                  SmallVector<Value> next = {
                      arith::AddFOp::create(lb, st[0], pLane)};
                  SmallVector<Value> acc(st.drop_front());
                  accumulate(lb, j, p, acc);
                  next.append(acc);
                  scf::YieldOp::create(lb, next);
                });
            Value l = vector::ReductionOp::create(
                ab, vector::CombiningKind::ADD, sumTail.getResult(0));
            // An empty range (a query before the cache) gives zeros.
            Value safe = arith::SelectOp::create(
                ab,
                arith::CmpFOp::create(ab, arith::CmpFPredicate::OGT, l,
                                      Emit::f32(ab, 0.0)),
                l, Emit::f32(ab, 1.0));
            Value inv = vector::BroadcastOp::create(
                ab, v8f32, arith::DivFOp::create(ab, Emit::f32(ab, 1.0), safe));
            for (int64_t i = 0; i < nv; ++i)
              vector::StoreOp::create(
                  ab, arith::MulFOp::create(ab, sumTail.getResult(1 + i), inv),
                  out, ValueRange{t, h, ae.cIdx(8 * i)});
            memref::AllocaScopeReturnOp::create(ab, ab.getLoc(), ValueRange{});
          }
        });
    func::ReturnOp::create(b);
  }

private:
  ImplicitLocOpBuilder &b;
  KernelISA isa;
};

func::FuncOp declareKernel(ModuleOp module, StringRef name, TypeRange args,
                           Location loc, StringRef kind, Type type,
                           Type indexType, KernelISA isa) {
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  auto func = func::FuncOp::create(mb, loc, name,
                                   mb.getFunctionType(args, TypeRange{}));
  func.setPrivate();
  SmallVector<NamedAttribute> fields = {
      mb.getNamedAttr("kind", mb.getStringAttr(kind)),
      mb.getNamedAttr("type", TypeAttr::get(type)),
      mb.getNamedAttr("isa", mb.getStringAttr(stringifyKernelISA(isa)))};
  if (indexType)
    fields.push_back(mb.getNamedAttr("index_type", TypeAttr::get(indexType)));
  func->setAttr(qc::QCDialect::kKernelAttrName, mb.getDictionaryAttr(fields));
  return func;
}

} // namespace

bool quantc::hasQuantizedKernel(Type type) {
  return isDecodable(type) || isFloatWeight(type);
}

FailureOr<func::FuncOp>
quantc::getOrCreateMatmulKernel(ModuleOp module, Type weightType, KernelISA isa,
                                Location loc, FlatSymbolRefAttr epilogue,
                                ArrayRef<int64_t> extraRanks,
                                bool f32Activations) {
  if (!hasQuantizedKernel(weightType))
    return emitError(loc) << "no matmul kernel for weights of type "
                          << weightType;
  // Float weights do not depend on the integer dot product.
  std::string isaName = stringifyKernelISA(isa).str();
  std::replace(isaName.begin(), isaName.end(), '-', '_');
  std::string name =
      llvm::formatv("qc_kernel_matmul_{0}_{1}", typeName(weightType), isaName)
          .str();
  f32Activations &= !isFloatWeight(weightType);
  if (f32Activations)
    name += "_f32act";
  if (epilogue)
    name += "_" + epilogue.getValue().str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect,
                   memref::MemRefDialect, scf::SCFDialect,
                   vector::VectorDialect, LLVM::LLVMDialect>();
  auto f32 = Float32Type::get(ctx);
  auto dyn1 = MemRefType::get({ShapedType::kDynamic}, f32);
  auto dyn2 =
      MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, f32);
  auto bytes =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  SmallVector<Type> args = {dyn2, bytes, dyn2};
  for (int64_t rank : extraRanks)
    args.push_back(rank == 1 ? Type(dyn1) : Type(dyn2));
  func::FuncOp func =
      declareKernel(module, name, args, loc, "matmul", weightType, Type(), isa);
  if (epilogue || f32Activations) {
    auto desc =
        func->getAttrOfType<DictionaryAttr>(qc::QCDialect::kKernelAttrName);
    NamedAttrList fields(desc);
    if (epilogue)
      fields.set("epilogue", epilogue);
    if (f32Activations)
      fields.set("activations", StringAttr::get(ctx, "f32"));
    func->setAttr(qc::QCDialect::kKernelAttrName, fields.getDictionary(ctx));
  }
  return func;
}

FailureOr<func::FuncOp> quantc::getOrCreateGatherRowsKernel(ModuleOp module,
                                                            Type tableType,
                                                            Type indexType,
                                                            Location loc) {
  if (!hasQuantizedKernel(tableType))
    return emitError(loc) << "no row-gather kernel for tables of type "
                          << tableType;
  std::string name = llvm::formatv("qc_kernel_gather_rows_{0}_{1}",
                                   typeName(tableType), typeName(indexType))
                         .str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect,
                   memref::MemRefDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  auto f32 = Float32Type::get(ctx);
  auto dyn2 =
      MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, f32);
  auto bytes =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  auto idsType = MemRefType::get({ShapedType::kDynamic}, indexType);
  return declareKernel(module, name, {bytes, idsType, dyn2}, loc, "gather_rows",
                       tableType, indexType, KernelISA::Generic);
}

FailureOr<func::FuncOp> quantc::getOrCreateAttentionKernel(ModuleOp module,
                                                           int64_t headSize,
                                                           Type posType,
                                                           Location loc) {
  if (headSize <= 0 || headSize % 8 != 0 || headSize > 256)
    return emitError(loc) << "no attention kernel for head size " << headSize
                          << " (a multiple of 8 up to 256)";
  std::string name =
      llvm::formatv("qc_kernel_attention_d{0}_{1}", headSize, typeName(posType))
          .str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  auto f32 = Float32Type::get(ctx);
  int64_t dyn = ShapedType::kDynamic;
  auto qkv = MemRefType::get({dyn, dyn, headSize}, f32);
  // The keys and values are one layer's part of a cache: a view at an
  // offset (no copy of it is made for the call).
  auto cache = MemRefType::get(
      {dyn, dyn, headSize}, f32,
      StridedLayoutAttr::get(ctx, dyn, ArrayRef<int64_t>{dyn, headSize, 1}));
  auto posMem = MemRefType::get({dyn}, posType);
  func::FuncOp func =
      declareKernel(module, name, {qkv, cache, cache, posMem, qkv, f32}, loc,
                    "attention", f32, posType, KernelISA::Generic);
  func->setAttr(
      qc::QCDialect::kKernelAttrName,
      DictionaryAttr::get(
          ctx,
          llvm::to_vector(llvm::concat<const NamedAttribute>(
              func->getAttrOfType<DictionaryAttr>(
                      qc::QCDialect::kKernelAttrName)
                  .getValue(),
              ArrayRef<NamedAttribute>{NamedAttribute(
                  StringAttr::get(ctx, "head_size"),
                  IntegerAttr::get(IntegerType::get(ctx, 64), headSize))}))));
  return func;
}

LogicalResult quantc::buildKernelBody(func::FuncOp func) {
  auto desc =
      func->getAttrOfType<DictionaryAttr>(qc::QCDialect::kKernelAttrName);
  auto kind = desc ? desc.getAs<StringAttr>("kind") : nullptr;
  auto type = desc ? desc.getAs<TypeAttr>("type") : nullptr;
  auto isaName = desc ? desc.getAs<StringAttr>("isa") : nullptr;
  std::optional<KernelISA> isa =
      isaName ? symbolizeKernelISA(isaName.getValue()) : std::nullopt;
  if (!kind || !type || !isa ||
      (kind.getValue() != "attention" && !hasQuantizedKernel(type.getValue())))
    return func.emitError() << "malformed kernel descriptor " << desc;
  if (!func.isDeclaration())
    return success();
  MLIRContext *ctx = func.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect,
                   memref::MemRefDialect, scf::SCFDialect,
                   vector::VectorDialect, LLVM::LLVMDialect>();
  ImplicitLocOpBuilder b(func.getLoc(), ctx);
  KernelEmitter emitter(b, *isa);
  Type element = type.getValue();
  KernelEmitter::Epilogue epilogue;
  if (kind.getValue() == "matmul") {
    if (auto fn = desc.getAs<FlatSymbolRefAttr>("epilogue")) {
      epilogue.fn = fn;
      // The extras follow x, w, y; the body is added below, so refer to the
      // block arguments once it exists (emit* create the entry block).
    }
    emitter.with(&epilogue);
    auto activations = desc.getAs<StringAttr>("activations");
    if (activations && activations.getValue() == "f32")
      emitter.emitWeightOnlyMatmul(func, element);
    else if (isFloatWeight(element))
      emitter.emitFloatMatmul(func, element);
    else
      emitter.emitQuantizedMatmul(func, element);
  } else if (kind.getValue() == "gather_rows") {
    emitter.emitGatherRows(func, element);
  } else if (kind.getValue() == "attention") {
    auto headSize = desc.getAs<IntegerAttr>("head_size");
    if (!headSize)
      return func.emitError() << "malformed kernel descriptor " << desc;
    emitter.emitAttention(func, headSize.getInt());
    // Exponentials as polynomials (no libm call per position).
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return func.emitError() << "approximating the attention kernel's "
                                 "exponentials failed";
  } else {
    return func.emitError() << "unknown kernel kind " << kind;
  }
  return success();
}
