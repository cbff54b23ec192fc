//===- Compare.cpp - assert_allclose for tensors --------------------------===//
//
// Part of quantc.
//
// numpy.testing.assert_allclose(actual, desired, rtol, atol, equal_nan=True)
// is what ONNX's backend tests use to check outputs: an element passes when
// |actual - desired| <= atol + rtol * |desired|; NaN matches NaN, and an
// infinity only matches the same infinity. Values are compared as long
// double, exact for every element type (64-bit integers included).
//
//===----------------------------------------------------------------------===//

module;

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

module quantc.tensorio;

import quantc.runtime;

namespace quantc::tensorio {
namespace {

/// The multi-index of flat `index` in `dims`, as "[i, j, k]".
std::string multiIndex(const std::vector<int64_t> &dims, uint64_t index) {
  std::vector<int64_t> idx(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    uint64_t d = static_cast<uint64_t>(dims[i]);
    idx[i] = static_cast<int64_t>(index % d);
    index /= d;
  }
  return formatDims(idx);
}

std::string formatValue(long double v) { return absl::StrFormat("%.9Lg", v); }

} // namespace

Comparison compareTensors(const Tensor &expected, const Tensor &actual, double rtol,
                          double atol) {
  Comparison result;
  for (const Tensor *t : {&expected, &actual})
    if (absl::Status status = checkTensor(*t); !status.ok()) {
      result.message = absl::StrCat(t == &expected ? "expected" : "actual",
                                    " tensor is invalid: ", status.message());
      return result;
    }
  if (expected.dtype != actual.dtype) {
    result.message = absl::StrCat("dtype mismatch: expected ", toAbsl(runtime::dtypeName(expected.dtype)),
                                  ", got ", toAbsl(runtime::dtypeName(actual.dtype)));
    return result;
  }
  if (expected.dims != actual.dims) {
    result.message = absl::StrCat("shape mismatch: expected ", formatDims(expected.dims),
                                  ", got ", formatDims(actual.dims));
    return result;
  }

  uint64_t count = *numElements(expected.dims);
  long double maxAbs = 0, maxRel = 0;
  long double firstExpected = 0, firstActual = 0;
  constexpr long double kInf = std::numeric_limits<long double>::infinity();
  for (uint64_t i = 0; i < count; ++i) {
    long double e = elementValue(expected, i);
    long double a = elementValue(actual, i);
    bool ok;
    long double diff = 0;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
      diff = ok ? 0 : kInf;
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = e == a;
      diff = ok ? 0 : kInf;
    } else {
      diff = std::fabs(a - e);
      ok = diff <= static_cast<long double>(atol) + static_cast<long double>(rtol) * std::fabs(e);
    }
    if (diff > maxAbs)
      maxAbs = diff;
    if (diff != 0) {
      long double rel = e == 0 || std::isinf(e) ? kInf : diff / std::fabs(e);
      if (rel > maxRel)
        maxRel = rel;
    }
    if (!ok) {
      if (result.mismatches == 0) {
        result.firstMismatch = i;
        firstExpected = e;
        firstActual = a;
      }
      ++result.mismatches;
    }
  }
  result.maxAbsError = static_cast<double>(maxAbs);
  result.maxRelError = static_cast<double>(maxRel);
  result.equal = result.mismatches == 0;
  if (result.equal)
    return result;
  result.message = absl::StrFormat(
      "not equal to tolerance rtol=%g, atol=%g\n"
      "mismatched elements: %d / %d (%.3g%%)\n"
      "first mismatch at %s (flat index %d): expected %s, got %s\n"
      "max absolute difference: %g\n"
      "max relative difference: %g",
      rtol, atol, result.mismatches, count, 100.0 * result.mismatches / count,
      multiIndex(expected.dims, *result.firstMismatch), *result.firstMismatch,
      formatValue(firstExpected), formatValue(firstActual), result.maxAbsError,
      result.maxRelError);
  return result;
}

} // namespace quantc::tensorio
