// Math: elementwise (binary/unary by op code), linear algebra, reductions, the NN building blocks
// (embedding, RMSNorm, softmax, cross entropy, dropout) and attention.
#include "ft_common.h"
#include <torch/version.h>
#include <cmath>

using ft::T;
using ft::wrap;

namespace ft {
at::Tensor small_attention(const at::Tensor& Q, const at::Tensor& K, const at::Tensor& V, const c10::optional<at::Tensor>& mask,
                           double dropout, bool causal, double scale);
}

// ---- elementwise ------------------------------------------------------------------------------
// Binary op codes, shared with C# (NativeOps.cs).
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR, B_RSUB };

static at::Tensor binary(const at::Tensor& a, const at::Tensor& b, int op) {
  switch (op) {
    case B_ADD: return a.add(b);
    case B_SUB: return a.sub(b);
    case B_MUL: return a.mul(b);
    case B_DIV: return a.div(b);
    case B_POW: return a.pow(b);
    case B_MAX: return at::maximum(a, b);
    case B_MIN: return at::minimum(a, b);
    case B_EQ: return a.eq(b);
    case B_NE: return a.ne(b);
    case B_LT: return a.lt(b);
    case B_LE: return a.le(b);
    case B_GT: return a.gt(b);
    case B_GE: return a.ge(b);
    case B_AND: return at::logical_and(a, b);
    case B_OR: return at::logical_or(a, b);
    case B_RSUB: return b.sub(a);
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}

static at::Tensor binary_scalar(const at::Tensor& a, double s, int op) {
  switch (op) {
    case B_ADD: return a.add(s);
    case B_SUB: return a.sub(s);
    case B_MUL: return a.mul(s);
    case B_DIV: return a.div(s);
    case B_POW: return a.pow(s);
    case B_MAX: return a.clamp_min(s);
    case B_MIN: return a.clamp_max(s);
    case B_EQ: return a.eq(s);
    case B_NE: return a.ne(s);
    case B_LT: return a.lt(s);
    case B_LE: return a.le(s);
    case B_GT: return a.gt(s);
    case B_GE: return a.ge(s);
    case B_RSUB: return at::rsub(a, s);
  }
  throw std::invalid_argument("unknown scalar op " + std::to_string(op));
}

FT_API FtTensor ft_binary(FtTensor a, FtTensor b, int op) {
  FT_TRY return wrap(binary(T(a), T(b), op));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_binary_scalar(FtTensor a, double s, int op) {
  FT_TRY return wrap(binary_scalar(T(a), s, op));
  FT_CATCH(nullptr)
}
// a += alpha * b, in place (no autograd history on leaves: used by optimizers and merges).
FT_API int ft_add_(FtTensor a, FtTensor b, double alpha) { FT_TRY T(a).add_(T(b), alpha); return 0; FT_CATCH(-1) }
FT_API int ft_mul_scalar_(FtTensor a, double s) { FT_TRY T(a).mul_(s); return 0; FT_CATCH(-1) }

enum { U_NEG, U_SQRT, U_RSQRT, U_EXP, U_LOG, U_TANH, U_SIGMOID, U_SILU, U_RELU, U_ABS, U_COS, U_SIN, U_GELU, U_NOT, U_SQUARE, U_RECIP, U_FLOOR, U_ISNAN };

FT_API FtTensor ft_unary(FtTensor a, int op) {
  FT_TRY
  const at::Tensor& x = T(a);
  switch (op) {
    case U_NEG: return wrap(x.neg());
    case U_SQRT: return wrap(x.sqrt());
    case U_RSQRT: return wrap(x.rsqrt());
    case U_EXP: return wrap(x.exp());
    case U_LOG: return wrap(x.log());
    case U_TANH: return wrap(x.tanh());
    case U_SIGMOID: return wrap(x.sigmoid());
    case U_SILU: return wrap(at::silu(x));
    case U_RELU: return wrap(x.relu());
    case U_ABS: return wrap(x.abs());
    case U_COS: return wrap(x.cos());
    case U_SIN: return wrap(x.sin());
    case U_GELU: return wrap(at::gelu(x));
    case U_NOT: return wrap(x.logical_not());
    case U_SQUARE: return wrap(x.square());
    case U_RECIP: return wrap(x.reciprocal());
    case U_FLOOR: return wrap(x.floor());
    case U_ISNAN: return wrap(x.isnan());
  }
  throw std::invalid_argument("unknown unary op " + std::to_string(op));
  FT_CATCH(nullptr)
}

FT_API FtTensor ft_clamp(FtTensor a, double lo, double hi, int has_lo, int has_hi) {
  FT_TRY
  c10::optional<at::Scalar> l = has_lo ? c10::optional<at::Scalar>(lo) : c10::nullopt;
  c10::optional<at::Scalar> h = has_hi ? c10::optional<at::Scalar>(hi) : c10::nullopt;
  return wrap(at::clamp(T(a), l, h));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_where(FtTensor cond, FtTensor a, FtTensor b) { FT_TRY return wrap(at::where(T(cond), T(a), T(b))); FT_CATCH(nullptr) }
FT_API FtTensor ft_masked_fill(FtTensor a, FtTensor mask, double v) { FT_TRY return wrap(T(a).masked_fill(T(mask), v)); FT_CATCH(nullptr) }
FT_API FtTensor ft_triu(FtTensor a, int64_t k) { FT_TRY return wrap(T(a).triu(k)); FT_CATCH(nullptr) }
FT_API FtTensor ft_tril(FtTensor a, int64_t k) { FT_TRY return wrap(T(a).tril(k)); FT_CATCH(nullptr) }

// ---- linear algebra ---------------------------------------------------------------------------
FT_API FtTensor ft_matmul(FtTensor a, FtTensor b) { FT_TRY return wrap(at::matmul(T(a), T(b))); FT_CATCH(nullptr) }
// x (…, in) · wᵀ (+ b). A contiguous x of more than two dimensions goes through one mm/addmm on its rows, which is
// what at::linear does underneath, without its matmul folding and reshapes (half the dispatches of a decode step's
// projections).
FT_API FtTensor ft_linear(FtTensor x, FtTensor w, FtTensor b) {
  FT_TRY
  const at::Tensor& X = T(x);
  const at::Tensor& W = T(w);
  if (X.dim() >= 1 && W.dim() == 2 && X.numel() > 0 && X.numel() / X.size(-1) <= 16) {
    // Few rows (a decode step): ft_simd.cpp's kernel where it applies.
    auto x2 = X.dim() == 2 ? X : X.reshape({-1, X.size(-1)});
    at::Tensor y;
    if (ft::small_linear(x2, W, b ? &T(b) : nullptr, y)) {
      auto sizes = X.sizes().vec();
      sizes.back() = W.size(0);
      return wrap(y.view(sizes));
    }
  }
  {
    // Many rows (prefill, training) on an AVX-512 CPU: ft_gemm.cpp's kernel where it applies.
    at::Tensor y;
    if (ft::big_linear(X, W, b ? &T(b) : nullptr, y)) return wrap(std::move(y));
  }
  if (X.dim() > 2 && X.is_contiguous() && W.dim() == 2) {
    auto sizes = X.sizes().vec();
    auto x2 = X.view({-1, sizes.back()});
    auto y = b ? at::addmm(T(b), x2, W.t()) : at::mm(x2, W.t());
    sizes.back() = W.size(0);
    return wrap(y.view(sizes));
  }
  return wrap(b ? at::linear(X, W, T(b)) : at::linear(X, W));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_outer(FtTensor a, FtTensor b) { FT_TRY return wrap(at::outer(T(a), T(b))); FT_CATCH(nullptr) }

// ---- reductions -------------------------------------------------------------------------------
FT_API FtTensor ft_sum(FtTensor a, const int64_t* d, int n, int keepdim) {
  FT_TRY return wrap(n == 0 ? T(a).sum() : T(a).sum(ft::dims(d, n), keepdim != 0));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_mean(FtTensor a, const int64_t* d, int n, int keepdim) {
  FT_TRY return wrap(n == 0 ? T(a).mean() : T(a).mean(ft::dims(d, n), keepdim != 0));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_max_all(FtTensor a) { FT_TRY return wrap(T(a).max()); FT_CATCH(nullptr) }
FT_API int ft_max_dim(FtTensor a, int64_t dim, int keepdim, FtTensor* values, FtTensor* indices) {
  FT_TRY
  auto r = T(a).max(dim, keepdim != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  return 0;
  FT_CATCH(-1)
}
FT_API FtTensor ft_argmax(FtTensor a, int64_t dim, int keepdim) { FT_TRY return wrap(T(a).argmax(dim, keepdim != 0)); FT_CATCH(nullptr) }
FT_API int ft_topk(FtTensor a, int64_t k, int64_t dim, int largest, int sorted, FtTensor* values, FtTensor* indices) {
  FT_TRY
  auto r = T(a).topk(k, dim, largest != 0, sorted != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  return 0;
  FT_CATCH(-1)
}
FT_API int ft_sort(FtTensor a, int64_t dim, int descending, FtTensor* values, FtTensor* indices) {
  FT_TRY
  auto r = T(a).sort(dim, descending != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  return 0;
  FT_CATCH(-1)
}
FT_API FtTensor ft_cumsum(FtTensor a, int64_t dim) { FT_TRY return wrap(T(a).cumsum(dim)); FT_CATCH(nullptr) }
FT_API FtTensor ft_norm(FtTensor a, double p) { FT_TRY return wrap(at::norm(T(a), p)); FT_CATCH(nullptr) }

// ---- neural-network blocks --------------------------------------------------------------------
FT_API FtTensor ft_embedding(FtTensor weight, FtTensor ids) { FT_TRY return wrap(at::embedding(T(weight), T(ids))); FT_CATCH(nullptr) }
FT_API FtTensor ft_softmax(FtTensor a, int64_t dim) { FT_TRY return wrap(at::softmax(T(a), dim)); FT_CATCH(nullptr) }
FT_API FtTensor ft_log_softmax(FtTensor a, int64_t dim) { FT_TRY return wrap(at::log_softmax(T(a), dim)); FT_CATCH(nullptr) }
// reduction: 0 none, 1 mean, 2 sum (at::Reduction's values).
FT_API FtTensor ft_cross_entropy(FtTensor logits, FtTensor target, int64_t ignore_index, int reduction, double smoothing) {
  FT_TRY
  return wrap(at::cross_entropy_loss(T(logits), T(target), {}, reduction, ignore_index, smoothing));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_dropout(FtTensor a, double p, int train) { FT_TRY return wrap(at::dropout(T(a), p, train != 0)); FT_CATCH(nullptr) }
// RMSNorm as Hugging Face computes it: in float32 (float64 stays float64), then back to the input
// dtype, times the weight.
// RMSNorm, rope and silu·up live in ft_infer.cpp, beside their inference fast paths.

// ---- attention --------------------------------------------------------------------------------
// q (B, H, T, D); k, v (B, KV, S, D) with H a multiple of KV (grouped-query attention: query head h reads
// key/value head h / (H / KV)). mask: optional bool (true = may attend) or additive float, broadcastable to
// (B, H, T, S). causal: query t sees keys up to S - T + t (bottom-right aligned, so it also holds with a KV cache).
// scale <= 0 means 1/sqrt(D). The decode step at inference takes the loop of ft_infer.cpp; otherwise libtorch 2.x's
// fused kernel (keys and values repeated per query head), or on 1.13 one baddbmm per key/value head group.
#if !(TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
namespace {
// The additive causal bias (0 where query t may see key s, −inf elsewhere, bottom-right aligned) for rep stacked copies
// of Tq query rows over S keys: (rep·Tq, S). The last one asked for on this thread is kept (up to 16 MiB) and handed
// out again; no caller writes into it.
at::Tensor causal_bias(const at::TensorOptions& options, int64_t rep, int64_t Tq, int64_t S) {
  struct Kept {
    int64_t rep = 0, Tq = 0, S = 0;
    at::ScalarType dtype = at::kFloat;
    at::Device device = at::kCPU;
    at::Tensor bias;
  };
  thread_local Kept kept;
  if (kept.bias.defined() && kept.rep == rep && kept.Tq == Tq && kept.S == S && kept.dtype == options.dtype().toScalarType() &&
      kept.device == options.device())
    return kept.bias;
  auto allowed = at::ones({Tq, S}, options.dtype(at::kBool)).tril(S - Tq);
  auto one = at::zeros({Tq, S}, options).masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto bias = one.unsqueeze(0).expand({rep, Tq, S}).reshape({rep * Tq, S});
  if (bias.numel() * bias.element_size() <= (16 << 20))
    kept = Kept{rep, Tq, S, options.dtype().toScalarType(), options.device(), bias};
  return bias;
}
}  // namespace
#endif

FT_API FtTensor ft_attention(FtTensor q, FtTensor k, FtTensor v, FtTensor mask, double dropout, int causal, double scale) {
  FT_TRY
  at::Tensor Q = T(q), K = T(k), V = T(v);
  TORCH_CHECK(Q.dim() == 4 && K.dim() == 4 && V.dim() == 4, "attention wants 4-d q, k, v; got q ", ft::describe(Q), ", k ", ft::describe(K), ", v ", ft::describe(V));
  const int64_t B = Q.size(0), H = Q.size(1), Tq = Q.size(2), D = Q.size(3);
  const int64_t KV = K.size(1), S = K.size(2), Dv = V.size(3);
  TORCH_CHECK(H % KV == 0, "query heads ", H, " are not a multiple of key/value heads ", KV);
  const int64_t rep = H / KV;
  const double sc = scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(D));
  c10::optional<at::Tensor> m;
  if (mask) m = T(mask);
  // A single query after the cache sees every key: the causal mask is all true, so build none.
  const bool causal_rows = causal != 0 && Tq > 1;
  {
    auto fast = ft::small_attention(Q, K, V, m, dropout, causal != 0, sc);
    if (fast.defined()) return wrap(std::move(fast));
  }
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  bool use_causal_flag = causal_rows;
  if (use_causal_flag && (Tq != S || m.has_value())) {
    // Explicit bottom-right causal mask, combined with the caller's mask.
    auto c = at::ones({Tq, S}, Q.options().dtype(at::kBool)).tril(S - Tq);
    if (m.has_value()) {
      if (m->scalar_type() == at::kBool) m = m->logical_and(c);
      else m = m->masked_fill(c.logical_not(), -std::numeric_limits<float>::infinity());
    } else {
      m = c;
    }
    use_causal_flag = false;
  }
  if (H != KV) {
    K = K.unsqueeze(2).expand({B, KV, rep, S, D}).reshape({B, H, S, D});
    V = V.unsqueeze(2).expand({B, KV, rep, S, Dv}).reshape({B, H, S, Dv});
  }
  return wrap(at::scaled_dot_product_attention(Q, K, V, m, dropout, use_causal_flag, sc));
#else
  // libtorch 1.13 has no fused kernel. The query heads that share a key/value head are one batch row of rep·Tq
  // queries, so keys and values are never repeated; the scale and the masks enter the score matmul as its alpha and
  // its added bias (baddbmm), so there is no separate scaling, masked_fill or their backward passes.
  const auto neg_inf = -std::numeric_limits<float>::infinity();
  if (causal_rows && !m.has_value() && dropout == 0) {
    // Where the AVX-512 kernels are in use, their batched products, forward and backward (ft_gemm.cpp).
    auto fast = ft::causal_attention(Q, K, V, sc);
    if (fast.defined()) return wrap(std::move(fast));
  }
  auto q3 = Q.reshape({B * KV, rep * Tq, D});                  // heads kv·rep … kv·rep + rep − 1 together
  auto kt = K.reshape({B * KV, S, D}).transpose(1, 2);          // (B·KV, D, S)
  auto v3 = V.reshape({B * KV, S, Dv});
  at::Tensor att;
  if (causal_rows && !m.has_value()) {
    // Causality alone: the bias of one key/value group's rep·Tq query rows, shared by every group and kept from one
    // call to the next (the layers of a forward pass, the steps of training), so no mask is built per call.
    att = at::baddbmm(causal_bias(Q.options(), rep, Tq, S).expand({B * KV, rep * Tq, S}), q3, kt, 1.0, sc);
    att = at::softmax(att, -1);
    if (dropout > 0) att = at::dropout(att, dropout, true);
    return wrap(at::bmm(att, v3).view({B, KV, rep, Tq, Dv}).view({B, H, Tq, Dv}));
  }
  at::Tensor bias;   // additive, broadcastable to (B, H, Tq, S); undefined when nothing is masked
  if (causal_rows) {
    auto allowed = at::ones({Tq, S}, Q.options().dtype(at::kBool)).tril(S - Tq);   // bottom-right aligned
    bias = at::zeros({Tq, S}, Q.options()).masked_fill_(allowed.logical_not(), neg_inf);
  }
  if (m.has_value()) {
    at::Tensor mb = m->scalar_type() == at::kBool
        ? at::zeros(m->sizes(), Q.options()).masked_fill_(m->logical_not(), neg_inf)
        : m->to(Q.scalar_type());
    bias = bias.defined() ? mb + bias : mb;
  }
  if (bias.defined()) {
    while (bias.dim() < 4) bias = bias.unsqueeze(0);
    const int64_t bb = bias.size(0), bh = bias.size(1);
    TORCH_CHECK((bb == 1 || bb == B) && (bh == 1 || bh == H) && bias.size(2) == Tq && bias.size(3) == S,
                "attention mask ", ft::describe(bias), " does not broadcast to (", B, ", ", H, ", ", Tq, ", ", S, ")");
    // (bb, KV, rep·Tq, S), then (B·KV, rep·Tq, S): a view where the batch rows share one bias, else a copy.
    auto b4 = bh == H ? bias.reshape({bb, KV, rep * Tq, S})
                      : bias.expand({bb, rep, Tq, S}).reshape({bb, 1, rep * Tq, S}).expand({bb, KV, rep * Tq, S});
    auto b3 = b4.expand({B, KV, rep * Tq, S}).reshape({B * KV, rep * Tq, S});
    att = at::baddbmm(b3, q3, kt, 1.0, sc);                     // (B·KV, rep·Tq, S)
  } else {
    att = at::bmm(q3 * sc, kt);
  }
  att = at::softmax(att, -1);
  if (dropout > 0) att = at::dropout(att, dropout, true);
  return wrap(at::bmm(att, v3).view({B, KV, rep, Tq, Dv}).view({B, H, Tq, Dv}));
#endif
  FT_CATCH(nullptr)
}

// self = beta·self + alpha·(m1 @ m2), in place (2-d). LoRA adds its update into the base output this way:
// one GEMM with the scaling folded in, no temporary and no extra passes over the output.
FT_API int ft_addmm_(FtTensor self, FtTensor m1, FtTensor m2, double beta, double alpha) {
  FT_TRY
  // A LoRA update at a decode step (few rows of m1, m2 = Bᵀ of a B with contiguous rows): ft_simd.cpp's kernel.
  if (beta == 1 && T(m2).dim() == 2 && ft::small_addmm_(T(self), T(m1), T(m2).t(), alpha)) return 0;
  T(self).addmm_(T(m1), T(m2), beta, alpha);
  return 0;
  FT_CATCH(-1)
}
