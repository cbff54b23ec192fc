//===- Safetensors.cppm - The quantc.safetensors module ---------*- C++ -*-===//
//
// Part of quantc.
//
// Reading Hugging Face safetensors files and model directories. LLVM-free.
//
// A safetensors file is a u64 little-endian header length N, N bytes of JSON
// and the data section:
//   {"__metadata__": {"format": "pt"},
//    "model.embed_tokens.weight": {"dtype": "BF16", "shape": [32000, 4096],
//                                  "data_offsets": [0, 262144000]}, ...}
// `data_offsets` are [begin, end) from the start of the data section, and
// shapes are row-major, outermost dimension first (PyTorch order; ggml's
// ne0 is the last). A sharded model is a directory with
// model.safetensors.index.json, whose `weight_map` maps each tensor to its
// shard file; config.json beside it describes the architecture.
//
// Every offset, size and shape is validated before `File::open` returns:
// sizes match dtype x element count (with overflow checks), ranges lie in
// the file and do not overlap. Tensor data is never copied: TensorInfo::data
// views the memory-mapped file.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module quantc.safetensors;

export import quantc.json;
import quantc.formatsupport;

export namespace quantc::safetensors {

/// The element types of safetensors.
enum class DType : uint8_t {
  BOOL,
  U8,
  I8,
  F8_E4M3,
  F8_E5M2,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64,
};

struct DTypeInfo {
  DType dtype;
  /// The spelling in the header ("BF16", "F8_E4M3").
  std::string_view name;
  /// Bytes per element.
  uint32_t size;
};

/// Every dtype, in DType order.
std::span<const DTypeInfo> dtypes();
const DTypeInfo &getDTypeInfo(DType dtype);
/// Parses a header spelling (case-sensitive, as safetensors writes it).
std::optional<DType> parseDType(std::string_view name);

/// Headers larger than this (100 MB, as the safetensors crate) are rejected.
inline constexpr uint64_t kMaxHeaderSize = 100'000'000;

struct TensorInfo {
  std::string name;
  DType dtype;
  /// Row-major, outermost dimension first.
  std::vector<int64_t> shape;
  /// [begin, end) from the start of the data section.
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t numElements = 0;
  /// The tensor's bytes, a view into the file.
  std::span<const std::byte> data;
};

/// One parsed, validated safetensors file.
class File {
public:
  /// Maps `path` read-only and parses it.
  static absl::StatusOr<File> open(const std::string &path);
  /// Parses a safetensors image held in memory; `name` appears in error
  /// messages. The File views `bytes`, which must outlive it.
  static absl::StatusOr<File> parse(std::span<const std::byte> bytes, std::string name);

  const std::string &path() const { return filePath; }
  /// N, the length of the JSON header.
  uint64_t headerSize() const { return jsonSize; }
  /// 8 + N: where the data section starts.
  uint64_t dataOffset() const { return 8 + jsonSize; }
  std::span<const std::byte> bytes() const { return fileBytes; }

  /// `__metadata__`, in header order.
  std::span<const std::pair<std::string, std::string>> metadata() const { return metadataEntries; }
  /// The `__metadata__` value of `key`, or nullptr.
  const std::string *findMetadata(std::string_view key) const;

  /// Tensors in header order.
  std::span<const TensorInfo> tensors() const { return tensorInfos; }
  const TensorInfo *findTensor(std::string_view name) const;

private:
  friend class HeaderParser;
  File() = default;

  std::shared_ptr<const MappedFile> mapping;
  std::span<const std::byte> fileBytes;
  std::string filePath;
  uint64_t jsonSize = 0;
  std::vector<std::pair<std::string, std::string>> metadataEntries;
  std::vector<TensorInfo> tensorInfos;
  absl::flat_hash_map<std::string, size_t> tensorIndex;
};

inline constexpr std::string_view kIndexFileName = "model.safetensors.index.json";
inline constexpr std::string_view kSingleFileName = "model.safetensors";
inline constexpr std::string_view kConfigFileName = "config.json";

/// A tensor of a model and the shard holding it.
struct ModelTensor {
  const TensorInfo *info;
  /// Index into Model::shards().
  size_t shard;
};

/// A Hugging Face model: one safetensors file or the shards of an index,
/// and config.json when present.
class Model {
public:
  /// `path` is a model directory (with model.safetensors.index.json or
  /// model.safetensors), an index file, or a single .safetensors file.
  /// Every shard the index names is opened and checked against weight_map:
  /// each listed tensor must be in its shard, and each tensor of a shard
  /// listed for that shard.
  static absl::StatusOr<Model> open(const std::string &path);

  /// Move-only: tensors() points into the shards.
  Model(Model &&) = default;
  Model &operator=(Model &&) = default;
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// The directory holding the files.
  const std::string &directory() const { return dir; }
  /// The index file, or empty for a single file.
  const std::string &indexPath() const { return index; }
  /// The shards in the order the index first names them.
  std::span<const File> shards() const { return shardFiles; }
  /// Every tensor: in weight_map order for an index, else in header order.
  std::span<const ModelTensor> tensors() const { return modelTensors; }
  const ModelTensor *findTensor(std::string_view name) const;
  /// config.json, or nullptr when the directory has none.
  const json::Object *config() const;
  /// The index's "metadata" object (e.g. total_size), or nullptr.
  const json::Object *indexMetadata() const;

private:
  friend class ModelLoader;
  Model() = default;

  std::string dir;
  std::string index;
  std::vector<File> shardFiles;
  std::vector<ModelTensor> modelTensors;
  absl::flat_hash_map<std::string, size_t> tensorIndex;
  std::optional<json::Value> configJSON;
  std::optional<json::Value> indexMetadataJSON;
};

} // namespace quantc::safetensors
