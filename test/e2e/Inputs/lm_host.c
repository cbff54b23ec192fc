/* lm_host LIB.so ACCESSOR WEIGHTS.gguf DECODE_STEPS: runs a language model
 * library that `quantc compile` made (weights left in WEIGHTS.gguf) the way
 * an application would, with nothing but the runtime's C API: the model's
 * memory-mapped weights, one @prefill call and DECODE_STEPS @decode steps.
 * Prints the peak resident memory the model added to the process (VmHWM
 * after the runs minus VmRSS once the library is loaded) against the issue's
 * limit, the weight file's size plus the states (the KV cache) plus 5%, and
 * exits 1 when it is above. */
#include "quantc/runtime.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long status_kib(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long value = -1;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':')
      value = strtol(line + n + 1, NULL, 10);
  if (f)
    fclose(f);
  return value;
}

#define LOAD(name) \
  name##_t name = (name##_t)dlsym(lib, #name); \
  if (!name) { fprintf(stderr, "lm_host: no %s\n", #name); return 2; }

typedef const qc_model *(*accessor_t)(void);
typedef qc_status (*qc_context_create_t)(const qc_model *, const qc_options *, qc_context **);
typedef qc_status (*qc_context_map_weights_t)(qc_context *, const char *);
typedef int32_t (*qc_model_entry_index_t)(const qc_model *, const char *);
typedef int32_t (*qc_model_input_index_t)(const qc_model *, int32_t, const char *);
typedef qc_status (*qc_context_set_input_t)(qc_context *, int32_t, const void *, size_t);
typedef qc_status (*qc_context_run_entry_t)(qc_context *, int32_t);
typedef const char *(*qc_context_error_t)(qc_context *);
typedef size_t (*qc_tensor_bytes_t)(const qc_tensor_desc *);

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: lm_host LIB.so ACCESSOR WEIGHTS.gguf DECODE_STEPS\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "lm_host: %s\n", dlerror());
    return 2;
  }
  long base = status_kib("VmRSS");
  accessor_t accessor = (accessor_t)dlsym(lib, argv[2]);
  if (!accessor) {
    fprintf(stderr, "lm_host: no %s\n", argv[2]);
    return 2;
  }
  LOAD(qc_context_create) LOAD(qc_context_map_weights) LOAD(qc_model_entry_index)
  LOAD(qc_model_input_index) LOAD(qc_context_set_input) LOAD(qc_context_run_entry)
  LOAD(qc_context_error) LOAD(qc_tensor_bytes)
  const qc_model *model = accessor();
  qc_options options = {2};
  qc_context *ctx = NULL;
  if (qc_context_create(model, &options, &ctx) != QC_OK) {
    fprintf(stderr, "lm_host: cannot create a context\n");
    return 2;
  }
  if (qc_context_map_weights(ctx, argv[3]) != QC_OK) {
    fprintf(stderr, "lm_host: %s\n", qc_context_error(ctx));
    return 2;
  }
  size_t states = 0;
  for (int32_t i = 0; i < model->num_inputs; ++i)
    if (model->inputs[i].kind == QC_INPUT_STATE)
      states += qc_tensor_bytes(&model->inputs[i]);
  int32_t prefill = qc_model_entry_index(model, "prefill");
  int32_t decode = qc_model_entry_index(model, "decode");
  if (prefill < 0 || decode < 0) {
    fprintf(stderr, "lm_host: the library has no prefill and decode entries\n");
    return 2;
  }
  int32_t tokens_in = qc_model_input_index(model, prefill, "tokens");
  const qc_tensor_desc *tokens_desc = &model->inputs[tokens_in];
  int32_t chunk = (int32_t)tokens_desc->dims[0];
  int32_t *tokens = calloc((size_t)chunk, sizeof(int32_t));
  for (int32_t i = 0; i < chunk; ++i)
    tokens[i] = 3 + i;
  int32_t pos = 0;
  /* @prefill computes the chunk's rows 0 .. last and returns row last's
   * logits (when it has a "last" input: --prefill-logits all builds it
   * without, computing every row). */
  int32_t last_in = qc_model_input_index(model, prefill, "last");
  int32_t last = chunk - 1;
  if (last_in >= 0 && qc_context_set_input(ctx, last_in, &last, sizeof last) != QC_OK) {
    fprintf(stderr, "lm_host: last: %s\n", qc_context_error(ctx));
    return 2;
  }
  if (qc_context_set_input(ctx, tokens_in, tokens, (size_t)chunk * sizeof(int32_t)) != QC_OK ||
      qc_context_set_input(ctx, qc_model_input_index(model, prefill, "pos"), &pos, sizeof pos) !=
          QC_OK ||
      qc_context_run_entry(ctx, prefill) != QC_OK) {
    fprintf(stderr, "lm_host: prefill: %s\n", qc_context_error(ctx));
    return 2;
  }
  int steps = atoi(argv[4]);
  for (int t = 0; t < steps; ++t) {
    int32_t token = 3 + t;
    pos = chunk + t;
    if (qc_context_set_input(ctx, qc_model_input_index(model, decode, "token"), &token,
                             sizeof token) != QC_OK ||
        qc_context_set_input(ctx, qc_model_input_index(model, decode, "pos"), &pos,
                             sizeof pos) != QC_OK ||
        qc_context_run_entry(ctx, decode) != QC_OK) {
      fprintf(stderr, "lm_host: decode: %s\n", qc_context_error(ctx));
      return 2;
    }
  }
  struct stat st;
  if (stat(argv[3], &st) != 0) {
    perror(argv[3]);
    return 2;
  }
  long peak = status_kib("VmHWM") - base;
  long file = (long)(st.st_size / 1024), kv = (long)(states / 1024);
  long limit = (file + kv) * 105 / 100;
  printf("peak memory added: %ld KiB; limit %ld KiB (weights file %ld KiB + states %ld KiB "
         "+ 5%%): %s\n",
         peak, limit, file, kv, peak <= limit ? "within" : "ABOVE");
  free(tokens);
  return peak <= limit ? 0 : 1;
}
