//===- ImportONNX.cpp - ONNX ModelProto to MLIR ---------------------------===//
//
// Part of quantc.
//
// Parses the ModelProto (Debian's libonnx protobuf classes), runs ONNX's own
// shape inference with data propagation so that every intermediate value
// has a static type where the spec determines one, and converts the graph
// node by node through the op registry.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "Builders.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

Type quantc::onnx_import::getElementType(MLIRContext *ctx, int32_t dtype) {
  Builder b(ctx);
  switch (dtype) {
  case kFloat:
    return b.getF32Type();
  case kDouble:
    return b.getF64Type();
  case kFloat16:
    return b.getF16Type();
  case kBFloat16:
    return b.getBF16Type();
  case kBool:
    return b.getI1Type();
  case kInt8:
  case kUInt8:
    return b.getI8Type();
  case kInt16:
  case kUInt16:
    return b.getI16Type();
  case kInt32:
  case kUInt32:
    return b.getI32Type();
  case kInt64:
  case kUInt64:
    return b.getI64Type();
  default:
    return {};
  }
}

int32_t quantc::onnx_import::getDType(Type type) {
  if (type.isF32())
    return kFloat;
  if (type.isF64())
    return kDouble;
  if (type.isF16())
    return kFloat16;
  if (type.isBF16())
    return kBFloat16;
  if (type.isInteger(1))
    return kBool;
  if (type.isInteger(8))
    return kInt8;
  if (type.isInteger(16))
    return kInt16;
  if (type.isInteger(32))
    return kInt32;
  if (type.isInteger(64))
    return kInt64;
  return kUndefined;
}

bool quantc::onnx_import::isUnsignedDType(int32_t dtype) {
  return dtype == kUInt8 || dtype == kUInt16 || dtype == kUInt32 ||
         dtype == kUInt64 || dtype == kBool;
}

bool quantc::onnx_import::isFloatDType(int32_t dtype) {
  return dtype == kFloat || dtype == kDouble || dtype == kFloat16 ||
         dtype == kBFloat16;
}

const char *quantc::onnx_import::getDTypeName(int32_t dtype) {
  switch (dtype) {
  case kFloat: return "float";
  case kUInt8: return "uint8";
  case kInt8: return "int8";
  case kUInt16: return "uint16";
  case kInt16: return "int16";
  case kInt32: return "int32";
  case kInt64: return "int64";
  case kString: return "string";
  case kBool: return "bool";
  case kFloat16: return "float16";
  case kDouble: return "double";
  case kUInt32: return "uint32";
  case kUInt64: return "uint64";
  case 14: return "complex64";
  case 15: return "complex128";
  case kBFloat16: return "bfloat16";
  default: return "undefined";
  }
}

//===----------------------------------------------------------------------===//
// TensorProto -> ElementsAttr
//===----------------------------------------------------------------------===//

/// Reads the external data of `tensor` (location/offset/length relative to
/// `baseDir`) into `out`.
static LogicalResult
readExternalData(const onnx::TensorProto &tensor, StringRef baseDir,
                 std::string &out,
                 function_ref<InFlightDiagnostic()> emitError) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto &entry : tensor.external_data()) {
    unsigned long long v = 0;
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" || entry.key() == "length") {
      if (!llvm::to_integer(entry.value(), v, 10))
        return emitError() << "tensor '" << tensor.name()
                           << "': bad external data " << entry.key() << " '"
                           << entry.value() << "'";
      if (entry.key() == "offset")
        offset = v;
      else
        length = v;
    }
  }
  if (location.empty())
    return emitError() << "tensor '" << tensor.name()
                       << "': external data without a location";
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains(".."))
    return emitError() << "tensor '" << tensor.name()
                       << "': external data location '" << location
                       << "' must be a relative path inside the model's folder";
  SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError() << "tensor '" << tensor.name()
                       << "': cannot read external data file '" << path
                       << "': " << buffer.getError().message();
  uint64_t size = (*buffer)->getBufferSize();
  uint64_t len = length.value_or(size >= offset ? size - offset : 0);
  if (offset > size || len > size - offset)
    return emitError() << "tensor '" << tensor.name() << "': external data ["
                       << offset << ", " << offset + len
                       << ") is outside '" << path << "' (" << size
                       << " bytes)";
  out.assign((*buffer)->getBufferStart() + offset, len);
  return success();
}

FailureOr<ElementsAttr> quantc::onnx_import::convertTensorProto(
    const onnx::TensorProto &tensor, MLIRContext *ctx, StringRef baseDir,
    StringRef blobName, function_ref<InFlightDiagnostic()> emitError) {
  int32_t dtype = tensor.data_type();
  Type elementType = getElementType(ctx, dtype);
  if (!elementType)
    return emitError() << "tensor '" << tensor.name() << "' has type "
                       << getDTypeName(dtype) << ", which is not supported";
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > (int64_t(1) << 40) / d))
      return emitError() << "tensor '" << tensor.name()
                         << "' has an invalid dimension " << d;
    shape.push_back(d);
    count *= d;
  }
  auto type = RankedTensorType::get(shape, elementType);
  unsigned width = elementType.isInteger(1)
                       ? 8
                       : elementType.getIntOrFloatBitWidth();
  size_t elementBytes = width / 8;
  size_t bytes = count * elementBytes;

  std::string external;
  const std::string *raw = nullptr;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternalData(tensor, baseDir, external, emitError)))
      return failure();
    raw = &external;
  } else if (tensor.has_raw_data()) {
    raw = &tensor.raw_data();
  }

  // The tensor's bytes, little-endian, one byte per bool.
  std::vector<char> data(bytes);
  auto mismatch = [&](size_t have) {
    InFlightDiagnostic diag = emitError();
    diag << "tensor '" << tensor.name() << "' of shape [";
    llvm::interleave(shape, diag, ",");
    diag << "] needs " << count << " elements but holds " << have;
    return diag;
  };
  if (raw) {
    if (raw->size() != bytes)
      return mismatch(raw->size() / std::max<size_t>(elementBytes, 1));
    std::memcpy(data.data(), raw->data(), bytes);
  } else {
    auto store = [&](size_t i, uint64_t v) {
      std::memcpy(data.data() + i * elementBytes, &v, elementBytes);
    };
    switch (dtype) {
    case kFloat:
      if ((int64_t)tensor.float_data_size() != count)
        return mismatch(tensor.float_data_size());
      std::memcpy(data.data(), tensor.float_data().data(), bytes);
      break;
    case kDouble:
      if ((int64_t)tensor.double_data_size() != count)
        return mismatch(tensor.double_data_size());
      std::memcpy(data.data(), tensor.double_data().data(), bytes);
      break;
    case kInt64:
      if ((int64_t)tensor.int64_data_size() != count)
        return mismatch(tensor.int64_data_size());
      std::memcpy(data.data(), tensor.int64_data().data(), bytes);
      break;
    case kUInt32:
    case kUInt64:
      if ((int64_t)tensor.uint64_data_size() != count)
        return mismatch(tensor.uint64_data_size());
      for (int64_t i = 0; i < count; ++i)
        store(i, tensor.uint64_data(i));
      break;
    default: // int32_data carries the narrower types and the 16-bit floats.
      if ((int64_t)tensor.int32_data_size() != count)
        return mismatch(tensor.int32_data_size());
      for (int64_t i = 0; i < count; ++i)
        store(i, static_cast<uint32_t>(tensor.int32_data(i)));
      break;
    }
  }

  if (elementType.isInteger(1)) {
    SmallVector<bool> values;
    for (char c : data)
      values.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  }
  if (count <= 64 || blobName.empty())
    return cast<ElementsAttr>(
        DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data)));
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(data), alignof(uint64_t));
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(ModuleOp module, const onnx::ModelProto &model,
                             StringRef modelPath, StringRef baseDir,
                             const ONNXImportOptions &options)
    : module(module), ctx(module.getContext()), model(model), modelPath(modelPath.str()),
      baseDir(baseDir.str()), options(options) {
  for (const auto &opset : model.opset_import()) {
    std::string domain = opset.domain() == "ai.onnx" ? "" : opset.domain();
    opsets[domain] = opset.version();
  }
  const onnx::GraphProto &graph = model.graph();
  for (const auto &info : graph.value_info())
    valueInfo[info.name()] = &info.type();
  for (const auto &info : graph.output())
    valueInfo[info.name()] = &info.type();
}

std::string GraphImporter::uniqueBlobName(StringRef hint) {
  std::string name;
  for (char c : hint)
    name += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  if (name.empty())
    name = "onnx_tensor";
  unsigned &n = blobNames[name];
  if (n++ > 0)
    name += "_" + std::to_string(n - 1);
  return name;
}

/// The static ranked tensor type of an ONNX TypeProto, or null.
static RankedTensorType staticType(MLIRContext *ctx, const onnx::TypeProto &t) {
  if (!t.has_tensor_type() || !t.tensor_type().has_shape())
    return {};
  Type element = getElementType(ctx, t.tensor_type().elem_type());
  if (!element)
    return {};
  SmallVector<int64_t> shape;
  for (const auto &dim : t.tensor_type().shape().dim()) {
    if (!dim.has_dim_value() || dim.dim_value() < 0)
      return {};
    shape.push_back(dim.dim_value());
  }
  return RankedTensorType::get(shape, element);
}

RankedTensorType GraphImporter::inferredType(StringRef name) const {
  const onnx::TypeProto *t = valueInfo.lookup(name);
  return t ? staticType(getContext(), *t) : RankedTensorType();
}

int32_t GraphImporter::inferredDType(StringRef name) const {
  const onnx::TypeProto *t = valueInfo.lookup(name);
  if (!t || !t->has_tensor_type())
    return kUndefined;
  return t->tensor_type().elem_type();
}

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &info, unsigned position) {
  Location loc = FileLineColLoc::get(getContext(), modelPath, 0, 0);
  const onnx::TypeProto &t = info.type();
  if (!t.has_tensor_type())
    return emitError(loc) << modelPath << ": graph input '" << info.name()
                          << "' is a "
                          << (t.has_sequence_type()   ? "sequence"
                              : t.has_optional_type() ? "optional"
                              : t.has_map_type()      ? "map"
                                                      : "non-tensor")
                          << ", which quantc does not support";
  int32_t dtype = t.tensor_type().elem_type();
  Type element = getElementType(getContext(), dtype);
  if (!element)
    return emitError(loc) << modelPath << ": graph input '" << info.name()
                          << "' has element type " << getDTypeName(dtype)
                          << ", which quantc does not support";
  SmallVector<int64_t> shape;
  // Shapes given by name, else by position.
  const std::vector<int64_t> *given = nullptr;
  if (auto it = options.inputShapes.find(info.name());
      it != options.inputShapes.end())
    given = &it->second;
  else if (position < options.positionalShapes.size())
    given = &options.positionalShapes[position];
  if (!t.tensor_type().has_shape()) {
    if (!given)
      return emitError(loc) << modelPath << ": graph input '" << info.name()
                            << "' has no shape; give one with --input-shape "
                            << info.name() << "=D0xD1x...";
    return RankedTensorType::get(*given, element);
  }
  const auto &dims = t.tensor_type().shape().dim();
  if (given && given->size() != (size_t)dims.size())
    return emitError(loc) << modelPath << ": the shape given for input '"
                          << info.name() << "' has rank " << given->size()
                          << ", the model's has " << dims.size();
  for (int i = 0; i < dims.size(); ++i) {
    if (dims[i].has_dim_value()) {
      if (given && (*given)[i] != dims[i].dim_value())
        return emitError(loc)
               << modelPath << ": the shape given for input '" << info.name()
               << "' sets dimension " << i << " to " << (*given)[i]
               << " but the model fixes it to " << dims[i].dim_value();
      shape.push_back(dims[i].dim_value());
      continue;
    }
    if (!given)
      return emitError(loc)
             << modelPath << ": graph input '" << info.name()
             << "' has a dynamic dimension " << i
             << (dims[i].has_dim_param() ? " ('" + dims[i].dim_param() + "')"
                                         : std::string())
             << "; give its shape with --input-shape " << info.name()
             << "=D0xD1x...";
    shape.push_back((*given)[i]);
  }
  return RankedTensorType::get(shape, element);
}

Value GraphImporter::bindInputOnDemand(StringRef name) {
  if (!options.bindShapeInputs)
    return {};
  auto arg = argIndex.find(name);
  if (arg == argIndex.end())
    return {};
  DenseElementsAttr attr;
  if (auto value = options.inputValues.find(name);
      value != options.inputValues.end())
    attr = value->second;
  else if (arg->second < options.positionalValues.size())
    attr = options.positionalValues[arg->second];
  if (!attr)
    return {};
  auto argType = cast<RankedTensorType>(
      func.getArgument(arg->second).getType());
  if (attr.getType() != argType)
    return {};
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Value cst = arith::ConstantOp::create(b, func.getLoc(), attr);
  func.setArgAttr(arg->second, "qc.bound_value", attr);
  values[name].value = cst;
  return cst;
}

void GraphImporter::requestBinding(Value value) {
  if (!options.bindShapeInputs || !func)
    return;
  // The entry arguments `value` is computed from; give up on anything else
  // that is not a constant (loop-carried values, ...).
  Block *entry = &func.getBody().front();
  SmallVector<Value> work = {value};
  DenseSet<Value> seen;
  SmallVector<unsigned> args;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != entry)
        return;
      args.push_back(arg.getArgNumber());
      continue;
    }
    Operation *op = v.getDefiningOp();
    llvm::append_range(work, op->getOperands());
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    llvm::append_range(work, captured);
  }
  for (unsigned index : args) {
    StringRef name;
    for (const auto &entry : argIndex)
      if (entry.second == index)
        name = entry.getKey();
    bool hasValue = options.inputValues.count(name) ||
                    index < options.positionalValues.size() &&
                        options.positionalValues[index];
    if (!hasValue)
      return;
  }
  for (unsigned index : args)
    for (const auto &entry : argIndex)
      if (entry.second == index)
        requested.insert(entry.getKey());
}

LogicalResult GraphImporter::importBody(const onnx::GraphProto &graph,
                                        OpBuilder &b) {
  Location fileLoc = FileLineColLoc::get(ctx, modelPath, 0, 0);
  for (const auto &init : graph.initializer()) {
    FailureOr<ElementsAttr> attr = convertTensorProto(
        init, ctx, baseDir, uniqueBlobName(init.name()),
        [&] { return emitError(fileLoc) << modelPath << ": "; });
    if (failed(attr))
      return failure();
    values[init.name()] = {
        arith::ConstantOp::create(b, fileLoc, cast<TypedAttr>(*attr)),
        init.data_type()};
  }
  for (const auto &node : graph.node())
    if (failed(importNode(node, b)))
      return failure();
  return success();
}

LogicalResult GraphImporter::importMainGraph() {
  MLIRContext *ctx = getContext();
  const onnx::GraphProto &graph = model.graph();
  Location fileLoc = FileLineColLoc::get(ctx, modelPath, 0, 0);
  Builder builder(ctx);

  // Initializers are constants; ONNX < IR 4 also lists them as inputs, and
  // such inputs are not the model's.
  llvm::StringSet<> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());
  for (const auto &init : graph.sparse_initializer())
    return emitError(fileLoc) << modelPath << ": sparse initializer '"
                              << init.values().name()
                              << "' is not supported";

  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const auto &input : graph.input()) {
    if (initializers.contains(input.name()))
      continue;
    FailureOr<RankedTensorType> type = inputType(input, args.size());
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    args.push_back(&input);
  }

  // Results are typed once the body is built.
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  func = func::FuncOp::create(b, fileLoc, options.entryName,
                              builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  for (auto [i, info] : llvm::enumerate(args)) {
    int32_t dtype = info->type().tensor_type().elem_type();
    func.setArgAttr(i, "qc.name", builder.getStringAttr(info->name()));
    func.setArgAttr(i, "qc.dtype", builder.getI32IntegerAttr(dtype));
    values[info->name()] = {entry->getArgument(i), dtype};
    argIndex[info->name()] = i;
    auto bound = options.boundInputs.find(info->name());
    if (bound != options.boundInputs.end()) {
      if (bound->second.getType() != argTypes[i])
        return emitError(fileLoc)
               << modelPath << ": the value bound to input '" << info->name()
               << "' has type " << bound->second.getType() << ", expected "
               << argTypes[i];
      func.setArgAttr(i, "qc.bound_value", bound->second);
      values[info->name()].value =
          arith::ConstantOp::create(b, fileLoc, bound->second);
    }
  }

  if (failed(importBody(graph, b)))
    return failure();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    OnnxValue v = values.lookup(output.name());
    if (!v.value)
      return emitError(fileLoc) << modelPath << ": graph output '"
                                << output.name() << "' is never computed";
    auto type = cast<RankedTensorType>(v.value.getType());
    if (RankedTensorType declared = staticType(ctx, output.type())) {
      if (declared.getShape() != type.getShape() &&
          declared.getNumElements() == type.getNumElements())
        v.value = buildReshape(b, fileLoc, v.value, declared.getShape());
      else if (declared != type)
        return emitError(fileLoc)
               << modelPath << ": graph output '" << output.name()
               << "' is computed as " << type << " but the model declares "
               << declared;
      type = declared;
    }
    results.push_back(v.value);
    resultTypes.push_back(type);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "qc.name", builder.getStringAttr(output.name()));
    int32_t dtype = values.lookup(output.name()).dtype;
    if (output.type().has_tensor_type() &&
        output.type().tensor_type().elem_type() != kUndefined)
      dtype = output.type().tensor_type().elem_type();
    func.setResultAttr(i, "qc.dtype", builder.getI32IntegerAttr(dtype));
  }
  return success();
}

RankedTensorType GraphImporter::declaredOutputType(const onnx::GraphProto &graph,
                                                  unsigned i) const {
  if (i >= (unsigned)graph.output_size())
    return {};
  return staticType(getContext(), graph.output(i).type());
}

FailureOr<SmallVector<OnnxValue>>
GraphImporter::importSubgraph(const onnx::GraphProto &graph,
                              ArrayRef<OnnxValue> inputs, OpBuilder &b) {
  Location fileLoc = FileLineColLoc::get(ctx, modelPath, 0, 0);
  if ((size_t)graph.input_size() != inputs.size())
    return emitError(fileLoc) << modelPath << ": subgraph '" << graph.name()
                              << "' takes " << graph.input_size()
                              << " inputs, " << inputs.size() << " given";
  for (const auto &info : graph.value_info())
    valueInfo[info.name()] = &info.type();
  for (const auto &info : graph.output())
    valueInfo[info.name()] = &info.type();
  for (auto [info, value] : llvm::zip(graph.input(), inputs))
    values[info.name()] = value;
  if (failed(importBody(graph, b)))
    return failure();
  SmallVector<OnnxValue> outputs;
  for (const auto &output : graph.output()) {
    OnnxValue v = values.lookup(output.name());
    if (!v.value)
      return emitError(fileLoc) << modelPath << ": subgraph '" << graph.name()
                                << "' output '" << output.name()
                                << "' is never computed";
    outputs.push_back(v);
  }
  return outputs;
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        OpBuilder &b) {
  MLIRContext *ctx = getContext();
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  std::string label = node.name().empty() ? node.op_type() : node.name();
  Location loc = NameLoc::get(StringAttr::get(ctx, label),
                              FileLineColLoc::get(ctx, modelPath, 0, 0));
  auto opset = opsets.find(domain);
  if (opset == opsets.end())
    return emitError(loc) << modelPath << ": node '" << label << "' ("
                          << node.op_type() << "): domain '" << domain
                          << "' is not imported by the model";
  ConvertFn fn = OpRegistry::get().lookup(domain, node.op_type(),
                                          opset->second);
  if (!fn)
    return emitError(loc) << modelPath << ": node '" << label << "' ("
                          << node.op_type() << "): unsupported operator "
                          << (domain.empty() ? "" : domain + ".")
                          << node.op_type() << " (opset " << opset->second
                          << ")";
  // ONNX's schema checks the node's structure (input and output counts,
  // attribute types) before a converter reads it.
  // Only for opsets the library knows: an older schema does not describe a
  // newer op (ReduceMax-18 takes axes as an input).
  const auto &known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = known.find(domain.empty() ? onnx::ONNX_DOMAIN : domain);
  bool knownOpset = range != known.end() && opset->second <= range->second.second;
  if (const onnx::OpSchema *schema =
          knownOpset ? onnx::OpSchemaRegistry::Schema(
                           node.op_type(), static_cast<int>(opset->second),
                           domain.empty() ? onnx::ONNX_DOMAIN : domain)
                     : nullptr) {
    try {
      schema->Verify(node);
    } catch (const std::exception &e) {
      std::string what = e.what();
      // The message names the node itself; keep its first line.
      what = what.substr(0, what.find('\n'));
      return emitError(loc) << modelPath << ": node '" << label << "' ("
                            << node.op_type() << "): " << what;
    }
  }
  for (const std::string &input : node.input())
    if (!input.empty() && !values.lookup(input).value)
      return emitError(loc) << modelPath << ": node '" << label << "' ("
                            << node.op_type() << "): input '" << input
                            << "' is not defined before the node";
  NodeContext context(*this, node, b, loc, opset->second);
  if (failed(fn(context)))
    return failure();
  for (const std::string &output : node.output())
    if (!output.empty() && !values.lookup(output).value)
      return emitError(loc) << modelPath << ": node '" << label << "' ("
                            << node.op_type() << "): output '" << output
                            << "' was not produced";
  return success();
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

Value NodeContext::input(unsigned i) const {
  return importer.lookup(node.input(i)).value;
}

int32_t NodeContext::inputDType(unsigned i) const {
  return importer.lookup(node.input(i)).dtype;
}

RankedTensorType NodeContext::inputType(unsigned i) const {
  return cast<RankedTensorType>(input(i).getType());
}

std::optional<DenseElementsAttr> NodeContext::constantInput(unsigned i) const {
  if (!hasInput(i))
    return std::nullopt;
  if (DenseElementsAttr value = getConstantValue(input(i), int64_t(1) << 24))
    return value;
  if (Value bound = importer.bindInputOnDemand(node.input(i)))
    return getConstantValue(bound, int64_t(1) << 24);
  importer.requestBinding(input(i));
  return std::nullopt;
}

std::optional<SmallVector<int64_t>>
NodeContext::constantInts(unsigned i) const {
  std::optional<DenseElementsAttr> value = constantInput(i);
  if (!value || !value->getElementType().isIntOrIndex())
    return std::nullopt;
  SmallVector<int64_t> out;
  bool isUnsigned = inputIsUnsigned(i);
  for (const APInt &v : value->getValues<APInt>())
    out.push_back(isUnsigned ? (int64_t)v.getZExtValue() : v.getSExtValue());
  return out;
}

FailureOr<SmallVector<int64_t>>
NodeContext::requireConstantInts(unsigned i, StringRef what) const {
  if (std::optional<SmallVector<int64_t>> v = constantInts(i))
    return *v;
  return emitError() << what << " (input " << i << ", '" << node.input(i)
                     << "') must be a compile-time constant: an initializer "
                        "or a value computed from constants; bind a graph "
                        "input with --bind-input";
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::getInt(StringRef name, int64_t dflt) const {
  return getOptionalInt(name).value_or(dflt);
}

std::optional<int64_t> NodeContext::getOptionalInt(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return a->i();
}

float NodeContext::getFloat(StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::getString(StringRef name, StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeContext::getInts(StringRef name) const {
  return getOptionalInts(name).value_or(SmallVector<int64_t>());
}

std::optional<SmallVector<int64_t>>
NodeContext::getOptionalInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

SmallVector<float> NodeContext::getFloats(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return {};
  return SmallVector<float>(a->floats().begin(), a->floats().end());
}

SmallVector<std::string> NodeContext::getStrings(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return {};
  return SmallVector<std::string>(a->strings().begin(), a->strings().end());
}

RankedTensorType NodeContext::inferredType(unsigned i) const {
  return importer.inferredType(node.output(i));
}

int32_t NodeContext::inferredDType(unsigned i) const {
  return importer.inferredDType(node.output(i));
}

FailureOr<RankedTensorType> NodeContext::requireInferredType(unsigned i) const {
  if (RankedTensorType t = inferredType(i))
    return t;
  return emitError() << "the shape of output '" << node.output(i)
                     << "' is not static (ONNX shape inference could not "
                        "determine it from the inputs)";
}

void NodeContext::setResult(unsigned i, Value value, int32_t dtype) {
  if (dtype == kUndefined) {
    dtype = inferredDType(i);
    Type element = cast<RankedTensorType>(value.getType()).getElementType();
    if (dtype == kUndefined ||
        getElementType(b.getContext(), dtype) != element)
      dtype = getDType(element);
  }
  importer.bind(node.output(i), {value, dtype});
}

InFlightDiagnostic NodeContext::emitError() const {
  return mlir::emitError(loc)
         << importer.getModelPath() << ": node '"
         << (node.name().empty() ? node.op_type() : node.name()) << "' ("
         << node.op_type() << "): ";
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis,
                                              int64_t rank) const {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return emitError() << "axis " << axis << " is out of range for rank "
                       << rank;
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// OpRegistry
//===----------------------------------------------------------------------===//

void OpRegistry::add(StringRef domain, StringRef opType, int64_t sinceVersion,
                     ConvertFn fn) {
  std::vector<Entry> &entries = table[(domain + ":" + opType).str()];
  entries.push_back({sinceVersion, fn});
  llvm::sort(entries, [](const Entry &a, const Entry &b) {
    return a.sinceVersion < b.sinceVersion;
  });
}

ConvertFn OpRegistry::lookup(StringRef domain, StringRef opType,
                             int64_t opset) const {
  auto it = table.find((domain + ":" + opType).str());
  if (it == table.end())
    return nullptr;
  ConvertFn fn = nullptr;
  for (const Entry &e : it->second)
    if (e.sinceVersion <= opset)
      fn = e.fn;
  return fn;
}

std::vector<std::pair<std::string, std::string>> OpRegistry::list() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &entry : table) {
    auto [domain, op] = entry.getKey().split(':');
    out.emplace_back(domain.str(), op.str());
  }
  llvm::sort(out);
  return out;
}

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerGeneratorOps(r);
    registerTensorOps(r);
    registerIndexingOps(r);
    registerMatMulOps(r);
    registerConvOps(r);
    registerPoolOps(r);
    registerQuantizationOps(r);
    registerReductionOps(r);
    registerActivationOps(r);
    registerNormalizationOps(r);
    registerLossOps(r);
    registerControlFlowOps(r);
    registerLoopOps(r);
    registerRecurrentOps(r);
    registerSignalOps(r);
    registerMiscOps(r);
    return r;
  }();
  return registry;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

void quantc::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect,
                  quant::QuantDialect, scf::SCFDialect, tensor::TensorDialect,
                  qc::QCDialect>();
}

/// The newest ai.onnx opset the converters implement.
static constexpr int64_t kNewestOpset = 21;

OwningOpRef<ModuleOp> quantc::importONNXBuffer(llvm::MemoryBufferRef buffer,
                                               StringRef baseDir,
                                               MLIRContext *context,
                                               const ONNXImportOptions &options) {
  DialectRegistry registry;
  registerONNXImportDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();
  StringRef path = buffer.getBufferIdentifier();
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);

  onnx::ModelProto model;
  if (buffer.getBufferSize() > (size_t(1) << 31) - 1)
    return emitError(fileLoc) << path
                              << ": the model is larger than 2 GiB; store its "
                                 "weights as external data",
           nullptr;
  if (!model.ParseFromArray(buffer.getBufferStart(),
                            static_cast<int>(buffer.getBufferSize()))) {
    emitError(fileLoc) << path
                       << ": not a valid ONNX model (the ModelProto protobuf "
                          "does not parse)";
    return nullptr;
  }
  for (const auto &opset : model.opset_import()) {
    bool isDefault = opset.domain().empty() || opset.domain() == "ai.onnx";
    if (isDefault && opset.version() > kNewestOpset) {
      emitError(fileLoc) << path << ": the model imports opset "
                         << opset.version()
                         << " of ai.onnx; quantc knows opsets 1 to "
                         << kNewestOpset;
      return nullptr;
    }
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << path << ": the ONNX model has no graph";
    return nullptr;
  }
  // ONNX's shape inference fills value_info with the static types the spec
  // determines; data propagation carries Shape -> Gather -> Reshape chains.
  // It trusts the graph's structure (a Scan whose num_scan_inputs exceeds its
  // inputs crashes ONNX 1.12's), so it only runs on models that pass ONNX's
  // checker; the checker itself is stricter than needed (it rejects opsets
  // newer than the library and missing optional type fields), so failing it
  // is not an error: the converters then work from the inputs' types alone.
  bool checked = true;
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &) {
    checked = false;
  }
  if (checked) {
    try {
      onnx::ShapeInferenceOptions inference(/*check_type=*/false,
                                            /*strict_mode=*/0,
                                            /*data_prop=*/true);
      onnx::shape_inference::InferShapes(
          model, onnx::OpSchemaRegistry::Instance(), inference);
    } catch (const std::exception &) {
    }
  }

  // With bindShapeInputs, an import that needs the value of something
  // computed from graph inputs (a Range's limit derived from an input, ...)
  // is retried with those inputs bound; the first attempt's diagnostics are
  // dropped then, and reported otherwise.
  ONNXImportOptions attemptOptions = options;
  for (int attempt = 0;; ++attempt) {
    OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
    GraphImporter importer(*module, model, path, baseDir, attemptOptions);
    std::vector<Diagnostic> diagnostics;
    LogicalResult result = success();
    {
      ScopedDiagnosticHandler collect(context, [&](Diagnostic &diag) {
        diagnostics.push_back(std::move(diag));
        return success();
      });
      result = importer.importMainGraph();
    }
    if (succeeded(result)) {
      for (Diagnostic &diag : diagnostics)
        context->getDiagEngine().emit(std::move(diag));
      // A converter bug is reported here, not as a puzzling failure later.
      if (failed(verify(*module))) {
        emitError(fileLoc) << path
                           << ": internal error: the IR imported from this "
                              "model does not verify (a quantc bug; please "
                              "report it with the model)";
        return nullptr;
      }
      return module;
    }
    bool more = false;
    if (attempt < 8) {
      for (const auto &name : importer.getRequestedBindings()) {
        StringRef key = name.getKey();
        if (attemptOptions.boundInputs.count(key))
          continue;
        DenseElementsAttr value = attemptOptions.inputValues.lookup(key);
        if (!value) {
          int position = 0;
          for (const auto &input : model.graph().input()) {
            bool isInitializer = false;
            for (const auto &init : model.graph().initializer())
              isInitializer |= init.name() == input.name();
            if (isInitializer)
              continue;
            if (input.name() == key &&
                position < (int)attemptOptions.positionalValues.size())
              value = attemptOptions.positionalValues[position];
            ++position;
          }
        }
        if (!value)
          continue;
        attemptOptions.boundInputs[key] = value;
        more = true;
      }
    }
    if (!more) {
      for (Diagnostic &diag : diagnostics)
        context->getDiagEngine().emit(std::move(diag));
      return nullptr;
    }
  }
}

OwningOpRef<ModuleOp> quantc::importONNXFile(StringRef path,
                                             MLIRContext *context,
                                             const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << path << ": " << buffer.getError().message();
    return nullptr;
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importONNXBuffer((*buffer)->getMemBufferRef(), dir, context, options);
}
