//===- Model.cpp - Hugging Face model directories -------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

module;

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

module quantc.safetensors;

import quantc.formatsupport;
import quantc.json;

namespace quantc::safetensors {

namespace fs = std::filesystem;

namespace {

/// Index and config files larger than this are rejected.
constexpr uint64_t kMaxJSONFileSize = kMaxHeaderSize;

absl::StatusOr<json::Value> readJSONObject(const std::string &path) {
  absl::StatusOr<std::shared_ptr<const MappedFile>> mapping = MappedFile::open(path);
  if (!mapping.ok())
    return mapping.status();
  std::span<const std::byte> bytes = (*mapping)->bytes();
  if (bytes.size() > kMaxJSONFileSize)
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", bytes.size(),
                                                   " bytes, larger than the limit of ",
                                                   kMaxJSONFileSize, " bytes"));
  absl::StatusOr<json::Value> value = json::parse(
      std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), path);
  if (!value.ok())
    return value.status();
  if (!value->getObject())
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": is a JSON ", std::string(json::kindName(value->kind())), ", not an object"));
  return value;
}

bool isRegularFile(const fs::path &path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

/// Whether a shard name from weight_map stays inside the model directory.
bool isSafeShardName(const std::string &name) {
  if (name.empty())
    return false;
  fs::path path(name);
  if (path.is_absolute())
    return false;
  for (const fs::path &part : path)
    if (part == "..")
      return false;
  return true;
}

} // namespace

/// Builds a Model from a directory, an index or a single file.
class ModelLoader {
public:
  explicit ModelLoader(Model &model) : model(model) {}

  absl::Status load(const std::string &path);

private:
  absl::Status loadIndex(const std::string &indexPath);
  absl::Status loadSingle(const std::string &filePath);
  absl::Status loadConfig();

  Model &model;
};

absl::Status ModelLoader::load(const std::string &path) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  if (fs::is_directory(status)) {
    model.dir = path;
    fs::path index = fs::path(path) / kIndexFileName;
    fs::path single = fs::path(path) / kSingleFileName;
    absl::Status loaded;
    if (isRegularFile(index))
      loaded = loadIndex(index.string());
    else if (isRegularFile(single))
      loaded = loadSingle(single.string());
    else
      return absl::NotFoundError(absl::StrCat(path, ": a model directory needs ",
                                              std::string(kIndexFileName), " or ",
                                              std::string(kSingleFileName)));
    if (!loaded.ok())
      return loaded;
  } else {
    fs::path parent = fs::path(path).parent_path();
    model.dir = parent.empty() ? "." : parent.string();
    absl::Status loaded = path.ends_with(".json") ? loadIndex(path) : loadSingle(path);
    if (!loaded.ok())
      return loaded;
  }
  return loadConfig();
}

absl::Status ModelLoader::loadSingle(const std::string &filePath) {
  absl::StatusOr<File> file = File::open(filePath);
  if (!file.ok())
    return file.status();
  model.shardFiles.push_back(*std::move(file));
  const File &shard = model.shardFiles.back();
  for (const TensorInfo &info : shard.tensors()) {
    model.tensorIndex.emplace(info.name, model.modelTensors.size());
    model.modelTensors.push_back({&info, 0});
  }
  return absl::OkStatus();
}

absl::Status ModelLoader::loadIndex(const std::string &indexPath) {
  model.index = indexPath;
  absl::StatusOr<json::Value> index = readJSONObject(indexPath);
  if (!index.ok())
    return index.status();
  auto invalid = [&](const std::string &what) {
    return absl::InvalidArgumentError(absl::StrCat(indexPath, ": ", what));
  };
  for (const json::Member &member : *index->getObject())
    if (member.key != "metadata" && member.key != "weight_map")
      return invalid(absl::StrCat("unknown field '", member.key, "'"));
  if (const json::Value *metadata = index->find("metadata")) {
    if (!metadata->getObject())
      return invalid("metadata is not an object");
    model.indexMetadataJSON = *metadata;
  }
  const json::Value *weightMap = index->find("weight_map");
  if (!weightMap || !weightMap->getObject())
    return invalid(weightMap ? "weight_map is not an object" : "no weight_map");

  // Open each shard once, in the order the index first names it.
  absl::flat_hash_map<std::string, size_t> shardIndex;
  std::vector<size_t> shardOf;
  for (const json::Member &member : *weightMap->getObject()) {
    const std::string *shardName = member.value.getString();
    if (!shardName)
      return invalid(absl::StrCat("weight_map entry of '", member.key, "' is not a string"));
    if (!isSafeShardName(*shardName))
      return invalid(absl::StrCat("weight_map names shard '", *shardName, "' for '", member.key,
                                  "', which is not a file inside the model directory"));
    auto [it, inserted] = shardIndex.try_emplace(*shardName, model.shardFiles.size());
    if (inserted) {
      absl::StatusOr<File> shard = File::open((fs::path(model.dir) / *shardName).string());
      if (!shard.ok())
        return shard.status();
      model.shardFiles.push_back(*std::move(shard));
    }
    shardOf.push_back(it->second);
  }

  size_t entry = 0;
  for (const json::Member &member : *weightMap->getObject()) {
    size_t shard = shardOf[entry++];
    const File &file = model.shardFiles[shard];
    const TensorInfo *info = file.findTensor(member.key);
    if (!info)
      return invalid(absl::StrCat("weight_map puts tensor '", member.key, "' in ", file.path(),
                                  ", which has no such tensor"));
    model.tensorIndex.emplace(member.key, model.modelTensors.size());
    model.modelTensors.push_back({info, shard});
  }
  for (size_t shard = 0; shard < model.shardFiles.size(); ++shard) {
    const File &file = model.shardFiles[shard];
    for (const TensorInfo &info : file.tensors()) {
      auto it = model.tensorIndex.find(info.name);
      if (it == model.tensorIndex.end())
        return invalid(absl::StrCat("tensor '", info.name, "' of ", file.path(),
                                    " is not in weight_map"));
      if (model.modelTensors[it->second].shard != shard)
        return invalid(absl::StrCat(
            "tensor '", info.name, "' is in ", file.path(), " but weight_map puts it in ",
            model.shardFiles[model.modelTensors[it->second].shard].path()));
    }
  }
  return absl::OkStatus();
}

absl::Status ModelLoader::loadConfig() {
  fs::path config = fs::path(model.dir) / kConfigFileName;
  if (!isRegularFile(config))
    return absl::OkStatus();
  absl::StatusOr<json::Value> value = readJSONObject(config.string());
  if (!value.ok())
    return value.status();
  model.configJSON = *std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<Model> Model::open(const std::string &path) {
  Model model;
  ModelLoader loader(model);
  if (absl::Status s = loader.load(path); !s.ok())
    return s;
  return model;
}

const ModelTensor *Model::findTensor(std::string_view name) const {
  auto it = tensorIndex.find(absl::string_view(name.data(), name.size()));
  return it == tensorIndex.end() ? nullptr : &modelTensors[it->second];
}

const json::Object *Model::config() const {
  return configJSON ? configJSON->getObject() : nullptr;
}

const json::Object *Model::indexMetadata() const {
  return indexMetadataJSON ? indexMetadataJSON->getObject() : nullptr;
}

} // namespace quantc::safetensors
