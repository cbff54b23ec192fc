/*===- CSmoke.c - quantc/runtime.h from C ---------------------------------===*\
|*                                                                            *|
|* Part of quantc.                                                            *|
|*                                                                            *|
|* Compiled as C99 with -pedantic -Werror: the header is valid C. Runs the   *|
|* model of SmokeModel.c through the shared library that holds it and the    *|
|* runtime, as a program using a compiled model would.                       *|
\*===----------------------------------------------------------------------===*/

#include "quantc/runtime.h"

#include <stdio.h>
#include <string.h>

const qc_model *smoke(void);

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

int main(void) {
  static float x[1000];
  qc_context *ctx = NULL;
  qc_options options;
  const float *y;
  size_t bytes = 0;
  int i;

  for (i = 0; i < 1000; ++i)
    x[i] = (float)i;
  options.num_threads = 3;
  CHECK(qc_context_create(smoke(), &options, &ctx) == QC_OK);
  CHECK(qc_context_run(ctx) == QC_ERROR_MISSING_INPUT);
  CHECK(strstr(qc_context_error(ctx), "'x'") != NULL);
  CHECK(strcmp(qc_last_error(), qc_context_error(ctx)) == 0);
  CHECK(qc_context_set_input(ctx, 0, x, 4) == QC_ERROR_INVALID_ARGUMENT);
  CHECK(qc_context_set_input(ctx, 0, x, sizeof x) == QC_OK);
  CHECK(qc_context_run(ctx) == QC_OK);
  y = (const float *)qc_context_output(ctx, 0, &bytes);
  CHECK(y != NULL && bytes == sizeof x);
  for (i = 0; i < 1000; ++i)
    CHECK(y[i] == 2.0f * (float)i);
  CHECK(qc_context_output(ctx, 1, NULL) == NULL);
  CHECK(qc_dtype_size(QC_DTYPE_BFLOAT16) == 2);
  CHECK(strcmp(qc_dtype_name(QC_DTYPE_FLOAT32), "float32") == 0);
  CHECK(qc_tensor_bytes(&smoke()->inputs[0]) == sizeof x);
  qc_context_free(ctx);
  puts("ok");
  return 0;
}
