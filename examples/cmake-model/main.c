/* classify: runs the quantc-compiled examples/models/mlp.onnx on a fixed
 * input (or one given as 64 numbers on the command line) and prints the
 * class probabilities. Plain C; links the model and quantc::runtime only. */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const qc_model *model = mlp();
  qc_context *ctx = NULL;
  if (qc_context_create(model, NULL, &ctx) != QC_OK) {
    fprintf(stderr, "classify: %s\n", qc_last_error());
    return 1;
  }
  float input[64];
  for (int i = 0; i < 64; ++i)
    input[i] = argc > i + 1 ? (float)atof(argv[i + 1]) : sinf(0.37f * (float)i);
  if (qc_context_set_input(ctx, 0, input, sizeof input) != QC_OK ||
      qc_context_run(ctx) != QC_OK) {
    fprintf(stderr, "classify: %s\n", qc_context_error(ctx));
    qc_context_free(ctx);
    return 1;
  }
  size_t bytes = 0;
  const float *probabilities = qc_context_output(ctx, 0, &bytes);
  int best = 0;
  for (size_t i = 0; i < bytes / sizeof(float); ++i) {
    printf("class %zu: %.6f\n", i, probabilities[i]);
    if (probabilities[i] > probabilities[best])
      best = (int)i;
  }
  printf("model %s: predicted class %d\n", model->name, best);
  qc_context_free(ctx);
  return 0;
}
