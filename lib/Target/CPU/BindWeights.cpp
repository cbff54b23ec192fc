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
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

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

/// One external weight: the function argument it becomes.
struct ExternalWeight {
  qc::GlobalOp global;
  /// `tensor<Nxi8>` when a kernel reads its bytes, else the global's type.
  RankedTensorType argType;
  int64_t file = 0;
  int64_t offset = 0;
};

struct QCCPUBindWeightsPass
    : quantc::impl::QCCPUBindWeightsPassBase<QCCPUBindWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode != "embed" && mode != "external") {
      module.emitError() << "qc-cpu-bind-weights: unknown mode '" << mode
                         << "' (expected embed or external)";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    auto files =
        module->getAttrOfType<ArrayAttr>(qc::QCDialect::kWeightFilesAttrName);

    // Check every read; sort the weights into embedded and external ones.
    SmallVector<qc::WeightOp> reads;
    module.walk([&](qc::WeightOp op) { reads.push_back(op); });
    llvm::MapVector<Operation *, ExternalWeight> external;
    for (qc::WeightOp read : reads) {
      auto global = symbols.lookup<qc::GlobalOp>(read.getName());
      if (!global) {
        read.emitOpError() << "refers to no qc.global @" << read.getName();
        return signalPassFailure();
      }
      if (!read->getParentOfType<func::FuncOp>()) {
        read.emitOpError() << "reads weight @" << read.getName()
                           << " outside of a func.func";
        return signalPassFailure();
      }
      RankedTensorType type = global.getTensorType();
      bool plain = type.getElementType().isIntOrFloat();
      bool bytes = false;
      for (Operation *user : read->getUsers()) {
        if (isa<qc::StorageOp>(user)) {
          bytes = true;
          continue;
        }
        if (!plain) {
          user->emitOpError()
              << "reads the quantized weight @" << read.getName() << " ("
              << type << "), which only the kernels of qc-lower-bitwidth "
              << "take";
          return signalPassFailure();
        }
      }
      auto where = global->getAttrOfType<DenseI64ArrayAttr>(
          qc::QCDialect::kFileOffsetAttrName);
      if (mode == "external" && where && files) {
        ExternalWeight &weight = external[global];
        weight.global = global;
        weight.file = where[0];
        weight.offset = where[1];
        if (bytes || !weight.argType) {
          auto size = global.getData().getShapedType().getNumElements();
          weight.argType =
              bytes ? RankedTensorType::get({size},
                                            IntegerType::get(&getContext(), 8))
                    : type;
        }
        continue;
      }
      if (auto resource =
              dyn_cast<DenseResourceElementsAttr>(global.getData());
          resource && !resource.getRawHandle().getBlob()) {
        read.emitOpError() << "weight @" << read.getName()
                           << " has no bytes (its resource blob is missing)";
        return signalPassFailure();
      }
    }

    // Embedded weights: constants over the globals' bytes.
    for (qc::WeightOp read : reads) {
      auto global = symbols.lookup<qc::GlobalOp>(read.getName());
      if (external.count(global))
        continue;
      embed(read, global);
    }

    if (!external.empty() && failed(bindExternal(module, external, files)))
      return signalPassFailure();

    // The globals and the file's metadata are not needed any more.
    for (auto global :
         llvm::make_early_inc_range(module.getOps<qc::GlobalOp>()))
      global.erase();
    for (NamedAttribute attr : llvm::to_vector(module->getAttrs()))
      if (attr.getName().getValue().starts_with("qc."))
        module->removeAttr(attr.getName());
  }

  void embed(qc::WeightOp read, qc::GlobalOp global) {
    RankedTensorType type = global.getTensorType();
    OpBuilder b(read);
    for (OpOperand &use : llvm::make_early_inc_range(read->getUses())) {
      if (auto storage = dyn_cast<qc::StorageOp>(use.getOwner())) {
        b.setInsertionPoint(storage);
        Value bytes = arith::ConstantOp::create(
            b, storage.getLoc(), viewAs(global, storage.getType()));
        storage.replaceAllUsesWith(bytes);
        storage.erase();
        continue;
      }
      b.setInsertionPoint(read);
      use.set(arith::ConstantOp::create(b, read.getLoc(), viewAs(global, type)));
    }
    read.erase();
  }

  /// Makes each external weight an argument of the functions that read it,
  /// directly or through calls, and records the entries' weight arguments
  /// in the module attribute `qc_cpu.weights`.
  LogicalResult
  bindExternal(ModuleOp module,
               llvm::MapVector<Operation *, ExternalWeight> &external,
               ArrayAttr files) {
    MLIRContext *ctx = &getContext();
    // The weights each function needs: its own reads, then its callees'.
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isDeclaration())
        funcs.push_back(func);
    // The globals' order in the module.
    DenseMap<Operation *, unsigned> order;
    for (auto [i, global] : llvm::enumerate(module.getOps<qc::GlobalOp>()))
      order[global] = i;
    DenseMap<Operation *, llvm::SetVector<Operation *>> needed;
    DenseMap<Operation *, SmallVector<func::FuncOp>> callees;
    for (func::FuncOp func : funcs) {
      func.walk([&](qc::WeightOp read) {
        Operation *global = SymbolTable::lookupNearestSymbolFrom(
            module, read.getNameAttr());
        if (external.count(global))
          needed[func].insert(global);
      });
      func.walk([&](func::CallOp call) {
        if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
            callee && !callee.isDeclaration())
          callees[func].push_back(callee);
      });
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (func::FuncOp func : funcs)
        for (func::FuncOp callee : callees[func])
          for (Operation *global : llvm::to_vector(needed[callee]))
            changed |= needed[func].insert(global);
    }

    // Arguments, in the globals' order.
    DenseMap<Operation *, DenseMap<Operation *, unsigned>> argOf;
    SmallVector<Attribute> entries;
    for (func::FuncOp func : funcs) {
      SmallVector<Operation *> globals(needed[func].begin(),
                                       needed[func].end());
      if (globals.empty())
        continue;
      llvm::sort(globals, [&](Operation *a, Operation *b) {
        return order[a] < order[b];
      });
      SmallVector<Attribute> args;
      for (Operation *global : globals) {
        ExternalWeight &weight = external[global];
        unsigned index = func.getNumArguments();
        // The compiled code must never write to a weight: it may be a
        // read-only mapping of the model file.
        NamedAttribute readOnly(
            StringAttr::get(ctx, bufferization::BufferizationDialect::
                                     kWritableAttrName),
            BoolAttr::get(ctx, false));
        if (failed(func.insertArgument(index, weight.argType,
                                       DictionaryAttr::get(ctx, {readOnly}),
                                       weight.global.getLoc())))
          return func.emitError() << "cannot add the weight argument @"
                                  << weight.global.getSymName();
        argOf[func][global] = index;
        Builder b(ctx);
        args.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("name", weight.global.getSymNameAttr()),
             b.getNamedAttr("type", TypeAttr::get(weight.argType)),
             b.getNamedAttr("file", b.getI64IntegerAttr(weight.file)),
             b.getNamedAttr("offset", b.getI64IntegerAttr(weight.offset))}));
      }
      if (func.isPublic()) {
        Builder b(ctx);
        entries.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("entry", func.getSymNameAttr()),
             b.getNamedAttr("args", b.getArrayAttr(args))}));
      }
    }

    // Reads become the arguments; calls pass them on.
    for (func::FuncOp func : funcs) {
      auto &args = argOf[func];
      SmallVector<qc::WeightOp> reads;
      func.walk([&](qc::WeightOp read) { reads.push_back(read); });
      for (qc::WeightOp read : reads) {
        Operation *global =
            SymbolTable::lookupNearestSymbolFrom(module, read.getNameAttr());
        if (!external.count(global))
          continue;
        Value arg = func.getArgument(args[global]);
        replaceRead(read, arg, external[global]);
      }
      func.walk([&](func::CallOp call) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee || !argOf.count(callee))
          return;
        SmallVector<std::pair<unsigned, Operation *>> extra;
        for (auto [global, index] : argOf[callee])
          extra.push_back({index, global});
        llvm::sort(extra);
        for (auto [index, global] : extra)
          call->insertOperands(call->getNumOperands(),
                               func.getArgument(args[global]));
      });
    }

    Builder b(ctx);
    module->setAttr("qc_cpu.weights",
                    b.getDictionaryAttr(
                        {b.getNamedAttr("files", files),
                         b.getNamedAttr("entries", b.getArrayAttr(entries))}));
    return success();
  }

  /// Replaces the reads of `read` by `arg` (the weight's bytes or its
  /// tensor).
  void replaceRead(qc::WeightOp read, Value arg, ExternalWeight weight) {
    RankedTensorType type = weight.global.getTensorType();
    bool bytes = weight.argType != type;
    OpBuilder b(read);
    for (OpOperand &use : llvm::make_early_inc_range(read->getUses())) {
      if (auto storage = dyn_cast<qc::StorageOp>(use.getOwner())) {
        storage.replaceAllUsesWith(arg);
        storage.erase();
        continue;
      }
      if (!bytes) {
        use.set(arg);
        continue;
      }
      // A float weight whose bytes a kernel also reads: view them with its
      // type (read-only).
      b.setInsertionPoint(read);
      Location loc = read.getLoc();
      auto byteBuffer = MemRefType::get(weight.argType.getShape(),
                                        weight.argType.getElementType());
      Value buffer = bufferization::ToBufferOp::create(b, loc, byteBuffer, arg,
                                                       /*read_only=*/true);
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value view = memref::ViewOp::create(
          b, loc, MemRefType::get(type.getShape(), type.getElementType()),
          buffer, zero, ValueRange());
      use.set(bufferization::ToTensorOp::create(b, loc, type, view,
                                                /*restrict=*/true,
                                                /*writable=*/false));
    }
    read.erase();
  }
};

} // namespace
