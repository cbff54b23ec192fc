//===- Context.cpp - A model's buffers and runs ---------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "quantc/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <new>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
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
  if (desc.kind < QC_INPUT_DATA || desc.kind > QC_INPUT_STATE)
    return what + " has unknown kind " + std::to_string(desc.kind);
  if (desc.kind != QC_INPUT_DATA && desc.bound_value)
    return what + " is a weight or a state with a compile-time bound value";
  return "";
}

/// The path of the weight file `file` when the caller gave `path` (null:
/// the recorded one; one file: `path`; several: `path`/<recorded name>).
std::string weightFilePath(const qc_model &model, const qc_weight_file &file,
                           const char *path) {
  if (!path)
    return file.path;
  if (model.num_weight_files == 1)
    return path;
  std::string recorded = file.path;
  size_t slash = recorded.find_last_of('/');
  std::string name = slash == std::string::npos ? recorded : recorded.substr(slash + 1);
  std::string dir = path;
  if (!dir.empty() && dir.back() != '/')
    dir += '/';
  return dir + name;
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

uint64_t fnv1a64(const void *data, size_t size) {
  const auto *p = static_cast<const unsigned char *>(data);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::vector<EntryView> entriesOf(const qc_model &model) {
  std::vector<EntryView> entries;
  if (model.num_entries <= 0) {
    EntryView entry;
    entry.name = model.name;
    for (int32_t i = 0; i < model.num_inputs; ++i)
      entry.inputs.push_back(i);
    for (int32_t i = 0; i < model.num_outputs; ++i)
      entry.outputs.push_back(i);
    entry.run = model.run;
    entries.push_back(std::move(entry));
    return entries;
  }
  for (int32_t e = 0; e < model.num_entries; ++e) {
    const qc_entry &d = model.entries[e];
    EntryView entry;
    entry.name = d.name;
    if (d.num_inputs > 0 && d.inputs)
      entry.inputs.assign(d.inputs, d.inputs + d.num_inputs);
    if (d.num_outputs > 0 && d.outputs)
      entry.outputs.assign(d.outputs, d.outputs + d.num_outputs);
    entry.run = d.run;
    entries.push_back(std::move(entry));
  }
  return entries;
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
  auto invalid = [&](const std::string &problem) {
    error = name + ": " + problem;
    return QC_ERROR_INVALID_ARGUMENT;
  };
  if (model->num_inputs < 0 || model->num_outputs < 0 ||
      (model->num_inputs > 0 && !model->inputs) || (model->num_outputs > 0 && !model->outputs)) {
    error = name + " has an invalid descriptor: " + std::to_string(model->num_inputs) +
            " inputs and " + std::to_string(model->num_outputs) + " outputs";
    return QC_ERROR_INVALID_ARGUMENT;
  }
  if (model->num_entries < 0 || (model->num_entries > 0 && !model->entries))
    return invalid("invalid descriptor: " + std::to_string(model->num_entries) + " entries");
  if (model->num_weight_files < 0 || (model->num_weight_files > 0 && !model->weight_files))
    return invalid("invalid descriptor: " + std::to_string(model->num_weight_files) +
                   " weight files");
  if (model->num_entries == 0 && !model->run) {
    error = name + " has no run function";
    return QC_ERROR_INVALID_ARGUMENT;
  }
  for (int32_t i = 0; i < model->num_inputs; ++i) {
    const qc_tensor_desc &d = model->inputs[i];
    if (std::string problem = checkDesc("input", i, d); !problem.empty())
      return invalid(problem);
    if (d.kind == QC_INPUT_WEIGHT && d.weight_file >= model->num_weight_files)
      return invalid(describe("input", i, d) + " is in weight file " +
                     std::to_string(d.weight_file) + " of " +
                     std::to_string(model->num_weight_files));
  }
  for (int32_t i = 0; i < model->num_outputs; ++i) {
    if (std::string problem = checkDesc("output", i, model->outputs[i]); !problem.empty())
      return invalid(problem);
    if (model->outputs[i].kind != QC_INPUT_DATA)
      return invalid(describe("output", i, model->outputs[i]) + " is not a data tensor");
  }
  for (int32_t f = 0; f < model->num_weight_files; ++f)
    if (!model->weight_files[f].path)
      return invalid("weight file " + std::to_string(f) + " has no path");
  for (int32_t e = 0; e < model->num_entries; ++e) {
    const qc_entry &entry = model->entries[e];
    std::string what = "entry " + quoted(entry.name) + " (index " + std::to_string(e) + ")";
    if (!entry.run)
      return invalid(what + " has no run function");
    if (entry.num_inputs < 0 || entry.num_outputs < 0 ||
        (entry.num_inputs > 0 && !entry.inputs) || (entry.num_outputs > 0 && !entry.outputs))
      return invalid(what + " has an invalid descriptor");
    for (int32_t k = 0; k < entry.num_inputs; ++k)
      if (entry.inputs[k] < 0 || entry.inputs[k] >= model->num_inputs)
        return invalid(what + " uses input " + std::to_string(entry.inputs[k]) + " of " +
                       std::to_string(model->num_inputs));
    for (int32_t k = 0; k < entry.num_outputs; ++k)
      if (entry.outputs[k] < 0 || entry.outputs[k] >= model->num_outputs)
        return invalid(what + " uses output " + std::to_string(entry.outputs[k]) + " of " +
                       std::to_string(model->num_outputs));
  }

  std::unique_ptr<Context> ctx(new (std::nothrow) Context());
  if (!ctx) {
    error = name + ": out of memory";
    return QC_ERROR_OUT_OF_MEMORY;
  }
  ctx->desc = model;
  ctx->entries = entriesOf(*model);
  size_t numInputs = static_cast<size_t>(model->num_inputs);
  size_t count = numInputs + static_cast<size_t>(model->num_outputs);
  ctx->owned.assign(count, nullptr);
  ctx->sizes.assign(count, 0);
  ctx->mapped.assign(count, 0);
  ctx->current.assign(numInputs, nullptr);
  size_t scratch = 0;
  for (const EntryView &entry : ctx->entries)
    scratch = std::max(scratch, entry.inputs.size() + entry.outputs.size());
  ctx->scratch.assign(scratch, nullptr);
  for (size_t i = 0; i < count; ++i) {
    bool isInput = i < numInputs;
    const qc_tensor_desc &d = isInput ? model->inputs[i] : model->outputs[i - numInputs];
    size_t bytes = tensorBytes(d);
    ctx->sizes[i] = bytes;
    if (isInput && d.kind == QC_INPUT_WEIGHT)
      continue;
    size_t allocated = bytes == 0 ? kBufferAlignment
                                  : (bytes + kBufferAlignment - 1) / kBufferAlignment *
                                        kBufferAlignment;
    void *buffer = nullptr;
    if (allocated >= kMappedBufferBytes) {
      // Anonymous pages read as zeros and take memory once written.
      void *address =
          mmap(nullptr, allocated, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (address != MAP_FAILED) {
        buffer = address;
        ctx->mapped[i] = allocated;
      }
    } else {
      buffer = ::operator new(allocated, std::align_val_t(kBufferAlignment), std::nothrow);
      if (buffer)
        std::memset(buffer, 0, allocated);
    }
    if (!buffer) {
      error = name + ": cannot allocate " + std::to_string(allocated) + " bytes for " +
              describe(isInput ? "input" : "output",
                       static_cast<int32_t>(isInput ? i : i - numInputs), d);
      return QC_ERROR_OUT_OF_MEMORY;
    }
    ctx->owned[i] = buffer;
    // A state is always there: zeros until a run updates it.
    if (isInput && d.kind == QC_INPUT_STATE)
      ctx->current[i] = buffer;
  }
  out = std::move(ctx);
  return QC_OK;
}

void Context::unmap(std::vector<Mapping> &list) {
  for (Mapping &m : list)
    if (m.address)
      munmap(m.address, m.size);
  list.clear();
}

Context::~Context() {
  for (size_t i = 0; i < owned.size(); ++i) {
    if (!owned[i])
      continue;
    if (mapped[i])
      munmap(owned[i], mapped[i]);
    else
      ::operator delete(owned[i], std::align_val_t(kBufferAlignment));
  }
  unmap(mappings);
}

qc_status Context::fail(qc_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

std::string Context::checkIndex(const char *function, int32_t index) const {
  if (index >= 0 && index < desc->num_inputs)
    return "";
  return std::string(function) + ": input index " + std::to_string(index) +
         " is out of range (model " + quoted(desc->name) + " has " +
         std::to_string(desc->num_inputs) + " inputs)";
}

qc_status Context::setInput(int32_t index, const void *data, size_t bytes) {
  if (std::string problem = checkIndex("qc_context_set_input", index); !problem.empty())
    return fail(QC_ERROR_INVALID_ARGUMENT, problem);
  size_t k = static_cast<size_t>(index);
  const qc_tensor_desc &input = desc->inputs[index];
  std::string what = describe("input", index, input);
  if (input.kind == QC_INPUT_WEIGHT)
    return fail(QC_ERROR_INVALID_ARGUMENT,
                "qc_context_set_input: " + what +
                    " is a weight; bind it with qc_context_bind_input or "
                    "qc_context_map_weights");
  size_t expected = sizes[k];
  if (bytes != expected)
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_set_input: " + what + " takes " +
                                               std::to_string(expected) + " bytes, got " +
                                               std::to_string(bytes));
  if (!data && bytes != 0)
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_set_input: null data for " + what);
  if (bytes != 0)
    std::memcpy(owned[k], data, bytes);
  current[k] = owned[k];
  return QC_OK;
}

qc_status Context::bindInput(int32_t index, const void *data, size_t bytes) {
  if (std::string problem = checkIndex("qc_context_bind_input", index); !problem.empty())
    return fail(QC_ERROR_INVALID_ARGUMENT, problem);
  size_t k = static_cast<size_t>(index);
  const qc_tensor_desc &input = desc->inputs[index];
  std::string what = describe("input", index, input);
  if (input.kind == QC_INPUT_STATE)
    return fail(QC_ERROR_INVALID_ARGUMENT,
                "qc_context_bind_input: " + what +
                    " is a state, which the context owns; write it with "
                    "qc_context_set_input or through qc_context_state");
  if (bytes != sizes[k])
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_bind_input: " + what + " takes " +
                                               std::to_string(sizes[k]) + " bytes, got " +
                                               std::to_string(bytes));
  if (!data)
    return fail(QC_ERROR_INVALID_ARGUMENT, "qc_context_bind_input: null data for " + what);
  size_t align = dtypeSize(input.dtype);
  if (reinterpret_cast<uintptr_t>(data) % align != 0)
    return fail(QC_ERROR_INVALID_ARGUMENT,
                "qc_context_bind_input: " + what + " needs " + std::to_string(align) +
                    "-byte aligned data (" + std::string(dtypeName(input.dtype)) + ")");
  current[k] = data;
  return QC_OK;
}

qc_status Context::mapWeights(const char *path) {
  const char *fn = "qc_context_map_weights";
  std::string model = "model " + quoted(desc->name);
  bool anyWeight = false;
  for (int32_t i = 0; i < desc->num_inputs; ++i)
    anyWeight |= desc->inputs[i].kind == QC_INPUT_WEIGHT && desc->inputs[i].weight_file >= 0;
  if (!anyWeight)
    return QC_OK;
  if (path && desc->num_weight_files > 1) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
      return fail(QC_ERROR_WEIGHTS, std::string(fn) + ": " + model + " has its weights in " +
                                        std::to_string(desc->num_weight_files) +
                                        " files; give the directory holding them, not '" +
                                        path + "'");
  }

  // Map every file first; bind only when all of them check out.
  std::vector<Mapping> fresh;
  std::vector<Mapping> byFile(static_cast<size_t>(desc->num_weight_files));
  auto failMapping = [&](std::string message) {
    unmap(fresh);
    return fail(QC_ERROR_WEIGHTS, std::string(fn) + ": " + message);
  };
  for (int32_t f = 0; f < desc->num_weight_files; ++f) {
    bool used = false;
    for (int32_t i = 0; i < desc->num_inputs; ++i)
      used |= desc->inputs[i].kind == QC_INPUT_WEIGHT && desc->inputs[i].weight_file == f;
    if (!used)
      continue;
    const qc_weight_file &file = desc->weight_files[f];
    std::string filePath = weightFilePath(*desc, file, path);
    int fd = open(filePath.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return failMapping("cannot open '" + filePath + "': " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return failMapping("'" + filePath + "' is not a regular file");
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size != file.size) {
      close(fd);
      return failMapping("'" + filePath + "' has " + std::to_string(size) + " bytes, but " +
                         model + " was compiled for a file of " + std::to_string(file.size) +
                         " bytes ('" + file.path + "')");
    }
    if (file.header_bytes > size) {
      close(fd);
      return failMapping("weight file '" + std::string(file.path) + "' records a header of " +
                         std::to_string(file.header_bytes) + " bytes, more than its size");
    }
    void *address = nullptr;
    if (size > 0) {
      // Populated now, as llama.cpp maps a model: the file is read and the
      // page tables filled while loading, not by faults in the first run.
      int flags = MAP_SHARED;
#ifdef MAP_POPULATE
      flags |= MAP_POPULATE;
#endif
      address = mmap(nullptr, size, PROT_READ, flags, fd, 0);
      if (address == MAP_FAILED) {
        int err = errno;
        close(fd);
        return failMapping("cannot map '" + filePath + "': " + std::strerror(err));
      }
    }
    close(fd);
    fresh.push_back({address, size});
    byFile[static_cast<size_t>(f)] = {address, size};
    if (fnv1a64(address, file.header_bytes) != file.header_hash)
      return failMapping("'" + filePath + "' is not the file " + model +
                         " was compiled from ('" + file.path +
                         "'): its header (tensor names, types, shapes and offsets) differs");
  }
  std::vector<const void *> pointers(current.size(), nullptr);
  for (int32_t i = 0; i < desc->num_inputs; ++i) {
    const qc_tensor_desc &input = desc->inputs[i];
    if (input.kind != QC_INPUT_WEIGHT || input.weight_file < 0)
      continue;
    const Mapping &m = byFile[static_cast<size_t>(input.weight_file)];
    size_t bytes = sizes[static_cast<size_t>(i)];
    if (input.file_offset > m.size || bytes > m.size - input.file_offset)
      return failMapping(describe("input", i, input) + " lies at bytes [" +
                         std::to_string(input.file_offset) + ", " +
                         std::to_string(input.file_offset + bytes) + ") of a " +
                         std::to_string(m.size) + "-byte file");
    const char *p = static_cast<const char *>(m.address) + input.file_offset;
    size_t align = dtypeSize(input.dtype);
    if (reinterpret_cast<uintptr_t>(p) % align != 0)
      return failMapping(describe("input", i, input) + " at offset " +
                         std::to_string(input.file_offset) + " is not " +
                         std::to_string(align) + "-byte aligned");
    pointers[static_cast<size_t>(i)] = p;
  }
  for (size_t i = 0; i < pointers.size(); ++i)
    if (pointers[i])
      current[i] = pointers[i];
  unmap(mappings);
  mappings = std::move(fresh);
  return QC_OK;
}

qc_status Context::run(int32_t entryIndex, qc_rt *rt) {
  if (entryIndex < 0 || static_cast<size_t>(entryIndex) >= entries.size())
    return fail(QC_ERROR_INVALID_ARGUMENT,
                "qc_context_run_entry: entry index " + std::to_string(entryIndex) +
                    " is out of range (model " + quoted(desc->name) + " has " +
                    std::to_string(entries.size()) + " entries)");
  const EntryView &entry = entries[static_cast<size_t>(entryIndex)];
  std::string of = " of model " + quoted(desc->name) +
                   (entries.size() > 1 ? " (entry " + quoted(entry.name) + ")" : "");
  size_t slot = 0;
  for (int32_t i : entry.inputs) {
    size_t k = static_cast<size_t>(i);
    const qc_tensor_desc &input = desc->inputs[i];
    if (!current[k]) {
      if (input.kind == QC_INPUT_WEIGHT)
        return fail(QC_ERROR_MISSING_INPUT,
                    "qc_context_run: " + describe("input", i, input) + of +
                        " is a weight that is not bound; call qc_context_map_weights "
                        "or qc_context_bind_input");
      return fail(QC_ERROR_MISSING_INPUT, "qc_context_run: " + describe("input", i, input) +
                                              of + " was not set");
    }
    if (input.bound_value && std::memcmp(current[k], input.bound_value, sizes[k]) != 0) {
      const auto *got = static_cast<const unsigned char *>(current[k]);
      const auto *want = static_cast<const unsigned char *>(input.bound_value);
      size_t first = 0;
      while (got[first] == want[first])
        ++first;
      return fail(QC_ERROR_BOUND_INPUT,
                  "qc_context_run: " + describe("input", i, input) + of +
                      " was bound at compile time and accepts only the value it was "
                      "compiled with (first difference at byte " + std::to_string(first) +
                      "); recompile the model for another value");
    }
    // Compiled code only writes to data inputs' buffers it owns and to
    // states (weights and bound inputs are read-only in it).
    scratch[slot++] = const_cast<void *>(current[k]);
  }
  size_t numInputs = static_cast<size_t>(desc->num_inputs);
  for (int32_t o : entry.outputs)
    scratch[slot++] = owned[numInputs + static_cast<size_t>(o)];
  int32_t result = entry.run(scratch.data(), rt);
  if (result != 0)
    return fail(QC_ERROR_EXECUTION, "qc_context_run: model " + quoted(desc->name) +
                                        (entries.size() > 1 ? " entry " + quoted(entry.name)
                                                            : std::string()) +
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
  return owned[k];
}

void *Context::state(int32_t index, size_t *bytes) {
  if (bytes)
    *bytes = 0;
  if (std::string problem = checkIndex("qc_context_state", index); !problem.empty()) {
    fail(QC_ERROR_INVALID_ARGUMENT, problem);
    return nullptr;
  }
  const qc_tensor_desc &input = desc->inputs[index];
  if (input.kind != QC_INPUT_STATE) {
    fail(QC_ERROR_INVALID_ARGUMENT,
         "qc_context_state: " + describe("input", index, input) + " is not a state");
    return nullptr;
  }
  if (bytes)
    *bytes = sizes[static_cast<size_t>(index)];
  return owned[static_cast<size_t>(index)];
}

void Context::resetStates() {
  for (int32_t i = 0; i < desc->num_inputs; ++i)
    if (desc->inputs[i].kind == QC_INPUT_STATE && sizes[static_cast<size_t>(i)] != 0) {
      size_t k = static_cast<size_t>(i);
      // A mapped buffer gives its pages back and reads as zeros again.
      if (!mapped[k] || madvise(owned[k], mapped[k], MADV_DONTNEED) != 0)
        std::memset(owned[k], 0, sizes[k]);
    }
}

} // namespace quantc::runtime
