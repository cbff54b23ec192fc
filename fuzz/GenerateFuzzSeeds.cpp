//===- GenerateFuzzSeeds.cpp - The fuzzers' seed corpus -------------------===//
//
// Part of quantc.
//
// Writes the committed seed corpus fuzz/corpus/{gguf,safetensors,tensorio}/: small,
// valid files that reach every part of the readers (every metadata type,
// nested arrays, tensors of plain, legacy, K- and i-quant types, alignments
// 32 and 64, no tensors; safetensors with metadata, every dtype, a padded
// header; ONNX TensorProto and .npy files of every element type, with data
// in raw_data and in the typed fields). Deterministic: the `fuzz-seeds-up-to-date` test regenerates the
// corpus and compares it with the committed one.
//
//   GenerateFuzzSeeds <output directory>
//
//===----------------------------------------------------------------------===//

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

import quantc.gguf;
import quantc.runtime;
import quantc.tensorio;

namespace fs = std::filesystem;
using namespace quantc::gguf;

namespace {

std::vector<std::byte> pseudoRandom(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (std::byte &b : out)
    b = static_cast<std::byte>(rng() & 0xFF);
  return out;
}

struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  uint32_t type;
};

absl::Status writeGGUF(const fs::path &path, const std::vector<KeyValue> &kvs,
                       const std::vector<Tensor> &tensors, WriterOptions options = {}) {
  Writer writer(path.string(), options);
  for (const KeyValue &kv : kvs)
    if (absl::Status s = writer.addMetadata(kv.key, kv.value); !s.ok())
      return s;
  std::vector<uint64_t> sizes;
  for (const Tensor &t : tensors) {
    absl::StatusOr<uint64_t> size = writer.addTensor(t.name, t.dims, t.type);
    if (!size.ok())
      return size.status();
    sizes.push_back(*size);
  }
  if (absl::Status s = writer.writeHeader(); !s.ok())
    return s;
  for (size_t i = 0; i < sizes.size(); ++i)
    if (absl::Status s = writer.writeTensorData(pseudoRandom(sizes[i], uint32_t(i) + 1)); !s.ok())
      return s;
  return writer.finish();
}

absl::Status writeGGUFSeeds(const fs::path &dir) {
  std::vector<KeyValue> everyType = {
      {"general.architecture", Value("llama")},
      {"u8", Value(uint8_t(1))},
      {"i8", Value(int8_t(-2))},
      {"u16", Value(uint16_t(3))},
      {"i16", Value(int16_t(-4))},
      {"u32", Value(uint32_t(5))},
      {"i32", Value(int32_t(-6))},
      {"f32", Value(7.5f)},
      {"bool", Value(true)},
      {"string", Value("héllo")},
      {"u64", Value(uint64_t(9))},
      {"i64", Value(int64_t(-10))},
      {"f64", Value(11.25)},
      {"tokens", Value(Array(std::vector<std::string>{"<s>", "</s>", "▁a"}))},
      {"scores", Value(Array(std::vector<float>{0.0f, -1.0f, -2.0f}))},
      {"flags", Value(Array(std::vector<bool>{true, false}))},
      {"ids", Value(Array(std::vector<int32_t>{1, 2, 3}))},
      {"nested", Value(Array(std::vector<Array>{Array(std::vector<uint8_t>{1, 2}),
                                                Array(std::vector<Array>{Array(
                                                    std::vector<std::string>{"x"})})}))},
  };
  if (absl::Status s = writeGGUF(dir / "metadata.gguf", everyType, {}); !s.ok())
    return s;
  if (absl::Status s = writeGGUF(dir / "metadata-gguf-py.gguf",
                                 {{"general.architecture", Value("gpt2")}}, {},
                                 {.version = 2, .padEmptyDataSection = false});
      !s.ok())
    return s;
  std::vector<Tensor> plain = {{"f32", {8, 2}, kTypeF32},   {"f16", {4}, kTypeF16},
                               {"bf16", {2, 2}, kTypeBF16}, {"i8", {3}, kTypeI8},
                               {"i16", {2}, kTypeI16},      {"i32", {1}, kTypeI32},
                               {"i64", {1, 1, 1, 1}, kTypeI64}, {"f64", {}, kTypeF64},
                               {"empty", {0, 3}, kTypeF32}};
  if (absl::Status s = writeGGUF(dir / "plain.gguf",
                                 {{"general.architecture", Value("llama")}}, plain);
      !s.ok())
    return s;
  std::vector<Tensor> legacy = {{"q4_0", {32}, 2},  {"q4_1", {32}, 3}, {"q5_0", {32}, 6},
                                {"q5_1", {32}, 7},  {"q8_0", {64}, 8}, {"q8_1", {32}, 9},
                                {"iq4_nl", {32}, 20}, {"mxfp4", {32}, 39}};
  if (absl::Status s = writeGGUF(dir / "legacy-quants.gguf",
                                 {{"general.alignment", Value(uint32_t(64))}}, legacy);
      !s.ok())
    return s;
  std::vector<Tensor> kquants = {{"q2_k", {256}, 10}, {"q3_k", {256}, 11}, {"q4_k", {256}, 12},
                                 {"q5_k", {256}, 13}, {"q6_k", {256}, 14}, {"q8_k", {256}, 15}};
  if (absl::Status s = writeGGUF(dir / "k-quants.gguf", {}, kquants); !s.ok())
    return s;
  std::vector<Tensor> iquants = {{"iq2_xxs", {256}, 16}, {"iq2_xs", {256}, 17},
                                 {"iq3_xxs", {256}, 18}, {"iq1_s", {256}, 19},
                                 {"iq3_s", {256}, 21},   {"iq2_s", {256}, 22},
                                 {"iq4_xs", {256}, 23},  {"iq1_m", {256}, 29},
                                 {"tq1_0", {256}, 34},   {"tq2_0", {256}, 35}};
  return writeGGUF(dir / "i-quants.gguf", {}, iquants);
}

absl::Status writeBytes(const fs::path &path, const std::vector<std::byte> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? absl::OkStatus() : absl::UnavailableError("cannot write " + path.string());
}

absl::Status writeSafetensors(const fs::path &path, std::string header, size_t dataSize,
                              bool pad) {
  while (pad && header.size() % 8 != 0)
    header += ' ';
  std::vector<std::byte> bytes(8);
  uint64_t length = header.size();
  std::memcpy(bytes.data(), &length, 8);
  const auto *raw = reinterpret_cast<const std::byte *>(header.data());
  bytes.insert(bytes.end(), raw, raw + header.size());
  std::vector<std::byte> data = pseudoRandom(dataSize, 99);
  bytes.insert(bytes.end(), data.begin(), data.end());
  return writeBytes(path, bytes);
}

absl::Status writeSafetensorsSeeds(const fs::path &dir) {
  if (absl::Status s = writeSafetensors(
          dir / "metadata.safetensors",
          R"({"__metadata__":{"format":"pt","name":"\u00e9\ud83d\ude00"},)"
          R"("w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
          R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}})",
          20, true);
      !s.ok())
    return s;
  std::string header = "{";
  const char *dtypes[] = {"F64", "F32",  "F16",     "BF16",    "I64", "I32", "I16", "I8",
                          "U8",  "BOOL", "F8_E4M3", "F8_E5M2", "U16", "U32", "U64"};
  const unsigned sizes[] = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1, 1, 1, 2, 4, 8};
  uint64_t offset = 0;
  for (size_t i = 0; i < std::size(dtypes); ++i) {
    uint64_t bytes = 3 * sizes[i];
    header += std::string(i ? "," : "") + "\"t." + dtypes[i] + R"(":{"dtype":")" + dtypes[i] +
              R"(","shape":[3],"data_offsets":[)" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += R"(,"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}})";
  if (absl::Status s = writeSafetensors(dir / "dtypes.safetensors", header, offset, false);
      !s.ok())
    return s;
  if (absl::Status s = writeSafetensors(dir / "empty.safetensors", "{}", 0, true); !s.ok())
    return s;
  // The fuzzer parses every input as plain JSON too; a config.json for that.
  std::string config =
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "rms_norm_eps": 1e-05,)"
      "\n  "
      R"("rope_scaling": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",)"
      R"( "vocab_size": 32000, "name": "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \t",)"
      R"( "bos_token_id": -1, "nested": {"a": [1, 2.5, [], {}], "b": {"c": [true]}}})";
  std::vector<std::byte> bytes(config.size());
  std::memcpy(bytes.data(), config.data(), config.size());
  return writeBytes(dir / "config.json", bytes);
}

/// Appends a protobuf varint.
void putVarint(std::vector<std::byte> &out, uint64_t v) {
  for (; v >= 0x80; v >>= 7)
    out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
  out.push_back(static_cast<std::byte>(v));
}

absl::Status writeTensorIOSeeds(const fs::path &dir) {
  namespace tio = quantc::tensorio;
  uint32_t seed = 1;
  for (const quantc::runtime::DTypeInfo &info : quantc::runtime::kDTypes) {
    tio::Tensor t;
    t.name = std::string("t_") + std::string(info.name);
    t.dtype = info.dtype;
    t.dims = {2, 3};
    t.data = pseudoRandom(6 * info.size, seed++);
    if (info.dtype == 9) // bool: 0 or 1
      for (std::byte &b : t.data)
        b &= std::byte{1};
    absl::StatusOr<std::vector<std::byte>> pb = tio::serializeTensorPb(t);
    if (!pb.ok())
      return pb.status();
    if (absl::Status s = writeBytes(dir / (t.name + ".pb"), *pb); !s.ok())
      return s;
    t.name.clear();
    if (absl::StatusOr<std::vector<std::byte>> npy = tio::serializeNpy(t); npy.ok())
      if (absl::Status s = writeBytes(dir / (std::string("t_") + std::string(info.name) + ".npy"),
                                      *npy);
          !s.ok())
        return s;
  }
  // Typed data fields, as onnx.helper.make_tensor writes them: packed dims,
  // int8 values in int32_data (negatives as 10-byte varints), floats in
  // unpacked float_data, and a scalar int64.
  std::vector<std::byte> typed;
  putVarint(typed, (1 << 3) | 2);
  putVarint(typed, 2);
  putVarint(typed, 1);
  putVarint(typed, 3);
  putVarint(typed, (2 << 3) | 0);
  putVarint(typed, 3);
  for (int64_t v : {-128, -1, 127}) {
    putVarint(typed, (5 << 3) | 0);
    putVarint(typed, static_cast<uint64_t>(v));
  }
  if (absl::Status s = writeBytes(dir / "int32_data.pb", typed); !s.ok())
    return s;
  std::vector<std::byte> floats;
  putVarint(floats, (1 << 3) | 0);
  putVarint(floats, 2);
  putVarint(floats, (2 << 3) | 0);
  putVarint(floats, 1);
  for (float f : {1.5f, -0.25f}) {
    putVarint(floats, (4 << 3) | 5);
    const auto *p = reinterpret_cast<const std::byte *>(&f);
    floats.insert(floats.end(), p, p + 4);
  }
  if (absl::Status s = writeBytes(dir / "float_data.pb", floats); !s.ok())
    return s;
  std::vector<std::byte> scalar;
  putVarint(scalar, (2 << 3) | 0);
  putVarint(scalar, 7);
  putVarint(scalar, (7 << 3) | 0);
  putVarint(scalar, 42);
  return writeBytes(dir / "int64_scalar.pb", scalar);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  fs::path out(argv[1]);
  fs::create_directories(out / "gguf");
  fs::create_directories(out / "safetensors");
  fs::create_directories(out / "tensorio");
  for (absl::Status s : {writeGGUFSeeds(out / "gguf"), writeSafetensorsSeeds(out / "safetensors"),
                         writeTensorIOSeeds(out / "tensorio")})
    if (!s.ok()) {
      std::fprintf(stderr, "GenerateFuzzSeeds: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  return 0;
}
