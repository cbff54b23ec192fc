//===- Context.cppm - A model's buffers and runs ----------------*- C++ -*-===//
//
// Part of quantc.
//
// A Context owns what one instance of a compiled model needs to run: a
// 64-byte aligned buffer per data input, state and output (sized from the
// descriptor), the pointer each input uses (its own buffer, or memory the
// caller bound: a weight, possibly in a memory-mapped weight file), the
// mappings of the weight files, and the message of its last failure.
// Creating one validates the descriptor (ABI version, counts, kinds, types,
// shapes, sizes, entries); running an entry checks that each of its inputs
// is set or bound and that each compile-time bound input holds exactly the
// value it was bound to.
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

/// The alignment of every buffer a context allocates; each buffer's size is
/// also rounded up to a multiple of it (at least one), so vector code may
/// read whole cache lines.
inline constexpr size_t kBufferAlignment = 64;
inline constexpr size_t kMappedBufferBytes = size_t(1) << 16;

/// The size in bytes of a tensor of `desc`, or -1 (as size_t) when its type
/// is unknown, a dimension is negative or the product overflows.
size_t tensorBytes(const qc_tensor_desc &desc);

/// 64-bit FNV-1a of `size` bytes (the weight files' header hash).
uint64_t fnv1a64(const void *data, size_t size);

/// The entries of `model` as the runtime sees them: those of the descriptor,
/// or the one implicit entry (every input, then every output, through
/// `model.run`) of a descriptor without entries.
struct EntryView {
  const char *name = nullptr;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  int32_t (*run)(void **buffers, qc_rt *rt) = nullptr;
};
std::vector<EntryView> entriesOf(const qc_model &model);

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

  /// Copies `bytes` bytes into input `index` (a data input or a state);
  /// they must be exactly its size.
  qc_status setInput(int32_t index, const void *data, size_t bytes);
  /// Makes input `index` (a data input or a weight) use `data` in place.
  qc_status bindInput(int32_t index, const void *data, size_t bytes);
  /// Maps the weight files and binds every weight (see runtime.h).
  qc_status mapWeights(const char *path);
  /// Checks entry `entry`'s inputs and runs it with `rt`.
  qc_status run(int32_t entry, qc_rt *rt);
  /// Output `index`'s buffer (and its size), or null on a bad index.
  const void *output(int32_t index, size_t *bytes) const;
  /// State input `index`'s buffer (and its size), or null (with a message)
  /// when `index` is not a state.
  void *state(int32_t index, size_t *bytes);
  /// Zeroes every state.
  void resetStates();

  /// The message of the last failure, "" when none.
  const std::string &error() const { return lastError; }
  /// Records a failure: keeps `message` and returns `status`.
  qc_status fail(qc_status status, std::string message);

private:
  Context() = default;
  /// A read-only mapping of a whole weight file.
  struct Mapping {
    void *address = nullptr;
    size_t size = 0;
  };
  static void unmap(std::vector<Mapping> &mappings);
  /// A failure of `function` about input `index` out of range, or "".
  std::string checkIndex(const char *function, int32_t index) const;

  const qc_model *desc = nullptr;
  std::vector<EntryView> entries;
  /// Per input, then per output: the context's own buffer (null for a
  /// weight) and the tensor's size.
  std::vector<void *> owned;
  std::vector<size_t> sizes;
  /// Per owned buffer: the bytes of its anonymous mapping (buffers of
  /// kMappedBufferBytes or more: zero pages until written, so a KV cache
  /// is resident only as far as it is filled), or 0 (operator new).
  std::vector<size_t> mapped;
  /// Per input: what a run passes (its own buffer after set_input, the
  /// caller's memory after bind_input or map_weights), null while unset.
  std::vector<const void *> current;
  /// The buffers of the entry being run (reused).
  std::vector<void *> scratch;
  std::vector<Mapping> mappings;
  std::string lastError;
};

} // namespace quantc::runtime
