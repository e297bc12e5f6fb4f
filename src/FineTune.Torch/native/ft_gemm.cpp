// A float32 matrix product for AVX-512 CPUs, for the linear layers' products of many rows (prefill, training): the
// forward x·wᵀ and, in training, the input gradient dy·w. It runs where the vector kernels in use are AVX-512
// (LibTorch.VectorIsa). OpenBLAS picks its kernels by CPU model: on a CPU it does not know, or under
// OPENBLAS_CORETYPE=Haswell as on this project's machines (AMD EPYC, family 26), it runs its AVX2 kernels. Measured
// through ft_linear against at::mm (OpenBLAS 0.3.21, Haswell kernels) in one C++ process, 2 threads, alternated:
//
//   x (1,024 × 256) · wᵀ, w 1,376 × 256 (gate/up of the tiny bench model)   3.87 ms  →  2.00 ms  (186 → 361 GFLOP/s)
//   x (1,024 × 256) · wᵀ, w 4,096 × 256 (its head)                          11.1 ms  →  6.55 ms
//   x (341 × 576) · wᵀ, w 49,152 × 576 (a loss chunk of the small model)    109 ms   →  60.8 ms
//   x (64 × 256) · wᵀ, w 1,376 × 256 (a batch-1 prefill)                    284–298 µs → 157–162 µs
//   x (17 × 256) · wᵀ, w 1,376 × 256 (a decode step of 17 sequences)        135–138 µs → 68–71 µs
//   x (17 × 256) · wᵀ, w 384 × 256                                          53–54 µs → 51–52 µs
//
// so it takes every product past ft_simd.cpp's row kernel (1 to 16 rows). One thread of it runs at 190–200 GFLOP/s,
// one of OpenBLAS's at 98–106.
//
// The layout is the usual one: w is packed, 256 k × up to 512 columns at a time, into panels of 32 columns (a
// transposing pack, 16 × 16 in registers, for the forward's wᵀ; row copies for the backward's w); a 12 × 32 tile of
// the output lives in 24 vector registers while k runs, each step two loads of the panel and twelve broadcasts of x.
// The threads take units of panels from a shared counter and pack their own. This file is compiled with OpenMP
// (CMakeLists.txt): ATen's parallel_for is a template, and without it the product would run on one thread. Sums run in
// another order than OpenBLAS's: results agree to float32 rounding, not bit for bit.
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#if defined(__x86_64__)
#define FT_GEMM 1
#include <immintrin.h>
#else
#define FT_GEMM 0
#endif

namespace {

constexpr int64_t kMinRows = 17;   // up to 16 rows: ft_simd.cpp's row kernel
// Multiply-adds per thread: a product gets a second thread only for each further 8 M. Waking a passive OpenMP worker costs
// 10–12 µs here (C++ loop, 2 threads against 1, medians of 200): 64 × 64 × 128 (0.5 M) took 7.0 µs on one thread and
// 19.4 on two, 128 × 256 × 256 (8.4 M) 98 and 99 µs, 64 × 256 × 1,376 (22.5 M) 249 and 184 µs.
constexpr double kMacsPerThread = 8e6;

#if FT_GEMM
constexpr int MR = 12, NR = 32;
constexpr int64_t KC = 256, NC = 512, MC = 96;

#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

// Panels p_begin … p_end − 1 of B's block [k0, k0 + kc) × [j0, j0 + nc): each kc rows of NR floats, zero past N.
// B(k, n) = b[k·sbk + n·sbn] with sbk == 1 (wᵀ: rows of w are columns of B) or sbn == 1.
void pack_b(const float* b, int64_t sbk, int64_t sbn, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* out,
            int64_t p_begin, int64_t p_end) {
  for (int64_t p = p_begin; p < p_end; p++) {
    float* dst = out + p * kc * NR;
    const int64_t jn = std::min<int64_t>(NR, nc - p * NR);
    const float* src = b + k0 * sbk + (j0 + p * NR) * sbn;
    if (sbn == 1) {
      for (int64_t k = 0; k < kc; k++) {
        std::memcpy(dst + k * NR, src + k * sbk, jn * sizeof(float));
        if (jn < NR) std::memset(dst + k * NR + jn, 0, (NR - jn) * sizeof(float));
      }
      continue;
    }
    for (int64_t h = 0; h < NR; h += 16) {
      const int64_t rows = std::max<int64_t>(0, std::min<int64_t>(16, jn - h));
      int64_t k = 0;
      if (rows == 16)
        for (; k + 16 <= kc; k += 16) {
          __m512 r[16];
          for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + (h + i) * sbn + k);
          transpose16(r);
          for (int i = 0; i < 16; i++) _mm512_store_ps(dst + (k + i) * NR + h, r[i]);
        }
      for (; k < kc; k++)
        for (int64_t j = h; j < h + 16; j++) dst[k * NR + j] = j < jn ? src[j * sbn + k] : 0.f;
    }
  }
}

// R rows (≤ MR) of A × one packed panel: C[0..R) [0..jn) = Σk A·B, plus what is there (acc) or the bias. A(i, k) is
// a[i·lda + k], or a[i + k·lda] when TA (A stored transposed: the R values of one k lie side by side).
template <int R, bool TA>
void tile(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int64_t jn, bool acc, const float* bias) {
  __m512 c0[R], c1[R];
  for (int i = 0; i < R; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_load_ps(bp + k * NR), b1 = _mm512_load_ps(bp + k * NR + 16);
#pragma GCC unroll 12
    for (int i = 0; i < R; i++) {
      const __m512 x = _mm512_set1_ps(TA ? a[i + k * lda] : a[i * lda + k]);
      c0[i] = _mm512_fmadd_ps(x, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(x, b1, c1[i]);
    }
  }
  const __mmask16 m0 = jn >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << jn) - 1);
  const __mmask16 m1 = jn >= 32 ? 0xFFFF : jn <= 16 ? 0 : static_cast<__mmask16>((1u << (jn - 16)) - 1);
  const __m512 bb0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bb1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
  for (int i = 0; i < R; i++) {
    float* row = c + i * ldc;
    __m512 y0 = c0[i], y1 = c1[i];
    if (acc) {
      y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, row));
      y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, row + 16));
    } else {
      y0 = _mm512_add_ps(y0, bb0);
      y1 = _mm512_add_ps(y1, bb1);
    }
    _mm512_mask_storeu_ps(row, m0, y0);
    _mm512_mask_storeu_ps(row + 16, m1, y1);
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, int64_t, bool, const float*);
const TileFn kTiles[2][MR + 1] = {
    {nullptr, tile<1, false>, tile<2, false>, tile<3, false>, tile<4, false>, tile<5, false>, tile<6, false>, tile<7, false>,
     tile<8, false>, tile<9, false>, tile<10, false>, tile<11, false>, tile<12, false>},
    {nullptr, tile<1, true>, tile<2, true>, tile<3, true>, tile<4, true>, tile<5, true>, tile<6, true>, tile<7, true>,
     tile<8, true>, tile<9, true>, tile<10, true>, tile<11, true>, tile<12, true>}};

#pragma GCC diagnostic pop
#pragma GCC pop_options

// C (M, N) = A (M, K) · B (+ bias, or + C itself when accumulate). A(i, k) = a[i·lda + k], or a[i + k·lda] when a_t.
// The threads (at most max_threads) take units of a few 32-column panels from a shared counter, each packing its unit
// into a block of its own (up to 512 columns × 256 k, 512 KiB): no barrier inside, and a thread that the machine slows
// down takes fewer units instead of holding the others up at the end.
void gemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b, int64_t sbk, int64_t sbn, float* c,
          int64_t ldc, const float* bias, bool a_t = false, bool accumulate = false, int64_t max_threads = 0) {
  const int64_t panels = (N + NR - 1) / NR;
  const auto by_work = static_cast<int64_t>(static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) / kMacsPerThread);
  const int64_t allowed = max_threads > 0 ? max_threads : static_cast<int64_t>(at::get_num_threads());
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>({allowed, panels, by_work}));
  const int64_t unit = std::max<int64_t>(1, std::min<int64_t>(NC / NR, panels / (4 * threads)));
  std::atomic<int64_t> next{0};
  const auto work = [&](int64_t, int64_t) {
    struct Free {
      void operator()(float* p) const { std::free(p); }
    };
    thread_local std::unique_ptr<float, Free> block(static_cast<float*>(std::aligned_alloc(64, sizeof(float) * KC * NC)));
    float* packed = block.get();
    if (packed == nullptr) throw std::bad_alloc();
    for (int64_t g0; (g0 = next.fetch_add(unit, std::memory_order_relaxed)) < panels;) {
      const int64_t g1 = std::min(panels, g0 + unit), j0 = g0 * NR, nc = std::min(N, g1 * NR) - j0, np = g1 - g0;
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        pack_b(b, sbk, sbn, k0, kc, j0, nc, packed, 0, np);
        const bool acc = accumulate || k0 > 0;
        const float* bb = k0 == 0 && bias ? bias + j0 : nullptr;
        for (int64_t m0 = 0; m0 < M; m0 += MC) {
          const int64_t m1 = std::min(M, m0 + MC);
          for (int64_t p = 0; p < np; p++) {
            const int64_t jn = std::min<int64_t>(NR, nc - p * NR);
            for (int64_t i = m0; i < m1; i += MR)
              kTiles[a_t][std::min<int64_t>(MR, m1 - i)](kc, a_t ? a + i + k0 * lda : a + i * lda + k0, lda, packed + p * kc * NR, c + i * ldc + j0 + p * NR,
                                                    ldc, jn, acc, bb ? bb + p * NR : nullptr);
          }
        }
      }
    }
  };
  if (threads == 1)
    work(0, 1);
  else
    at::parallel_for(0, threads, 1, work);
}
#endif  // FT_GEMM

// Whether this product goes to the kernel: AVX-512 vector kernels in use, native kernels on, enough rows.
bool takes(int64_t M, int64_t N, int64_t K) {
#if FT_GEMM
  return ft::vector_isa_in_use() == 2 && ft::fused_enabled() && M >= kMinRows && N >= 16 && K >= 16;
#else
  return false;
#endif
}

// y (M, N) = x2 (M, K) · wᵀ (+ bias); w rows contiguous.
at::Tensor linear_forward(const at::Tensor& x2, const at::Tensor& w, const at::Tensor* bias) {
  auto y = at::empty({x2.size(0), w.size(0)}, x2.options());
#if FT_GEMM
  gemm(x2.size(0), w.size(0), x2.size(1), x2.data_ptr<float>(), x2.stride(0), w.data_ptr<float>(), 1, w.stride(0),
       y.data_ptr<float>(), w.size(0), bias ? bias->data_ptr<float>() : nullptr);
#endif
  return y;
}

// Training through a frozen weight: the forward above, and dx = dy · w with the same kernel (w's rows are B's rows).
struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x2, const at::Tensor& w, c10::optional<at::Tensor> bias) {
    ctx->save_for_backward({w});
    return linear_forward(x2, w, bias.has_value() ? &*bias : nullptr);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor()};
    const auto w = ctx->get_saved_variables()[0];
    auto g = grads[0].stride(-1) == 1 ? grads[0] : grads[0].contiguous();
    const int64_t M = g.size(0), N = w.size(0), K = w.size(1);
    at::Tensor dx;
    if (takes(M, K, N)) {
      dx = at::empty({M, K}, g.options());
#if FT_GEMM
      gemm(M, K, N, g.data_ptr<float>(), g.stride(0), w.data_ptr<float>(), w.stride(0), 1, dx.data_ptr<float>(), K, nullptr);
#endif
    } else {
      dx = at::mm(g, w);   // the vector kernels were switched off since the forward
    }
    return {dx, at::Tensor(), at::Tensor()};
  }
};

#if FT_GEMM
// C[i] (M, N) = A[i] · B[i] for i < batch, C contiguous; A[i] starts at a + i·sab, B[i] at b + i·sbb. Enough work for
// several threads: each takes whole products (one thread each); else the products one after the other.
void bgemm(int64_t batch, int64_t M, int64_t N, int64_t K, const float* a, int64_t sab, int64_t lda, bool a_t, const float* b,
           int64_t sbb, int64_t sbk, int64_t sbn, float* c) {
  const double macs = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) * static_cast<double>(batch);
  const int64_t threads = std::min<int64_t>({static_cast<int64_t>(at::get_num_threads()), batch, static_cast<int64_t>(macs / kMacsPerThread)});
  const auto one = [&](int64_t i, int64_t max_threads) {
    gemm(M, N, K, a + i * sab, lda, b + i * sbb, sbk, sbn, c + i * M * N, N, nullptr, a_t, false, max_threads);
  };
  if (threads > 1)
    at::parallel_for(0, batch, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) one(i, 1);
    });
  else
    for (int64_t i = 0; i < batch; i++) one(i, 0);
}

// Causal attention of one key/value head group per batch row, every product through the kernel: q (G, R·Tq, D) holds the
// rep = R query heads that share a key/value head, k (G, S, D), v (G, S, Dv), all contiguous; query row r is position
// r mod Tq, which sees keys up to S − Tq + (r mod Tq). Saves the probabilities for the backward:
//   dP = dO·vᵀ, dv = Pᵀ·dO, dS = scale · softmax′(dP), dq = dS·k, dk = dSᵀ·q.
struct CausalAttentionFunction : public torch::autograd::Function<CausalAttentionFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            int64_t Tq, double scale) {
    const int64_t G = q.size(0), M = q.size(1), D = q.size(2), S = k.size(1), Dv = v.size(2);
    auto qs = q * scale;
    auto scores = at::empty({G, M, S}, q.options());
    bgemm(G, M, S, D, qs.data_ptr<float>(), M * D, D, false, k.data_ptr<float>(), S * D, 1, D, scores.data_ptr<float>());
    float* sp = scores.data_ptr<float>();
    const float neg_inf = -std::numeric_limits<float>::infinity();
    at::parallel_for(0, G * M, 256, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const int64_t seen = S - Tq + (r % M) % Tq + 1;
        std::fill(sp + r * S + std::max<int64_t>(seen, 0), sp + (r + 1) * S, neg_inf);
      }
    });
    auto p = at::_softmax(scores, -1, false);
    scores = at::Tensor();
    auto out = at::empty({G, M, Dv}, q.options());
    bgemm(G, M, Dv, S, p.data_ptr<float>(), M * S, S, false, v.data_ptr<float>(), S * Dv, Dv, 1, out.data_ptr<float>());
    ctx->save_for_backward({q, k, v, p});
    ctx->saved_data["scale"] = scale;
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &p = saved[3];
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto g = grads[0].contiguous();
    const int64_t G = q.size(0), M = q.size(1), D = q.size(2), S = k.size(1), Dv = v.size(2);
    at::Tensor dq, dk, dv;
    if (ctx->needs_input_grad(2)) {
      dv = at::empty({G, S, Dv}, q.options());
      bgemm(G, S, Dv, M, p.data_ptr<float>(), M * S, S, true, g.data_ptr<float>(), M * Dv, Dv, 1, dv.data_ptr<float>());
    }
    if (ctx->needs_input_grad(0) || ctx->needs_input_grad(1)) {
      auto dp = at::empty({G, M, S}, q.options());
      bgemm(G, M, S, Dv, g.data_ptr<float>(), M * Dv, Dv, false, v.data_ptr<float>(), S * Dv, 1, Dv, dp.data_ptr<float>());
      auto ds = at::_softmax_backward_data(dp, p, -1, at::kFloat);
      dp = at::Tensor();
      ds.mul_(scale);
      if (ctx->needs_input_grad(0)) {
        dq = at::empty({G, M, D}, q.options());
        bgemm(G, M, D, S, ds.data_ptr<float>(), M * S, S, false, k.data_ptr<float>(), S * D, D, 1, dq.data_ptr<float>());
      }
      if (ctx->needs_input_grad(1)) {
        dk = at::empty({G, S, D}, q.options());
        bgemm(G, S, D, M, ds.data_ptr<float>(), M * S, S, true, q.data_ptr<float>(), M * D, D, 1, dk.data_ptr<float>());
      }
    }
    return {dq, dk, dv, at::Tensor(), at::Tensor()};
  }
};
#endif

}  // namespace

namespace ft {

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) {
#if FT_GEMM
  if (ft::vector_isa_in_use() != 2 || !ft::fused_enabled() || !cpu_float({&q, &k, &v})) return at::Tensor();
  const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), D = q.size(3), KV = k.size(1), S = k.size(2), Dv = v.size(3);
  if (S < Tq || H % KV != 0 || k.size(0) != B || v.size(0) != B || v.size(1) != KV || v.size(2) != S || k.size(3) != D)
    return at::Tensor();
  const int64_t rep = H / KV;
  auto q3 = q.reshape({B * KV, rep * Tq, D}).contiguous();
  auto k3 = k.reshape({B * KV, S, D}).contiguous();
  auto v3 = v.reshape({B * KV, S, Dv}).contiguous();
  return CausalAttentionFunction::apply(q3, k3, v3, Tq, scale).view({B, KV, rep, Tq, Dv}).view({B, H, Tq, Dv});
#else
  (void)q, (void)k, (void)v, (void)scale;
  return at::Tensor();
#endif
}

bool big_linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor* bias, at::Tensor& out) {
  if (x.dim() < 2 || w.dim() != 2 || !cpu_float({&x, &w}) || w.size(1) != x.size(-1) || w.stride(1) != 1) return false;
  if (bias && (!cpu_float({bias}) || bias->dim() != 1 || bias->size(0) != w.size(0) || bias->stride(0) != 1)) return false;
  if (needs_grad({&w}) || (bias && needs_grad({bias}))) return false;   // a weight that trains: ATen's linear
  const int64_t K = x.size(-1), M = x.numel() / std::max<int64_t>(K, 1);
  if (!takes(M, w.size(0), K)) return false;
  at::Tensor x2;
  if (x.dim() == 2) x2 = x;
  else if (x.is_contiguous()) x2 = x.view({M, K});
  else return false;
  if (x2.stride(1) != 1) return false;
  auto sizes = x.sizes().vec();
  sizes.back() = w.size(0);
  if (!needs_grad({&x})) out = linear_forward(x2, w, bias).view(sizes);
  else out = LinearFunction::apply(x2, w, bias ? c10::optional<at::Tensor>(*bias) : c10::nullopt).view(sizes);
  return true;
}

}  // namespace ft

// Whether a float32 product of M rows by an (N, K) weight goes to this kernel now (for reports such as bench matmul).
FT_API int ft_gemm_takes(int64_t M, int64_t N, int64_t K) { return takes(M, N, K) ? 1 : 0; }
