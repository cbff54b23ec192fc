//===- DType.cppm - Element types of the runtime ABI ------------*- C++ -*-===//
//
// Part of quantc.
//
// The element types a compiled model's tensors may have, numbered as ONNX's
// TensorProto.DataType (the qc_dtype enum of quantc/runtime.h). The one
// table of sizes and names: the C helpers and quantc.tensorio read it.
//
//===----------------------------------------------------------------------===//

module;

#include <cstddef>
#include <cstdint>
#include <string_view>

export module quantc.runtime:dtype;

export namespace quantc::runtime {

/// One element type.
struct DTypeInfo {
  int32_t dtype;
  /// Bytes per element.
  size_t size;
  /// Lower-case name, as numpy spells it ("float32", "bool", "bfloat16").
  std::string_view name;
};

/// Every element type of the ABI, in ONNX order.
inline constexpr DTypeInfo kDTypes[] = {
    {1, 4, "float32"}, {2, 1, "uint8"},   {3, 1, "int8"},   {4, 2, "uint16"},
    {5, 2, "int16"},   {6, 4, "int32"},   {7, 8, "int64"},  {9, 1, "bool"},
    {10, 2, "float16"}, {11, 8, "float64"}, {12, 4, "uint32"}, {13, 8, "uint64"},
    {16, 2, "bfloat16"},
};

/// The entry of `dtype`, or null when the ABI has no such type.
constexpr const DTypeInfo *findDType(int32_t dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return &info;
  return nullptr;
}

/// Bytes per element of `dtype`; 0 when unknown.
constexpr size_t dtypeSize(int32_t dtype) {
  const DTypeInfo *info = findDType(dtype);
  return info ? info->size : 0;
}

/// The name of `dtype`; "unknown" when unknown.
constexpr std::string_view dtypeName(int32_t dtype) {
  const DTypeInfo *info = findDType(dtype);
  return info ? info->name : std::string_view("unknown");
}

} // namespace quantc::runtime
