// Shared helpers of the native layer: error capture, handle conversion, dtype/device mapping.
#pragma once
#include "ft.h"
#include <ATen/ATen.h>
#include <atomic>
#include <initializer_list>
#include <string>
#include <vector>

namespace ft {

void set_error(const std::string& message);
at::ScalarType to_scalar_type(int dtype);
int from_scalar_type(at::ScalarType t);
at::Device to_device(int device_type, int device_index);
at::TensorOptions options(int dtype, int device_type, int device_index);
std::string describe(const at::Tensor& t);   // "float32[2, 3] cpu"

// The thread count set by ft_set_num_threads, and how many times it was set. libtorch's setting is per OS thread
// once a thread has run a parallel op (OpenMP keeps it per thread), so every export first brings the calling
// thread up to date: one relaxed load and compare when nothing changed.
extern std::atomic<int> g_threads_generation;
void apply_threads_to_this_thread();
inline void sync_threads() {
  static thread_local int seen = 0;
  int now = g_threads_generation.load(std::memory_order_relaxed);
  if (seen != now) {
    seen = now;
    apply_threads_to_this_thread();
  }
}

// The native CPU kernels (ft_infer.cpp, ft_simd.cpp) can be turned off with FINETUNE_FUSED_KERNELS=0, to compare
// against the ATen ops.
bool fused_enabled();

// Whether any of the defined tensors asks for a gradient while autograd records.
inline bool needs_grad(std::initializer_list<const at::Tensor*> ts) {
  if (!at::GradMode::is_enabled()) return false;
  for (auto* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

// float32 CPU tensors with at least one dimension and a contiguous last one: what the native CPU kernels take.
inline bool cpu_float(std::initializer_list<const at::Tensor*> ts) {
  for (auto* t : ts)
    if (!t->defined() || t->device().type() != at::kCPU || t->scalar_type() != at::kFloat || t->dim() == 0 || t->stride(-1) != 1)
      return false;
  return true;
}

// x2 (M, K) · wᵀ (+ bias) for a float32 CPU x2 of 1..16 rows, w (N, K) with contiguous rows, no gradient asked
// (ft_simd.cpp): fills out and returns true, or returns false for anything it does not take.
bool small_linear(const at::Tensor& x2, const at::Tensor& w, const at::Tensor* bias, at::Tensor& out);

// self (M, N) += alpha · m1 (M, K) · wᵀ in place, w (N, K), under the same conditions as small_linear (ft_simd.cpp); false
// for anything it does not take, and self is then untouched.
bool small_addmm_(at::Tensor& self, const at::Tensor& m1, const at::Tensor& w, double alpha);

// The vector kernels in use (ft_simd.cpp): 2 = AVX-512, 1 = AVX2, 0 = none.
int vector_isa_in_use();

// x (…, K) · wᵀ (+ bias) for float32 CPU tensors of at least 17 rows, w (N, K) with contiguous rows and neither w nor
// the bias asking for a gradient, while the AVX-512 kernels are in use (ft_gemm.cpp); x may ask for one (training
// through a frozen weight: dx comes from the same kernel). Fills out and returns true, or returns false.
bool big_linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor* bias, at::Tensor& out);

// Causal attention (bottom-right aligned, no other mask, no dropout) of float32 CPU q (B, H, Tq, D) over k (B, KV, S, D)
// and v (B, KV, S, Dv), H a multiple of KV, with the AVX-512 kernel for every product, forward and backward
// (ft_gemm.cpp); undefined where that kernel is not in use.
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale);

// silu(g)·u for float32 CPU g, u of one shape with a contiguous last dimension, no gradient asked (ft_simd.cpp).
bool silu_mul_simd(const at::Tensor& g, const at::Tensor& u, at::Tensor& out);

inline at::Tensor& T(FtTensor h) { return *static_cast<at::Tensor*>(h); }
inline FtTensor wrap(at::Tensor&& t) { return new at::Tensor(std::move(t)); }
inline std::vector<int64_t> dims(const int64_t* p, int n) { return std::vector<int64_t>(p, p + n); }

}  // namespace ft

// Every export body goes between FT_TRY and FT_CATCH(value returned on failure). The message names
// the export, so C# exceptions say which operation failed.
#define FT_TRY try { ft::sync_threads();
#define FT_CATCH(fail)                                                                     \
  }                                                                                        \
  catch (const c10::Error& e) { ft::set_error(std::string(__func__) + ": " + e.what_without_backtrace()); } \
  catch (const std::exception& e) { ft::set_error(std::string(__func__) + ": " + e.what()); } \
  catch (...) { ft::set_error(std::string(__func__) + ": unknown native error"); }        \
  return fail;
