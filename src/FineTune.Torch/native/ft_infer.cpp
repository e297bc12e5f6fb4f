// CPU kernels: single-pass loops for RMSNorm, rotary embedding, silu·up and the decode step's attention, where
// libtorch's per-op dispatch and intermediate tensors cost more than the arithmetic. They run on float32 CPU tensors
// with a contiguous last dimension: at inference as plain loops; under autograd, RMSNorm (frozen weight) and rope as
// custom autograd functions with a loop each way. Anything else (CUDA, other dtypes, a trained norm weight) runs the
// same math as ATen ops. The tests compare both paths and check the gradients (FineTune.Torch.Tests).
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>
#include <array>
#include <cmath>
#include <limits>

using ft::T;
using ft::wrap;

namespace {

using ft::cpu_float;
using ft::needs_grad;
using ft::fused_enabled;

}  // namespace

namespace ft {

bool fused_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("FINETUNE_FUSED_KERNELS");
    return !(v && std::string(v) == "0");
  }();
  return on;
}

}  // namespace ft

namespace {

// The rows of a float32 tensor whose last dimension is contiguous: (rows, C) with a row stride, as a view when the
// layout allows it (the model's usual layouts do), else a contiguous copy.
at::Tensor rows_of(const at::Tensor& t) {
  const int64_t C = t.size(-1);
  return t.reshape({-1, C});
}

// y = w · x · r per row, r = 1 / sqrt(mean(x²) + eps); returns y (rows, C) and r (rows).
std::pair<at::Tensor, at::Tensor> rms_forward(const at::Tensor& x2, const at::Tensor& w, double eps, bool keep_r) {
  const int64_t R = x2.size(0), C = x2.size(1), stride = x2.stride(0);
  auto out = at::empty({R, C}, x2.options());
  at::Tensor rs = keep_r ? at::empty({R}, x2.options()) : at::Tensor();
  const float *s0 = x2.data_ptr<float>(), *ws = w.data_ptr<float>();
  float *o0 = out.data_ptr<float>(), *r0 = keep_r ? rs.data_ptr<float>() : nullptr;
  at::parallel_for(0, R, std::max<int64_t>(1, 65536 / C), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const float* s = s0 + r * stride;
      float* o = o0 + r * C;
      float ss = 0;
#pragma omp simd reduction(+ : ss)
      for (int64_t i = 0; i < C; i++) ss += s[i] * s[i];
      const float scale = 1.0f / std::sqrt(ss / static_cast<float>(C) + static_cast<float>(eps));
      if (r0) r0[r] = scale;
#pragma omp simd
      for (int64_t i = 0; i < C; i++) o[i] = ws[i] * (s[i] * scale);
    }
  });
  return {out, rs};
}

// out = x·cos + rotate_half(x)·sin (transpose = false), or its transpose applied to x (the gradient: for each pair
// (i, i + D/2), gx_i = c_i·g_i + s_{i+h}·g_{i+h} and gx_{i+h} = c_{i+h}·g_{i+h} − s_i·g_i). x (B, H, T, D).
at::Tensor rope_loop(const at::Tensor& X, const at::Tensor& C, const at::Tensor& S, bool transpose) {
  const int64_t B = X.size(0), H = X.size(1), Tn = X.size(2), D = X.size(3), half = D / 2;
  // Broadcast by stride: 0 along the dimensions cos and sin do not have (no expand call per use).
  auto bstrides = [&](const at::Tensor& t) {
    std::array<int64_t, 3> st{};
    for (int64_t d = 0; d < 3; d++) st[d] = t.size(d) == 1 ? 0 : t.stride(d);
    return st;
  };
  const auto cs = bstrides(C), ss = bstrides(S);
  auto out = at::empty({B, H, Tn, D}, X.options());
  const float *xp = X.data_ptr<float>(), *cp = C.data_ptr<float>(), *sp = S.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const auto xs = X.strides();
  at::parallel_for(0, B * H * Tn, std::max<int64_t>(1, 65536 / D), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      const int64_t b = i / (H * Tn), h = (i / Tn) % H, t = i % Tn;
      const float* xr = xp + b * xs[0] + h * xs[1] + t * xs[2];
      const float* cr = cp + b * cs[0] + h * cs[1] + t * cs[2];
      const float* sr = sp + b * ss[0] + h * ss[1] + t * ss[2];
      float* o = op + i * D;
      if (!transpose) {
        for (int64_t d = 0; d < half; d++) o[d] = xr[d] * cr[d] - xr[d + half] * sr[d];
        for (int64_t d = half; d < D; d++) o[d] = xr[d] * cr[d] + xr[d - half] * sr[d];
      } else {
        for (int64_t d = 0; d < half; d++) o[d] = xr[d] * cr[d] + xr[d + half] * sr[d + half];
        for (int64_t d = half; d < D; d++) o[d] = xr[d] * cr[d] - xr[d - half] * sr[d - half];
      }
    }
  });
  return out;
}

// cos and sin as the loop reads them: 4-d, one shape, each dimension x's or 1 (broadcast), the last x's.
bool rope_shapes(const at::Tensor& X, const at::Tensor& C, const at::Tensor& S) {
  if (C.dim() != 4 || C.sizes() != S.sizes() || C.size(3) != X.size(3)) return false;
  for (int64_t d = 0; d < 3; d++)
    if (C.size(d) != X.size(d) && C.size(d) != 1) return false;
  return true;
}

// Training on the CPU in float32: rope as one loop each way (the angles take no gradient).
struct RopeFunction : public torch::autograd::Function<RopeFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return rope_loop(x, cos, sin, false);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto g = grads[0];
    if (g.stride(-1) != 1) g = g.contiguous();
    return {rope_loop(g, saved[0], saved[1], true), at::Tensor(), at::Tensor()};
  }
};

// Training on the CPU in float32: RMSNorm with a frozen weight as one loop each way;
// gx = r·(g·w − x̂·mean(g·w·x̂)) with x̂ = x·r.
struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, double eps) {
    auto x2 = rows_of(x);
    auto [y, r] = rms_forward(x2, w, eps, true);
    ctx->save_for_backward({x2, w, r});
    return y.view(x.sizes());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto &x2 = saved[0], &w = saved[1], &rs = saved[2];
    auto g2 = rows_of(grads[0]).contiguous();
    const int64_t R = x2.size(0), C = x2.size(1), stride = x2.stride(0);
    auto gx = at::empty({R, C}, x2.options());
    const float *xp = x2.data_ptr<float>(), *gp = g2.data_ptr<float>(), *wp = w.data_ptr<float>(), *rp = rs.data_ptr<float>();
    float* op = gx.data_ptr<float>();
    at::parallel_for(0, R, std::max<int64_t>(1, 65536 / C), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        const float *x = xp + r * stride, *g = gp + r * C;
        float* o = op + r * C;
        const float rr = rp[r];
        float dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int64_t i = 0; i < C; i++) dot += g[i] * wp[i] * x[i];
        const float k = dot * rr * rr * rr / static_cast<float>(C);
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = rr * g[i] * wp[i] - k * x[i];
      }
    });
    return {gx.view(grads[0].sizes()), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

// RMSNorm over the last dimension: weight · x / sqrt(mean(x²) + eps), computed in float32 (float64 for float64 input).
FT_API FtTensor ft_rms_norm(FtTensor x, FtTensor weight, double eps) {
  FT_TRY
  const at::Tensor& in = T(x);
  const at::Tensor& w = T(weight);
  if (fused_enabled() && cpu_float({&in, &w}) && w.dim() == 1 && w.size(0) == in.size(-1) && !needs_grad({&w})) {
    if (!needs_grad({&in})) {
      auto y = rms_forward(rows_of(in), w, eps, false).first;
      return wrap(y.view(in.sizes()));
    }
    return wrap(RmsNormFunction::apply(in, w, eps));
  }
  auto xf = in.to(in.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
  auto y = xf * at::rsqrt(xf.pow(2).mean({-1}, true) + eps);
  return wrap(w * y.to(in.scalar_type()));
  FT_CATCH(nullptr)
}

// Rotary position embedding: x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁) over the last dimension.
// x (B, H, T, D); cos and sin broadcastable to it (the model passes (B, 1, T, D)).
FT_API FtTensor ft_rope(FtTensor x, FtTensor cos, FtTensor sin) {
  FT_TRY
  const at::Tensor& X = T(x);
  const at::Tensor& C = T(cos);
  const at::Tensor& S = T(sin);
  TORCH_CHECK(X.dim() == 4 && X.size(-1) % 2 == 0, "rope wants a 4-d x with an even last dimension; got ", ft::describe(X));
  if (fused_enabled() && cpu_float({&X, &C, &S}) && rope_shapes(X, C, S) && !needs_grad({&C, &S})) {
    if (!needs_grad({&X})) return wrap(rope_loop(X, C, S, false));
    return wrap(RopeFunction::apply(X, C, S));
  }
  auto halves = X.chunk(2, -1);
  auto rotated = at::cat({halves[1].neg(), halves[0]}, -1);
  return wrap(X * C + rotated * S);
  FT_CATCH(nullptr)
}

// silu(gate) · up, the SwiGLU product.
FT_API FtTensor ft_silu_mul(FtTensor gate, FtTensor up) {
  FT_TRY
  const at::Tensor& G = T(gate);
  const at::Tensor& U = T(up);
  if (fused_enabled() && !needs_grad({&G, &U}) && cpu_float({&G, &U}) && G.sizes() == U.sizes()) {
    at::Tensor out;
    if (ft::silu_mul_simd(G, U, out)) return wrap(std::move(out));
    auto s = at::silu(G);
    s.mul_(U);
    return wrap(std::move(s));
  }
  return wrap(at::silu(G) * U);
  FT_CATCH(nullptr)
}

namespace ft {

// Attention at inference as one loop per (batch row, head, query): scores, softmax and the weighted sum of values,
// keys and values read in place (grouped heads share them), keys past the causal limit skipped. Taken for the decode
// step (one query per row), where the batched path's per-matmul overhead outweighs the arithmetic; a 64-token prompt
// was already faster through the batched matmuls. Returns an undefined tensor when the inputs do not suit it, and the
// caller then takes the general path.
at::Tensor small_attention(const at::Tensor& Q, const at::Tensor& K, const at::Tensor& V, const c10::optional<at::Tensor>& mask,
                           double dropout, bool causal, double scale) {
  if (!fused_enabled() || dropout > 0 || needs_grad({&Q, &K, &V}) || !cpu_float({&Q, &K, &V})) return {};
  const int64_t B = Q.size(0), H = Q.size(1), Tq = Q.size(2), D = Q.size(3), KV = K.size(1), S = K.size(2), Dv = V.size(3);
  if (Tq != 1) return {};
  const int64_t rep = H / KV;
  at::Tensor m;
  if (mask.has_value()) {
    m = *mask;
    if ((m.scalar_type() != at::kBool && m.scalar_type() != at::kFloat) || m.device().type() != at::kCPU) return {};
    while (m.dim() < 4) m = m.unsqueeze(0);
    m = m.expand({B, H, Tq, S});
  }
  auto out = at::empty({B, H, Tq, Dv}, Q.options());
  const float *qp = Q.data_ptr<float>(), *kp = K.data_ptr<float>(), *vp = V.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const auto qs = Q.strides(), ks = K.strides(), vs = V.strides();
  const bool* mb = m.defined() && m.scalar_type() == at::kBool ? m.data_ptr<bool>() : nullptr;
  const float* mf = m.defined() && m.scalar_type() == at::kFloat ? m.data_ptr<float>() : nullptr;
  const auto ms = m.defined() ? m.strides() : at::IntArrayRef();
  const float sc = static_cast<float>(scale);
  at::parallel_for(0, B * H * Tq, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, S * D)), [&](int64_t begin, int64_t end) {
    std::vector<float> p(S);
    for (int64_t i = begin; i < end; i++) {
      const int64_t b = i / (H * Tq), h = (i / Tq) % H, t = i % Tq, kv = h / rep;
      const int64_t last = causal ? S - Tq + t : S - 1;   // bottom-right aligned: query t sees keys up to S − Tq + t
      const float* q = qp + b * qs[0] + h * qs[1] + t * qs[2];
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t s = 0; s <= last; s++) {
        const int64_t mi = m.defined() ? b * ms[0] + h * ms[1] + t * ms[2] + s * ms[3] : 0;
        float score;
        if (mb && !mb[mi]) {
          score = -std::numeric_limits<float>::infinity();
        } else {
          const float* k = kp + b * ks[0] + kv * ks[1] + s * ks[2];
          float dot = 0;
#pragma omp simd reduction(+ : dot)
          for (int64_t d = 0; d < D; d++) dot += q[d] * k[d];
          score = dot * sc + (mf ? mf[mi] : 0.0f);
        }
        p[s] = score;
        mx = std::max(mx, score);
      }
      float z = 0;
      for (int64_t s = 0; s <= last; s++) {
        p[s] = std::exp(p[s] - mx);   // a row masked everywhere gives NaN, as softmax does
        z += p[s];
      }
      float* o = op + i * Dv;
      for (int64_t d = 0; d < Dv; d++) o[d] = 0;
      for (int64_t s = 0; s <= last; s++) {
        const float w = p[s] / z;
        const float* v = vp + b * vs[0] + kv * vs[1] + s * vs[2];
        for (int64_t d = 0; d < Dv; d++) o[d] += w * v[d];
      }
    }
  });
  return out;
}

}  // namespace ft
