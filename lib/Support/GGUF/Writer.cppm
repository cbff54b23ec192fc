//===- Writer.cppm - The streaming GGUF writer ------------------*- C++ -*-===//
//
// Part of quantc.
//
// Writes a GGUF file in llama.cpp's layout (ggml/src/gguf.cpp): metadata in
// the order given, tensors laid out one after the other in the order
// declared, each padded to the alignment. The caller declares all metadata
// and tensor infos, writes the header, then streams each tensor's bytes in
// declaration order, so no more than one tensor (or one chunk of one) need
// be in memory. Everything goes to `<path>.tmp-XXXXXX` beside `path`, renamed
// onto `path` by finish(); a Writer destroyed before finish() removes it, so
// a partial file never appears at `path`.
//
// A file written by llama.cpp (or gguf-py), read with File and written back
// with writeFile, comes out byte for byte identical.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

export module quantc.gguf:writer;

import :value;
import :reader;

export namespace quantc::gguf {

struct WriterOptions {
  /// 2 or 3 (the layouts are the same).
  uint32_t version = 3;
  /// Whether a file without tensors still ends with the padding up to the
  /// data section, as ggml's gguf.cpp writes it (gguf-py does not).
  bool padEmptyDataSection = true;
};

class Writer {
public:
  explicit Writer(std::string path, WriterOptions options = {});
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;
  /// Removes the temporary file unless finish() succeeded.
  ~Writer();

  /// Declares a metadata entry; keys must be non-empty, valid UTF-8 and
  /// unique, strings valid UTF-8, arrays at most kMaxArrayDepth deep.
  /// `general.alignment` must be a u32 power of two and sets the alignment.
  absl::Status addMetadata(std::string key, Value value);
  /// Declares a tensor (dims ne0 first, a ggml type id) and returns the
  /// bytes its data must have.
  absl::StatusOr<uint64_t> addTensor(std::string name, std::vector<int64_t> dims, uint32_t type);

  /// Creates the temporary file and writes everything up to the data
  /// section. No declarations after this.
  absl::Status writeHeader();
  /// Appends bytes of the current tensor (the first declared tensor not yet
  /// complete). A tensor may come in several chunks; once it is complete the
  /// writer pads to the alignment and moves to the next. Empty chunks are
  /// no-ops, so empty tensors need no call.
  absl::Status writeTensorData(std::span<const std::byte> bytes);
  /// Writes the header first if that was not done, checks that every tensor
  /// is complete, flushes, syncs and renames the file onto the path.
  absl::Status finish();

  const std::string &path() const { return outPath; }
  /// The alignment the file will have.
  uint64_t alignment() const { return dataAlignment; }
  /// The path of the temporary file once writeHeader() has created it.
  const std::string &temporaryPath() const { return tempPath; }

private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> dims;
    uint32_t type;
    uint64_t byteSize;
  };
  enum class State { Declaring, Writing, Finished, Failed };

  absl::Status fail(absl::Status status);
  absl::Status checkDeclaring(const char *what) const;
  absl::Status writeRaw(std::span<const std::byte> bytes);
  absl::Status writeAll(std::span<const std::byte> bytes);
  absl::Status flushBuffer();
  absl::Status padToAlignment();
  absl::Status completeEmptyTensors();
  void removeTemporary();

  std::string outPath;
  WriterOptions options;
  State state = State::Declaring;
  absl::Status failure;
  uint64_t dataAlignment = kDefaultAlignment;
  std::vector<KeyValue> keyValues;
  absl::flat_hash_set<std::string> keys;
  std::vector<PendingTensor> tensorsToWrite;
  absl::flat_hash_set<std::string> tensorNames;

  std::string tempPath;
  int fd = -1;
  std::vector<std::byte> buffer;
  uint64_t written = 0;
  size_t currentTensor = 0;
  uint64_t currentWritten = 0;
};

/// Writes `file`'s metadata and tensors to `path` with a Writer; the result
/// is byte-identical to `file` when that was laid out as llama.cpp lays files
/// out (tensors in order, each padded to the alignment).
absl::Status writeFile(const File &file, const std::string &path);

} // namespace quantc::gguf
