//===- RuntimeC.cpp - The C ABI of quantc/runtime.h -----------------------===//
//
// Part of quantc.
//
// The C functions over quantc.runtime. No exception leaves them: a failed
// allocation becomes QC_ERROR_OUT_OF_MEMORY. Every failure leaves its
// message in the thread's qc_last_error(), and in the context's
// qc_context_error() when there is a context.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <vector>

import quantc.runtime;

using quantc::runtime::Context;
using quantc::runtime::ThreadPool;

/// What compiled code receives: the context's thread pool, and the code that
/// drives it. A model library links its own copy of the runtime, so when a
/// program with another copy (`quantc run`, a host that links the runtime)
/// creates the context, two copies of the pool's code would meet on one pool:
/// their hidden thread_locals (nested-loop detection) and libstdc++'s
/// per-copy std::atomic wait/notify waiter tables differ, so a worker's
/// notify could miss the caller asleep in the other copy and hang the run.
/// Compiled code therefore always goes through `parallelFor`, which is the
/// creating copy's; keep it the first member so that the layout copies agree
/// on does not depend on anything else here.
struct qc_rt {
  void (*parallelFor)(qc_rt *rt, int64_t n,
                      void (*fn)(void *env, int64_t begin, int64_t end), void *env);
  ThreadPool *pool;
};

struct qc_context {
  std::unique_ptr<Context> impl;
  std::unique_ptr<ThreadPool> pool;
  qc_rt rt;
};

namespace {

thread_local std::string tlsLastError;

qc_status setLastError(qc_status status, const std::string &message) noexcept {
  try {
    tlsLastError = message;
  } catch (...) {
    tlsLastError.clear();
  }
  return status;
}

/// Records a context's failure in the thread's last error too.
qc_status contextStatus(qc_context *ctx, qc_status status) noexcept {
  if (status != QC_OK)
    setLastError(status, ctx->impl->error());
  return status;
}

qc_status outOfMemory(qc_context *ctx, const char *function) noexcept {
  std::string message = std::string(function) + ": out of memory";
  if (ctx) {
    try {
      ctx->impl->fail(QC_ERROR_OUT_OF_MEMORY, message);
    } catch (...) {
    }
  }
  return setLastError(QC_ERROR_OUT_OF_MEMORY, message);
}

/// qc_rt::parallelFor of the contexts this copy of the runtime creates.
void runParallelFor(qc_rt *rt, int64_t n, void (*fn)(void *env, int64_t begin, int64_t end),
                    void *env) {
  rt->pool->parallelFor(n, fn, env);
}

} // namespace

// The C API is what a shared library holding the runtime exports; the rest
// of the runtime is compiled with hidden visibility.
#define QC_EXPORT __attribute__((visibility("default")))

QC_EXPORT qc_status qc_context_create(const qc_model *model, const qc_options *options,
                            qc_context **out) {
  if (!out)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_create: `out` is null");
  *out = nullptr;
  int32_t threads = options ? options->num_threads : 0;
  if (threads < 0)
    return setLastError(QC_ERROR_INVALID_ARGUMENT,
                        "qc_context_create: num_threads is negative (" +
                            std::to_string(threads) + ")");
  try {
    std::unique_ptr<Context> impl;
    std::string error;
    if (qc_status status = Context::create(model, impl, error); status != QC_OK)
      return setLastError(status, error);
    if (threads == 0)
      threads = ThreadPool::defaultNumThreads();
    std::unique_ptr<ThreadPool> pool;
    try {
      pool = std::make_unique<ThreadPool>(threads);
    } catch (const std::system_error &e) {
      return setLastError(QC_ERROR_OUT_OF_MEMORY, "qc_context_create: cannot start " +
                                                      std::to_string(threads) +
                                                      " threads: " + e.what());
    }
    auto ctx = std::make_unique<qc_context>();
    ctx->impl = std::move(impl);
    ctx->pool = std::move(pool);
    ctx->rt.parallelFor = runParallelFor;
    ctx->rt.pool = ctx->pool.get();
    *out = ctx.release();
    return QC_OK;
  } catch (const std::bad_alloc &) {
    return outOfMemory(nullptr, "qc_context_create");
  }
}

QC_EXPORT void qc_context_free(qc_context *ctx) { delete ctx; }

QC_EXPORT qc_status qc_context_set_input(qc_context *ctx, int32_t index, const void *data,
                               size_t bytes) {
  if (!ctx)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_set_input: the context is null");
  try {
    return contextStatus(ctx, ctx->impl->setInput(index, data, bytes));
  } catch (const std::bad_alloc &) {
    return outOfMemory(ctx, "qc_context_set_input");
  }
}

QC_EXPORT qc_status qc_context_bind_input(qc_context *ctx, int32_t index, const void *data,
                                          size_t bytes) {
  if (!ctx)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_bind_input: the context is null");
  try {
    return contextStatus(ctx, ctx->impl->bindInput(index, data, bytes));
  } catch (const std::bad_alloc &) {
    return outOfMemory(ctx, "qc_context_bind_input");
  }
}

QC_EXPORT qc_status qc_context_map_weights(qc_context *ctx, const char *path) {
  if (!ctx)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_map_weights: the context is null");
  try {
    return contextStatus(ctx, ctx->impl->mapWeights(path));
  } catch (const std::bad_alloc &) {
    return outOfMemory(ctx, "qc_context_map_weights");
  }
}

QC_EXPORT qc_status qc_context_run_entry(qc_context *ctx, int32_t entry) {
  if (!ctx)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_run: the context is null");
  try {
    return contextStatus(ctx, ctx->impl->run(entry, &ctx->rt));
  } catch (const std::bad_alloc &) {
    return outOfMemory(ctx, "qc_context_run");
  }
}

QC_EXPORT qc_status qc_context_run(qc_context *ctx) { return qc_context_run_entry(ctx, 0); }

QC_EXPORT void *qc_context_state(qc_context *ctx, int32_t index, size_t *bytes) {
  if (!ctx) {
    if (bytes)
      *bytes = 0;
    setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_state: the context is null");
    return nullptr;
  }
  try {
    void *state = ctx->impl->state(index, bytes);
    if (!state)
      setLastError(QC_ERROR_INVALID_ARGUMENT, ctx->impl->error());
    return state;
  } catch (const std::bad_alloc &) {
    outOfMemory(ctx, "qc_context_state");
    return nullptr;
  }
}

QC_EXPORT qc_status qc_context_reset_state(qc_context *ctx) {
  if (!ctx)
    return setLastError(QC_ERROR_INVALID_ARGUMENT, "qc_context_reset_state: the context is null");
  ctx->impl->resetStates();
  return QC_OK;
}

QC_EXPORT int32_t qc_model_entry_index(const qc_model *model, const char *name) {
  if (!model || !name || model->abi_version != QC_ABI_VERSION)
    return -1;
  try {
    std::vector<quantc::runtime::EntryView> entries = quantc::runtime::entriesOf(*model);
    for (size_t e = 0; e < entries.size(); ++e)
      if (entries[e].name && std::strcmp(entries[e].name, name) == 0)
        return static_cast<int32_t>(e);
  } catch (const std::bad_alloc &) {
  }
  return -1;
}

/// The index of the tensor named `name` among `descs` (restricted to
/// `entry`'s `list` unless entry is -1), or -1.
static int32_t findTensor(const qc_model *model, int32_t entry, const char *name, bool inputs) {
  if (!model || !name || model->abi_version != QC_ABI_VERSION)
    return -1;
  const qc_tensor_desc *descs = inputs ? model->inputs : model->outputs;
  int32_t count = inputs ? model->num_inputs : model->num_outputs;
  auto matches = [&](int32_t i) {
    return i >= 0 && i < count && descs[i].name && std::strcmp(descs[i].name, name) == 0;
  };
  if (entry == -1) {
    for (int32_t i = 0; i < count; ++i)
      if (matches(i))
        return i;
    return -1;
  }
  try {
    std::vector<quantc::runtime::EntryView> entries = quantc::runtime::entriesOf(*model);
    if (entry < 0 || static_cast<size_t>(entry) >= entries.size())
      return -1;
    for (int32_t i : inputs ? entries[entry].inputs : entries[entry].outputs)
      if (matches(i))
        return i;
  } catch (const std::bad_alloc &) {
  }
  return -1;
}

QC_EXPORT int32_t qc_model_input_index(const qc_model *model, int32_t entry, const char *name) {
  return findTensor(model, entry, name, /*inputs=*/true);
}

QC_EXPORT int32_t qc_model_output_index(const qc_model *model, int32_t entry,
                                        const char *name) {
  return findTensor(model, entry, name, /*inputs=*/false);
}

QC_EXPORT const void *qc_context_output(const qc_context *ctx, int32_t index, size_t *bytes) {
  if (!ctx) {
    if (bytes)
      *bytes = 0;
    return nullptr;
  }
  return ctx->impl->output(index, bytes);
}

QC_EXPORT const char *qc_context_error(const qc_context *ctx) {
  return ctx ? ctx->impl->error().c_str() : "";
}

QC_EXPORT const char *qc_last_error(void) { return tlsLastError.c_str(); }

QC_EXPORT size_t qc_dtype_size(int32_t dtype) { return quantc::runtime::dtypeSize(dtype); }

QC_EXPORT const char *qc_dtype_name(int32_t dtype) {
  // The names are string literals, so null-terminated.
  return quantc::runtime::dtypeName(dtype).data();
}

QC_EXPORT size_t qc_tensor_bytes(const qc_tensor_desc *desc) {
  if (!desc)
    return 0;
  size_t bytes = quantc::runtime::tensorBytes(*desc);
  return bytes == static_cast<size_t>(-1) ? 0 : bytes;
}

QC_EXPORT void qc_rt_parallel_for(qc_rt *rt, int64_t n, void (*fn)(void *env, int64_t begin, int64_t end),
                        void *env) {
  if (n <= 0 || !fn)
    return;
  if (!rt) {
    fn(env, 0, n);
    return;
  }
  rt->parallelFor(rt, n, fn, env);
}

QC_EXPORT int32_t qc_rt_num_threads(qc_rt *rt) { return rt ? rt->pool->numThreads() : 1; }
