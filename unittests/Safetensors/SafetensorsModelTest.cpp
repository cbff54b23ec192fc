//===- SafetensorsModelTest.cpp - Model directories and shards ------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "SafetensorsTestUtil.h"

import quantc.safetensors;

using namespace quantc::safetensors;
using quantc::testing::countingBytes;
using quantc::testing::safetensorsImage;
using quantc::testing::TempModelDir;
using quantc::testing::writeFileBytes;
using quantc::testing::writeFileText;

namespace {

constexpr const char *kConfig = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 64, "num_hidden_layers": 2, "rms_norm_eps": 1e-05, "tie_word_embeddings": false,
  "rope_scaling": null})";

/// A shard holding U8 tensors of 4 bytes each.
std::vector<std::byte> shard(std::vector<std::string> names) {
  std::string header = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      header += ",";
    header += "\"" + names[i] + R"(":{"dtype":"U8","shape":[2,2],"data_offsets":[)" +
              std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  }
  header += "}";
  return safetensorsImage(header, countingBytes(4 * names.size(), uint8_t(names.size())));
}

/// A two-shard model directory.
void writeShardedModel(const TempModelDir &dir) {
  writeFileBytes(dir.path("model-00001-of-00002.safetensors"), shard({"embed", "layer0"}));
  writeFileBytes(dir.path("model-00002-of-00002.safetensors"), shard({"layer1", "lm_head"}));
  writeFileText(dir.path("model.safetensors.index.json"),
                R"({"metadata": {"total_size": 16}, "weight_map": {
                  "embed": "model-00001-of-00002.safetensors",
                  "layer0": "model-00001-of-00002.safetensors",
                  "layer1": "model-00002-of-00002.safetensors",
                  "lm_head": "model-00002-of-00002.safetensors"}})");
  writeFileText(dir.path("config.json"), kConfig);
}

void expectError(const absl::StatusOr<Model> &model, const std::string &file,
                 const std::string &problem) {
  ASSERT_FALSE(model.ok());
  std::string message(model.status().message());
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
}

TEST(SafetensorsModelTest, ShardedDirectory) {
  TempModelDir dir;
  writeShardedModel(dir);
  absl::StatusOr<Model> model = Model::open(dir.dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->indexPath(), dir.path("model.safetensors.index.json"));
  ASSERT_EQ(model->shards().size(), 2u);
  EXPECT_EQ(model->shards()[1].path(), dir.path("model-00002-of-00002.safetensors"));
  ASSERT_EQ(model->tensors().size(), 4u);
  EXPECT_EQ(model->tensors()[2].info->name, "layer1");
  EXPECT_EQ(model->tensors()[2].shard, 1u);
  const ModelTensor *head = model->findTensor("lm_head");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->shard, 1u);
  EXPECT_EQ(static_cast<int>(head->info->data[0]), 2 + 4);
  EXPECT_EQ(model->findTensor("nope"), nullptr);
  ASSERT_NE(model->indexMetadata(), nullptr);
  EXPECT_EQ(model->indexMetadata()->find("total_size")->getInt(), 16);

  const quantc::json::Object *config = model->config();
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(*config->find("model_type")->getString(), "llama");
  EXPECT_EQ(config->find("num_hidden_layers")->getInt(), 2);
  EXPECT_EQ(config->find("rms_norm_eps")->getNumber(), 1e-05);
  EXPECT_TRUE(config->find("rope_scaling")->isNull());
  EXPECT_EQ(config->members()[0].key, "architectures");

  // The index file itself opens the same model; moving keeps it valid.
  absl::StatusOr<Model> byIndex = Model::open(dir.path("model.safetensors.index.json"));
  ASSERT_TRUE(byIndex.ok()) << byIndex.status();
  Model moved = *std::move(byIndex);
  EXPECT_EQ(moved.findTensor("layer0")->info->name, "layer0");
  EXPECT_NE(moved.config(), nullptr);
}

TEST(SafetensorsModelTest, SingleFileDirectoryAndPath) {
  TempModelDir dir;
  writeFileBytes(dir.path("model.safetensors"), shard({"w", "b"}));
  absl::StatusOr<Model> model = Model::open(dir.dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->indexPath().empty());
  EXPECT_EQ(model->shards().size(), 1u);
  EXPECT_EQ(model->tensors().size(), 2u);
  EXPECT_EQ(model->config(), nullptr); // no config.json
  EXPECT_EQ(model->indexMetadata(), nullptr);

  writeFileText(dir.path("config.json"), kConfig);
  absl::StatusOr<Model> byPath = Model::open(dir.path("model.safetensors"));
  ASSERT_TRUE(byPath.ok()) << byPath.status();
  EXPECT_EQ(byPath->findTensor("b")->info->name, "b");
  ASSERT_NE(byPath->config(), nullptr);
}

TEST(SafetensorsModelTest, DirectoryWithoutModel) {
  TempModelDir dir;
  absl::StatusOr<Model> model = Model::open(dir.dir.string());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  expectError(model, dir.dir.string(), "needs model.safetensors.index.json or model.safetensors");
  expectError(Model::open(dir.path("nothing")), "nothing", "no such file or directory");
}

TEST(SafetensorsModelTest, MissingShard) {
  TempModelDir dir;
  writeShardedModel(dir);
  std::filesystem::remove(dir.path("model-00002-of-00002.safetensors"));
  expectError(Model::open(dir.dir.string()), "model-00002-of-00002.safetensors", "cannot open");
}

TEST(SafetensorsModelTest, TensorMissingFromItsShard) {
  TempModelDir dir;
  writeShardedModel(dir);
  writeFileBytes(dir.path("model-00002-of-00002.safetensors"), shard({"layer1"}));
  expectError(Model::open(dir.dir.string()), "model.safetensors.index.json",
              "weight_map puts tensor 'lm_head' in");
}

TEST(SafetensorsModelTest, TensorNotInWeightMap) {
  TempModelDir dir;
  writeShardedModel(dir);
  writeFileBytes(dir.path("model-00002-of-00002.safetensors"),
                 shard({"layer1", "lm_head", "extra"}));
  expectError(Model::open(dir.dir.string()), "model.safetensors.index.json",
              "tensor 'extra' of");
}

TEST(SafetensorsModelTest, TensorInTwoShards) {
  TempModelDir dir;
  writeShardedModel(dir);
  writeFileBytes(dir.path("model-00002-of-00002.safetensors"),
                 shard({"layer1", "lm_head", "embed"}));
  expectError(Model::open(dir.dir.string()), "model.safetensors.index.json",
              "tensor 'embed' is in");
}

TEST(SafetensorsModelTest, ShardOutsideTheDirectory) {
  TempModelDir dir;
  writeFileText(dir.path("model.safetensors.index.json"),
                R"({"weight_map": {"w": "../secret.safetensors"}})");
  expectError(Model::open(dir.dir.string()), "model.safetensors.index.json",
              "which is not a file inside the model directory");
  writeFileText(dir.path("model.safetensors.index.json"),
                R"({"weight_map": {"w": "/etc/passwd"}})");
  expectError(Model::open(dir.dir.string()), "model.safetensors.index.json",
              "not a file inside the model directory");
}

TEST(SafetensorsModelTest, MalformedIndex) {
  TempModelDir dir;
  std::string index = dir.path("model.safetensors.index.json");
  writeFileText(index, R"({"weight_map": {"w": 3}})");
  expectError(Model::open(dir.dir.string()), index, "weight_map entry of 'w' is not a string");
  writeFileText(index, R"({"metadata": {}})");
  expectError(Model::open(dir.dir.string()), index, "no weight_map");
  writeFileText(index, R"({"weight_map": {}, "extra": 1})");
  expectError(Model::open(dir.dir.string()), index, "unknown field 'extra'");
  writeFileText(index, R"({"weight_map": {)");
  expectError(Model::open(dir.dir.string()), index, "JSON error at byte offset 16");
  writeFileText(index, R"([])");
  expectError(Model::open(dir.dir.string()), index, "is a JSON array, not an object");
}

TEST(SafetensorsModelTest, MalformedConfig) {
  TempModelDir dir;
  writeFileBytes(dir.path("model.safetensors"), shard({"w"}));
  writeFileText(dir.path("config.json"), R"({"model_type": "llama",})");
  expectError(Model::open(dir.dir.string()), "config.json", "JSON error at byte offset 23");
  writeFileText(dir.path("config.json"), R"("llama")");
  expectError(Model::open(dir.dir.string()), "config.json", "is a JSON string, not an object");
}

TEST(SafetensorsModelTest, BadShardIsReported) {
  TempModelDir dir;
  writeShardedModel(dir);
  writeFileBytes(dir.path("model-00001-of-00002.safetensors"), countingBytes(4));
  expectError(Model::open(dir.dir.string()), "model-00001-of-00002.safetensors",
              "truncated file");
}

} // namespace
