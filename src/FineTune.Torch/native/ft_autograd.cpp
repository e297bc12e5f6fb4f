// Autograd (requires_grad, backward, grads, grad mode) and the optimizer kernels: AdamW with
// decoupled weight decay, and gradient clipping by global norm.
#include "ft_common.h"
#include <ATen/core/grad_mode.h>
#include <cmath>

using ft::T;
using ft::wrap;

FT_API int ft_set_requires_grad(FtTensor t, int on) { FT_TRY T(t).requires_grad_(on != 0); return 0; FT_CATCH(-1) }
FT_API FtTensor ft_detach(FtTensor t) { FT_TRY return wrap(T(t).detach()); FT_CATCH(nullptr) }
FT_API int ft_backward(FtTensor t, FtTensor grad, int retain_graph) {
  FT_TRY
  if (grad) T(t).backward(T(grad), retain_graph != 0);
  else T(t).backward({}, retain_graph != 0);
  return 0;
  FT_CATCH(-1)
}
// Writes the gradient (or NULL when there is none yet) to *out.
FT_API int ft_grad(FtTensor t, FtTensor* out) {
  FT_TRY
  const at::Tensor& g = T(t).grad();
  *out = g.defined() ? wrap(at::Tensor(g)) : nullptr;
  return 0;
  FT_CATCH(-1)
}
FT_API int ft_zero_grad(FtTensor t) { FT_TRY T(t).mutable_grad().reset(); return 0; FT_CATCH(-1) }
FT_API int ft_set_grad_enabled(int on) {
  FT_TRY
  int previous = at::GradMode::is_enabled() ? 1 : 0;
  at::GradMode::set_enabled(on != 0);
  return previous;
  FT_CATCH(-1)
}
FT_API int ft_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }

// AdamW as torch.optim.AdamW (single-tensor path, amsgrad off): decoupled decay, then moments,
// bias correction, step. `step` is the 1-based step number after this update. Params without a
// grad are skipped. State tensors (m, v) are owned by the caller, so they save like any tensor.
FT_API int ft_adamw_step(FtTensor* params, FtTensor* exp_avg, FtTensor* exp_avg_sq, int n, double lr,
                         double beta1, double beta2, double eps, double weight_decay, int64_t step) {
  FT_TRY
  at::NoGradGuard no_grad;
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bc1;
  const double bc2_sqrt = std::sqrt(bc2);
  for (int i = 0; i < n; i++) {
    at::Tensor& p = T(params[i]);
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    at::Tensor& m = T(exp_avg[i]);
    at::Tensor& v = T(exp_avg_sq[i]);
    p.mul_(1.0 - lr * weight_decay);
    m.lerp_(g, 1.0 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
    auto denom = (v.sqrt() / bc2_sqrt).add_(eps);
    p.addcdiv_(m, denom, -step_size);
  }
  return 0;
  FT_CATCH(-1)
}

// Scales all grads so their global L2 norm is at most max_norm (as torch.nn.utils.clip_grad_norm_:
// coefficient max_norm / (total + 1e-6), clamped to 1). Writes the norm before clipping to *total.
FT_API int ft_clip_grad_norm(FtTensor* params, int n, double max_norm, double* total) {
  FT_TRY
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (int i = 0; i < n; i++) {
    const at::Tensor& g = T(params[i]).grad();
    if (g.defined()) norms.push_back(at::norm(g.to(at::kFloat), 2.0));
  }
  if (norms.empty()) { *total = 0; return 0; }
  auto t = at::norm(at::stack(norms), 2.0);
  *total = t.item<double>();
  if (max_norm > 0) {
    double coef = max_norm / (*total + 1e-6);
    if (coef < 1.0) {
      for (int i = 0; i < n; i++) {
        at::Tensor g = T(params[i]).grad();
        if (g.defined()) g.mul_(coef);
      }
    }
  }
  return 0;
  FT_CATCH(-1)
}

// ---- profiling ---------------------------------------------------------------------------------
// libtorch's own operator profiler: every aten op between begin and end, on every thread, written as a Chrome trace
// (chrome://tracing, Perfetto) when it ends. One recording at a time per process.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <memory>
#include <mutex>
static std::mutex g_profile_gate;
static std::unique_ptr<torch::autograd::profiler::RecordProfile> g_profile;

FT_API int ft_profile_begin(const char* path) {
  FT_TRY
  std::lock_guard<std::mutex> lock(g_profile_gate);
  TORCH_CHECK(!g_profile, "a profile is already being recorded");
  g_profile = std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(path));
  return 0;
  FT_CATCH(-1)
}

FT_API int ft_profile_end() {
  FT_TRY
  std::lock_guard<std::mutex> lock(g_profile_gate);
  TORCH_CHECK(g_profile, "no profile is being recorded");
  g_profile.reset();   // writes the trace
  return 0;
  FT_CATCH(-1)
}
