/*===- quantc/runtime.h - The C ABI of quantc-compiled models -----*- C -*-===*\
|*                                                                            *|
|* Part of quantc.                                                            *|
|*                                                                            *|
|* A model compiled by `quantc compile` is an object file (or a static or     *|
|* shared library) that defines one constant `qc_model` descriptor. A program *|
|* runs it through the functions below, implemented by libquantc_runtime      *|
|* (no LLVM or MLIR inside):                                                  *|
|*                                                                            *|
|*   qc_context *ctx;                                                         *|
|*   if (qc_context_create(my_model(), NULL, &ctx) != QC_OK) ...              *|
|*   qc_context_set_input(ctx, 0, data, bytes);                               *|
|*   if (qc_context_run(ctx) != QC_OK) puts(qc_context_error(ctx));           *|
|*   const float *out = qc_context_output(ctx, 0, &bytes);                    *|
|*   qc_context_free(ctx);                                                    *|
|*                                                                            *|
|* The generated header `<name>.h` declares `const qc_model *<name>(void);`.  *|
|* Tensors are dense, row-major, with static shapes recorded in the          *|
|* descriptor; element types use ONNX's TensorProto.DataType numbers.         *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_H
#define QUANTC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The descriptor layout version; a model built for another is refused. */
#define QC_ABI_VERSION 1

/* Status codes. QC_OK is zero; every failure also sets a message that
 * qc_context_error() (or qc_last_error() before a context exists) returns. */
typedef enum qc_status {
  QC_OK = 0,
  QC_ERROR_INVALID_ARGUMENT = 1, /* bad index, size, or null pointer */
  QC_ERROR_OUT_OF_MEMORY = 2,
  QC_ERROR_ABI_MISMATCH = 3,     /* descriptor from another ABI version */
  QC_ERROR_MISSING_INPUT = 4,    /* qc_context_run before every input was set */
  QC_ERROR_BOUND_INPUT = 5,      /* a compile-time-bound input got another value */
  QC_ERROR_EXECUTION = 6,        /* the compiled code reported a failure */
} qc_status;

/* Element types: ONNX TensorProto.DataType values. */
typedef enum qc_dtype {
  QC_DTYPE_FLOAT32 = 1,
  QC_DTYPE_UINT8 = 2,
  QC_DTYPE_INT8 = 3,
  QC_DTYPE_UINT16 = 4,
  QC_DTYPE_INT16 = 5,
  QC_DTYPE_INT32 = 6,
  QC_DTYPE_INT64 = 7,
  QC_DTYPE_BOOL = 9, /* one byte per element, 0 or 1 */
  QC_DTYPE_FLOAT16 = 10,
  QC_DTYPE_FLOAT64 = 11,
  QC_DTYPE_UINT32 = 12,
  QC_DTYPE_UINT64 = 13,
  QC_DTYPE_BFLOAT16 = 16,
} qc_dtype;

/* One input or output tensor. */
typedef struct qc_tensor_desc {
  const char *name;
  int32_t dtype; /* qc_dtype */
  int32_t rank;
  const int64_t *dims; /* rank entries, all static */
  /* Non-null for an input that was bound at compile time (its value
   * determined a shape): the only value the model accepts for it, of
   * product(dims) * sizeof(dtype) bytes. */
  const void *bound_value;
} qc_tensor_desc;

/* Services the compiled code calls back into (see qc_rt_* below). */
typedef struct qc_rt qc_rt;

/* The descriptor a compiled model defines. `run` receives the input buffers
 * followed by the output buffers (num_inputs + num_outputs pointers, each
 * 64-byte aligned and of the size the descriptor implies) and returns 0 on
 * success. */
typedef struct qc_model {
  uint32_t abi_version; /* QC_ABI_VERSION */
  const char *name;
  int32_t num_inputs;
  int32_t num_outputs;
  const qc_tensor_desc *inputs;
  const qc_tensor_desc *outputs;
  int32_t (*run)(void **buffers, qc_rt *rt);
} qc_model;

typedef struct qc_options {
  int32_t num_threads; /* 0: one per available core */
} qc_options;

typedef struct qc_context qc_context;

/* Creates a context (its thread pool and buffers) for `model`. `options` may
 * be null. */
qc_status qc_context_create(const qc_model *model, const qc_options *options,
                            qc_context **out);
void qc_context_free(qc_context *ctx);

/* Copies `bytes` bytes (exactly the input's size) into input `index`. */
qc_status qc_context_set_input(qc_context *ctx, int32_t index,
                               const void *data, size_t bytes);
/* Runs the model on the inputs set so far (all of them must be). */
qc_status qc_context_run(qc_context *ctx);
/* The context's buffer of output `index` (valid until the next run or the
 * free); its size in *bytes when `bytes` is non-null. Null on a bad index. */
const void *qc_context_output(const qc_context *ctx, int32_t index,
                              size_t *bytes);
/* The message of the context's last failure ("" when none). */
const char *qc_context_error(const qc_context *ctx);
/* The message of the last failure without a context (this thread). */
const char *qc_last_error(void);

/* Helpers over descriptors. */
size_t qc_dtype_size(int32_t dtype); /* 0 for an unknown type */
const char *qc_dtype_name(int32_t dtype);
size_t qc_tensor_bytes(const qc_tensor_desc *desc);

/*===-- Called by compiled code ------------------------------------------===*/

/* Runs fn(env, begin, end) over [0, n) split into chunks across the context's
 * threads (the caller's thread included); returns when all are done. */
void qc_rt_parallel_for(qc_rt *rt, int64_t n,
                        void (*fn)(void *env, int64_t begin, int64_t end),
                        void *env);
/* Number of threads qc_rt_parallel_for uses. */
int32_t qc_rt_num_threads(qc_rt *rt);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QUANTC_RUNTIME_H */
