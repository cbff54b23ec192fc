//===- Einsum.cpp - ONNX Einsum as one linalg.generic ---------------------===//
//
// Part of quantc.
//
// The equation's letters become loop dims: output letters (with the
// ellipsis' broadcast dims) first, as parallel loops, then the summed letters
// as reductions. Each operand reads through its letters' dims; a letter
// repeated in one operand ("ii") reads the diagonal; a size-1 ellipsis dim
// broadcasts.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <map>

using namespace mlir;
using namespace quantc::onnx_import;

namespace {

/// One side of the equation: letters, with '.' standing for the ellipsis.
struct Term {
  std::string letters; // '.' marks where "..." is
  bool hasEllipsis() const { return letters.find('.') != std::string::npos; }
};

FailureOr<Term> parseTerm(NodeContext &ctx, StringRef text) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (text.substr(i, 3) != "..." || t.hasEllipsis())
        return ctx.fail("malformed ellipsis in the equation");
      t.letters.push_back('.');
      i += 2;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c)))
      return ctx.fail(Twine("unexpected character '") + Twine(c) +
                      "' in the equation");
    t.letters.push_back(c);
  }
  return t;
}

} // namespace

namespace quantc::onnx_import {

LogicalResult convertEinsum(NodeContext &ctx) {
  std::string equation;
  for (char c : ctx.getString("equation", ""))
    if (!std::isspace(static_cast<unsigned char>(c)))
      equation.push_back(c);
  if (equation.empty())
    return ctx.fail("missing attribute 'equation'");
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> inputTerms;
  lhs.split(inputTerms, ',');
  if (inputTerms.size() != ctx.numInputs())
    return ctx.fail(Twine("the equation names ") + Twine(inputTerms.size()) +
                    " operands, the node has " + Twine(ctx.numInputs()));
  Type element = ctx.inputType(0).getElementType();
  SmallVector<Term> terms;
  int64_t ellipsisRank = 0;
  std::map<char, int64_t> letterSize, letterCount;
  SmallVector<int64_t> ellipsisShape;
  for (auto [i, text] : llvm::enumerate(inputTerms)) {
    FailureOr<Term> t = parseTerm(ctx, text);
    if (failed(t))
      return failure();
    if (ctx.inputType(i).getElementType() != element)
      return ctx.fail("operands have different element types");
    ArrayRef<int64_t> shape = ctx.inputType(i).getShape();
    int64_t named = t->letters.size() - (t->hasEllipsis() ? 1 : 0);
    int64_t ell = (int64_t)shape.size() - named;
    if (ell < 0 || (!t->hasEllipsis() && ell != 0))
      return ctx.fail(Twine("operand ") + Twine(i) + " has rank " +
                      Twine(shape.size()) + ", its term '" + text +
                      "' does not match");
    ellipsisRank = std::max(ellipsisRank, ell);
    int64_t dim = 0;
    for (char c : t->letters) {
      if (c == '.') {
        dim += ell;
        continue;
      }
      int64_t size = shape[dim++];
      auto [it, inserted] = letterSize.try_emplace(c, size);
      if (!inserted && it->second != size)
        return ctx.fail(Twine("letter '") + Twine(c) +
                        "' has inconsistent sizes");
      ++letterCount[c];
    }
    terms.push_back(*t);
  }
  // The ellipsis dims broadcast, right-aligned.
  ellipsisShape.assign(ellipsisRank, 1);
  for (auto [i, t] : llvm::enumerate(terms)) {
    if (!t.hasEllipsis())
      continue;
    ArrayRef<int64_t> shape = ctx.inputType(i).getShape();
    int64_t start = t.letters.find('.');
    int64_t ell = shape.size() - (t.letters.size() - 1);
    for (int64_t j = 0; j < ell; ++j) {
      int64_t d = shape[start + j];
      int64_t &e = ellipsisShape[ellipsisRank - ell + j];
      if (d != 1 && e != 1 && d != e)
        return ctx.fail("ellipsis dimensions do not broadcast");
      if (d != 1)
        e = d;
    }
  }
  Term out;
  if (explicitOutput) {
    FailureOr<Term> t = parseTerm(ctx, rhs);
    if (failed(t))
      return failure();
    out = *t;
    for (char c : out.letters) {
      if (c != '.' && !letterSize.count(c))
        return ctx.fail(Twine("output letter '") + Twine(c) +
                        "' is not in any operand");
      if (c != '.' && llvm::count(out.letters, c) > 1)
        return ctx.fail("an output letter repeats");
    }
    if (!out.hasEllipsis() && ellipsisRank > 0)
      out.letters.insert(out.letters.begin(), '.');
  } else {
    if (ellipsisRank > 0)
      out.letters.push_back('.');
    for (auto [c, n] : letterCount)
      if (n == 1)
        out.letters.push_back(c);
  }
  // Loop dims: output order first, then the summed letters.
  MLIRContext *mctx = ctx.b.getContext();
  std::map<char, int64_t> letterDim;
  SmallVector<int64_t> loopSizes, outShape;
  int64_t ellipsisStart = -1;
  for (char c : out.letters) {
    if (c == '.') {
      ellipsisStart = loopSizes.size();
      loopSizes.append(ellipsisShape);
      continue;
    }
    letterDim[c] = loopSizes.size();
    loopSizes.push_back(letterSize[c]);
  }
  outShape = loopSizes;
  int64_t numParallel = loopSizes.size();
  for (auto [c, size] : letterSize)
    if (!letterDim.count(c)) {
      letterDim[c] = loopSizes.size();
      loopSizes.push_back(size);
    }
  int64_t numLoops = loopSizes.size();
  SmallVector<AffineMap> maps;
  for (auto [i, t] : llvm::enumerate(terms)) {
    ArrayRef<int64_t> shape = ctx.inputType(i).getShape();
    int64_t ell = shape.size() - (t.letters.size() - (t.hasEllipsis() ? 1 : 0));
    SmallVector<AffineExpr> exprs;
    for (char c : t.letters) {
      if (c != '.') {
        exprs.push_back(getAffineDimExpr(letterDim[c], mctx));
        continue;
      }
      for (int64_t j = 0; j < ell; ++j) {
        int64_t e = ellipsisRank - ell + j;
        int64_t d = shape[exprs.size()];
        if (d == 1 && ellipsisShape[e] != 1)
          exprs.push_back(getAffineConstantExpr(0, mctx));
        else
          exprs.push_back(getAffineDimExpr(ellipsisStart + e, mctx));
      }
    }
    maps.push_back(AffineMap::get(numLoops, 0, exprs, mctx));
  }
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < numParallel; ++d)
    outExprs.push_back(getAffineDimExpr(d, mctx));
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, mctx));
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::reduction);
  for (int64_t d = 0; d < numParallel; ++d)
    iterators[d] = utils::IteratorType::parallel;
  bool reduces = numLoops > numParallel;
  Value init = buildEmpty(ctx.b, ctx.loc, outShape, element);
  if (reduces)
    init = linalg::FillOp::create(ctx.b, ctx.loc,
                                  scalarConstant(ctx.b, ctx.loc, element, 0),
                                  init)
               .getResult(0);
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    inputs.push_back(ctx.input(i));
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, TypeRange{init.getType()}, inputs, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value prod = args[0];
        for (Value v : args.drop_front().drop_back())
          prod = buildMul(nb, nl, prod, v);
        if (reduces)
          prod = buildAdd(nb, nl, args.back(), prod);
        linalg::YieldOp::create(nb, nl, prod);
      });
  ctx.setResult(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

} // namespace quantc::onnx_import
