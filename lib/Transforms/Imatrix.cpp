//===- Imatrix.cpp - llama.cpp importance matrices ------------------------===//
//
// Part of quantc.
//
// llama-imatrix's GGUF output: `general.type` = "imatrix", and per weight
// `<name>.in_sum2` (f32, ne = [columns, matrices]: the summed squares of the
// activations each column saw) and `<name>.counts` (f32, ne = [1, matrices]:
// how many activations were summed). The importance of a column is their
// ratio, or 1 where nothing was counted (as llama-quantize reads it).
//
//===----------------------------------------------------------------------===//

#include "quantc/Transforms/Imatrix.h"

#include "absl/status/statusor.h"

#include <cmath>
#include <cstring>

import quantc.gguf;

using namespace mlir;
using namespace quantc;

static std::vector<float> floatsOf(const gguf::TensorInfo &tensor) {
  std::vector<float> values(tensor.data.size() / sizeof(float));
  std::memcpy(values.data(), tensor.data.data(), values.size() * sizeof(float));
  return values;
}

FailureOr<ImportanceMatrix>
quantc::readImportanceMatrix(StringRef path,
                             function_ref<InFlightDiagnostic()> emitError) {
  absl::StatusOr<gguf::File> file = gguf::File::open(path.str());
  if (!file.ok())
    return emitError() << std::string(file.status().message());
  absl::StatusOr<std::string_view> type = file->getString("general.type");
  if (!type.ok() || *type != "imatrix")
    return emitError() << path
                       << ": not an importance matrix (general.type is not "
                          "\"imatrix\"; the legacy .dat format is not read)";

  ImportanceMatrix result;
  constexpr std::string_view kSums = ".in_sum2";
  for (const gguf::TensorInfo &sums : file->tensors()) {
    std::string_view name = sums.name;
    if (!name.ends_with(kSums))
      continue;
    std::string weight(name.substr(0, name.size() - kSums.size()));
    const gguf::TensorInfo *counts = file->findTensor(weight + ".counts");
    if (!counts)
      return emitError() << path << ": '" << sums.name
                         << "' has no matching '.counts' tensor";
    if (sums.type != 0 || counts->type != 0)
      return emitError() << path << ": '" << weight
                         << "': in_sum2 and counts must be f32";
    std::vector<float> sum = floatsOf(sums);
    std::vector<float> count = floatsOf(*counts);
    if (count.empty() || sum.size() % count.size() != 0)
      return emitError() << path << ": '" << weight << "' has " << sum.size()
                         << " sums for " << count.size() << " counts";
    size_t columns = sum.size() / count.size();
    std::vector<float> &values = result[weight];
    values.resize(sum.size());
    for (size_t m = 0; m < count.size(); ++m)
      for (size_t c = 0; c < columns; ++c)
        values[m * columns + c] =
            count[m] > 0 ? sum[m * columns + c] / count[m] : 1.0f;
    for (float v : values)
      if (!std::isfinite(v))
        return emitError() << path << ": '" << weight
                           << "' has a non-finite importance";
  }
  return result;
}
