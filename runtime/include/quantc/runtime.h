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
|*   qc_context_map_weights(ctx, NULL);  (weights left in a GGUF file)        *|
|*   qc_context_set_input(ctx, 0, data, bytes);                               *|
|*   if (qc_context_run(ctx) != QC_OK) puts(qc_context_error(ctx));           *|
|*   const float *out = qc_context_output(ctx, 0, &bytes);                    *|
|*   qc_context_free(ctx);                                                    *|
|*                                                                            *|
|* A model may have several entries (a language model's "prefill" and       *|
|* "decode") sharing weights and states: qc_context_run_entry(ctx, e).       *|
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

/* The descriptor layout version; a model built for another is refused.
 * Version 2 added input kinds (weights bound by pointer, persistent states),
 * several entry functions per model and the weight files. */
#define QC_ABI_VERSION 2

/* Status codes. QC_OK is zero; every failure also sets a message that
 * qc_context_error() (or qc_last_error() before a context exists) returns. */
typedef enum qc_status {
  QC_OK = 0,
  QC_ERROR_INVALID_ARGUMENT = 1, /* bad index, size, or null pointer */
  QC_ERROR_OUT_OF_MEMORY = 2,
  QC_ERROR_ABI_MISMATCH = 3,     /* descriptor from another ABI version */
  QC_ERROR_MISSING_INPUT = 4,    /* a run before every input was set or bound */
  QC_ERROR_BOUND_INPUT = 5,      /* a compile-time-bound input got another value */
  QC_ERROR_EXECUTION = 6,        /* the compiled code reported a failure */
  QC_ERROR_WEIGHTS = 7,          /* a weight file cannot be mapped or is not the
                                    one the model was compiled from */
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

/* What an input is (qc_tensor_desc.kind; outputs are QC_INPUT_DATA). */
typedef enum qc_input_kind {
  /* A value the caller sets before a run: copied into a context buffer by
   * qc_context_set_input, or used in place after qc_context_bind_input. */
  QC_INPUT_DATA = 0,
  /* A weight that stayed in the model's source file (GGUF, safetensors):
   * bound by pointer, never copied, with qc_context_map_weights (the whole
   * file, memory-mapped) or qc_context_bind_input. Its dtype and dims view
   * the stored bytes (a quantized weight is QC_DTYPE_INT8 [bytes]). The
   * compiled code only reads it and assumes no alignment beyond the
   * element size. */
  QC_INPUT_WEIGHT = 1,
  /* A state (e.g. a key/value cache): owned by the context, zero-filled at
   * creation, kept across runs and updated in place by the entries that
   * return its new value. qc_context_state reads or writes it;
   * qc_context_reset_state zeroes every state. */
  QC_INPUT_STATE = 2,
} qc_input_kind;

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
  int32_t kind; /* qc_input_kind */
  /* QC_INPUT_WEIGHT: the index in qc_model.weight_files of the file holding
   * the weight (-1: none, qc_context_bind_input only), and the offset of its
   * first byte there. Other tensors: -1 and 0. */
  int32_t weight_file;
  uint64_t file_offset;
} qc_tensor_desc;

/* A file the model's weights stay in. qc_context_map_weights checks that a
 * file has this size and that its first `header_bytes` bytes (the header:
 * the names, types, shapes and offsets of its tensors) hash to
 * `header_hash` (64-bit FNV-1a). */
typedef struct qc_weight_file {
  const char *path; /* absolute, as it was when the model was compiled */
  uint64_t size;
  uint64_t header_bytes;
  uint64_t header_hash;
} qc_weight_file;

/* Services the compiled code calls back into (see qc_rt_* below). */
typedef struct qc_rt qc_rt;

/* One entry function of a model (e.g. "prefill" and "decode" of a language
 * model). Its inputs and outputs are indices into qc_model.inputs and
 * qc_model.outputs: weights and states are shared by all entries (by name),
 * data inputs and outputs belong to one entry. `run` receives the entry's
 * input buffers then its output buffers, in that order, and returns 0 on
 * success; a state it updates is one of its inputs (it has no output). */
typedef struct qc_entry {
  const char *name;
  int32_t num_inputs;
  int32_t num_outputs;
  const int32_t *inputs;
  const int32_t *outputs;
  int32_t (*run)(void **buffers, qc_rt *rt);
} qc_entry;

/* The descriptor a compiled model defines. `inputs` and `outputs` are those
 * of all entries (each entry's data inputs and states in argument order,
 * entry after entry, a state shared by several entries once, then the
 * weights); for a model with one entry they are that entry's, in order.
 * `run` is entries[0].run. A descriptor with num_entries == 0 (written by
 * hand) has one entry taking every input then every output through `run`.
 * Buffers the context allocates are 64-byte aligned. */
typedef struct qc_model {
  uint32_t abi_version; /* QC_ABI_VERSION */
  const char *name;
  int32_t num_inputs;
  int32_t num_outputs;
  const qc_tensor_desc *inputs;
  const qc_tensor_desc *outputs;
  int32_t (*run)(void **buffers, qc_rt *rt);
  int32_t num_entries;
  int32_t num_weight_files;
  const qc_entry *entries;
  const qc_weight_file *weight_files;
} qc_model;

typedef struct qc_options {
  int32_t num_threads; /* 0: one per available core */
} qc_options;

typedef struct qc_context qc_context;

/* Creates a context (its thread pool, input, output and state buffers) for
 * `model`. `options` may be null. Weights are not bound yet. */
qc_status qc_context_create(const qc_model *model, const qc_options *options,
                            qc_context **out);
/* Frees the context and unmaps the files qc_context_map_weights mapped. */
void qc_context_free(qc_context *ctx);

/* Copies `bytes` bytes (exactly the input's size) into input `index`: a
 * data input (which then uses the context's buffer again, if it was bound)
 * or a state. Not for a weight. */
qc_status qc_context_set_input(qc_context *ctx, int32_t index,
                               const void *data, size_t bytes);
/* Makes input `index` (a data input or a weight) use `data` itself, without
 * a copy: `bytes` must be its exact size and `data` aligned to its element
 * size. The caller keeps the memory alive and unchanged while runs use it;
 * runs never write to it. */
qc_status qc_context_bind_input(qc_context *ctx, int32_t index,
                                const void *data, size_t bytes);
/* Binds every weight input to the file it was compiled from, memory-mapped
 * read-only and populated at once (as llama.cpp maps a model; the pages are
 * the page cache's, shared with other processes mapping the file).
 * `path`: null for the paths recorded in the descriptor; else, for a model
 * whose weights are in one file, that file; for several, the directory
 * holding them (looked up by their recorded file names). Each file must have
 * the recorded size and header hash (QC_ERROR_WEIGHTS otherwise, and nothing
 * is bound). A later call replaces the mappings; they are unmapped at
 * qc_context_free. A model without weight inputs accepts any call. */
qc_status qc_context_map_weights(qc_context *ctx, const char *path);
/* Runs entry 0 on the inputs set so far (all of its data inputs and weights
 * must be set or bound). */
qc_status qc_context_run(qc_context *ctx);
/* Runs entry `entry` (0 .. num_entries - 1; 0 for a model with none). */
qc_status qc_context_run_entry(qc_context *ctx, int32_t entry);
/* The context's buffer of output `index` (valid until the next run or the
 * free); its size in *bytes when `bytes` is non-null. Null on a bad index. */
const void *qc_context_output(const qc_context *ctx, int32_t index,
                              size_t *bytes);
/* The buffer of state input `index` (a QC_INPUT_STATE input), valid until
 * the free: its current value, which the caller may also overwrite between
 * runs. Its size in *bytes when `bytes` is non-null. Null (and an error
 * message) when `index` is not a state. */
void *qc_context_state(qc_context *ctx, int32_t index, size_t *bytes);
/* Sets every state to zeros, as after qc_context_create. */
qc_status qc_context_reset_state(qc_context *ctx);
/* The message of the context's last failure ("" when none). */
const char *qc_context_error(const qc_context *ctx);
/* The message of the last failure without a context (this thread). */
const char *qc_last_error(void);

/* Lookups by name; -1 when there is none. An entry's input or output is
 * searched among that entry's (entry -1: among all of the model's). */
int32_t qc_model_entry_index(const qc_model *model, const char *name);
int32_t qc_model_input_index(const qc_model *model, int32_t entry,
                             const char *name);
int32_t qc_model_output_index(const qc_model *model, int32_t entry,
                              const char *name);

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
