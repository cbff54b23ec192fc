//===- QuantizeMatmulWeights.cpp - Weight-only quantization of matmuls ----===//
//
// Part of quantc.
//
// qc-quantize-matmul-weights: the constant f32 weights of 2-D linalg.matmul
// (ONNX MatMul and Gemm import to that) are quantized at compile time,
// weight-only, and the matmul becomes a qc.matmul on a qc.global:
//
//   int8        symmetric per output channel (scale max|w| / 127), stored as
//               !qc.group<8, G, f32> with the channel's scale in every group
//   int4-g<G>   symmetric per group of G = 32, 64 or 128 along K (scale
//               max|w| / 7, codes -8..7), !qc.group<4, G, f16>
//
// Each global records its relative RMS weight error (qc.quant_error). See
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "WeightQuantMath.h"
#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include <cstring>

namespace quantc {
#define GEN_PASS_DEF_QCQUANTIZEMATMULWEIGHTSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {

using weightquant::floatValues;

/// Round to nearest, ties away (as ggml/onnx quantizers), clamped.
int quantizeValue(float v, float inverse, int lo, int hi) {
  return std::clamp(static_cast<int>(std::lround(v * inverse)), lo, hi);
}

struct Scheme {
  unsigned bits = 8;
  int64_t groupSize = 0; ///< 0: per channel
};

struct QCQuantizeMatmulWeightsPass
    : quantc::impl::QCQuantizeMatmulWeightsPassBase<
          QCQuantizeMatmulWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    Scheme s;
    if (scheme == "int8") {
      s = {8, 0};
    } else if (scheme == "int4-g32" || scheme == "int4-g64" ||
               scheme == "int4-g128") {
      s = {4, std::stoll(scheme.substr(6))};
    } else {
      getOperation().emitError()
          << "qc-quantize-matmul-weights: unknown scheme '" << scheme
          << "' (int8, int4-g32, int4-g64, int4-g128)";
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    int64_t counter = 0;
    for (linalg::MatmulOp op : matmuls) {
      // qc-plan-weight-precision's choice for this matmul, if any.
      Scheme chosen = s;
      if (auto name = op->getAttrOfType<StringAttr>(
              qc::QCDialect::kQuantizeSchemeAttrName)) {
        StringRef n = name.getValue();
        if (n == "int8") {
          chosen = {8, 0};
        } else if (n == "int4-g32" || n == "int4-g64" || n == "int4-g128") {
          chosen = {4, std::stoll(n.substr(6).str())};
        } else {
          op.emitError() << "unknown weight scheme '" << n << "'";
          return signalPassFailure();
        }
      }
      (void)quantize(op, chosen, symbols, counter);
    }
  }

  LogicalResult quantize(linalg::MatmulOp matmul, const Scheme &s,
                         SymbolTable &symbols, int64_t &counter) {
    if (matmul.hasUserDefinedMaps())
      return failure();
    Value lhs = matmul.getInputs()[0], rhs = matmul.getInputs()[1];
    auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
    auto resultType =
        dyn_cast<RankedTensorType>(matmul.getResultTensors().front().getType());
    auto constant = rhs.getDefiningOp<arith::ConstantOp>();
    if (!constant || !lhsType || !lhsType.getElementType().isF32() ||
        !resultType)
      return failure();
    auto fill = matmul.getOutputs()[0].getDefiningOp<linalg::FillOp>();
    if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      return failure();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    int64_t K = rhsType.getDimSize(0), N = rhsType.getDimSize(1);
    if (!rhsType.hasStaticShape() || lhsType.getRank() != 2)
      return failure();
    // K is padded with zero weights (and zero activations) to whole groups.
    int64_t G = s.groupSize;
    if (s.bits == 8) {
      int64_t kp = (K + 31) / 32 * 32;
      G = 256;
      while (kp % G != 0)
        G /= 2;
    }
    const int64_t Kp = (K + G - 1) / G * G;
    std::optional<std::vector<float>> w = floatValues(constant.getValue());
    if (!w)
      return failure();

    MLIRContext *ctx = matmul.getContext();
    Type scaleType =
        s.bits == 8 ? Type(Float32Type::get(ctx)) : Type(Float16Type::get(ctx));
    auto groupType = qc::GroupType::get(
        ctx, s.bits, G, cast<FloatType>(scaleType), qc::GroupOffset::none);
    int64_t blockBytes = groupType.getBytesPerBlock();
    int64_t total = N * (Kp / G) * blockBytes;
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(total, alignof(uint64_t));
    char *p = blob.getMutableData().data();
    double errSq = 0, normSq = 0;
    const int qmax = s.bits == 8 ? 127 : 7, qmin = s.bits == 8 ? -127 : -8;
    for (int64_t n = 0; n < N; ++n) {
      auto at = [&](int64_t k) { return k < K ? (*w)[k * N + n] : 0.0f; };
      float channelMax = 0;
      if (s.bits == 8)
        for (int64_t k = 0; k < K; ++k)
          channelMax = std::max(channelMax, std::fabs(at(k)));
      for (int64_t g = 0; g < Kp / G; ++g) {
        float amax = channelMax;
        if (s.bits == 4)
          for (int64_t k = g * G; k < (g + 1) * G; ++k)
            amax = std::max(amax, std::fabs(at(k)));
        float scale = amax / qmax;
        float stored = scale;
        if (s.bits == 8) {
          std::memcpy(p, &scale, 4);
          p += 4;
        } else {
          _Float16 h = static_cast<_Float16>(scale);
          stored = static_cast<float>(h);
          std::memcpy(p, &h, 2);
          p += 2;
        }
        float inverse = stored != 0 ? 1.0f / stored : 0.0f;
        for (int64_t k = g * G; k < (g + 1) * G; ++k) {
          int q = quantizeValue(at(k), inverse, qmin, qmax);
          double e = at(k) - double(q) * stored;
          errSq += e * e;
          normSq += double(at(k)) * at(k);
          if (s.bits == 8) {
            *p++ = static_cast<char>(q);
          } else if ((k - g * G) % 2 == 0) {
            *p = static_cast<char>(q & 0xF);
          } else {
            *p = static_cast<char>(*p | ((q & 0xF) << 4));
            ++p;
          }
        }
      }
    }

    // Name the global after the initializer when the constant is a named
    // resource (ONNX initializers are).
    std::string base = "matmul_weight";
    if (auto resource =
            dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      base = resource.getRawHandle().getKey().str();
    std::string name = base;
    while (symbols.lookup(name))
      name = base + "_q" + std::to_string(counter++);
    auto module = matmul->getParentOfType<ModuleOp>();
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    auto dataType = RankedTensorType::get({total}, mb.getI8Type());
    auto data = DenseResourceElementsAttr::get(dataType, name + "_packed",
                                               std::move(blob));
    auto weightType = RankedTensorType::get({N, Kp}, groupType);
    auto global =
        qc::GlobalOp::create(mb, constant.getLoc(), mb.getStringAttr(name),
                             TypeAttr::get(weightType), data);
    global->setAttr(qc::QCDialect::kWeightOnlyAttrName, mb.getUnitAttr());
    global->setAttr(
        qc::QCDialect::kQuantErrorAttrName,
        mb.getF64FloatAttr(normSq > 0 ? std::sqrt(errSq / normSq) : 0.0));
    symbols.insert(global);
    OpBuilder b(matmul);
    Value weight = qc::WeightOp::create(b, constant.getLoc(), weightType,
                                        FlatSymbolRefAttr::get(global));
    if (Kp != K) {
      SmallVector<int64_t> shape(lhsType.getShape());
      shape.back() = Kp;
      Value zero = arith::ConstantOp::create(b, matmul.getLoc(),
                                             b.getF32FloatAttr(0.0f));
      SmallVector<OpFoldResult> low(2, b.getIndexAttr(0));
      SmallVector<OpFoldResult> high = {b.getIndexAttr(0),
                                        b.getIndexAttr(Kp - K)};
      lhs = tensor::PadOp::create(
          b, matmul.getLoc(),
          RankedTensorType::get(shape, lhsType.getElementType()), lhs, low,
          high, zero);
    }
    Value result =
        qc::MatmulOp::create(b, matmul.getLoc(), resultType, lhs, weight);
    matmul.getResultTensors().front().replaceAllUsesWith(result);
    matmul.erase();
    return success();
  }
};

} // namespace
