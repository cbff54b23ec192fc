//===- PrintWeightStats.cpp - Report the storage of a module's weights ----===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {
#define GEN_PASS_DEF_QCPRINTWEIGHTSTATSPASS
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

/// Prints `type`, eliding the scale lists of per-axis `!quant` types (a
/// 4096-row weight has 4096 of them).
static void printElementType(Type type, std::string &out) {
  llvm::raw_string_ostream os(out);
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type);
  if (!perAxis) {
    os << type;
    return;
  }
  os << "!quant.uniform<" << (perAxis.isSigned() ? "i" : "u")
     << perAxis.getStorageTypeIntegralWidth() << ":"
     << perAxis.getExpressedType() << ":" << perAxis.getQuantizedDimension()
     << ", {" << perAxis.getScales().size() << " scales}>";
}

namespace {
struct Row {
  std::string name;
  std::string shape;
  std::string type;
  int64_t numElements;
  int64_t bytes;
};

struct QCPrintWeightStatsPass
    : public quantc::impl::QCPrintWeightStatsPassBase<QCPrintWeightStatsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Row> rows;
    WalkResult result = getOperation().walk([&](qc::GlobalOp op) {
      RankedTensorType type = op.getTensorType();
      FailureOr<int64_t> bytes =
          qc::getStorageSize(type, [&] { return op.emitOpError(); });
      if (failed(bytes))
        return WalkResult::interrupt();
      Row row;
      row.name = op.getSymName().str();
      llvm::raw_string_ostream shape(row.shape);
      llvm::interleave(type.getShape(), shape, "x");
      printElementType(type.getElementType(), row.type);
      row.numElements = type.getNumElements();
      row.bytes = *bytes;
      rows.push_back(std::move(row));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (sortBySize)
      llvm::stable_sort(rows, [](const Row &a, const Row &b) {
        return a.bytes > b.bytes;
      });

    size_t nameWidth = 4, shapeWidth = 5, typeWidth = 4;
    for (const Row &row : rows) {
      nameWidth = std::max(nameWidth, row.name.size());
      shapeWidth = std::max(shapeWidth, row.shape.size());
      typeWidth = std::max(typeWidth, row.type.size());
    }
    llvm::raw_ostream &os = llvm::outs();
    os << llvm::left_justify("name", nameWidth) << "  "
       << llvm::left_justify("shape", shapeWidth) << "  "
       << llvm::left_justify("type", typeWidth) << "  "
       << llvm::right_justify("bytes", 12) << "  "
       << llvm::right_justify("bpw", 7) << "\n";
    int64_t totalElements = 0, totalBytes = 0;
    for (const Row &row : rows) {
      os << llvm::left_justify(row.name, nameWidth) << "  "
         << llvm::left_justify(row.shape, shapeWidth) << "  "
         << llvm::left_justify(row.type, typeWidth) << "  "
         << llvm::format_decimal(row.bytes, 12) << "  "
         << llvm::format("%7.3f", 8.0 * row.bytes / row.numElements) << "\n";
      totalElements += row.numElements;
      totalBytes += row.bytes;
    }
    os << "total: " << rows.size() << " weights, " << totalElements
       << " elements, " << totalBytes << " bytes";
    if (totalElements > 0)
      os << llvm::format(", %.3f bits per weight, %.1f%% of f32",
                         8.0 * totalBytes / totalElements,
                         100.0 * totalBytes / (4.0 * totalElements));
    os << "\n";
  }
};
} // namespace
