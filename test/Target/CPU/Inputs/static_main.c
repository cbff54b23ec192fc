/* Links a model compiled with `--emit lib --name static_add` and the runtime
 * archive into a program, through the generated header. */
#include "static_add.h"

#include <stdio.h>

int main(void) {
  static float a[64 * 256], b[256];
  for (int i = 0; i < 64 * 256; ++i)
    a[i] = (float)(i % 5) - 2.0f;
  for (int j = 0; j < 256; ++j)
    b[j] = 1.0f;
  qc_context *ctx;
  if (qc_context_create(static_add(), NULL, &ctx) != QC_OK) {
    printf("create failed: %s\n", qc_last_error());
    return 1;
  }
  qc_context_set_input(ctx, 0, a, sizeof a);
  qc_context_set_input(ctx, 1, b, sizeof b);
  if (qc_context_run(ctx) != QC_OK) {
    printf("run failed: %s\n", qc_context_error(ctx));
    return 1;
  }
  size_t bytes;
  const float *y = qc_context_output(ctx, 0, &bytes);
  for (int i = 0; i < 64 * 256; ++i) {
    float expect = a[i] + 1.0f > 0 ? a[i] + 1.0f : 0.0f;
    if (y[i] != expect) {
      printf("mismatch at %d: %f != %f\n", i, y[i], expect);
      return 1;
    }
  }
  printf("static OK %zu bytes, %d threads\n", bytes, 0);
  qc_context_free(ctx);
  return 0;
}
