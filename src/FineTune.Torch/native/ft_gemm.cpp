// A float32 CPU matmul for few rows: y (M, N) = x (M, K) · wᵀ (+ bias), w (N, K), the shape of a linear layer at a
// decode step (M = the batch's rows, 1 to 16). OpenBLAS runs such products far below its large-M rate on this kind of
// machine: x·wᵀ with K = 256, N = 4,096 took 210 µs at M = 1 and 450 µs at M = 4 on 2 threads (6 and 19 GFLOP/s),
// where M = 256 reached 130 GFLOP/s. Here each tile of up to 4 rows of x and a few rows of w keeps every dot product
// in a vector register, reads each w row once per 4 rows of x, and sums the lanes at the end; the K tail is a masked
// load. Built for AVX-512 and AVX2 (with FMA) and chosen at run time; a CPU with neither, or any other case, takes
// at::mm. The summation order differs from OpenBLAS's, so results agree to float32 rounding, not bit for bit.
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <atomic>

namespace {

using Tile = void (*)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy,
                      const float* bias);

#pragma GCC push_options
#pragma GCC target("avx512f,fma")
// GCC 12's AVX-512 header leaves a value it then discards uninitialized (_mm256_undefined_pd) and warns of it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int MB, int NB>
void tile512(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy, const float* bias) {
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
    for (int j = 0; j < NB; j++) y[i * ldy + j] = _mm512_reduce_add_ps(acc[i][j]) + (bias ? bias[j] : 0.0f);
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
void tile256(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy, const float* bias) {
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
      y[i * ldy + j] = s + (bias ? bias[j] : 0.0f);
    }
}
#pragma GCC pop_options

// Tiles by rows of x (1..4) for a full block of w rows, and for one w row (the tail of N).
struct Kernels {
  int nb;
  Tile full[4];
  Tile single[4];
};

const Kernels k512{4, {tile512<1, 4>, tile512<2, 4>, tile512<3, 4>, tile512<4, 4>},
                   {tile512<1, 1>, tile512<2, 1>, tile512<3, 1>, tile512<4, 1>}};
const Kernels k256{2, {tile256<1, 2>, tile256<2, 2>, tile256<3, 2>, tile256<4, 2>},
                   {tile256<1, 1>, tile256<2, 1>, tile256<3, 1>, tile256<4, 1>}};

// 2 = AVX-512, 1 = AVX2, 0 = none: what this CPU can run.
int best_isa() {
  static const int best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
  }();
  return best;
}

std::atomic<int> g_isa{-1};   // -1: not chosen yet (the best)

const Kernels* kernels() {
  int isa = g_isa.load(std::memory_order_relaxed);
  if (isa < 0) isa = best_isa();
  return isa == 2 ? &k512 : isa == 1 ? &k256 : nullptr;
}

}  // namespace

namespace ft {

bool small_linear(const at::Tensor& x2, const at::Tensor& w, const at::Tensor* bias, at::Tensor& out) {
  const Kernels* ks = kernels();
  auto cpu_float = [](const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat; };
  if (!ks || !fused_enabled() || !cpu_float(x2) || !cpu_float(w) || (bias && !cpu_float(*bias))) return false;
  if (at::GradMode::is_enabled() && (x2.requires_grad() || w.requires_grad() || (bias && bias->requires_grad()))) return false;
  if (x2.dim() != 2 || w.dim() != 2 || x2.stride(1) != 1 || w.stride(1) != 1) return false;
  const int64_t M = x2.size(0), K = x2.size(1), N = w.size(0);
  if (M < 1 || M > 16 || w.size(1) != K || K == 0 || N == 0) return false;
  if (bias && (bias->dim() != 1 || bias->size(0) != N || !bias->is_contiguous())) return false;
  out = at::empty({M, N}, x2.options());
  const float *xs = x2.data_ptr<float>(), *ws = w.data_ptr<float>(), *bs = bias ? bias->data_ptr<float>() : nullptr;
  float* ys = out.data_ptr<float>();
  const int64_t ldx = x2.stride(0), ldw = w.stride(0), nb = ks->nb, blocks = (N + nb - 1) / nb;
  // Tasks of at least ~64k multiply-adds, so waking the second thread pays for itself.
  const int64_t grain = std::max<int64_t>(1, 65536 / (M * K * nb));
  at::parallel_for(0, blocks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; blk++) {
      const int64_t n0 = blk * nb, rows = std::min(nb, N - n0);
      for (int64_t m0 = 0; m0 < M; m0 += 4) {
        const int64_t mb = std::min<int64_t>(4, M - m0);
        const float* xm = xs + m0 * ldx;
        float* ym = ys + m0 * N + n0;
        if (rows == nb) {
          ks->full[mb - 1](xm, ldx, ws + n0 * ldw, ldw, K, ym, N, bs ? bs + n0 : nullptr);
        } else {
          for (int64_t r = 0; r < rows; r++)
            ks->single[mb - 1](xm, ldx, ws + (n0 + r) * ldw, ldw, K, ym + r, N, bs ? bs + n0 + r : nullptr);
        }
      }
    }
  });
  return true;
}

}  // namespace ft

// The kernel set in use: request -1 asks only; 0 turns the kernel off (at::mm everywhere), 1 AVX2, 2 AVX-512, 3 the
// best this CPU runs. Returns the set now in use (0, 1, 2), or -2 when the CPU cannot run the one requested. For
// tests, which check each set the CPU runs against float64.
FT_API int ft_small_matmul_isa(int request) {
  if (request == 3) request = best_isa();
  if (request >= 0) {
    if (request > best_isa()) return -2;
    g_isa.store(request, std::memory_order_relaxed);
  }
  int isa = g_isa.load(std::memory_order_relaxed);
  return isa < 0 ? best_isa() : isa;
}

// The best set this CPU runs (2 AVX-512, 1 AVX2, 0 none).
FT_API int ft_small_matmul_best() { return best_isa(); }
