// WebAssembly SIMD kernels for the realtime estimator (MLP → GRU → MLP → Linear → sigmoid), float32.
//
// Built by ./build.sh (clang 14 + wasm-ld: --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib), embedded as
// base64 in estimator-wasm.ts and wrapped by simd.ts. No libc, no imports: the module defines and exports its own
// memory; the JS side bump-allocates above __heap_base and grows the memory at construction only.
//
// Conventions: every pointer is a BYTE offset into the module's memory; matrices are row-major [rows, cols];
// nothing needs to be aligned (wasm SIMD loads/stores are unaligned-safe; 16-byte alignment is merely faster).
// Accumulation is float32 (one 4-lane accumulator per row, 8 rows per block). All kernels are
// allocation-free and never trap for sane arguments (empty ranges do nothing).

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

typedef float f32;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** [Σa, Σb, Σc, Σd] of four vectors (transpose-and-add). */
static inline v128_t hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  // ab = [a0+a2, b0+b2, a1+a3, b1+b3]
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

static inline f32 hsum(v128_t a) {
  v128_t s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

/** exp(x), 4 lanes (Cephes expf: range reduction by ln 2, degree-6 polynomial; ~1-2 ulp). x clamped to
 *  [-87.3, 88.3] so 2^n stays a normal float (a NaN lane comes out as exp(88.3)). */
static inline v128_t vexp(v128_t x) {
  x = wasm_f32x4_pmin(wasm_f32x4_splat(88.3f), x);
  x = wasm_f32x4_pmax(wasm_f32x4_splat(-87.3f), x);
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_add(r, wasm_f32x4_mul(n, wasm_f32x4_splat(2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline v128_t vsigmoid(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, vexp(wasm_f32x4_neg(x))));
}

/** tanh(x) = 2σ(2x) − 1 (absolute error ~1e-7). */
static inline v128_t vtanh(v128_t x) {
  v128_t s = vsigmoid(wasm_f32x4_add(x, x));
  return wasm_f32x4_sub(wasm_f32x4_add(s, s), wasm_f32x4_splat(1.0f));
}

/** NaN lanes → 0. */
static inline v128_t vsanitize(v128_t x) {
  return wasm_v128_and(x, wasm_f32x4_eq(x, x));
}

/** Scalar forms on lane 0 (tails). */
static inline f32 sexp(f32 x) { return wasm_f32x4_extract_lane(vexp(wasm_f32x4_splat(x)), 0); }
static inline f32 ssigmoid(f32 x) { return wasm_f32x4_extract_lane(vsigmoid(wasm_f32x4_splat(x)), 0); }
static inline f32 stanh(f32 x) { return wasm_f32x4_extract_lane(vtanh(wasm_f32x4_splat(x)), 0); }

// ---------------------------------------------------------------------------------------------------------------
// GEMV

// Every row is summed in the same order whichever path computes it (8-row block, 4-row block or single row): one
// 4-lane accumulator over 4-column steps, lanes reduced as (l0 + l2) + (l1 + l3), then the scalar tail summed
// separately and added, then the bias. So a row's result does not depend on the row range of the call, and
// partial calls covering [0, rows) reproduce one full call bit for bit. (8 rows × 4 columns per step measured
// fastest in V8: ~27 GFLOP/s vs ~19 for 4 rows × 8 columns, which spills registers.)

#define MADD(acc, w, xv) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(w), xv))

/** Scalar tail Σ_{j in [j0, cols)} w[j]·x[j], in order. */
static inline f32 tail_dot(const f32 *w, const f32 *x, int j0, int cols) {
  f32 t = 0;
  for (int j = j0; j < cols; j++) t += w[j] * x[j];
  return t;
}

/** Adds the scalar tails of 4 consecutive rows (w0 = first row) to s when cols is not a multiple of 4. */
static inline v128_t add_tails4(v128_t s, const f32 *w0, const f32 *x, int j0, int cols) {
  if (j0 >= cols) return s;
  return wasm_f32x4_add(s, wasm_f32x4_make(tail_dot(w0, x, j0, cols), tail_dot(w0 + cols, x, j0, cols),
                                           tail_dot(w0 + 2 * cols, x, j0, cols), tail_dot(w0 + 3 * cols, x, j0, cols)));
}

/**
 * y[r] = W[r, :] · x + b[r] for rows r in [r0, r1) (b may be 0: no bias). W row-major [rows, cols]; x has cols
 * values; y and b are indexed by absolute row. Rows go 8 at a time (then 4, then 1), columns 4 at a time with a
 * scalar tail, so any cols >= 0 works.
 */
EXPORT(gemv)
void gemv(const f32 *W, const f32 *x, const f32 *b, f32 *y, int cols, int r0, int r1) {
  const int c4 = cols & ~3;
  int r = r0;
  for (; r + 8 <= r1; r += 8) {
    const f32 *w0 = W + (long)r * cols;
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
#pragma clang loop unroll(disable)
    for (int j = 0; j < c4; j += 4) {
      v128_t xv = wasm_v128_load(x + j);
      const f32 *p = w0 + j;
      MADD(a0, p, xv);
      MADD(a1, p + cols, xv);
      MADD(a2, p + 2 * cols, xv);
      MADD(a3, p + 3 * cols, xv);
      MADD(a4, p + 4 * cols, xv);
      MADD(a5, p + 5 * cols, xv);
      MADD(a6, p + 6 * cols, xv);
      MADD(a7, p + 7 * cols, xv);
    }
    v128_t s0 = add_tails4(hsum4(a0, a1, a2, a3), w0, x, c4, cols);
    v128_t s1 = add_tails4(hsum4(a4, a5, a6, a7), w0 + 4 * cols, x, c4, cols);
    if (b) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(b + r));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(b + r + 4));
    }
    wasm_v128_store(y + r, s0);
    wasm_v128_store(y + r + 4, s1);
  }
  if (r + 4 <= r1) {
    const f32 *w0 = W + (long)r * cols;
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
#pragma clang loop unroll(disable)
    for (int j = 0; j < c4; j += 4) {
      v128_t xv = wasm_v128_load(x + j);
      const f32 *p = w0 + j;
      MADD(a0, p, xv);
      MADD(a1, p + cols, xv);
      MADD(a2, p + 2 * cols, xv);
      MADD(a3, p + 3 * cols, xv);
    }
    v128_t s0 = add_tails4(hsum4(a0, a1, a2, a3), w0, x, c4, cols);
    if (b) s0 = wasm_f32x4_add(s0, wasm_v128_load(b + r));
    wasm_v128_store(y + r, s0);
    r += 4;
  }
  for (; r < r1; r++) {
    const f32 *w0 = W + (long)r * cols;
    v128_t a0 = wasm_f32x4_splat(0.0f);
    for (int j = 0; j < c4; j += 4) MADD(a0, w0 + j, wasm_v128_load(x + j));
    f32 s = hsum(a0);
    if (c4 < cols) s += tail_dot(w0, x, c4, cols);
    y[r] = b ? s + b[r] : s;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm + ReLU, sigmoid, GRU gates

/** v[0..n) ← max(0, (v − mean)/√(var + eps) · g + beta) in place (biased variance, as torch.nn.LayerNorm).
 *  Non-finite results (only from non-finite inputs) become 0. */
EXPORT(layernorm_relu)
void layernorm_relu(f32 *v, const f32 *g, const f32 *beta, int n, f32 eps) {
  if (n <= 0) return;
  v128_t acc = wasm_f32x4_splat(0.0f), acc2 = acc;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    acc = wasm_f32x4_add(acc, wasm_v128_load(v + i));
    acc2 = wasm_f32x4_add(acc2, wasm_v128_load(v + i + 4));
  }
  f32 s = hsum(wasm_f32x4_add(acc, acc2));
  for (; i < n; i++) s += v[i];
  f32 mean = s / (f32)n;
  v128_t m = wasm_f32x4_splat(mean);
  acc = wasm_f32x4_splat(0.0f);
  acc2 = acc;
  i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t d0 = wasm_f32x4_sub(wasm_v128_load(v + i), m);
    v128_t d1 = wasm_f32x4_sub(wasm_v128_load(v + i + 4), m);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d0, d0));
    acc2 = wasm_f32x4_add(acc2, wasm_f32x4_mul(d1, d1));
  }
  f32 q = hsum(wasm_f32x4_add(acc, acc2));
  for (; i < n; i++) {
    f32 d = v[i] - mean;
    q += d * d;
  }
  f32 inv = 1.0f / __builtin_sqrtf(q / (f32)n + eps);
  v128_t vinv = wasm_f32x4_splat(inv);
  v128_t zero = wasm_f32x4_splat(0.0f);
  i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t t = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(v + i), m), vinv), wasm_v128_load(g + i));
    t = wasm_f32x4_add(t, wasm_v128_load(beta + i));
    // pmax(zero, t) = zero < t ? t : zero → NaN becomes 0
    wasm_v128_store(v + i, wasm_f32x4_pmax(zero, t));
  }
  for (; i < n; i++) {
    f32 t = (v[i] - mean) * inv * g[i] + beta[i];
    v[i] = t > 0.0f ? t : 0.0f;
  }
}

/** Fused Linear + LayerNorm + ReLU: y = relu(LN(W·x + b)) (rows outputs). */
EXPORT(linear_ln_relu)
void linear_ln_relu(const f32 *W, const f32 *x, const f32 *b, const f32 *g, const f32 *beta, f32 *y, int rows,
                    int cols, f32 eps) {
  gemv(W, x, b, y, cols, 0, rows);
  layernorm_relu(y, g, beta, rows, eps);
}

/** y[i] = σ(x[i]) for i in [i0, i1) (x may equal y). NaN → 0.5 (sanitised before the exp). */
EXPORT(sigmoid)
void sigmoid(const f32 *x, f32 *y, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(y + i, vsigmoid(vsanitize(wasm_v128_load(x + i))));
  for (; i < i1; i++) {
    f32 t = x[i];
    y[i] = ssigmoid(t == t ? t : 0.0f);
  }
}

/**
 * GRU hidden update for units j in [j0, j1), PyTorch convention (gates r, z, n; reset after the hidden matmul):
 *   gi = W_ih x + b_ih, gh = W_hh h + b_hh (both 3H long, blocks r | z | n), then
 *   r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n), h ← (1 − z) ⊙ n + z ⊙ h.
 * A NaN result is stored as 0 so the state can never be poisoned.
 */
EXPORT(gru_gates)
void gru_gates(const f32 *gi, const f32 *gh, f32 *h, int H, int j0, int j1) {
  const f32 *giz = gi + H, *ghz = gh + H, *gin = gi + 2 * H, *ghn = gh + 2 * H;
  int j = j0;
  for (; j + 4 <= j1; j += 4) {
    v128_t r = vsigmoid(wasm_f32x4_add(wasm_v128_load(gi + j), wasm_v128_load(gh + j)));
    v128_t z = vsigmoid(wasm_f32x4_add(wasm_v128_load(giz + j), wasm_v128_load(ghz + j)));
    v128_t n = vtanh(wasm_f32x4_add(wasm_v128_load(gin + j), wasm_f32x4_mul(r, wasm_v128_load(ghn + j))));
    v128_t hj = wasm_v128_load(h + j);
    // (1 − z)·n + z·h = n + z·(h − n)
    v128_t out = wasm_f32x4_add(n, wasm_f32x4_mul(z, wasm_f32x4_sub(hj, n)));
    wasm_v128_store(h + j, vsanitize(out));
  }
  for (; j < j1; j++) {
    f32 r = ssigmoid(gi[j] + gh[j]);
    f32 z = ssigmoid(giz[j] + ghz[j]);
    f32 n = stanh(gin[j] + r * ghn[j]);
    f32 out = n + z * (h[j] - n);
    h[j] = out == out ? out : 0.0f;
  }
}

/**
 * One whole GRU step: gi = W_ih x + b_ih, gh = W_hh h + b_hh (scratch gi, gh: 3H floats each), then the gate
 * update of h in place. x has `in` values; W_ih is [3H, in], W_hh [3H, H].
 */
EXPORT(gru_step)
void gru_step(const f32 *Wih, const f32 *bih, const f32 *Whh, const f32 *bhh, const f32 *x, f32 *h, f32 *gi,
              f32 *gh, int H, int in) {
  gemv(Wih, x, bih, gi, in, 0, 3 * H);
  gemv(Whh, h, bhh, gh, H, 0, 3 * H);
  gru_gates(gi, gh, h, H, 0, H);
}

/** Exported for tests: y[i] = exp(x[i]) and tanh(x[i]) over [0, n) into y and y + n. */
EXPORT(exp_tanh_test)
void exp_tanh_test(const f32 *x, f32 *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(y + i, vexp(v));
    wasm_v128_store(y + n + i, vtanh(v));
  }
  for (; i < n; i++) {
    y[i] = sexp(x[i]);
    y[n + i] = stanh(x[i]);
  }
}
