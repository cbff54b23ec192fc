//===- Importer.h - What ONNX op converters see -----------------*- C++ -*-===//
//
// Part of quantc.
//
// The graph importer walks an ONNX graph in order and hands each node to the
// converter registered for its (domain, op_type) and opset. A converter reads
// its operands and attributes through a NodeContext, emits IR with its
// builder, and binds every output with setResult(). Converters live one file
// per op family (Elementwise.cpp, Reduction.cpp, ...), each exporting a
// `register<Family>Ops(OpRegistry &)`.
//
// Element types: ONNX types map to signless MLIR types (uint8 -> i8, bool ->
// i1); every value also carries its ONNX TensorProto.DataType so converters
// know signedness.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_IMPORTER_H
#define QUANTC_LIB_TARGET_ONNX_IMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

namespace quantc::onnx_import {

class GraphImporter;

/// ONNX TensorProto.DataType numbers.
enum DType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

/// The MLIR element type of an ONNX dtype, or null when unsupported.
mlir::Type getElementType(mlir::MLIRContext *ctx, int32_t dtype);
/// The ONNX dtype of an MLIR element type (signed for integers).
int32_t getDType(mlir::Type elementType);
bool isUnsignedDType(int32_t dtype);
bool isFloatDType(int32_t dtype);
const char *getDTypeName(int32_t dtype);

/// A value of the graph: the IR value and its ONNX dtype.
struct OnnxValue {
  mlir::Value value;
  int32_t dtype = kUndefined;
};

/// The converter API for one node.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              mlir::OpBuilder &builder, mlir::Location loc, int64_t opset)
      : importer(importer), node(node), b(builder), loc(loc), opset(opset) {}

  GraphImporter &importer;
  const onnx::NodeProto &node;
  mlir::OpBuilder &b;
  mlir::Location loc;
  /// The opset version of the node's domain.
  int64_t opset;

  llvm::StringRef opType() const { return node.op_type(); }

  //===-- Operands ---------------------------------------------------------===//
  unsigned numInputs() const { return node.input_size(); }
  /// True when input `i` exists and is not an omitted optional ("").
  bool hasInput(unsigned i) const {
    return i < (unsigned)node.input_size() && !node.input(i).empty();
  }
  mlir::Value input(unsigned i) const;
  int32_t inputDType(unsigned i) const;
  mlir::RankedTensorType inputType(unsigned i) const;
  int64_t inputRank(unsigned i) const { return inputType(i).getRank(); }
  bool inputIsUnsigned(unsigned i) const {
    return isUnsignedDType(inputDType(i));
  }
  /// The compile-time value of input `i`, when it is a constant (an
  /// initializer, a Constant node, a bound input or something folded from
  /// them). Large resource-blob values are returned too.
  std::optional<mlir::DenseElementsAttr> constantInput(unsigned i) const;
  /// The integer values of a constant input, as int64 (axes, shapes, pads).
  std::optional<llvm::SmallVector<int64_t>> constantInts(unsigned i) const;
  /// Like constantInts, but failing with a diagnostic when not constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  requireConstantInts(unsigned i, llvm::StringRef what) const;

  //===-- Attributes -------------------------------------------------------===//
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  std::optional<int64_t> getOptionalInt(llvm::StringRef name) const;
  float getFloat(llvm::StringRef name, float dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  llvm::SmallVector<int64_t> getInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<int64_t>>
  getOptionalInts(llvm::StringRef name) const;
  llvm::SmallVector<float> getFloats(llvm::StringRef name) const;
  llvm::SmallVector<std::string> getStrings(llvm::StringRef name) const;

  //===-- Results ----------------------------------------------------------===//
  unsigned numOutputs() const { return node.output_size(); }
  bool hasOutput(unsigned i) const {
    return i < (unsigned)node.output_size() && !node.output(i).empty();
  }
  /// The static type ONNX shape inference (or the graph's declarations) gives
  /// output `i`, or null when unknown or not static.
  mlir::RankedTensorType inferredType(unsigned i) const;
  /// The ONNX dtype of output `i` from shape inference (kUndefined if none).
  int32_t inferredDType(unsigned i) const;
  /// inferredType(i), or a diagnostic when it is unknown.
  mlir::FailureOr<mlir::RankedTensorType> requireInferredType(unsigned i) const;
  /// Binds output `i`. `dtype` defaults to the inferred dtype, then to the
  /// signed dtype of the value's element type.
  void setResult(unsigned i, mlir::Value value,
                 int32_t dtype = kUndefined);

  //===-- Diagnostics ------------------------------------------------------===//
  /// An error at the node: "node 'name' (OpType): ...".
  mlir::InFlightDiagnostic emitError() const;
  mlir::LogicalResult fail(const llvm::Twine &message) const {
    return emitError() << message;
  }
  /// Normalizes a possibly negative axis against `rank`; fails when out of
  /// range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;
};

using ConvertFn = mlir::LogicalResult (*)(NodeContext &);

/// The converters, by domain and op type, each since an opset version.
class OpRegistry {
public:
  /// Registers `fn` for `opType` in `domain` ("" is ai.onnx) from opset
  /// `sinceVersion` on (until a later registration's version).
  void add(llvm::StringRef domain, llvm::StringRef opType, int64_t sinceVersion,
           ConvertFn fn);
  void add(llvm::StringRef opType, ConvertFn fn) { add("", opType, 1, fn); }
  /// The converter for `opType` at `opset`, or null.
  ConvertFn lookup(llvm::StringRef domain, llvm::StringRef opType,
                   int64_t opset) const;
  /// Every registered (domain, op type), for the support matrix.
  std::vector<std::pair<std::string, std::string>> list() const;

  static const OpRegistry &get();

private:
  struct Entry {
    int64_t sinceVersion;
    ConvertFn fn;
  };
  llvm::StringMap<std::vector<Entry>> table; // key: domain + ":" + op
};

// One per op family.
void registerActivationOps(OpRegistry &registry);
void registerElementwiseOps(OpRegistry &registry);
void registerGeneratorOps(OpRegistry &registry);
void registerTensorOps(OpRegistry &registry);
void registerRecurrentOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerMatMulOps(OpRegistry &registry);
void registerControlFlowOps(OpRegistry &registry);
void registerLoopOps(OpRegistry &registry);
void registerConvOps(OpRegistry &registry);
void registerPoolOps(OpRegistry &registry);
void registerNormalizationOps(OpRegistry &registry);
void registerQuantizationOps(OpRegistry &registry);
void registerIndexingOps(OpRegistry &registry);
void registerLossOps(OpRegistry &registry);
void registerSignalOps(OpRegistry &registry);
void registerMiscOps(OpRegistry &registry);

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_IMPORTER_H
