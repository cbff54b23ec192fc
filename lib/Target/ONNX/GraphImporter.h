//===- GraphImporter.h - ONNX graph to a func.func --------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_LIB_TARGET_ONNX_GRAPHIMPORTER_H
#define QUANTC_LIB_TARGET_ONNX_GRAPHIMPORTER_H

#include "Importer.h"

#include "quantc/Target/ONNX/ONNX.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace quantc::onnx_import {

/// Converts an ONNX TensorProto (initializer, Constant value, tensor
/// attribute) to an elements attribute: small values inline, larger ones in
/// a resource blob named after `blobName`. External data is read relative to
/// `baseDir`.
mlir::FailureOr<mlir::ElementsAttr>
convertTensorProto(const onnx::TensorProto &tensor, mlir::MLIRContext *ctx,
                   llvm::StringRef baseDir, llvm::StringRef blobName,
                   llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// Imports one ONNX graph into a function.
class GraphImporter {
public:
  GraphImporter(mlir::ModuleOp module, const onnx::ModelProto &model,
                llvm::StringRef modelPath, llvm::StringRef baseDir,
                const ONNXImportOptions &options);

  mlir::LogicalResult importMainGraph();

  mlir::MLIRContext *getContext() const { return ctx; }
  const ONNXImportOptions &getOptions() const { return options; }
  llvm::StringRef getBaseDir() const { return baseDir; }
  llvm::StringRef getModelPath() const { return modelPath; }

  /// The value bound to `name`, or a null value.
  OnnxValue lookup(llvm::StringRef name) const { return values.lookup(name); }
  void bind(llvm::StringRef name, OnnxValue value) { values[name] = value; }
  /// The static type shape inference gives `name`, or null.
  mlir::RankedTensorType inferredType(llvm::StringRef name) const;
  int32_t inferredDType(llvm::StringRef name) const;

  /// When `name` is an entry argument that may be bound at compile time
  /// (ONNXImportOptions::bindShapeInputs), binds it and returns its constant.
  mlir::Value bindInputOnDemand(llvm::StringRef name);

  /// Imports the nodes of `graph` (a subgraph attribute: If's branches, a
  /// loop body) at the builder's insertion point. The subgraph sees every
  /// value of the enclosing scopes; `inputs` are bound to its formal inputs.
  /// Returns its outputs.
  mlir::FailureOr<llvm::SmallVector<OnnxValue>>
  importSubgraph(const onnx::GraphProto &graph,
                 llvm::ArrayRef<OnnxValue> inputs, mlir::OpBuilder &builder);

  /// The static type a subgraph declares for its output `i`, or null.
  mlir::RankedTensorType declaredOutputType(const onnx::GraphProto &graph,
                                            unsigned i) const;

  /// Called when a converter needs `value` as a compile-time constant and it
  /// is not one: with ONNXImportOptions::bindShapeInputs, records the graph
  /// inputs it is computed from, so that the import can be retried with them
  /// bound (see importONNXBuffer).
  void requestBinding(mlir::Value value);
  /// The inputs requestBinding asked for, by name.
  const llvm::StringSet<> &getRequestedBindings() const { return requested; }

  /// A fresh resource blob name derived from `hint`.
  std::string uniqueBlobName(llvm::StringRef hint);

private:
  /// Imports `graph`'s initializers (as constants) and then its nodes.
  mlir::LogicalResult importBody(const onnx::GraphProto &graph,
                                 mlir::OpBuilder &builder);
  mlir::LogicalResult importNode(const onnx::NodeProto &node,
                                 mlir::OpBuilder &builder);
  mlir::FailureOr<mlir::RankedTensorType>
  inputType(const onnx::ValueInfoProto &info, unsigned position);

  mlir::ModuleOp module;
  mlir::MLIRContext *ctx;
  const onnx::ModelProto &model;
  std::string modelPath;
  std::string baseDir;
  const ONNXImportOptions &options;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<OnnxValue> values;
  llvm::StringMap<const onnx::TypeProto *> valueInfo;
  llvm::StringMap<unsigned> argIndex;
  mlir::func::FuncOp func;
  llvm::StringMap<unsigned> blobNames;
  llvm::StringSet<> requested;
};

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_TARGET_ONNX_GRAPHIMPORTER_H
