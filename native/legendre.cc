// Native Legendre kernel for cmbflow's spherical-harmonic transforms: an N-API addon with one
// build of the kernel per instruction set (AVX-512F, AVX2 + FMA, SSE2), chosen at load time from
// the CPU's features (cpuid via __builtin_cpu_supports, which also checks that the OS saves the
// vector state). The JavaScript side (src/healpix/legendre-native.ts) owns the memory: every call
// passes one ArrayBuffer and byte offsets into it, laid out by src/healpix/legendre.ts exactly as
// for the WebAssembly kernel, so the two kernels are interchangeable. No state lives here between
// calls (every function is pure over the passed buffer), so worker threads may load it freely.
#include <node_api.h>

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace {

const double THRESH = 8.673617379884035e-19;     // 2^-60, on λ = μ̃·N'
const double LIMIT = 1.1620871203850335e136;     // THRESH · 2^512
const double DOWN = 7.458340731200207e-155;      // 2^-512
const double UP = 1.3407807929942597e154;        // 2^512
const double RENORM_AT = 2.5822498780869086e120; // 2^400
const int32_t NO_STEP = 0x7fffffff;

inline double *Dp(uint8_t *base, size_t off) { return reinterpret_cast<double *>(base + off); }

inline double pow2(int e) {
  const uint64_t bits = static_cast<uint64_t>(e + 1023) << 52;
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

inline int exponentOf(double x) {
  uint64_t bits;
  memcpy(&bits, &x, 8);
  return static_cast<int>((bits >> 52) & 0x7ff) - 1023;
}

// ---- Scalar parts (tables, λ_mm), shared by every instruction set ------------------------------

void lmaxTables(uint8_t *base, int lmax, size_t inv4, size_t sq4, size_t isq) {
  for (int l = 0; l <= lmax + 4; l++) {
    const double q = 4.0 * l * l - 1;
    Dp(base, inv4)[l] = 1 / q;
    Dp(base, sq4)[l] = l == 0 ? 0 : sqrt(q);
  }
  Dp(base, isq)[0] = 0;
  for (int k = 1; k <= 2 * lmax + 8; k++) Dp(base, isq)[k] = 1 / sqrt(static_cast<double>(k));
}

// Per-m tables e2, N', LIMIT/N' and the boundary list, as the WebAssembly kernel's coefs() (the
// y-form tables are not needed here).
void coefs(uint8_t *base, int m, int lmax, size_t inv4, size_t sq4, size_t isq, size_t e2p, size_t nrmp, size_t limp,
           size_t bjp, size_t bfp) {
  const int end = lmax + 3;
  double *e2 = Dp(base, e2p), *nrm = Dp(base, nrmp), *lim = Dp(base, limp), *bf = Dp(base, bfp);
  int32_t *bj = reinterpret_cast<int32_t *>(base + bjp);
  for (int l = m; l <= end + 1; l++) e2[l - m] = static_cast<double>(l - m) * static_cast<double>(l + m) * Dp(base, inv4)[l];
  double n = 1;
  int nb = 0;
  nrm[0] = 1;
  for (int l = m + 1; l <= end; l++) {
    const double r = Dp(base, sq4)[l] * Dp(base, isq)[l - m] * Dp(base, isq)[l + m];
    n *= r;
    nrm[l - m] = n;
    if (((l - m) & 1) == 1 && n > RENORM_AT) {
      const double f = pow2(exponentOf(nrm[l - 1 - m]));
      const double inv = 1 / f;
      nrm[l - 1 - m] *= inv;
      n *= inv;
      nrm[l - m] = n;
      bj[nb] = (l - m) >> 1;
      bf[nb] = f;
      nb++;
    }
  }
  bj[nb] = NO_STEP;
  for (int i = 0; i <= end - m; i++) lim[i] = LIMIT / nrm[i];
}

// dst(l) = a_l · N'_l for l = m … lmax, both linear from l = m.
void prescale(uint8_t *base, int m, int lmax, size_t src, size_t dst, size_t nrmp) {
  const double *s = Dp(base, src), *nrm = Dp(base, nrmp);
  double *d = Dp(base, dst);
  for (int i = 0; i <= lmax - m; i++) {
    d[2 * i] = s[2 * i] * nrm[i];
    d[2 * i + 1] = s[2 * i + 1] * nrm[i];
  }
}

void advanceMM(uint8_t *base, int m, int n, size_t sp, size_t vp, size_t kp) {
  const double f = -sqrt(static_cast<double>(2 * m + 1) / static_cast<double>(2 * m));
  for (int r = 0; r < n; r++) {
    double v = Dp(base, vp)[r] * Dp(base, sp)[r] * f;
    double k = Dp(base, kp)[r];
    while (v != 0 && fabs(v) < THRESH) {
      v *= UP;
      k -= 1;
    }
    if (k < 0 && fabs(v) >= LIMIT) {
      v *= DOWN;
      k += 1;
    }
    Dp(base, vp)[r] = v;
    Dp(base, kp)[r] = k;
  }
}

}  // namespace

// ---- Vector kernels, one namespace per instruction set -----------------------------------------

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace isa_avx512 {
typedef __m512d V;
typedef __mmask8 M;
static const int W = 8;
static inline V vload(const double *p) { return _mm512_loadu_pd(p); }
static inline void vstore(double *p, V v) { _mm512_storeu_pd(p, v); }
static inline V vset1(double d) { return _mm512_set1_pd(d); }
static inline V vadd(V a, V b) { return _mm512_add_pd(a, b); }
static inline V vsub(V a, V b) { return _mm512_sub_pd(a, b); }
static inline V vmul(V a, V b) { return _mm512_mul_pd(a, b); }
static inline V vfma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
static inline V vfms(V a, V b, V c) { return _mm512_fmsub_pd(a, b, c); }
static inline V vabs(V a) { return _mm512_castsi512_pd(_mm512_and_epi64(_mm512_castpd_si512(a), _mm512_set1_epi64(0x7fffffffffffffffLL))); }
static inline M vge(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
static inline M veq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
static inline M veqz(V a) { return _mm512_cmp_pd_mask(a, _mm512_setzero_pd(), _CMP_EQ_OQ); }
static inline M mor(M a, M b) { return static_cast<M>(a | b); }
static inline bool many(M a) { return a != 0; }
static inline bool mall(M a) { return a == 0xff; }
static inline V vsel(M m, V t, V f) { return _mm512_mask_blend_pd(m, f, t); }
#define NVEC 4
#include "legendre-body.h"
#undef NVEC
}  // namespace isa_avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace isa_avx2 {
typedef __m256d V;
typedef __m256d M;
static const int W = 4;
static inline V vload(const double *p) { return _mm256_loadu_pd(p); }
static inline void vstore(double *p, V v) { _mm256_storeu_pd(p, v); }
static inline V vset1(double d) { return _mm256_set1_pd(d); }
static inline V vadd(V a, V b) { return _mm256_add_pd(a, b); }
static inline V vsub(V a, V b) { return _mm256_sub_pd(a, b); }
static inline V vmul(V a, V b) { return _mm256_mul_pd(a, b); }
static inline V vfma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
static inline V vfms(V a, V b, V c) { return _mm256_fmsub_pd(a, b, c); }
static inline V vabs(V a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
static inline M vge(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static inline M veq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
static inline M veqz(V a) { return _mm256_cmp_pd(a, _mm256_setzero_pd(), _CMP_EQ_OQ); }
static inline M mor(M a, M b) { return _mm256_or_pd(a, b); }
static inline bool many(M a) { return _mm256_movemask_pd(a) != 0; }
static inline bool mall(M a) { return _mm256_movemask_pd(a) == 0xf; }
static inline V vsel(M m, V t, V f) { return _mm256_blendv_pd(f, t, m); }
#define NVEC 4
#include "legendre-body.h"
#undef NVEC
}  // namespace isa_avx2
#pragma GCC pop_options

// SSE2 is the x86-64 baseline: no FMA, so a·b + c rounds twice (as the WebAssembly kernel does).
namespace isa_sse2 {
typedef __m128d V;
typedef __m128d M;
static const int W = 2;
static inline V vload(const double *p) { return _mm_loadu_pd(p); }
static inline void vstore(double *p, V v) { _mm_storeu_pd(p, v); }
static inline V vset1(double d) { return _mm_set1_pd(d); }
static inline V vadd(V a, V b) { return _mm_add_pd(a, b); }
static inline V vsub(V a, V b) { return _mm_sub_pd(a, b); }
static inline V vmul(V a, V b) { return _mm_mul_pd(a, b); }
static inline V vfma(V a, V b, V c) { return _mm_add_pd(_mm_mul_pd(a, b), c); }
static inline V vfms(V a, V b, V c) { return _mm_sub_pd(_mm_mul_pd(a, b), c); }
static inline V vabs(V a) { return _mm_andnot_pd(_mm_set1_pd(-0.0), a); }
static inline M vge(V a, V b) { return _mm_cmpge_pd(a, b); }
static inline M veq(V a, V b) { return _mm_cmpeq_pd(a, b); }
static inline M veqz(V a) { return _mm_cmpeq_pd(a, _mm_setzero_pd()); }
static inline M mor(M a, M b) { return _mm_or_pd(a, b); }
static inline bool many(M a) { return _mm_movemask_pd(a) != 0; }
static inline bool mall(M a) { return _mm_movemask_pd(a) == 0x3; }
static inline V vsel(M m, V t, V f) { return _mm_or_pd(_mm_and_pd(m, t), _mm_andnot_pd(m, f)); }
#define NVEC 4
#include "legendre-body.h"
#undef NVEC
}  // namespace isa_sse2

// ---- Dispatch and N-API bindings ------------------------------------------------------------

namespace {

typedef void (*SweepFn)(uint8_t *, int, int, int, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                        size_t, size_t, size_t, size_t, int &);
typedef void (*FinishFn)(uint8_t *, int, int, size_t, size_t, size_t);
typedef void (*BatchFn)(uint8_t *, int, int, int, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                        size_t, size_t, size_t, size_t, size_t, size_t, int &);

struct Isa {
  const char *name;
  int width;  // doubles per vector: the analysis column sums hold `width` partial sums per l
  SweepFn synth;
  SweepFn analyze;
  FinishFn finish;
  BatchFn synth2;
  BatchFn analyze2;
  BatchFn synth4;
  BatchFn analyze4;
};

const Isa ISAS[] = {
    {"avx512f", isa_avx512::W, isa_avx512::synthImpl, isa_avx512::analyzeImpl, isa_avx512::finishImpl, isa_avx512::synth2Impl, isa_avx512::analyze2Impl,
     isa_avx512::synth4Impl, isa_avx512::analyze4Impl},
    {"avx2", isa_avx2::W, isa_avx2::synthImpl, isa_avx2::analyzeImpl, isa_avx2::finishImpl, isa_avx2::synth2Impl, isa_avx2::analyze2Impl,
     isa_avx2::synth4Impl, isa_avx2::analyze4Impl},
    {"sse2", isa_sse2::W, isa_sse2::synthImpl, isa_sse2::analyzeImpl, isa_sse2::finishImpl, isa_sse2::synth2Impl, isa_sse2::analyze2Impl,
     isa_sse2::synth4Impl, isa_sse2::analyze4Impl},
};

bool supported(int i) {
  __builtin_cpu_init();
  switch (i) {
    case 0: return __builtin_cpu_supports("avx512f");
    case 1: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default: return true;
  }
}

int bestIsa() {
  for (int i = 0; i < 3; i++)
    if (supported(i)) return i;
  return 2;
}

// Arguments: the ArrayBuffer first, then numbers. Returns false (with a pending JS exception) on
// a type error; a wrong call is a bug in legendre-native.ts, not user input.
bool args(napi_env env, napi_callback_info info, size_t want, uint8_t **base, size_t *bytes, int64_t *out) {
  napi_value argv[24];
  size_t argc = 24;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want + 1) {
    napi_throw_type_error(env, nullptr, "Internal error: cmbflow native kernel called with too few arguments");
    return false;
  }
  void *data = nullptr;
  if (napi_get_arraybuffer_info(env, argv[0], &data, bytes) != napi_ok) {
    napi_throw_type_error(env, nullptr, "Internal error: cmbflow native kernel expects an ArrayBuffer");
    return false;
  }
  *base = static_cast<uint8_t *>(data);
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &out[i]) != napi_ok) {
      napi_throw_type_error(env, nullptr, "Internal error: cmbflow native kernel expects numbers");
      return false;
    }
  }
  return true;
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value intValue(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

const Isa &isaOf(napi_env env, napi_callback_info info) {
  void *data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  return *static_cast<const Isa *>(data);
}

napi_value JsLmaxTables(napi_env env, napi_callback_info info) {
  uint8_t *base;
  size_t bytes;
  int64_t a[4];
  if (!args(env, info, 4, &base, &bytes, a)) return nullptr;
  lmaxTables(base, (int)a[0], a[1], a[2], a[3]);
  return undefinedValue(env);
}

napi_value JsCoefs(napi_env env, napi_callback_info info) {
  uint8_t *base;
  size_t bytes;
  int64_t a[10];
  if (!args(env, info, 10, &base, &bytes, a)) return nullptr;
  coefs(base, (int)a[0], (int)a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
  return undefinedValue(env);
}

napi_value JsPrescale(napi_env env, napi_callback_info info) {
  uint8_t *base;
  size_t bytes;
  int64_t a[5];
  if (!args(env, info, 5, &base, &bytes, a)) return nullptr;
  prescale(base, (int)a[0], (int)a[1], a[2], a[3], a[4]);
  return undefinedValue(env);
}

napi_value JsAdvanceMM(napi_env env, napi_callback_info info) {
  uint8_t *base;
  size_t bytes;
  int64_t a[5];
  if (!args(env, info, 5, &base, &bytes, a)) return nullptr;
  advanceMM(base, (int)a[0], (int)a[1], a[2], a[3], a[4]);
  return undefinedValue(env);
}

napi_value JsFinish(napi_env env, napi_callback_info info) {
  uint8_t *base;
  size_t bytes;
  int64_t a[5];
  if (!args(env, info, 5, &base, &bytes, a)) return nullptr;
  isaOf(env, info).finish(base, (int)a[0], (int)a[1], a[2], a[3], a[4]);
  return undefinedValue(env);
}

// synth/analyze(buffer, m, lmax, lanes, x, v, k, dead, e2, nrm, bj, bf, a|p, f, fstride, soff)
napi_value sweep(napi_env env, napi_callback_info info, bool synthesis) {
  uint8_t *base;
  size_t bytes;
  int64_t a[15];
  if (!args(env, info, 15, &base, &bytes, a)) return nullptr;
  const Isa &isa = isaOf(env, info);
  int live = 0;
  (synthesis ? isa.synth : isa.analyze)(base, (int)a[0], (int)a[1], (int)a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                                        a[9], a[10], a[11], a[12], a[13], a[14], live);
  return intValue(env, live);
}

napi_value JsSynth(napi_env env, napi_callback_info info) { return sweep(env, info, true); }

// `sets` (2 or 4) sets in one pass; the arguments of sweep() plus a stride between the sets'
// columns (or column sums) after the column offset, and one between their F sets at the end.
napi_value batch(napi_env env, napi_callback_info info, bool synthesis, int sets) {
  uint8_t *base;
  size_t bytes;
  int64_t a[17];
  if (!args(env, info, 17, &base, &bytes, a)) return nullptr;
  const Isa &isa = isaOf(env, info);
  int live = 0;
  const BatchFn fn = sets == 4 ? (synthesis ? isa.synth4 : isa.analyze4) : (synthesis ? isa.synth2 : isa.analyze2);
  fn(base, (int)a[0], (int)a[1], (int)a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
     a[14], a[15], a[16], live);
  return intValue(env, live);
}

// synth2(buffer, m, lmax, lanes, x, v, k, dead, e2, nrm, bj, bf, a, astride, f, fstride, soff, fset)
napi_value JsSynth2(napi_env env, napi_callback_info info) { return batch(env, info, true, 2); }
// analyze2(buffer, m, lmax, lanes, x, v, k, dead, e2, nrm, bj, bf, p, pstride, f, fstride, soff, fset)
napi_value JsAnalyze2(napi_env env, napi_callback_info info) { return batch(env, info, false, 2); }
// synth4, analyze4: the same for four sets, each `astride` / `fset` after the previous one.
napi_value JsSynth4(napi_env env, napi_callback_info info) { return batch(env, info, true, 4); }
napi_value JsAnalyze4(napi_env env, napi_callback_info info) { return batch(env, info, false, 4); }
napi_value JsAnalyze(napi_env env, napi_callback_info info) { return sweep(env, info, false); }

// Exports: the scalar table functions at the top level; per instruction set this CPU runs, an
// object { synth, synth2, analyze, analyze2, finish, width } under its name; `best`, the name of the fastest.
napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor top[] = {
      {"lmaxTables", nullptr, JsLmaxTables, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"coefs", nullptr, JsCoefs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"prescale", nullptr, JsPrescale, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"advanceMM", nullptr, JsAdvanceMM, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof top / sizeof top[0], top);
  for (int i = 0; i < 3; i++) {
    if (!supported(i)) continue;
    void *data = const_cast<Isa *>(&ISAS[i]);
    napi_value obj;
    napi_create_object(env, &obj);
    const napi_property_descriptor props[] = {
        {"synth", nullptr, JsSynth, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"synth2", nullptr, JsSynth2, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"analyze2", nullptr, JsAnalyze2, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"synth4", nullptr, JsSynth4, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"analyze4", nullptr, JsAnalyze4, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"analyze", nullptr, JsAnalyze, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"finish", nullptr, JsFinish, nullptr, nullptr, nullptr, napi_enumerable, data},
        {"width", nullptr, nullptr, nullptr, nullptr, intValue(env, ISAS[i].width), napi_enumerable, nullptr},
    };
    napi_define_properties(env, obj, sizeof props / sizeof props[0], props);
    napi_set_named_property(env, exports, ISAS[i].name, obj);
  }
  napi_value best;
  napi_create_string_utf8(env, ISAS[bestIsa()].name, NAPI_AUTO_LENGTH, &best);
  napi_set_named_property(env, exports, "best", best);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
