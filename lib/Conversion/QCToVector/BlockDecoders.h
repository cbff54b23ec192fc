//===- BlockDecoders.h - Decoding llama.cpp blocks in registers -*- C++ -*-===//
//
// Part of quantc.
//
// Emits the vector code that decodes one block of a llama.cpp block format
// from its bytes: for each group of 32 weights, the 32 quantized values as a
// vector<32xi8>, an offset subtracted from all of them, and the scales and
// mins that turn them into weights:
//
//   w[j] = scale(j) * (q[j] - offset) + min(j)
//
// where scale and min are per group of 32 or per half (16 weights).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_CONVERSION_QCTOVECTOR_BLOCKDECODERS_H
#define QUANTC_LIB_CONVERSION_QCTOVECTOR_BLOCKDECODERS_H

#include "quantc/Conversion/QCToVector/Kernels.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/SmallVector.h"

namespace quantc::detail {

/// One group of 32 decoded weights.
struct DecodedGroup {
  /// vector<32xi8>: unsigned values in [0, 256) unless `isSigned`.
  mlir::Value q;
  bool isSigned = false;
  /// f32 scale of the whole group, or null when per half.
  mlir::Value scale;
  /// f32 scales of the two halves (lanes 0-15, 16-31), when per half.
  mlir::Value scaleHalf[2];
  /// f32 min added to the whole group, or to each half; null when none.
  mlir::Value min;
  mlir::Value minHalf[2];
  /// When set, the block's scales as one vector (vector<8xf32> or
  /// vector<16xf32>), the half scales being lanes `lane[0]` and `lane[1]`;
  /// the scalar fields above hold the same values extracted.
  mlir::Value scaleVec;
  int64_t lane[2] = {0, 0};
};

/// How a format's mins enter the dot product.
enum class MinKind {
  None,
  /// DecodedGroup::min per group (q4_1, q5_1).
  PerGroup,
  /// BlockDecoder::blockMins(): vector<8xf32>, one min per group of 32
  /// (q4_K, q5_K); multiplied with the activations' group sums.
  BlockPerGroup,
  /// BlockDecoder::blockMins(): vector<16xf32>, one per half (q2_K);
  /// multiplied with the activations' half sums.
  BlockPerHalf,
};

/// The decoder of one block format.
class BlockDecoder {
public:
  virtual ~BlockDecoder() = default;
  int64_t weightsPerBlock() const { return groups * 32; }
  int64_t bytesPerBlock() const { return bytes; }
  int64_t groupsPerBlock() const { return groups; }
  /// Subtracted from every unsigned q.
  int64_t offset() const { return qOffset; }
  /// Whether decoding a group is (about) a plain load of 32 bytes: 8-bit
  /// codes, which leave registers free for larger tiles.
  virtual bool decodesByLoad() const { return false; }
  /// Whether ggml multiplies this format with Q8_0/Q8_1 activations, whose
  /// block scales are f16 (the 32-weight formats); K-quants use Q8_K's f32.
  bool f16ActivationScales() const { return groups == 1 && !isGroup; }
  /// Whether groups carry mins.
  bool hasMins() const { return minKind != MinKind::None; }
  /// Whether each group has one scale (DecodedGroup::scale), not one per
  /// half.
  bool hasGroupScales() const { return !perHalfScales; }
  MinKind getMinKind() const { return minKind; }
  /// The block's mins as a vector (MinKind::BlockPerGroup/BlockPerHalf),
  /// after prepare(); the groups' min fields hold the same values.
  mlir::Value blockMins() const { return mins; }
  /// Whether the groups' scales (and mins) are integers under one f32 scale
  /// (and min) per block: q4_K, q5_K (w = d * sc * q - dmin * m, 8 scales
  /// and mins) and q6_K (w = d * sc * (q - 32), a signed scale per 16-weight
  /// half). After prepare(), intScales() is vector<8xi32> (per group) or
  /// vector<16xi32> (per half), intMins() vector<8xi32> or null, and
  /// superScale()/superMin() the f32 d and dmin (or null).
  bool hasIntegerScales() const { return static_cast<bool>(scInt); }
  mlir::Value intScales() const { return scInt; }
  mlir::Value intMins() const { return minInt; }
  mlir::Value superScale() const { return dBlock; }
  mlir::Value superMin() const { return dminBlock; }
  /// Whether the format has such integer scales (known before prepare()).
  virtual bool integerScales() const { return false; }

  /// Loads what all groups of the block at byte `base` of `w` share (block
  /// scales); call before group().
  virtual void prepare(mlir::ImplicitLocOpBuilder &b, mlir::Value w,
                       mlir::Value base) = 0;
  /// Decodes group `g` of the block prepared last.
  virtual DecodedGroup group(mlir::ImplicitLocOpBuilder &b, int64_t g) = 0;

  /// The decoder for weights of element type `type` (a `!qc.block` format
  /// or a 4- or 8-bit `!qc.group` with groups of 32 or more) on `isa`, or
  /// null when there is none.
  static std::unique_ptr<BlockDecoder> create(mlir::Type type, KernelISA isa);

protected:
  int64_t groups = 1, bytes = 0, qOffset = 0;
  bool isGroup = false;
  bool perHalfScales = false;
  MinKind minKind = MinKind::None;
  mlir::Value mins;
  mlir::Value scInt, minInt, dBlock, dminBlock;
};

/// Small emission helpers shared by the decoders and the kernels.
struct Emit {
  static mlir::Value index(mlir::ImplicitLocOpBuilder &b, int64_t v);
  static mlir::Value i32(mlir::ImplicitLocOpBuilder &b, int64_t v);
  static mlir::Value f32(mlir::ImplicitLocOpBuilder &b, double v);
  /// A splat constant vector<n x elt>.
  static mlir::Value splat(mlir::ImplicitLocOpBuilder &b, mlir::Type element,
                           int64_t n, int64_t value);
  static mlir::Value splatF(mlir::ImplicitLocOpBuilder &b, int64_t n,
                            double value);
  /// base + offset (index).
  static mlir::Value add(mlir::ImplicitLocOpBuilder &b, mlir::Value base,
                         int64_t offset);
  /// vector<n x i8> loaded from byte `at` of `w`.
  static mlir::Value bytes(mlir::ImplicitLocOpBuilder &b, mlir::Value w,
                           mlir::Value at, int64_t n);
  /// The byte at `at` of `w`, as i32 (zero-extended).
  static mlir::Value byte(mlir::ImplicitLocOpBuilder &b, mlir::Value w,
                          mlir::Value at);
  /// The f16 at byte `at` of `w`, as f32.
  static mlir::Value half(mlir::ImplicitLocOpBuilder &b, mlir::Value w,
                          mlir::Value at);
  /// Concatenates two vectors of the same type.
  static mlir::Value concat(mlir::ImplicitLocOpBuilder &b, mlir::Value lo,
                            mlir::Value hi);
  /// Sums of 4 consecutive lanes of a vector<32xi32>: vector<8xi32>.
  static mlir::Value sum4(mlir::ImplicitLocOpBuilder &b, mlir::Value v);
};

} // namespace quantc::detail

#endif // QUANTC_LIB_CONVERSION_QCTOVECTOR_BLOCKDECODERS_H
