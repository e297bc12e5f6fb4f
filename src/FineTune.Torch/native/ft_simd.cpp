// Kernels written for AVX-512 and AVX2 (with FMA), chosen at run time by what the CPU runs; a CPU with neither, a
// build for another architecture, or any case a kernel does not take gets the ATen op. Three of them:
//
// A float32 matmul for few rows: y (M, N) = x (M, K) · wᵀ (+ bias), w (N, K), the shape of a linear layer at a decode
// step (M = the batch's rows, 1 to 16). OpenBLAS runs such products far below its large-M rate on this kind of
// machine: x·wᵀ with K = 256, N = 4,096 took 210 µs at M = 1 and 450 µs at M = 4 on 2 threads (6 and 19 GFLOP/s),
// where M = 256 reached 130 GFLOP/s. Here each tile of up to 4 rows of x and a few rows of w keeps every dot product
// in a vector register, reads each w row once per 4 rows of x, and sums the lanes at the end; the K tail is a masked
// load. The summation order differs from OpenBLAS's, so results agree to float32 rounding, not bit for bit.
//
// The same tiles adding alpha · x·wᵀ into an existing output in place: a LoRA update (t·Bᵀ) into the base output's
// columns at a decode step.
//
// silu(g)·u, the SwiGLU product, with a vector exp (Cephes' expf polynomial on a range-reduced argument; within 2e-6 relative of float64 in the tests):
// ATen's silu and mul are two passes and two parallel regions.
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#define FT_X86 1
#include <immintrin.h>
#else
#define FT_X86 0   // other CPUs (aarch64): no kernels here, OpenBLAS and ATen take everything
#endif
#include <cmath>

namespace {

// What a tile writes: y = alpha·(x·wᵀ) + bias, or y += alpha·(x·wᵀ) (accumulate; no bias then).
struct Store {
  float alpha;
  bool accumulate;
  inline float operator()(float y, float dot, float bias) const { return accumulate ? y + alpha * dot : alpha * dot + bias; }
};

using Tile = void (*)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy,
                      const float* bias, Store store);

// Tiles by rows of x (1..4) for a full block of w rows, and for one w row (the tail of N).
struct Kernels {
  int nb;
  Tile full[4];
  Tile single[4];
};

using SiluRow = void (*)(const float* g, const float* u, float* o, int64_t n);

#if FT_X86
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
// GCC 12's AVX-512 header leaves a value it then discards uninitialized (_mm256_undefined_pd) and warns of it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int MB, int NB>
void tile512(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy, const float* bias,
             Store store) {
  __m512 acc[MB][NB];
  #pragma GCC unroll 16
  for (int i = 0; i < MB; i++)
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 wv[NB];
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) wv[j] = _mm512_loadu_ps(w + j * ldw + k);
    #pragma GCC unroll 16
    for (int i = 0; i < MB; i++) {
      const __m512 xv = _mm512_loadu_ps(x + i * ldx + k);
      #pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  if (k < K) {
    const __mmask16 m = static_cast<__mmask16>((1u << (K - k)) - 1);
    __m512 wv[NB];
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) wv[j] = _mm512_maskz_loadu_ps(m, w + j * ldw + k);
    #pragma GCC unroll 16
    for (int i = 0; i < MB; i++) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + i * ldx + k);
      #pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  #pragma GCC unroll 16
  for (int i = 0; i < MB; i++)
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) y[i * ldy + j] = store(y[i * ldy + j], _mm512_reduce_add_ps(acc[i][j]), bias ? bias[j] : 0.0f);
}

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' expf polynomial, times 2^n (scalef, which also gives 0 and inf
// past the float range).
inline __m512 exp512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
  x = _mm512_min_ps(x, _mm512_set1_ps(89.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

// o[i] = g[i] / (1 + e^−g[i]) · u[i] for i < n.
void silu_mul512(const float* g, const float* u, float* o, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 a = _mm512_loadu_ps(g + i);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), a));
    _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_div_ps(a, _mm512_add_ps(one, e)), _mm512_loadu_ps(u + i)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), a));
    _mm512_mask_storeu_ps(o + i, m, _mm512_mul_ps(_mm512_div_ps(a, _mm512_add_ps(one, e)), _mm512_maskz_loadu_ps(m, u + i)));
  }
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int MB, int NB>
void tile256(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy, const float* bias,
             Store store) {
  __m256 acc[MB][NB];
  #pragma GCC unroll 16
  for (int i = 0; i < MB; i++)
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) acc[i][j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    __m256 wv[NB];
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) wv[j] = _mm256_loadu_ps(w + j * ldw + k);
    #pragma GCC unroll 16
    for (int i = 0; i < MB; i++) {
      const __m256 xv = _mm256_loadu_ps(x + i * ldx + k);
      #pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  #pragma GCC unroll 16
  for (int i = 0; i < MB; i++)
    #pragma GCC unroll 16
    for (int j = 0; j < NB; j++) {
      float s = hsum256(acc[i][j]);
      for (int64_t t = k; t < K; t++) s += x[i * ldx + t] * w[j * ldw + t];
      y[i * ldy + j] = store(y[i * ldy + j], s, bias ? bias[j] : 0.0f);
    }
}

// e^x as exp512, with 2^n built in the exponent bits (x clamped so that n stays a normal float's exponent).
inline __m256 exp256(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

void silu_mul256(const float* g, const float* u, float* o, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_loadu_ps(g + i);
    const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), a));
    _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_div_ps(a, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; i++) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}
#pragma GCC pop_options

const Kernels k512{4, {tile512<1, 4>, tile512<2, 4>, tile512<3, 4>, tile512<4, 4>},
                   {tile512<1, 1>, tile512<2, 1>, tile512<3, 1>, tile512<4, 1>}};
const Kernels k256{2, {tile256<1, 2>, tile256<2, 2>, tile256<3, 2>, tile256<4, 2>},
                   {tile256<1, 1>, tile256<2, 1>, tile256<3, 1>, tile256<4, 1>}};
#endif  // FT_X86

// 2 = AVX-512, 1 = AVX2, 0 = none: what this CPU can run.
int best_isa() {
#if FT_X86
  static const int best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
  }();
  return best;
#else
  return 0;
#endif
}

std::atomic<int> g_isa{-1};   // -1: not chosen yet (the best)

int isa_in_use() {
  const int isa = g_isa.load(std::memory_order_relaxed);
  return isa < 0 ? best_isa() : isa;
}

const Kernels* kernels() {
#if FT_X86
  const int isa = isa_in_use();
  return isa == 2 ? &k512 : isa == 1 ? &k256 : nullptr;
#else
  return nullptr;
#endif
}

SiluRow silu_row() {
#if FT_X86
  const int isa = isa_in_use();
  return isa == 2 ? silu_mul512 : isa == 1 ? silu_mul256 : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace

namespace {

// y (M, N, row stride ldy) = or += alpha · x2 (M, K) · wᵀ (+ bias) with the tiles of ks; the caller checked the shapes.
void run_tiles(const Kernels* ks, const at::Tensor& x2, const at::Tensor& w, const float* bs, float* ys, int64_t ldy, Store store) {
  const int64_t M = x2.size(0), K = x2.size(1), N = w.size(0);
  const float *xs = x2.data_ptr<float>(), *ws = w.data_ptr<float>();
  const int64_t ldx = x2.stride(0), ldw = w.stride(0), nb = ks->nb, blocks = (N + nb - 1) / nb;
  // Tasks of at least ~64k multiply-adds, so waking the second thread pays for itself.
  const int64_t grain = std::max<int64_t>(1, 65536 / (M * K * nb));
  at::parallel_for(0, blocks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; blk++) {
      const int64_t n0 = blk * nb, rows = std::min(nb, N - n0);
      for (int64_t m0 = 0; m0 < M; m0 += 4) {
        const int64_t mb = std::min<int64_t>(4, M - m0);
        const float* xm = xs + m0 * ldx;
        float* ym = ys + m0 * ldy + n0;
        if (rows == nb) {
          ks->full[mb - 1](xm, ldx, ws + n0 * ldw, ldw, K, ym, ldy, bs ? bs + n0 : nullptr, store);
        } else {
          for (int64_t r = 0; r < rows; r++)
            ks->single[mb - 1](xm, ldx, ws + (n0 + r) * ldw, ldw, K, ym + r, ldy, bs ? bs + n0 + r : nullptr, store);
        }
      }
    }
  });
}

// The kernels in use when they may take x2 (M, K) · wᵀ: float32 CPU, no gradient asked, 1..16 rows, rows contiguous.
const Kernels* kernels_for(const at::Tensor& x2, const at::Tensor& w) {
  const Kernels* ks = kernels();
  if (!ks || !ft::fused_enabled() || !ft::cpu_float({&x2, &w}) || ft::needs_grad({&x2, &w}) || x2.dim() != 2 || w.dim() != 2)
    return nullptr;
  const int64_t M = x2.size(0), K = x2.size(1), N = w.size(0);
  if (M < 1 || M > 16 || w.size(1) != K || K == 0 || N == 0) return nullptr;
  return ks;
}

}  // namespace

namespace ft {

int vector_isa_in_use() { return isa_in_use(); }

bool small_linear(const at::Tensor& x2, const at::Tensor& w, const at::Tensor* bias, at::Tensor& out) {
  const Kernels* ks = kernels_for(x2, w);
  if (!ks) return false;
  if (bias && (!ft::cpu_float({bias}) || ft::needs_grad({bias}) || bias->dim() != 1 || bias->size(0) != w.size(0)))
    return false;
  out = at::empty({x2.size(0), w.size(0)}, x2.options());
  run_tiles(ks, x2, w, bias ? bias->data_ptr<float>() : nullptr, out.data_ptr<float>(), w.size(0), Store{1.0f, false});
  return true;
}

bool small_addmm_(at::Tensor& self, const at::Tensor& m1, const at::Tensor& w, double alpha) {
  const Kernels* ks = kernels_for(m1, w);
  if (!ks || !ft::cpu_float({&self}) || ft::needs_grad({&self}) || self.dim() != 2 || self.size(0) != m1.size(0) ||
      self.size(1) != w.size(0) || self.storage().is_alias_of(m1.storage()) ||
      self.storage().is_alias_of(w.storage()))
    return false;
  run_tiles(ks, m1, w, nullptr, self.data_ptr<float>(), self.stride(0), Store{static_cast<float>(alpha), true});
  return true;
}

bool silu_mul_simd(const at::Tensor& g, const at::Tensor& u, at::Tensor& out) {
  const SiluRow row = silu_row();
  if (!row || !fused_enabled() || !ft::cpu_float({&g, &u}) || ft::needs_grad({&g, &u}) || g.sizes() != u.sizes()) return false;
  const int64_t I = g.size(-1);
  auto g2 = g.reshape({-1, I});
  auto u2 = u.reshape({-1, I});
  out = at::empty({g2.size(0), I}, g.options());
  const float *gp = g2.data_ptr<float>(), *up = u2.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t gr = g2.stride(0), ur = u2.stride(0);
  at::parallel_for(0, g2.size(0), std::max<int64_t>(1, 16384 / std::max<int64_t>(I, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) row(gp + r * gr, up + r * ur, op + r * I, I);
  });
  out = out.view(g.sizes());
  return true;
}

}  // namespace ft

// The kernel set in use: request -1 asks only; 0 turns the kernels off (OpenBLAS and ATen everywhere), 1 AVX2, 2 AVX-512, 3 the
// best this CPU runs. Returns the set now in use (0, 1, 2), or -2 when the CPU cannot run the one requested. For
// tests, which check each set the CPU runs against float64.
FT_API int ft_vector_isa(int request) {
  if (request == 3) request = best_isa();
  if (request >= 0) {
    if (request > best_isa()) return -2;
    g_isa.store(request, std::memory_order_relaxed);
  }
  return isa_in_use();
}

// The best set this CPU runs (2 AVX-512, 1 AVX2, 0 none).
FT_API int ft_vector_isa_best() { return best_isa(); }
