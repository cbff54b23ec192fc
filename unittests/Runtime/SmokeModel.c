/*===- SmokeModel.c - A model as compiled code would define it ------------===*\
|*                                                                            *|
|* Part of quantc.                                                            *|
|*                                                                            *|
|* y = 2 * x over 1000 floats, in parallel chunks through qc_rt_parallel_for; *|
|* built into a shared library together with libquantc_runtime.a.            *|
\*===----------------------------------------------------------------------===*/

#include "quantc/runtime.h"

#define SMOKE_N 1000

typedef struct {
  const float *x;
  float *y;
} smoke_env;

static void smoke_chunk(void *env, int64_t begin, int64_t end) {
  smoke_env *e = (smoke_env *)env;
  int64_t i;
  for (i = begin; i < end; ++i)
    e->y[i] = 2.0f * e->x[i];
}

static int32_t smoke_run(void **buffers, qc_rt *rt) {
  smoke_env env;
  env.x = (const float *)buffers[0];
  env.y = (float *)buffers[1];
  qc_rt_parallel_for(rt, SMOKE_N, smoke_chunk, &env);
  return 0;
}

static const int64_t smoke_dims[1] = {SMOKE_N};
static const qc_tensor_desc smoke_inputs[1] = {{"x", QC_DTYPE_FLOAT32, 1, smoke_dims, NULL}};
static const qc_tensor_desc smoke_outputs[1] = {{"y", QC_DTYPE_FLOAT32, 1, smoke_dims, NULL}};
static const qc_model smoke_model = {QC_ABI_VERSION, "smoke", 1,        1,
                                     smoke_inputs,   smoke_outputs, smoke_run};

const qc_model *smoke(void) { return &smoke_model; }
