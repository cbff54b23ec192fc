//===- Loops.cpp - ONNX Loop and Scan -------------------------------------===//
//
// Part of quantc.
//
// quantc compiles static shapes, and a Loop's or Scan's stacked outputs have
// a shape only once the trip count is known. With a compile-time trip count
// (a constant, or a graph input bound to its value) the body is imported
// once per iteration with a constant iteration number, so everything that
// depends on it (slices at the iteration, shapes) folds; a Loop whose
// condition turns false at a known iteration stops there, as ONNX says. A
// condition that is not known at compile time, or more iterations than
// kMaxUnroll, is reported as unsupported.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "GraphImporter.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

constexpr int64_t kMaxUnroll = 4096;

const onnx::GraphProto *graphAttr(NodeContext &ctx, StringRef name) {
  const onnx::AttributeProto *a = ctx.attr(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

/// `values` stacked along a new axis `axis` (each of the same type).
Value stack(OpBuilder &b, Location loc, ArrayRef<Value> values, int64_t axis,
            RankedTensorType elementType) {
  SmallVector<int64_t> one(elementType.getShape());
  one.insert(one.begin() + axis, 1);
  SmallVector<Value> parts;
  for (Value v : values)
    parts.push_back(buildReshape(b, loc, v, one));
  if (parts.size() == 1)
    return parts[0];
  return tensor::ConcatOp::create(b, loc, axis, parts).getResult();
}

/// Slice `index` of `v` along `axis`, without that axis.
Value sliceAt(OpBuilder &b, Location loc, Value v, int64_t axis,
              int64_t index) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(d == axis ? 1 : type.getDimSize(d)));
  offsets[axis] = b.getIndexAttr(index);
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + axis);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (DenseElementsAttr value = getConstantValue(v)) {
    // Keep constants constant (a loop over a constant table).
    SmallVector<int64_t> keep(type.getShape());
    keep[axis] = 1;
    Value sliced = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(keep, type.getElementType()), v, offsets,
        sizes, strides);
    return buildReshape(b, loc, sliced, shape);
  }
  return tensor::ExtractSliceOp::create(b, loc, resultType, v, offsets, sizes,
                                        strides);
}

Value scalarTensor(OpBuilder &b, Location loc, Type element, double value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, element),
                             scalarAttr(element, value)));
}

LogicalResult convertLoop(NodeContext &ctx) {
  const onnx::GraphProto *body = graphAttr(ctx, "body");
  if (!body)
    return ctx.fail("needs a body graph");
  unsigned numCarried = ctx.numInputs() - 2;
  if (body->input_size() != (int)numCarried + 2 ||
      body->output_size() < (int)numCarried + 1)
    return ctx.fail("the body's inputs and outputs do not match the node's");
  unsigned numScan = body->output_size() - 1 - numCarried;

  if (!ctx.hasInput(0))
    return ctx.fail("a Loop without a trip count ends only when its condition "
                    "does: its outputs have no static shape");
  std::optional<SmallVector<int64_t>> tripCount = ctx.constantInts(0);
  if (!tripCount || tripCount->size() != 1)
    return ctx.fail("the trip count must be a compile-time constant (bind it "
                    "with --bind-input or --bind-shape-inputs)");
  int64_t trips = (*tripCount)[0];
  if (trips < 0)
    trips = 0;
  if (trips > kMaxUnroll)
    return ctx.fail("trip count " + Twine(trips) + " is above " +
                    Twine(kMaxUnroll) +
                    ": quantc unrolls loops at compile time");

  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value cond = ctx.hasInput(1)
                   ? ctx.input(1)
                   : scalarTensor(b, loc, b.getI1Type(), 1);
  auto condIsTrue = [&](Value c) -> std::optional<bool> {
    DenseElementsAttr v = getConstantValue(c);
    if (!v || v.getNumElements() != 1)
      return std::nullopt;
    return !v.getValues<APInt>()[0].isZero();
  };
  std::optional<bool> running = condIsTrue(cond);
  if (ctx.hasInput(1) && !running) {
    if (std::optional<DenseElementsAttr> c = ctx.constantInput(1)) {
      cond = buildConstant(b, loc, *c);
      running = condIsTrue(cond);
    }
  }
  if (!running)
    return ctx.fail("the loop condition must be known at compile time");

  SmallVector<OnnxValue> carried;
  for (unsigned i = 0; i < numCarried; ++i)
    carried.push_back({ctx.input(2 + i), ctx.inputDType(2 + i)});
  SmallVector<SmallVector<Value>> scans(numScan);
  SmallVector<int32_t> scanDTypes(numScan, kUndefined);
  for (int64_t iter = 0; iter < trips && *running; ++iter) {
    SmallVector<OnnxValue> inputs = {
        {scalarTensor(b, loc, b.getI64Type(), iter), kInt64}, {cond, kBool}};
    llvm::append_range(inputs, carried);
    FailureOr<SmallVector<OnnxValue>> outputs =
        ctx.importer.importSubgraph(*body, inputs, b);
    if (failed(outputs))
      return failure();
    cond = (*outputs)[0].value;
    running = condIsTrue(cond);
    if (!running)
      return ctx.fail("the loop condition computed at iteration " +
                      Twine(iter) +
                      " is not a compile-time constant: the number of "
                      "iterations, and so the outputs' shapes, are unknown");
    for (unsigned i = 0; i < numCarried; ++i) {
      OnnxValue next = (*outputs)[1 + i];
      if (next.value.getType() != carried[i].value.getType())
        return ctx.fail("loop-carried value " + Twine(i) +
                        " changes its type between iterations");
      carried[i] = next;
    }
    for (unsigned k = 0; k < numScan; ++k) {
      OnnxValue v = (*outputs)[1 + numCarried + k];
      if (!scans[k].empty() && scans[k][0].getType() != v.value.getType())
        return ctx.fail("scan output " + Twine(k) +
                        " changes its shape between iterations");
      scans[k].push_back(v.value);
      scanDTypes[k] = v.dtype;
    }
  }
  for (unsigned i = 0; i < numCarried; ++i)
    if (ctx.hasOutput(i))
      ctx.setResult(i, carried[i].value, carried[i].dtype);
  for (unsigned k = 0; k < numScan; ++k) {
    if (!ctx.hasOutput(numCarried + k))
      continue;
    if (scans[k].empty()) {
      FailureOr<RankedTensorType> type = ctx.requireInferredType(numCarried + k);
      if (failed(type))
        return failure();
      ctx.setResult(numCarried + k,
                    buildEmpty(b, loc, type->getShape(), type->getElementType()));
      continue;
    }
    auto type = cast<RankedTensorType>(scans[k][0].getType());
    ctx.setResult(numCarried + k, stack(b, loc, scans[k], 0, type),
                  scanDTypes[k]);
  }
  return success();
}

/// Scan (opset 9+): states, then scan inputs sliced along their axes.
LogicalResult scanOnce(NodeContext &ctx, const onnx::GraphProto &body,
                       ArrayRef<OnnxValue> initial, ArrayRef<OnnxValue> scanIn,
                       ArrayRef<int64_t> inAxes, ArrayRef<int64_t> inReverse,
                       ArrayRef<int64_t> outAxes, ArrayRef<int64_t> outReverse,
                       SmallVector<OnnxValue> &finalStates,
                       SmallVector<OnnxValue> &scanOut) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t length = -1;
  for (auto [v, axis] : llvm::zip(scanIn, inAxes)) {
    int64_t n = cast<RankedTensorType>(v.value.getType()).getDimSize(axis);
    if (length >= 0 && n != length)
      return ctx.fail("scan inputs have different lengths");
    length = n;
  }
  if (length > kMaxUnroll)
    return ctx.fail("scan length above " + Twine(kMaxUnroll) +
                    ": quantc unrolls scans at compile time");
  unsigned numScanOut = body.output_size() - initial.size();
  SmallVector<OnnxValue> states(initial);
  SmallVector<SmallVector<Value>> outs(numScanOut);
  SmallVector<int32_t> dtypes(numScanOut, kUndefined);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<OnnxValue> inputs(states);
    for (auto [i, v] : llvm::enumerate(scanIn)) {
      int64_t index = inReverse[i] ? length - 1 - t : t;
      inputs.push_back({sliceAt(b, loc, v.value, inAxes[i], index), v.dtype});
    }
    FailureOr<SmallVector<OnnxValue>> outputs =
        ctx.importer.importSubgraph(body, inputs, b);
    if (failed(outputs))
      return failure();
    for (unsigned i = 0; i < states.size(); ++i)
      states[i] = (*outputs)[i];
    for (unsigned k = 0; k < numScanOut; ++k) {
      outs[k].push_back((*outputs)[states.size() + k].value);
      dtypes[k] = (*outputs)[states.size() + k].dtype;
    }
  }
  finalStates = states;
  scanOut.clear();
  for (unsigned k = 0; k < numScanOut; ++k) {
    if (outs[k].empty())
      return ctx.fail("a scan over zero elements has no static output shape");
    if (outReverse[k])
      std::reverse(outs[k].begin(), outs[k].end());
    auto type = cast<RankedTensorType>(outs[k][0].getType());
    int64_t axis = outAxes[k] < 0 ? outAxes[k] + type.getRank() + 1 : outAxes[k];
    scanOut.push_back({stack(b, loc, outs[k], axis, type), dtypes[k]});
  }
  return success();
}

LogicalResult convertScan(NodeContext &ctx) {
  const onnx::GraphProto *body = graphAttr(ctx, "body");
  if (!body)
    return ctx.fail("needs a body graph");
  int64_t numScanInputs = ctx.getInt("num_scan_inputs", 0);
  bool batched = ctx.opset < 9; // Scan-8: a leading batch axis, sequence_lens
  unsigned first = batched ? 1 : 0;
  if (batched && ctx.hasInput(0))
    return ctx.fail("sequence_lens is not supported");
  unsigned numStates = ctx.numInputs() - first - numScanInputs;
  unsigned numScanOut = body->output_size() - numStates;
  auto axesOr = [&](StringRef name, unsigned n) {
    SmallVector<int64_t> v = ctx.getInts(name);
    if (v.empty())
      v.assign(n, 0);
    return v;
  };
  SmallVector<int64_t> inAxes = axesOr("scan_input_axes", numScanInputs);
  SmallVector<int64_t> inReverse = batched
                                       ? axesOr("directions", numScanInputs)
                                       : axesOr("scan_input_directions",
                                                numScanInputs);
  SmallVector<int64_t> outAxes = axesOr("scan_output_axes", numScanOut);
  SmallVector<int64_t> outReverse = axesOr("scan_output_directions", numScanOut);
  if (inAxes.size() != (size_t)numScanInputs ||
      inReverse.size() != (size_t)numScanInputs ||
      outAxes.size() != numScanOut || outReverse.size() != numScanOut)
    return ctx.fail("axes/directions attributes have the wrong length");

  SmallVector<OnnxValue> states, scanIn;
  for (unsigned i = 0; i < numStates; ++i)
    states.push_back({ctx.input(first + i), ctx.inputDType(first + i)});
  for (int64_t i = 0; i < numScanInputs; ++i) {
    unsigned k = first + numStates + i;
    FailureOr<int64_t> axis = ctx.normalizeAxis(inAxes[i], ctx.inputRank(k) - batched);
    if (failed(axis))
      return failure();
    inAxes[i] = *axis;
    scanIn.push_back({ctx.input(k), ctx.inputDType(k)});
  }

  if (!batched) {
    SmallVector<OnnxValue> finalStates, scanOut;
    if (failed(scanOnce(ctx, *body, states, scanIn, inAxes, inReverse, outAxes,
                        outReverse, finalStates, scanOut)))
      return failure();
    for (unsigned i = 0; i < numStates; ++i)
      ctx.setResult(i, finalStates[i].value, finalStates[i].dtype);
    for (unsigned k = 0; k < numScanOut; ++k)
      ctx.setResult(numStates + k, scanOut[k].value, scanOut[k].dtype);
    return success();
  }

  // Scan-8: every batch entry separately, then stacked on axis 0.
  int64_t batch = cast<RankedTensorType>(ctx.input(first).getType())
                      .getDimSize(0);
  SmallVector<SmallVector<Value>> stateParts(numStates), outParts(numScanOut);
  SmallVector<int32_t> outDTypes(numScanOut);
  OpBuilder &b = ctx.b;
  for (int64_t n = 0; n < batch; ++n) {
    SmallVector<OnnxValue> s, in, finalStates, scanOut;
    for (OnnxValue v : states)
      s.push_back({sliceAt(b, ctx.loc, v.value, 0, n), v.dtype});
    for (OnnxValue v : scanIn)
      in.push_back({sliceAt(b, ctx.loc, v.value, 0, n), v.dtype});
    if (failed(scanOnce(ctx, *body, s, in, inAxes, inReverse, outAxes,
                        outReverse, finalStates, scanOut)))
      return failure();
    for (unsigned i = 0; i < numStates; ++i)
      stateParts[i].push_back(finalStates[i].value);
    for (unsigned k = 0; k < numScanOut; ++k) {
      outParts[k].push_back(scanOut[k].value);
      outDTypes[k] = scanOut[k].dtype;
    }
  }
  for (unsigned i = 0; i < numStates; ++i)
    ctx.setResult(i,
                  stack(b, ctx.loc, stateParts[i], 0,
                        cast<RankedTensorType>(stateParts[i][0].getType())),
                  states[i].dtype);
  for (unsigned k = 0; k < numScanOut; ++k)
    ctx.setResult(numStates + k,
                  stack(b, ctx.loc, outParts[k], 0,
                        cast<RankedTensorType>(outParts[k][0].getType())),
                  outDTypes[k]);
  return success();
}

} // namespace

void quantc::onnx_import::registerLoopOps(OpRegistry &r) {
  r.add("Loop", convertLoop);
  r.add("Scan", convertScan);
}
