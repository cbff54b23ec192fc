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
static constexpr uint32_t kABIVersion = 2;

static GlobalVariable *addConstant(Module &m, Constant *init, const Twine &name,
                                   unsigned align = 0) {
  auto *global = new GlobalVariable(m, init->getType(), /*isConstant=*/true,
                                    GlobalValue::PrivateLinkage, init, name);
  global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  if (align)
    global->setAlignment(Align(align));
  return global;
}

/// Builds the run wrapper of `entry` (whose lowered function is `lowered`)
/// named `runName`. Buffers are neither assumed aligned nor written when
/// they are weights: the lowered code decides, the wrapper only describes
/// them.
static Expected<Function *> addRunWrapper(Module &m, const ModelSignature &sig,
                                          const EntrySignature &entry,
                                          Function *lowered,
                                          StringRef runName) {
  LLVMContext &ctx = m.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  Type *i64 = Type::getInt64Ty(ctx);
  Type *i32 = Type::getInt32Ty(ctx);

  SmallVector<const TensorSignature *> buffers;
  for (int32_t i : entry.inputs)
    buffers.push_back(&sig.inputs[i]);
  for (int32_t i : entry.outputs)
    buffers.push_back(&sig.outputs[i]);
  size_t expected = 1;
  for (const TensorSignature *t : buffers)
    expected += 3 + 2 * t->shape.size();
  if (lowered->arg_size() != expected)
    return createStringError(
        "lowered entry @%s takes %zu arguments; the model's tensors need %zu",
        lowered->getName().str().c_str(), lowered->arg_size(), expected);

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
  for (auto [arg, param] :
       llvm::zip(args, lowered->getFunctionType()->params()))
    if (arg->getType() != param)
      return createStringError("lowered entry @%s has an unexpected signature",
                               lowered->getName().str().c_str());
  b.CreateCall(lowered, args);
  b.CreateRet(ConstantInt::get(i32, 0));
  return run;
}

/// An array of qc_tensor_desc for `tensors`.
static Constant *buildTensorDescs(Module &m, StructType *descType,
                                  ArrayRef<TensorSignature> tensors,
                                  StringRef prefix) {
  LLVMContext &ctx = m.getContext();
  Type *i32 = Type::getInt32Ty(ctx);
  Type *i64 = Type::getInt64Ty(ctx);
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
        descType,
        {name, ConstantInt::get(i32, t.dtype),
         ConstantInt::get(i32, t.shape.size()), dims, bound,
         ConstantInt::get(i32, static_cast<int32_t>(t.kind)),
         ConstantInt::get(i32, t.weightFile),
         ConstantInt::get(i64, t.fileOffset)}));
  }
  auto *arrayType = ArrayType::get(descType, descs.size());
  return addConstant(m, ConstantArray::get(arrayType, descs),
                     ".qc." + prefix + "s", 8);
}

/// An array of int32 indices, or null when empty.
static Constant *buildIndices(Module &m, ArrayRef<int32_t> indices,
                              const Twine &name) {
  if (indices.empty())
    return ConstantPointerNull::get(PointerType::getUnqual(m.getContext()));
  SmallVector<uint32_t> values(indices.begin(), indices.end());
  return addConstant(m, ConstantDataArray::get(m.getContext(), values), name,
                     4);
}

Error addModelABI(Module &m, const ModelSignature &sig, StringRef modelName,
                  bool sharedAccessor) {
  LLVMContext &ctx = m.getContext();
  Type *ptr = PointerType::getUnqual(ctx);
  Type *i32 = Type::getInt32Ty(ctx);
  Type *i64 = Type::getInt64Ty(ctx);
  std::string runName = (modelName + "_run").str();
  for (StringRef reserved : {StringRef(runName), modelName,
                             StringRef("qc_shared_model")})
    if (GlobalValue *existing = m.getNamedValue(reserved);
        existing && !existing->isDeclaration())
      return createStringError("the model already defines the symbol '%s'",
                               reserved.str().c_str());

  // struct qc_entry { const char *; int32_t; int32_t; const int32_t *;
  //                   const int32_t *; int32_t (*)(void **, qc_rt *); }
  auto *entryType = StructType::create(ctx, {ptr, i32, i32, ptr, ptr, ptr},
                                       "struct.qc_entry");
  SmallVector<Constant *> entries;
  Function *firstRun = nullptr;
  for (auto [e, entry] : llvm::enumerate(sig.entries)) {
    Function *lowered = m.getFunction(entry.funcName);
    if (!lowered || lowered->isDeclaration())
      return createStringError("the lowered module has no entry @%s",
                               entry.funcName.c_str());
    // Entry 0's wrapper is the exported `<name>_run`.
    std::string name =
        e == 0 ? runName : (runName + "." + Twine(e)).str();
    Expected<Function *> run = addRunWrapper(m, sig, entry, lowered, name);
    if (!run)
      return run.takeError();
    if (e == 0)
      firstRun = *run;
    std::string base = (".qc.entry" + Twine(e)).str();
    Constant *entryName = addConstant(
        m, ConstantDataArray::getString(ctx, entry.name), base + ".name");
    entries.push_back(ConstantStruct::get(
        entryType,
        {entryName, ConstantInt::get(i32, entry.inputs.size()),
         ConstantInt::get(i32, entry.outputs.size()),
         buildIndices(m, entry.inputs, base + ".inputs"),
         buildIndices(m, entry.outputs, base + ".outputs"), *run}));
  }

  // struct qc_tensor_desc { const char *; int32_t; int32_t;
  //                         const int64_t *; const void *; int32_t;
  //                         int32_t; uint64_t; }
  auto *descType =
      StructType::create(ctx, {ptr, i32, i32, ptr, ptr, i32, i32, i64},
                         "struct.qc_tensor_desc");
  // struct qc_weight_file { const char *; uint64_t; uint64_t; uint64_t; }
  auto *fileType =
      StructType::create(ctx, {ptr, i64, i64, i64}, "struct.qc_weight_file");
  // struct qc_model { uint32_t; const char *; int32_t; int32_t;
  //                   const qc_tensor_desc *; const qc_tensor_desc *;
  //                   int32_t (*)(void **, qc_rt *); int32_t; int32_t;
  //                   const qc_entry *; const qc_weight_file *; }
  auto *modelType = StructType::create(
      ctx, {i32, ptr, i32, i32, ptr, ptr, ptr, i32, i32, ptr, ptr},
      "struct.qc_model");
  Constant *inputs = buildTensorDescs(m, descType, sig.inputs, "input");
  Constant *outputs = buildTensorDescs(m, descType, sig.outputs, "output");
  Constant *entryArray = addConstant(
      m, ConstantArray::get(ArrayType::get(entryType, entries.size()), entries),
      ".qc.entries", 8);
  SmallVector<Constant *> files;
  for (auto [f, file] : llvm::enumerate(sig.weightFiles))
    files.push_back(ConstantStruct::get(
        fileType,
        {addConstant(m, ConstantDataArray::getString(ctx, file.path),
                     ".qc.weight_file." + Twine(f)),
         ConstantInt::get(i64, file.size),
         ConstantInt::get(i64, file.headerBytes),
         ConstantInt::get(i64, file.headerHash)}));
  Constant *fileArray =
      files.empty()
          ? static_cast<Constant *>(ConstantPointerNull::get(PointerType::getUnqual(ctx)))
          : addConstant(m,
                        ConstantArray::get(
                            ArrayType::get(fileType, files.size()), files),
                        ".qc.weight_files", 8);
  Constant *name = addConstant(m, ConstantDataArray::getString(ctx, modelName),
                               ".qc.model_name");
  Constant *model = ConstantStruct::get(
      modelType,
      {ConstantInt::get(i32, kABIVersion), name,
       ConstantInt::get(i32, sig.inputs.size()),
       ConstantInt::get(i32, sig.outputs.size()), inputs, outputs, firstRun,
       ConstantInt::get(i32, entries.size()),
       ConstantInt::get(i32, files.size()), entryArray, fileArray});
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
