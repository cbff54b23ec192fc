//===- ControlFlow.cpp - ONNX If ------------------------------------------===//
//
// Part of quantc.
//
// If with a compile-time condition (the common case once shapes are static:
// exporters test shapes) imports the taken branch inline; otherwise both
// branches become the regions of an `scf.if` whose results have the static
// types the branches agree on.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "GraphImporter.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

const onnx::GraphProto *graphAttr(NodeContext &ctx, StringRef name) {
  const onnx::AttributeProto *a = ctx.attr(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

LogicalResult convertIf(NodeContext &ctx) {
  const onnx::GraphProto *thenBranch = graphAttr(ctx, "then_branch");
  const onnx::GraphProto *elseBranch = graphAttr(ctx, "else_branch");
  if (!thenBranch || !elseBranch)
    return ctx.fail("needs then_branch and else_branch graphs");
  if (thenBranch->output_size() != (int)ctx.numOutputs() ||
      elseBranch->output_size() != (int)ctx.numOutputs())
    return ctx.fail("the branches must have as many outputs as the node");
  if (ctx.inputType(0).getNumElements() != 1)
    return ctx.fail("the condition must hold one element");

  if (std::optional<DenseElementsAttr> cond = ctx.constantInput(0)) {
    bool taken = !cond->getValues<APInt>()[0].isZero();
    FailureOr<SmallVector<OnnxValue>> outputs = ctx.importer.importSubgraph(
        taken ? *thenBranch : *elseBranch, {}, ctx.b);
    if (failed(outputs))
      return failure();
    for (auto [i, v] : llvm::enumerate(*outputs))
      ctx.setResult(i, v.value, v.dtype);
    return success();
  }

  // Both branches: the results need one static type each.
  SmallVector<Type> types;
  for (unsigned i = 0; i < ctx.numOutputs(); ++i) {
    RankedTensorType t = ctx.inferredType(i);
    if (!t)
      t = ctx.importer.declaredOutputType(*thenBranch, i);
    if (!t)
      return ctx.fail("output " + Twine(i) +
                      " has no static type that both branches share");
    types.push_back(t);
  }
  Value cond = ctx.input(0);
  auto condType = ctx.inputType(0);
  if (condType.getRank() != 0)
    cond = buildReshape(ctx.b, ctx.loc, cond, {});
  Value flag = tensor::ExtractOp::create(ctx.b, ctx.loc, cond, ValueRange{});
  auto ifOp = scf::IfOp::create(ctx.b, ctx.loc, types, flag,
                                /*withElseRegion=*/true);
  SmallVector<int32_t> dtypes(ctx.numOutputs(), kUndefined);
  for (auto [branch, block] :
       {std::pair{thenBranch, ifOp.thenBlock()},
        std::pair{elseBranch, ifOp.elseBlock()}}) {
    // Blocks of an scf.if with results start without a terminator.
    Operation *oldTerminator = block->empty() ? nullptr : &block->back();
    OpBuilder inner = OpBuilder::atBlockEnd(block);
    if (oldTerminator)
      inner.setInsertionPoint(oldTerminator);
    FailureOr<SmallVector<OnnxValue>> outputs =
        ctx.importer.importSubgraph(*branch, {}, inner);
    if (failed(outputs))
      return failure();
    SmallVector<Value> yielded;
    for (auto [i, v] : llvm::enumerate(*outputs)) {
      auto type = cast<RankedTensorType>(v.value.getType());
      auto want = cast<RankedTensorType>(types[i]);
      Value value = v.value;
      if (type.getElementType() != want.getElementType() ||
          type.getNumElements() != want.getNumElements())
        return ctx.fail("branch output " + Twine(i) + " is " +
                        Twine(std::to_string(type.getNumElements())) +
                        " elements; the If's static type differs");
      value = buildReshape(inner, ctx.loc, value, want.getShape());
      yielded.push_back(value);
      dtypes[i] = v.dtype;
    }
    if (oldTerminator)
      oldTerminator->erase();
    inner.setInsertionPointToEnd(block);
    scf::YieldOp::create(inner, ctx.loc, yielded);
  }
  for (unsigned i = 0; i < ctx.numOutputs(); ++i)
    ctx.setResult(i, ifOp.getResult(i), dtypes[i]);
  return success();
}

} // namespace

void quantc::onnx_import::registerControlFlowOps(OpRegistry &r) {
  r.add("If", convertIf);
}
