//===- ModelABI.cpp - The C ABI of a compiled model in LLVM IR ------------===//
//
// Part of quantc.
//
// Builds, in LLVM IR, what runtime/include/quantc/runtime.h expects of a
// compiled model: the `run` wrapper that turns the runtime's buffer array
// into the memref descriptors of the lowered entry, and the constant
// `qc_model` descriptor with its accessor.
//
//===----------------------------------------------------------------------===//

#include "ModelABI.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace quantc::cpu {

/// Must match QC_ABI_VERSION in runtime.h.
static constexpr uint32_t kABIVersion = 1;

static GlobalVariable *addConstant(Module &m, Constant *init, const Twine &name,
                                   unsigned align = 0) {
  auto *global = new GlobalVariable(m, init->getType(), /*isConstant=*/true,
                                    GlobalValue::PrivateLinkage, init, name);
  global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  if (align)
    global->setAlignment(Align(align));
  return global;
}

/// Builds the `<name>_run` wrapper.
static Error addRunWrapper(Module &m, const ModelSignature &sig,
                           Function *entry, StringRef runName) {
  LLVMContext &ctx = m.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  Type *i64 = Type::getInt64Ty(ctx);
  Type *i32 = Type::getInt32Ty(ctx);

  SmallVector<const TensorSignature *> buffers;
  for (const TensorSignature &t : sig.inputs)
    buffers.push_back(&t);
  for (const TensorSignature &t : sig.outputs)
    buffers.push_back(&t);
  size_t expected = 1;
  for (const TensorSignature *t : buffers)
    expected += 3 + 2 * t->shape.size();
  if (entry->arg_size() != expected)
    return createStringError(
        "lowered entry @%s takes %zu arguments; the model's tensors need %zu",
        entry->getName().str().c_str(), entry->arg_size(), expected);

  auto *type = FunctionType::get(i32, {ptr, ptr}, false);
  Function *run =
      Function::Create(type, GlobalValue::ExternalLinkage, runName, m);
  run->addFnAttr(Attribute::NoUnwind);
  run->getArg(0)->setName("buffers");
  run->getArg(1)->setName("rt");
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", run));
  SmallVector<Value *> args;
  for (auto [i, t] : llvm::enumerate(buffers)) {
    Value *slot = b.CreateConstInBoundsGEP1_64(ptr, run->getArg(0), i);
    Value *data = b.CreateAlignedLoad(ptr, slot, Align(8), "buffer");
    args.append({data, data, ConstantInt::get(i64, 0)});
    for (int64_t size : t->shape)
      args.push_back(ConstantInt::get(i64, size));
    int64_t stride = 1;
    SmallVector<Value *> strides(t->shape.size());
    for (size_t d = t->shape.size(); d-- > 0;) {
      strides[d] = ConstantInt::get(i64, stride);
      stride *= t->shape[d];
    }
    args.append(strides.begin(), strides.end());
  }
  args.push_back(run->getArg(1));
  for (auto [arg, param] : llvm::zip(args, entry->getFunctionType()->params()))
    if (arg->getType() != param)
      return createStringError("lowered entry @%s has an unexpected signature",
                               entry->getName().str().c_str());
  b.CreateCall(entry, args);
  b.CreateRet(ConstantInt::get(i32, 0));
  return Error::success();
}

/// An array of qc_tensor_desc for `tensors`.
static Constant *buildTensorDescs(Module &m, StructType *descType,
                                  ArrayRef<TensorSignature> tensors,
                                  StringRef prefix) {
  LLVMContext &ctx = m.getContext();
  Type *i32 = Type::getInt32Ty(ctx);
  auto *null = ConstantPointerNull::get(PointerType::getUnqual(ctx));
  SmallVector<Constant *> descs;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    std::string base = (prefix + Twine(i)).str();
    Constant *name = addConstant(
        m, ConstantDataArray::getString(ctx, t.name), ".qc.name." + base);
    Constant *dims = null;
    if (!t.shape.empty()) {
      SmallVector<uint64_t> values(t.shape.begin(), t.shape.end());
      dims = addConstant(m, ConstantDataArray::get(ctx, values),
                         ".qc.dims." + base, 8);
    }
    Constant *bound = null;
    if (t.boundValue)
      bound = addConstant(m,
                          ConstantDataArray::getRaw(*t.boundValue,
                                                    t.boundValue->size(),
                                                    Type::getInt8Ty(ctx)),
                          ".qc.bound." + base, 64);
    descs.push_back(ConstantStruct::get(
        descType, {name, ConstantInt::get(i32, t.dtype),
                   ConstantInt::get(i32, t.shape.size()), dims, bound}));
  }
  auto *arrayType = ArrayType::get(descType, descs.size());
  return addConstant(m, ConstantArray::get(arrayType, descs),
                     ".qc." + prefix + "s", 8);
}

Error addModelABI(Module &m, const ModelSignature &sig, StringRef loweredEntry,
                  StringRef modelName, bool sharedAccessor) {
  LLVMContext &ctx = m.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  Type *i32 = Type::getInt32Ty(ctx);
  std::string runName = (modelName + "_run").str();
  for (StringRef reserved : {StringRef(runName), modelName,
                             StringRef("qc_shared_model")})
    if (GlobalValue *existing = m.getNamedValue(reserved);
        existing && !existing->isDeclaration())
      return createStringError("the model already defines the symbol '%s'",
                               reserved.str().c_str());

  Function *entry = m.getFunction(loweredEntry);
  if (!entry || entry->isDeclaration())
    return createStringError("the lowered module has no entry @%s",
                             loweredEntry.str().c_str());
  if (Error err = addRunWrapper(m, sig, entry, runName))
    return err;

  // struct qc_tensor_desc { const char *; int32_t; int32_t;
  //                         const int64_t *; const void *; }
  auto *descType = StructType::create(ctx, {ptr, i32, i32, ptr, ptr},
                                      "struct.qc_tensor_desc");
  // struct qc_model { uint32_t; const char *; int32_t; int32_t;
  //                   const qc_tensor_desc *; const qc_tensor_desc *;
  //                   int32_t (*)(void **, qc_rt *); }
  auto *modelType = StructType::create(ctx, {i32, ptr, i32, i32, ptr, ptr, ptr},
                                       "struct.qc_model");
  Constant *inputs = buildTensorDescs(m, descType, sig.inputs, "input");
  Constant *outputs = buildTensorDescs(m, descType, sig.outputs, "output");
  Constant *name = addConstant(m, ConstantDataArray::getString(ctx, modelName),
                               ".qc.model_name");
  Constant *model = ConstantStruct::get(
      modelType,
      {ConstantInt::get(i32, kABIVersion), name,
       ConstantInt::get(i32, sig.inputs.size()),
       ConstantInt::get(i32, sig.outputs.size()), inputs, outputs,
       m.getFunction(runName)});
  GlobalVariable *descriptor = addConstant(m, model, ".qc.model", 8);

  auto addAccessor = [&](StringRef symbol) {
    auto *fn = Function::Create(FunctionType::get(ptr, {}, false),
                                GlobalValue::ExternalLinkage, symbol, m);
    fn->addFnAttr(Attribute::NoUnwind);
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
    b.CreateRet(descriptor);
  };
  addAccessor(modelName);
  if (sharedAccessor)
    addAccessor("qc_shared_model");

  // Only the ABI is exported; the rest may be inlined or dropped.
  StringSet<> exported = {modelName, runName};
  if (sharedAccessor)
    exported.insert("qc_shared_model");
  for (GlobalValue &value : m.global_values())
    if (!value.isDeclaration() && !value.hasLocalLinkage() &&
        !exported.contains(value.getName()))
      value.setLinkage(GlobalValue::InternalLinkage);
  return Error::success();
}

} // namespace quantc::cpu
