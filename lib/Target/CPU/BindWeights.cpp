//===- BindWeights.cpp - qc.weight reads to the weights' bytes ------------===//
//
// Part of quantc.
//
// qc-cpu-bind-weights: see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCOps.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"
#include "quantc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace quantc {
#define GEN_PASS_DEF_QCCPUBINDWEIGHTSPASS
#include "quantc/Target/CPU/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;

namespace {

/// The global's bytes as elements of `type` (same byte size): the same
/// resource blob viewed with another type, or the dense bytes reread.
ElementsAttr viewAs(qc::GlobalOp global, ShapedType type) {
  Attribute data = global.getData();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(data)) {
    if (resource.getType() == type)
      return resource;
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  }
  auto dense = cast<DenseIntOrFPElementsAttr>(data);
  if (dense.getType() == type)
    return dense;
  std::vector<char> scratch;
  std::optional<ArrayRef<char>> bytes = global.getRawBytes(scratch);
  return DenseElementsAttr::getFromRawBuffer(type, *bytes);
}

struct QCCPUBindWeightsPass
    : quantc::impl::QCCPUBindWeightsPassBase<QCCPUBindWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<qc::WeightOp> reads;
    module.walk([&](qc::WeightOp op) { reads.push_back(op); });
    for (qc::WeightOp read : reads) {
      auto global = symbols.lookup<qc::GlobalOp>(read.getName());
      if (!global) {
        read.emitOpError() << "refers to no qc.global @" << read.getName();
        return signalPassFailure();
      }
      if (isa<DenseResourceElementsAttr>(global.getData())) {
        auto resource = cast<DenseResourceElementsAttr>(global.getData());
        if (!resource.getRawHandle().getBlob()) {
          read.emitOpError() << "weight @" << read.getName()
                             << " has no bytes (its resource blob is missing)";
          return signalPassFailure();
        }
      }
      RankedTensorType type = global.getTensorType();
      bool plain = type.getElementType().isIntOrFloat();
      OpBuilder b(read);
      for (OpOperand &use : llvm::make_early_inc_range(read->getUses())) {
        Operation *user = use.getOwner();
        if (auto storage = dyn_cast<qc::StorageOp>(user)) {
          b.setInsertionPoint(storage);
          Value bytes = arith::ConstantOp::create(
              b, storage.getLoc(), viewAs(global, storage.getType()));
          storage.replaceAllUsesWith(bytes);
          storage.erase();
          continue;
        }
        if (!plain) {
          user->emitOpError()
              << "reads the quantized weight @" << read.getName() << " ("
              << type << "), which only the kernels of qc-lower-bitwidth "
              << "take";
          return signalPassFailure();
        }
        b.setInsertionPoint(read);
        Value value =
            arith::ConstantOp::create(b, read.getLoc(), viewAs(global, type));
        use.set(value);
      }
      read.erase();
    }
    // The globals and the file's metadata are not needed any more.
    for (auto global :
         llvm::make_early_inc_range(module.getOps<qc::GlobalOp>()))
      global.erase();
    for (NamedAttribute attr : llvm::to_vector(module->getAttrs()))
      if (attr.getName().getValue().starts_with("qc."))
        module->removeAttr(attr.getName());
  }
};

} // namespace
