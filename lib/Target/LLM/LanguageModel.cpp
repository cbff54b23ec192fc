//===- LanguageModel.cpp - Decoder-only transformer graphs ----------------===//
//
// Part of quantc.
//
// The graphs of llama.cpp's llama, qwen2, phi3 and gemma models from GGUF
// metadata: see LanguageModel.h.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/LLM/LanguageModel.h"

#include "quantc/Dialect/QC/IR/QCMetadata.h"
#include "quantc/Dialect/QC/IR/QCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

using namespace mlir;
using namespace quantc;

StringRef quantc::supportedLanguageModelArchitectures() {
  return "llama, qwen2, phi3 and gemma";
}

int64_t quantc::languageModelContext(const LanguageModelParams &params,
                                     int64_t requested) {
  if (requested > 0)
    return requested;
  return std::min<int64_t>(params.trainContext > 0 ? params.trainContext : 2048,
                           2048);
}

FailureOr<LanguageModelParams>
quantc::readLanguageModelParams(ModuleOp module) {
  qc::MetadataView meta(module);
  LanguageModelParams p;
  Location loc = module.getLoc();
  p.architecture = meta.getString("general.architecture").str();
  if (p.architecture.empty()) {
    if (StringRef hf = meta.getString("hf.model_type"); !hf.empty())
      return emitError(loc) << "unsupported Hugging Face model_type '" << hf
                            << "' (quantc builds llama, mistral, qwen2 and "
                               "phi3 from safetensors + config.json, and "
                            << supportedLanguageModelArchitectures()
                            << " from GGUF)";
    return emitError(loc) << "the model has no general.architecture: not a "
                             "language model quantc can build";
  }
  const std::string a = p.architecture;
  if (a != "llama" && a != "qwen2" && a != "phi3" && a != "gemma")
    return emitError(loc) << "unsupported architecture '" << a
                          << "' (quantc builds "
                          << supportedLanguageModelArchitectures() << ")";
  auto uint = [&](StringRef key, int64_t &out, bool required) -> bool {
    std::optional<uint64_t> v = meta.getUInt((a + "." + key).str());
    if (!v) {
      if (required)
        emitError(loc) << "missing " << a << "." << key;
      return !required;
    }
    out = static_cast<int64_t>(*v);
    return true;
  };
  auto real = [&](StringRef key, double &out) {
    if (auto f = dyn_cast_or_null<FloatAttr>(meta.get((a + "." + key).str())))
      out = f.getValueAsDouble();
  };
  if (!uint("block_count", p.layers, true) ||
      !uint("embedding_length", p.embedding, true) ||
      !uint("feed_forward_length", p.feedForward, true) ||
      !uint("attention.head_count", p.heads, true))
    return failure();
  p.kvHeads = p.heads;
  uint("attention.head_count_kv", p.kvHeads, false);
  uint("context_length", p.trainContext, false);
  real("rope.freq_base", p.ropeBase);
  real("attention.layer_norm_rms_epsilon", p.rmsEpsilon);
  // The head size is embedding / heads unless the file gives it (Gemma 7B:
  // 16 heads of 256 over 3072 embeddings).
  int64_t keyLength = 0, valueLength = 0;
  uint("attention.key_length", keyLength, false);
  uint("attention.value_length", valueLength, false);
  if (p.layers <= 0 || p.embedding <= 0 || p.feedForward <= 0 ||
      p.heads <= 0 || p.kvHeads <= 0 || p.heads % p.kvHeads != 0 ||
      (keyLength == 0 && p.embedding % p.heads != 0))
    return emitError(loc) << a << ": " << p.layers << " layers, " << p.heads
                          << " heads and " << p.kvHeads
                          << " key/value heads do not fit " << p.embedding
                          << " embeddings";
  p.headSize = keyLength ? keyLength : p.embedding / p.heads;
  if (valueLength == 0)
    valueLength = p.headSize;
  if (valueLength != p.headSize)
    return emitError(loc) << a << ": key and value head sizes differ ("
                          << p.headSize << " and " << valueLength << ")";
  p.ropeDimensions = p.headSize;
  uint("rope.dimension_count", p.ropeDimensions, false);
  if (p.ropeDimensions <= 0 || p.ropeDimensions > p.headSize ||
      p.ropeDimensions % 2 != 0)
    return emitError(loc) << a << ": rope.dimension_count " << p.ropeDimensions
                          << " is not an even number up to the head size "
                          << p.headSize;
  // Rope scaling that changes the angles' magnitudes (YaRN, linear) is not
  // built; Llama 3's frequency factors (rope_freqs.weight) are.
  double scalingFactor = 1.0;
  real("rope.scaling.factor", scalingFactor);
  if (StringRef scaling = meta.getString(a + ".rope.scaling.type");
      !scaling.empty() && scaling != "none" && scalingFactor != 1.0)
    return emitError(loc) << a << ": rope scaling '" << scaling
                          << "' is not supported";
  if (auto scale = dyn_cast_or_null<FloatAttr>(
          meta.get(a + ".rope.scale_linear"));
      scale && scale.getValueAsDouble() != 1.0)
    return emitError(loc) << a << ": linear rope scaling is not supported";
  for (const char *name :
       {"rope_factors_long.weight", "rope_factors_short.weight"})
    if (module.lookupSymbol<qc::GlobalOp>(name))
      return emitError(loc) << a << ": rope scaling factors ('" << name
                            << "', long-context Phi-3) are not supported";
  p.ropeFactors = static_cast<bool>(
      module.lookupSymbol<qc::GlobalOp>("rope_freqs.weight"));
  p.neoxRope = a == "qwen2" || a == "phi3" || a == "gemma";
  p.scaleQueries = a == "phi3" || a == "gemma";
  p.geluFFN = a == "gemma";
  if (a == "gemma")
    p.embeddingScale = std::sqrt(float(p.embedding));
  p.qkvBias = a == "qwen2";
  p.fusedGateUp = a == "phi3";
  p.fusedQKV =
      a == "phi3" && module.lookupSymbol<qc::GlobalOp>("blk.0.attn_qkv.weight");
  auto embd = module.lookupSymbol<qc::GlobalOp>("token_embd.weight");
  if (!embd || embd.getTensorType().getRank() != 2)
    return emitError(loc) << a << ": missing the 2-D tensor token_embd.weight";
  p.vocab = embd.getTensorType().getDimSize(0);
  p.tiedOutput = !module.lookupSymbol<qc::GlobalOp>("output.weight");
  return p;
}

namespace {

class GraphBuilder {
public:
  GraphBuilder(ModuleOp module, const LanguageModelParams &p)
      : module(module), p(p), b(module.getContext()), loc(module.getLoc()),
        f32(b.getF32Type()) {}

  LogicalResult build(const LanguageModelOptions &options);

private:
  /// One entry function of `tokens` tokens per call; erased on failure.
  FailureOr<func::FuncOp> buildEntry(StringRef name, int64_t tokens);

  ModuleOp module;
  const LanguageModelParams &p;
  OpBuilder b;
  Location loc;
  Type f32;
  int64_t T = 1, C = 1;
  bool allLogits = false;
  /// The rows of a call when T is dynamic (ShapedType::kDynamic): @prefill
  /// computes its rows 0 .. last only.
  Value rowsV;

  OpFoldResult rowsOFR() {
    return rowsV ? OpFoldResult(rowsV) : OpFoldResult(b.getIndexAttr(T));
  }

  RankedTensorType ty(ArrayRef<int64_t> shape, Type e = nullptr) {
    return RankedTensorType::get(shape, e ? e : f32);
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32c(double v) {
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                          APFloat(float(v)));
  }

  FailureOr<Value> weight(const std::string &name, ArrayRef<int64_t> shape) {
    auto global = module.lookupSymbol<qc::GlobalOp>(name);
    if (!global)
      return emitError(loc)
             << p.architecture << ": missing tensor '" << name << "'";
    RankedTensorType type = global.getTensorType();
    if (type.getShape() != shape) {
      auto diag = emitError(loc) << p.architecture << ": tensor '" << name
                                 << "' is " << type << ", expected shape ";
      llvm::interleave(shape, diag, "x");
      return failure();
    }
    return qc::WeightOp::create(b, loc, type, FlatSymbolRefAttr::get(global))
        .getResult();
  }

  FailureOr<Value> matmul(Value x, const std::string &name, int64_t n) {
    int64_t k = cast<RankedTensorType>(x.getType()).getDimSize(1);
    FailureOr<Value> w = weight(name, {n, k});
    if (failed(w))
      return failure();
    return qc::MatmulOp::create(b, loc, ty({T, n}), x, *w).getResult();
  }

  Value empty(ArrayRef<int64_t> shape) {
    SmallVector<Value> dynamic;
    for (int64_t d : shape)
      if (ShapedType::isDynamic(d))
        dynamic.push_back(rowsV);
    return tensor::EmptyOp::create(b, loc, shape, f32, dynamic);
  }

  /// An all-parallel elementwise generic over `shape`.
  Value elementwise(ArrayRef<int64_t> shape, ValueRange inputs,
                    ArrayRef<AffineMap> inputMaps,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
    SmallVector<AffineMap> maps(inputMaps);
    maps.push_back(b.getMultiDimIdentityMap(shape.size()));
    SmallVector<utils::IteratorType> iters(shape.size(),
                                           utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, ty(shape), inputs, ValueRange{empty(shape)}, maps, iters,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, fn(nb, l, args));
               })
        .getResult(0);
  }

  /// Columns [offset, offset + size) of x [T, N].
  Value columns(Value x, int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                         b.getIndexAttr(offset)};
    SmallVector<OpFoldResult> sizes = {rowsOFR(), b.getIndexAttr(size)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, ty({T, size}), x, offsets,
                                          sizes, strides);
  }

  /// x * s.
  Value scale(Value x, float s) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    AffineMap id = b.getMultiDimIdentityMap(shape.size());
    return elementwise(shape, {x}, {id},
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         Value c = arith::ConstantFloatOp::create(
                             nb, l, nb.getF32Type(), APFloat(s));
                         return arith::MulFOp::create(nb, l, a[0], c);
                       });
  }

  Value add(Value x, Value y) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    AffineMap id = b.getMultiDimIdentityMap(shape.size());
    return elementwise(shape, {x, y}, {id, id},
                       [](OpBuilder &nb, Location l, ValueRange a) {
                         return arith::AddFOp::create(nb, l, a[0], a[1]);
                       });
  }

  /// x [T, N] + bias[N].
  Value addBias(Value x, Value bias) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap col =
        AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext());
    return elementwise(shape, {x, bias}, {id, col},
                       [](OpBuilder &nb, Location l, ValueRange a) {
                         return arith::AddFOp::create(nb, l, a[0], a[1]);
                       });
  }

  /// x * rsqrt(mean(x^2) + eps) * w over the last dimension of x [T, E].
  FailureOr<Value> rmsNorm(Value x, const std::string &name) {
    int64_t e = cast<RankedTensorType>(x.getType()).getDimSize(1);
    FailureOr<Value> w = weight(name, {e});
    if (failed(w))
      return failure();
    Value zero = linalg::FillOp::create(b, loc, ValueRange{f32c(0.0)},
                                        ValueRange{empty({T})})
                     .getResult(0);
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap row =
        AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext());
    AffineMap col =
        AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext());
    Value sumsq =
        linalg::GenericOp::create(
            b, loc, ty({T}), ValueRange{x}, ValueRange{zero},
            ArrayRef<AffineMap>{id, row},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value sq = arith::MulFOp::create(nb, l, a[0], a[0]);
              linalg::YieldOp::create(
                  nb, l, ValueRange{arith::AddFOp::create(nb, l, sq, a[1])});
            })
            .getResult(0);
    double invE = 1.0 / double(e), eps = p.rmsEpsilon;
    return elementwise({T, e}, {x, sumsq, *w}, {id, row, col},
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         auto c = [&](double v) {
                           return arith::ConstantFloatOp::create(
                               nb, l, nb.getF32Type(), APFloat(float(v)));
                         };
                         Value mean =
                             arith::MulFOp::create(nb, l, a[1], c(invE));
                         Value r = math::RsqrtOp::create(
                             nb, l, arith::AddFOp::create(nb, l, mean, c(eps)));
                         Value n = arith::MulFOp::create(nb, l, a[0], r);
                         return arith::MulFOp::create(nb, l, n, a[2]);
                       });
  }

  /// cos and sin of theta = (pos + t) * base^(-2i / n) (divided by
  /// rope_freqs[i] when the model has frequency factors) for the first n =
  /// rope dimensions: a [T, n / 2, 2] table computed once per call and
  /// shared by every layer's queries and keys.
  Value ropeTable(Value pos, Value factors) {
    int64_t half = p.ropeDimensions / 2;
    double logBase = std::log(p.ropeBase);
    double n = double(p.ropeDimensions);
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    if (factors) {
      inputs.push_back(factors);
      maps.push_back(
          AffineMap::get(3, 0, {b.getAffineDimExpr(1)}, b.getContext()));
    }
    return elementwise(
        {T, half, 2}, inputs, maps,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          auto cf = [&](double v) {
            return arith::ConstantFloatOp::create(nb, l, nb.getF32Type(),
                                                  APFloat(float(v)))
                .getResult();
          };
          auto toF32 = [&](Value index) {
            return arith::SIToFPOp::create(nb, l, nb.getF32Type(),
                                           arith::IndexCastOp::create(
                                               nb, l, nb.getI64Type(), index))
                .getResult();
          };
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value i = linalg::IndexOp::create(nb, l, 1);
          Value which = linalg::IndexOp::create(nb, l, 2);
          Value position = toF32(arith::AddIOp::create(nb, l, pos, t));
          Value expo =
              arith::MulFOp::create(nb, l, toF32(i), cf(-2.0 / n * logBase));
          Value theta = arith::MulFOp::create(nb, l, position,
                                              math::ExpOp::create(nb, l, expo));
          if (factors)
            theta = arith::DivFOp::create(nb, l, theta, args[0]);
          Value isCos =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, which,
                                    arith::ConstantIndexOp::create(nb, l, 0));
          return arith::SelectOp::create(nb, l, isCos,
                                         math::CosOp::create(nb, l, theta),
                                         math::SinOp::create(nb, l, theta));
        });
  }

  /// Rotary embedding of x [T, Hx, D] (llama.cpp's ggml_rope_ext: NORM
  /// rotates (2i, 2i + 1), NEOX (i, i + n/2), by the angles of `table`).
  Value rope(Value x, Value table) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    int64_t n = p.ropeDimensions, half = n / 2;
    bool neox = p.neoxRope;
    AffineMap id = b.getMultiDimIdentityMap(3);
    return elementwise(
        shape, {x}, {id}, [&](OpBuilder &nb, Location l, ValueRange a) {
          auto ci = [&](int64_t v) {
            return arith::ConstantIndexOp::create(nb, l, v).getResult();
          };
          Value t = linalg::IndexOp::create(nb, l, 0);
          Value h = linalg::IndexOp::create(nb, l, 1);
          Value d = linalg::IndexOp::create(nb, l, 2);
          Value inRope =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, d, ci(n));
          Value dr = arith::SelectOp::create(nb, l, inRope, d, ci(0));
          Value i, partner, first;
          if (neox) {
            first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, dr,
                                          ci(half));
            i = arith::RemUIOp::create(nb, l, dr, ci(half));
            partner = arith::SelectOp::create(
                nb, l, first, arith::AddIOp::create(nb, l, dr, ci(half)),
                arith::SubIOp::create(nb, l, dr, ci(half)));
          } else {
            i = arith::DivUIOp::create(nb, l, dr, ci(2));
            Value odd = arith::RemUIOp::create(nb, l, dr, ci(2));
            first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, odd,
                                          ci(0));
            partner = arith::XOrIOp::create(nb, l, dr, ci(1));
          }
          partner = arith::SelectOp::create(nb, l, inRope, partner, d);
          Value cosT =
              tensor::ExtractOp::create(nb, l, table, ValueRange{t, i, ci(0)});
          Value sinT =
              tensor::ExtractOp::create(nb, l, table, ValueRange{t, i, ci(1)});
          Value other =
              tensor::ExtractOp::create(nb, l, x, ValueRange{t, h, partner});
          Value signedSin = arith::SelectOp::create(
              nb, l, first, arith::NegFOp::create(nb, l, sinT), sinT);
          Value rot = arith::AddFOp::create(
              nb, l, arith::MulFOp::create(nb, l, a[0], cosT),
              arith::MulFOp::create(nb, l, other, signedSin));
          return arith::SelectOp::create(nb, l, inRope, rot, a[0]);
        });
  }

  /// gelu(g) * u, GELU's tanh approximation as ggml_gelu computes it.
  Value geglu(Value g, Value u) {
    auto shape = cast<RankedTensorType>(g.getType()).getShape();
    AffineMap id = b.getMultiDimIdentityMap(2);
    return elementwise(
        shape, {g, u}, {id, id}, [](OpBuilder &nb, Location l, ValueRange a) {
          auto c = [&](float v) {
            return arith::ConstantFloatOp::create(nb, l, nb.getF32Type(),
                                                  APFloat(v))
                .getResult();
          };
          Value x = a[0];
          // 0.5 x (1 + tanh(sqrt(2 / pi) x (1 + 0.044715 x^2)))
          Value inner = arith::MulFOp::create(
              nb, l, arith::MulFOp::create(nb, l, c(0.79788456080286535f), x),
              arith::AddFOp::create(
                  nb, l, c(1.0f),
                  arith::MulFOp::create(
                      nb, l, c(0.044715f),
                      arith::MulFOp::create(nb, l, x, x))));
          Value t = math::TanhOp::create(nb, l, inner);
          Value gelu = arith::MulFOp::create(
              nb, l, arith::MulFOp::create(nb, l, c(0.5f), x),
              arith::AddFOp::create(nb, l, c(1.0f), t));
          return arith::MulFOp::create(nb, l, gelu, a[1]);
        });
  }

  /// silu(g) * u.
  Value swiglu(Value g, Value u) {
    auto shape = cast<RankedTensorType>(g.getType()).getShape();
    AffineMap id = b.getMultiDimIdentityMap(2);
    return elementwise(
        shape, {g, u}, {id, id}, [](OpBuilder &nb, Location l, ValueRange a) {
          Value one = arith::ConstantFloatOp::create(nb, l, nb.getF32Type(),
                                                     APFloat(1.0f));
          Value e =
              math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, a[0]));
          Value s = arith::DivFOp::create(nb, l, a[0],
                                          arith::AddFOp::create(nb, l, one, e));
          return arith::MulFOp::create(nb, l, s, a[1]);
        });
  }
};

LogicalResult GraphBuilder::build(const LanguageModelOptions &options) {
  C = languageModelContext(p, options.context);
  allLogits = options.allLogits;
  SmallVector<std::pair<StringRef, int64_t>> entries;
  if (options.prefillTokens > 0)
    entries.push_back({"prefill", options.prefillTokens});
  if (options.decode)
    entries.push_back({"decode", 1});
  if (entries.empty())
    return emitError(loc) << "no entry to build (neither prefill nor decode)";
  for (auto [name, tokens] : entries) {
    if (tokens > C)
      return emitError(loc) << "cannot build @" << name << " for " << tokens
                            << " tokens per call with a context of " << C;
    if (module.lookupSymbol(name))
      return emitError(loc) << "the module already has a symbol @" << name;
  }
  SmallVector<func::FuncOp> built;
  for (auto [name, tokens] : entries) {
    FailureOr<func::FuncOp> fn = buildEntry(name, tokens);
    if (failed(fn)) {
      for (func::FuncOp f : built)
        f.erase();
      return failure();
    }
    built.push_back(*fn);
  }
  return success();
}

FailureOr<func::FuncOp> GraphBuilder::buildEntry(StringRef name,
                                                 int64_t tokens) {
  T = tokens;
  const int64_t L = p.layers, E = p.embedding, H = p.heads, Hkv = p.kvHeads,
                D = p.headSize, F = p.feedForward, V = p.vocab;
  auto i32 = b.getI32Type();
  auto cacheType = ty({L, C, Hkv, D});
  // @prefill returns one row's logits unless every row's are asked for.
  const bool oneRow = T > 1 && !allLogits;
  SmallVector<Type> argTypes = {ty({T}, i32), ty({1}, i32)};
  SmallVector<StringRef> argNames = {T == 1 ? "token" : "tokens", "pos"};
  if (oneRow) {
    argTypes.push_back(ty({1}, i32));
    argNames.push_back("last");
  }
  const unsigned firstState = argTypes.size();
  argTypes.append({cacheType, cacheType});
  argNames.append({"k_cache", "v_cache"});
  auto fnType = b.getFunctionType(
      argTypes, {ty({oneRow ? 1 : T, V}), cacheType, cacheType});
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, name, fnType);
  // The caches are state: the entry returns their new values, which the
  // backend writes in place (qc.state names the argument).
  for (unsigned i = 0; i < argNames.size(); ++i)
    fn.setArgAttr(i, "qc.name", b.getStringAttr(argNames[i]));
  fn.setResultAttr(0, "qc.name", b.getStringAttr("logits"));
  for (unsigned i = firstState; i < firstState + 2; ++i) {
    fn.setArgAttr(i, qc::QCDialect::kKindAttrName, b.getStringAttr("state"));
    fn.setResultAttr(i - firstState + 1, "qc.name",
                     b.getStringAttr(argNames[i]));
    fn.setResultAttr(i - firstState + 1, qc::QCDialect::kStateAttrName,
                     b.getI64IntegerAttr(i));
  }
  auto fail = [&]() -> FailureOr<func::FuncOp> {
    fn.erase();
    return failure();
  };
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokensArg = entry->getArgument(0), posT = entry->getArgument(1);
  Value kc = entry->getArgument(firstState),
        vc = entry->getArgument(firstState + 1);

  // With %last, the call computes the chunk's rows 0 .. last (clamped into
  // the chunk) and no others: a short prompt or a prompt's last part costs
  // its own tokens, not the chunk's.
  Value last;
  rowsV = Value();
  if (oneRow) {
    last = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        tensor::ExtractOp::create(b, loc, entry->getArgument(2),
                                  ValueRange{idx(0)}));
    last = arith::MaxSIOp::create(b, loc, last, idx(0));
    last = arith::MinSIOp::create(b, loc, last, idx(T - 1));
    rowsV = arith::AddIOp::create(b, loc, last, idx(1));
    T = ShapedType::kDynamic;
    tokensArg = tensor::ExtractSliceOp::create(
        b, loc, ty({T}, i32), tokensArg,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rowsV},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }

  // The position, kept inside the cache (the caller keeps pos + rows <= C).
  Value pos = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, posT, ValueRange{idx(0)}));
  pos = arith::MaxSIOp::create(b, loc, pos, idx(0));
  pos = arith::MinSIOp::create(
      b, loc, pos,
      rowsV ? arith::SubIOp::create(b, loc, idx(C), rowsV).getResult()
            : idx(C - T));
  Value posClamped = tensor::FromElementsOp::create(
      b, loc, ty({1}, i32),
      ValueRange{arith::IndexCastOp::create(b, loc, i32, pos)});

  FailureOr<Value> embd = weight("token_embd.weight", {V, E});
  if (failed(embd))
    return fail();
  Value x = qc::GatherRowsOp::create(b, loc, ty({T, E}), *embd, tokensArg);
  if (p.embeddingScale != 1.0)
    x = this->scale(x, float(p.embeddingScale));
  Value factors;
  if (p.ropeFactors) {
    FailureOr<Value> ff = weight("rope_freqs.weight", {p.ropeDimensions / 2});
    if (failed(ff))
      return fail();
    factors = *ff;
  }
  Value angles = ropeTable(pos, factors);
  // llama.cpp's phi3 and gemma scale the queries and attend with scale 1.
  float scale = 1.0f / std::sqrt(float(D));

  for (int64_t l = 0; l < L; ++l) {
    std::string blk = "blk." + std::to_string(l) + ".";
    FailureOr<Value> h = rmsNorm(x, blk + "attn_norm.weight");
    if (failed(h))
      return fail();
    Value q, k, v;
    if (p.fusedQKV) {
      FailureOr<Value> qkv = matmul(*h, blk + "attn_qkv.weight", (H + 2 * Hkv) * D);
      if (failed(qkv))
        return fail();
      q = columns(*qkv, 0, H * D);
      k = columns(*qkv, H * D, Hkv * D);
      v = columns(*qkv, (H + Hkv) * D, Hkv * D);
    } else {
      FailureOr<Value> mq = matmul(*h, blk + "attn_q.weight", H * D);
      FailureOr<Value> mk = matmul(*h, blk + "attn_k.weight", Hkv * D);
      FailureOr<Value> mv = matmul(*h, blk + "attn_v.weight", Hkv * D);
      if (failed(mq) || failed(mk) || failed(mv))
        return fail();
      q = *mq, k = *mk, v = *mv;
      // qwen2 has biases; llama.cpp adds them to llama's too when present.
      if (p.qkvBias || module.lookupSymbol(blk + "attn_q.bias")) {
        FailureOr<Value> bq = weight(blk + "attn_q.bias", {H * D});
        FailureOr<Value> bk = weight(blk + "attn_k.bias", {Hkv * D});
        FailureOr<Value> bv = weight(blk + "attn_v.bias", {Hkv * D});
        if (failed(bq) || failed(bk) || failed(bv))
          return fail();
        q = addBias(q, *bq), k = addBias(k, *bk), v = addBias(v, *bv);
      }
    }
    auto split = [&](Value t, int64_t heads) {
      return tensor::ExpandShapeOp::create(
                 b, loc, ty({T, heads, D}), t,
                 ArrayRef<ReassociationIndices>{{0}, {1, 2}},
                 ArrayRef<OpFoldResult>{rowsOFR(), b.getIndexAttr(heads),
                                        b.getIndexAttr(D)})
          .getResult();
    };
    Value q3 = rope(split(q, H), angles);
    Value k3 = rope(split(k, Hkv), angles);
    Value v3 = split(v, Hkv);
    float attnScale = scale;
    if (p.scaleQueries) {
      q3 = this->scale(q3, scale);
      attnScale = 1.0f;
    }
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(l), pos,
                                         b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), rowsOFR(),
                                       b.getIndexAttr(Hkv), b.getIndexAttr(D)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    kc = tensor::InsertSliceOp::create(b, loc, k3, kc, offsets, sizes, strides);
    vc = tensor::InsertSliceOp::create(b, loc, v3, vc, offsets, sizes, strides);
    SmallVector<OpFoldResult> layer = {b.getIndexAttr(l), b.getIndexAttr(0),
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> whole = {b.getIndexAttr(1), b.getIndexAttr(C),
                                       b.getIndexAttr(Hkv), b.getIndexAttr(D)};
    Value kl = tensor::ExtractSliceOp::create(b, loc, ty({C, Hkv, D}), kc,
                                              layer, whole, strides);
    Value vl = tensor::ExtractSliceOp::create(b, loc, ty({C, Hkv, D}), vc,
                                              layer, whole, strides);
    Value att = qc::AttentionOp::create(b, loc, ty({T, H, D}), q3, kl, vl,
                                        posClamped,
                                        b.getF32FloatAttr(attnScale));
    Value att2 = tensor::CollapseShapeOp::create(
        b, loc, ty({T, H * D}), att,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    FailureOr<Value> o = matmul(att2, blk + "attn_output.weight", E);
    if (failed(o))
      return fail();
    x = add(*o, x);
    FailureOr<Value> h2 = rmsNorm(x, blk + "ffn_norm.weight");
    if (failed(h2))
      return fail();
    Value gate, up;
    if (p.fusedGateUp) {
      // ggml_swiglu of the fused projection: the gate is the first half.
      FailureOr<Value> gu = matmul(*h2, blk + "ffn_up.weight", 2 * F);
      if (failed(gu))
        return fail();
      gate = columns(*gu, 0, F);
      up = columns(*gu, F, F);
    } else {
      FailureOr<Value> g = matmul(*h2, blk + "ffn_gate.weight", F);
      FailureOr<Value> u = matmul(*h2, blk + "ffn_up.weight", F);
      if (failed(g) || failed(u))
        return fail();
      gate = *g, up = *u;
    }
    FailureOr<Value> down = matmul(p.geluFFN ? geglu(gate, up) : swiglu(gate, up),
                                   blk + "ffn_down.weight", E);
    if (failed(down))
      return fail();
    x = add(*down, x);
  }
  if (oneRow) {
    // Row %last, the last computed, goes on to the logits.
    SmallVector<OpFoldResult> offsets = {last, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(E)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    x = tensor::ExtractSliceOp::create(b, loc, ty({1, E}), x, offsets, sizes,
                                       strides);
    T = 1;
    rowsV = Value();
  }
  FailureOr<Value> xn = rmsNorm(x, "output_norm.weight");
  if (failed(xn))
    return fail();
  FailureOr<Value> logits =
      matmul(*xn, p.tiedOutput ? "token_embd.weight" : "output.weight", V);
  if (failed(logits))
    return fail();
  func::ReturnOp::create(b, loc, ValueRange{*logits, kc, vc});
  return fn;
}

} // namespace

LogicalResult quantc::buildLanguageModel(ModuleOp module,
                                         const LanguageModelParams &params,
                                         const LanguageModelOptions &options) {
  module.getContext()
      ->loadDialect<arith::ArithDialect, func::FuncDialect,
                    linalg::LinalgDialect, math::MathDialect,
                    tensor::TensorDialect, qc::QCDialect>();
  GraphBuilder builder(module, params);
  return builder.build(options);
}
