//===- Context.cppm - A model's buffers and runs ----------------*- C++ -*-===//
//
// Part of quantc.
//
// A Context owns what one instance of a compiled model needs to run: a
// 64-byte aligned buffer per input and output (sized from the descriptor),
// which inputs have been set, and the message of its last failure. Creating
// one validates the descriptor (ABI version, counts, types, shapes, sizes);
// running one checks that every input was set and that each compile-time
// bound input holds exactly the value it was bound to.
//
//===----------------------------------------------------------------------===//

module;

#include "quantc/runtime.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

export module quantc.runtime:context;

export namespace quantc::runtime {

/// The alignment of every input and output buffer; each buffer's size is
/// also rounded up to a multiple of it (at least one), so vector code may
/// read whole cache lines.
inline constexpr size_t kBufferAlignment = 64;

/// The size in bytes of a tensor of `desc`, or -1 (as size_t) when its type
/// is unknown, a dimension is negative or the product overflows.
size_t tensorBytes(const qc_tensor_desc &desc);

class Context {
public:
  /// Validates `model` and allocates its buffers. On failure returns the
  /// status and leaves a message in `error`.
  static qc_status create(const qc_model *model, std::unique_ptr<Context> &out,
                          std::string &error);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  const qc_model &model() const { return *desc; }

  /// Copies `bytes` bytes into input `index`; they must be exactly its size.
  qc_status setInput(int32_t index, const void *data, size_t bytes);
  /// Checks the inputs and runs the model with `rt`.
  qc_status run(qc_rt *rt);
  /// Output `index`'s buffer (and its size), or null on a bad index.
  const void *output(int32_t index, size_t *bytes) const;

  /// The message of the last failure, "" when none.
  const std::string &error() const { return lastError; }
  /// Records a failure: keeps `message` and returns `status`.
  qc_status fail(qc_status status, std::string message);

private:
  Context() = default;

  const qc_model *desc = nullptr;
  /// Inputs then outputs, as the model's run function takes them.
  std::vector<void *> buffers;
  std::vector<size_t> sizes;
  std::vector<bool> inputSet;
  std::string lastError;
};

} // namespace quantc::runtime
