//===- Context.cpp - A model's buffers and runs ---------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "quantc/runtime.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

module quantc.runtime;

namespace quantc::runtime {
namespace {

constexpr size_t kBadSize = static_cast<size_t>(-1);

std::string quoted(const char *name) {
  return name ? "'" + std::string(name) + "'" : std::string("(unnamed)");
}

/// "input 'x' (index 2)".
std::string describe(const char *kind, int32_t index, const qc_tensor_desc &desc) {
  return std::string(kind) + " " + quoted(desc.name) + " (index " + std::to_string(index) + ")";
}

/// Checks one tensor descriptor; returns "" or what is wrong with it.
std::string checkDesc(const char *kind, int32_t index, const qc_tensor_desc &desc) {
  std::string what = describe(kind, index, desc);
  if (dtypeSize(desc.dtype) == 0)
    return what + " has unknown element type " + std::to_string(desc.dtype);
  if (desc.rank < 0)
    return what + " has negative rank " + std::to_string(desc.rank);
  if (desc.rank > 0 && !desc.dims)
    return what + " has rank " + std::to_string(desc.rank) + " but no dims";
  for (int32_t i = 0; i < desc.rank; ++i)
    if (desc.dims[i] < 0)
      return what + " has negative dimension " + std::to_string(desc.dims[i]);
  if (tensorBytes(desc) == kBadSize)
    return what + " is too large to allocate";
  return "";
}

} // namespace

size_t tensorBytes(const qc_tensor_desc &desc) {
  size_t bytes = dtypeSize(desc.dtype);
  if (bytes == 0 || desc.rank < 0 || (desc.rank > 0 && !desc.dims))
    return kBadSize;
  for (int32_t i = 0; i < desc.rank; ++i) {
    if (desc.dims[i] < 0)
      return kBadSize;
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(desc.dims[i]), &bytes))
      return kBadSize;
  }
  // Leave room to round up to the alignment.
  if (bytes > kBadSize - kBufferAlignment)
    return kBadSize;
  return bytes;
}

qc_status Context::create(const qc_model *model, std::unique_ptr<Context> &out,
                          std::string &error) {
  if (!model) {
    error = "qc_context_create: the model is null";
    return QC_ERROR_INVALID_ARGUMENT;
  }
  std::string name = "model " + quoted(model->name);
  if (model->abi_version != QC_ABI_VERSION) {
    error = name + " was compiled for runtime ABI version " +
            std::to_string(model->abi_version) + ", but this runtime implements version " +
            std::to_string(QC_ABI_VERSION);
    return QC_ERROR_ABI_MISMATCH;
  }
  if (model->num_inputs < 0 || model->num_outputs < 0 ||
      (model->num_inputs > 0 && !model->inputs) || (model->num_outputs > 0 && !model->outputs)) {
    error = name + " has an invalid descriptor: " + std::to_string(model->num_inputs) +
            " inputs and " + std::to_string(model->num_outputs) + " outputs";
    return QC_ERROR_INVALID_ARGUMENT;
  }
  if (!model->run) {
    error = name + " has no run function";
    return QC_ERROR_INVALID_ARGUMENT;
  }
  for (int32_t i = 0; i < model->num_inputs; ++i)
    if (std::string problem = checkDesc("input", i, model->inputs[i]); !problem.empty()) {
      error = name + ": " + problem;
      return QC_ERROR_INVALID_ARGUMENT;
    }
  for (int32_t i = 0; i < model->num_outputs; ++i)
    if (std::string problem = checkDesc("output", i, model->outputs[i]); !problem.empty()) {
      error = name + ": " + problem;
      return QC_ERROR_INVALID_ARGUMENT;
    }

  std::unique_ptr<Context> ctx(new (std::nothrow) Context());
  if (!ctx) {
    error = name + ": out of memory";
    return QC_ERROR_OUT_OF_MEMORY;
  }
  ctx->desc = model;
  size_t count = static_cast<size_t>(model->num_inputs) + static_cast<size_t>(model->num_outputs);
  ctx->buffers.assign(count, nullptr);
  ctx->sizes.assign(count, 0);
  ctx->inputSet.assign(static_cast<size_t>(model->num_inputs), false);
  for (size_t i = 0; i < count; ++i) {
    bool isInput = i < static_cast<size_t>(model->num_inputs);
    const qc_tensor_desc &d =
        isInput ? model->inputs[i] : model->outputs[i - static_cast<size_t>(model->num_inputs)];
    size_t bytes = tensorBytes(d);
    size_t allocated = bytes == 0 ? kBufferAlignment
                                  : (bytes + kBufferAlignment - 1) / kBufferAlignment *
                                        kBufferAlignment;
    void *buffer = ::operator new(allocated, std::align_val_t(kBufferAlignment), std::nothrow);
    if (!buffer) {
      error = name + ": cannot allocate " + std::to_string(allocated) + " bytes for " +
              describe(isInput ? "input" : "output",
                       static_cast<int32_t>(isInput ? i : i - model->num_inputs), d);
      return QC_ERROR_OUT_OF_MEMORY;
    }
    std::memset(buffer, 0, allocated);
    ctx->buffers[i] = buffer;
    ctx->sizes[i] = bytes;
  }
  out = std::move(ctx);
  return QC_OK;
}

Context::~Context() {
  for (void *buffer : buffers)
    if (buffer)
      ::operator delete(buffer, std::align_val_t(kBufferAlignment));
}

qc_status Context::fail(qc_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

qc_status Context::setInput(int32_t index, const void *data, size_t bytes) {
  if (index < 0 || index >= desc->num_inputs)
    return fail(QC_ERROR_INVALID_ARGUMENT,
                "qc_context_set_input: input index " + std::to_string(index) +
                    " is out of range (model " + quoted(desc->name) + " has " +
                    std::to_string(desc->num_inputs) + " inputs)");
  size_t expected = sizes[static_cast<size_t>(index)];
  std::string what = describe("input", index, desc->inputs[index]);
  if (bytes != expected)
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_set_input: " + what + " takes " +
                                               std::to_string(expected) + " bytes, got " +
                                               std::to_string(bytes));
  if (!data && bytes != 0)
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_set_input: null data for " + what);
  if (bytes != 0)
    std::memcpy(buffers[static_cast<size_t>(index)], data, bytes);
  inputSet[static_cast<size_t>(index)] = true;
  return QC_OK;
}

qc_status Context::run(qc_rt *rt) {
  for (int32_t i = 0; i < desc->num_inputs; ++i) {
    size_t k = static_cast<size_t>(i);
    const qc_tensor_desc &input = desc->inputs[i];
    if (!inputSet[k])
      return fail(QC_ERROR_MISSING_INPUT, "qc_context_run: " + describe("input", i, input) +
                                              " of model " + quoted(desc->name) +
                                              " was not set");
    if (input.bound_value && std::memcmp(buffers[k], input.bound_value, sizes[k]) != 0) {
      const auto *got = static_cast<const unsigned char *>(buffers[k]);
      const auto *want = static_cast<const unsigned char *>(input.bound_value);
      size_t first = 0;
      while (got[first] == want[first])
        ++first;
      return fail(QC_ERROR_BOUND_INPUT,
                  "qc_context_run: " + describe("input", i, input) + " of model " +
                      quoted(desc->name) +
                      " was bound at compile time and accepts only the value it was "
                      "compiled with (first difference at byte " + std::to_string(first) +
                      "); recompile the model for another value");
    }
  }
  int32_t result = desc->run(buffers.data(), rt);
  if (result != 0)
    return fail(QC_ERROR_EXECUTION, "qc_context_run: model " + quoted(desc->name) +
                                        " failed with code " + std::to_string(result));
  return QC_OK;
}

const void *Context::output(int32_t index, size_t *bytes) const {
  if (index < 0 || index >= desc->num_outputs) {
    if (bytes)
      *bytes = 0;
    return nullptr;
  }
  size_t k = static_cast<size_t>(desc->num_inputs) + static_cast<size_t>(index);
  if (bytes)
    *bytes = sizes[k];
  return buffers[k];
}

} // namespace quantc::runtime
