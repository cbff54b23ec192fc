/* run_model.c: loads a model compiled with `quantc compile --emit so`,
 * runs it through the runtime linked into the .so, and checks its outputs
 * against a reference written here for each test model (chosen by the
 * model's name).
 *
 *   run_model MODEL.so [NUM_THREADS]
 *
 * Input k, element i holds pattern(k, i) converted to the input's type.
 * Prints "OK <name> ..." and exits 0 when every output matches. */

#include "quantc/runtime.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const qc_model *(*model_fn)(void);
typedef qc_status (*create_fn)(const qc_model *, const qc_options *,
                               qc_context **);
typedef void (*free_fn)(qc_context *);
typedef qc_status (*set_input_fn)(qc_context *, int32_t, const void *, size_t);
typedef qc_status (*run_fn)(qc_context *);
typedef const void *(*output_fn)(const qc_context *, int32_t, size_t *);
typedef const char *(*error_fn)(const qc_context *);

static double pattern(int k, long i) {
  return (double)((i * 7 + k * 3) % 11 - 5) * 0.5;
}
static long ipattern(int k, long i) { return (i * 7 + k * 3) % 11 - 5; }

static long numel(const qc_tensor_desc *d) {
  long n = 1;
  for (int i = 0; i < d->rank; ++i)
    n *= d->dims[i];
  return n;
}

static size_t dtype_size(int32_t dtype) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32: case QC_DTYPE_INT32: case QC_DTYPE_UINT32: return 4;
  case QC_DTYPE_FLOAT16: case QC_DTYPE_BFLOAT16: case QC_DTYPE_INT16:
  case QC_DTYPE_UINT16: return 2;
  case QC_DTYPE_FLOAT64: case QC_DTYPE_INT64: case QC_DTYPE_UINT64: return 8;
  default: return 1;
  }
}

/* Fills input k with the pattern. */
static void *make_input(const qc_tensor_desc *d, int k, size_t *bytes) {
  long n = numel(d);
  *bytes = (size_t)n * dtype_size(d->dtype);
  void *data = malloc(*bytes);
  for (long i = 0; i < n; ++i) {
    switch (d->dtype) {
    case QC_DTYPE_FLOAT32: ((float *)data)[i] = (float)pattern(k, i); break;
    case QC_DTYPE_FLOAT16: ((_Float16 *)data)[i] = (_Float16)pattern(k, i); break;
    case QC_DTYPE_FLOAT64: ((double *)data)[i] = pattern(k, i); break;
    case QC_DTYPE_INT8: ((signed char *)data)[i] = (signed char)ipattern(k, i); break;
    case QC_DTYPE_INT32: ((int *)data)[i] = (int)ipattern(k, i); break;
    case QC_DTYPE_INT64: ((long long *)data)[i] = ipattern(k, i); break;
    default: memset(data, 0, *bytes); return data;
    }
  }
  return data;
}

/* The references; `out` gets output 0 as doubles. */
static int reference(const char *name, const qc_model *m, double *out) {
  if (!strcmp(name, "add_broadcast")) { /* relu(a + b[j]), a: 64x256 */
    for (long i = 0; i < 64; ++i)
      for (long j = 0; j < 256; ++j) {
        double v = pattern(0, i * 256 + j) + pattern(1, j);
        out[i * 256 + j] = v > 0 ? v : 0;
      }
    return 1;
  }
  if (!strcmp(name, "matmul")) { /* x @ w + 0.5; x: 64x128, w: 128x32 */
    for (long i = 0; i < 64; ++i)
      for (long j = 0; j < 32; ++j) {
        double acc = 0;
        for (long k = 0; k < 128; ++k)
          acc += pattern(0, i * 128 + k) * (((k * 32 + j) % 7 - 3) * 0.25);
        out[i * 32 + j] = acc + 0.5;
      }
    return 1;
  }
  if (!strcmp(name, "reduce")) { /* row sums of x: 128x256 */
    for (long i = 0; i < 128; ++i) {
      double acc = 0;
      for (long j = 0; j < 256; ++j)
        acc += pattern(0, i * 256 + j);
      out[i] = acc;
    }
    return 1;
  }
  if (!strcmp(name, "conv2d")) { /* x: 1x3x16x16, w: 8x3x3x3 (pattern 1) */
    for (long f = 0; f < 8; ++f)
      for (long y = 0; y < 14; ++y)
        for (long x = 0; x < 14; ++x) {
          double acc = 0;
          for (long c = 0; c < 3; ++c)
            for (long ky = 0; ky < 3; ++ky)
              for (long kx = 0; kx < 3; ++kx)
                acc += pattern(0, (c * 16 + y + ky) * 16 + x + kx) *
                       pattern(1, ((f * 3 + c) * 3 + ky) * 3 + kx);
          out[(f * 14 + y) * 14 + x] = acc;
        }
    return 1;
  }
  if (!strcmp(name, "matmul_i8")) { /* i8 32x64 @ i8 64x16 -> i32 */
    for (long i = 0; i < 32; ++i)
      for (long j = 0; j < 16; ++j) {
        long acc = 0;
        for (long k = 0; k < 64; ++k)
          acc += ipattern(0, i * 64 + k) * ipattern(1, k * 16 + j);
        out[i * 16 + j] = (double)acc;
      }
    return 1;
  }
  if (!strcmp(name, "f16")) { /* x * x + 1 in f16, x: 4x300 */
    for (long i = 0; i < 1200; ++i) {
      _Float16 x = (_Float16)pattern(0, i);
      out[i] = (double)(_Float16)(x * x + (_Float16)1);
    }
    return 1;
  }
  if (!strcmp(name, "shapes")) { /* see Inputs/shapes.mlir */
    for (long j = 0; j < 48; ++j)
      for (long i = 0; i < 4; ++i) {
        long c = 1 + 2 * j;
        out[j * 4 + i] = c < 64 ? pattern(0, i * 64 + c)
                                : pattern(1, i * 32 + c - 64);
      }
    return 1;
  }
  if (!strcmp(name, "math")) { /* see Inputs/math.mlir */
    for (long i = 0; i < 800; ++i) {
      double x = pattern(0, i);
      out[i] = tanh(exp(0.1 * x)) + erf(x) + sqrt(fabs(x));
    }
    return 1;
  }
  (void)m;
  return 0;
}

static double read_elem(const void *data, int32_t dtype, long i) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32: return ((const float *)data)[i];
  case QC_DTYPE_FLOAT16: return (double)((const _Float16 *)data)[i];
  case QC_DTYPE_FLOAT64: return ((const double *)data)[i];
  case QC_DTYPE_INT8: return ((const signed char *)data)[i];
  case QC_DTYPE_INT32: return ((const int *)data)[i];
  case QC_DTYPE_INT64: return (double)((const long long *)data)[i];
  default: return NAN;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: run_model MODEL.so [NUM_THREADS]\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  model_fn get_model = (model_fn)dlsym(lib, "qc_shared_model");
  create_fn create = (create_fn)dlsym(lib, "qc_context_create");
  free_fn destroy = (free_fn)dlsym(lib, "qc_context_free");
  set_input_fn set_input = (set_input_fn)dlsym(lib, "qc_context_set_input");
  run_fn run = (run_fn)dlsym(lib, "qc_context_run");
  output_fn output = (output_fn)dlsym(lib, "qc_context_output");
  error_fn error = (error_fn)dlsym(lib, "qc_context_error");
  if (!get_model || !create || !destroy || !set_input || !run || !output ||
      !error) {
    fprintf(stderr, "missing symbol in %s\n", argv[1]);
    return 1;
  }
  const qc_model *m = get_model();
  printf("model %s: %d input(s), %d output(s)\n", m->name, m->num_inputs,
         m->num_outputs);
  qc_options options = {argc > 2 ? atoi(argv[2]) : 4};
  qc_context *ctx;
  if (create(m, &options, &ctx) != QC_OK) {
    fprintf(stderr, "qc_context_create failed\n");
    return 1;
  }
  for (int k = 0; k < m->num_inputs; ++k) {
    size_t bytes;
    void *data = make_input(&m->inputs[k], k, &bytes);
    if (set_input(ctx, k, data, bytes) != QC_OK) {
      fprintf(stderr, "set_input %d: %s\n", k, error(ctx));
      return 1;
    }
    free(data);
  }
  /* Twice: a context runs again with the same results. */
  for (int pass = 0; pass < 2; ++pass)
    if (run(ctx) != QC_OK) {
      fprintf(stderr, "run: %s\n", error(ctx));
      return 1;
    }
  const qc_tensor_desc *d = &m->outputs[0];
  size_t bytes;
  const void *data = output(ctx, 0, &bytes);
  long n = numel(d);
  if (!data || bytes != (size_t)n * dtype_size(d->dtype)) {
    fprintf(stderr, "output 0 has %zu bytes\n", bytes);
    return 1;
  }
  double *expected = calloc((size_t)n, sizeof(double));
  if (!reference(m->name, m, expected)) {
    fprintf(stderr, "no reference for model %s\n", m->name);
    return 1;
  }
  double max_err = 0;
  long bad = -1;
  for (long i = 0; i < n; ++i) {
    double got = read_elem(data, d->dtype, i);
    double err = fabs(got - expected[i]);
    double tol = d->dtype == QC_DTYPE_FLOAT16 ? 1e-2 * (1 + fabs(expected[i]))
                                              : 1e-4 * (1 + fabs(expected[i]));
    if (!(err <= tol) && bad < 0)
      bad = i;
    if (err > max_err)
      max_err = err;
  }
  if (bad >= 0) {
    printf("MISMATCH %s output '%s'[%ld]: got %g, expected %g\n", m->name,
           d->name, bad, read_elem(data, d->dtype, bad), expected[bad]);
    return 1;
  }
  printf("OK %s output '%s' %ld elements max_err=%g\n", m->name, d->name, n,
         max_err);
  destroy(ctx);
  free(expected);
  dlclose(lib);
  return 0;
}
