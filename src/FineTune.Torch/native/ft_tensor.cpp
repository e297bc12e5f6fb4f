// Tensor lifecycle: metadata, creation (incl. zero-copy from raw memory), copies out, dtype/device
// conversion, and the view/shape operations.
#include "ft_common.h"
#include <cstring>

using ft::T;
using ft::wrap;

// ---- metadata -------------------------------------------------------------------------------
FT_API int ft_dim(FtTensor t) { return static_cast<int>(T(t).dim()); }
FT_API int ft_shape(FtTensor t, int64_t* out, int capacity) {
  FT_TRY
  auto s = T(t).sizes();
  if (static_cast<int>(s.size()) > capacity) throw std::invalid_argument("shape has more dims than the buffer");
  for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
  return static_cast<int>(s.size());
  FT_CATCH(-1)
}
FT_API int ft_dtype(FtTensor t) { return ft::from_scalar_type(T(t).scalar_type()); }
FT_API int ft_device_type(FtTensor t) { return T(t).device().is_cuda() ? 1 : 0; }
FT_API int ft_device_index(FtTensor t) { return T(t).device().has_index() ? T(t).device().index() : 0; }
FT_API int64_t ft_numel(FtTensor t) { return T(t).numel(); }
FT_API int ft_is_contiguous(FtTensor t) { return T(t).is_contiguous() ? 1 : 0; }
FT_API int ft_requires_grad(FtTensor t) { return T(t).requires_grad() ? 1 : 0; }
FT_API void* ft_data_ptr(FtTensor t) { return T(t).data_ptr(); }

// ---- creation ---------------------------------------------------------------------------------
FT_API FtTensor ft_empty(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  FT_TRY return wrap(at::empty(ft::dims(shape, ndim), ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_zeros(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  FT_TRY return wrap(at::zeros(ft::dims(shape, ndim), ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_ones(const int64_t* shape, int ndim, int dtype, int dev, int idx) {
  FT_TRY return wrap(at::ones(ft::dims(shape, ndim), ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_full(const int64_t* shape, int ndim, double value, int dtype, int dev, int idx) {
  FT_TRY return wrap(at::full(ft::dims(shape, ndim), value, ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_arange(double start, double end, double step, int dtype, int dev, int idx) {
  FT_TRY return wrap(at::arange(start, end, step, ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
// Copies `data` (a CPU buffer of numel * element size bytes) into a new CPU tensor.
FT_API FtTensor ft_from_data(const void* data, const int64_t* shape, int ndim, int dtype) {
  FT_TRY
  auto t = at::empty(ft::dims(shape, ndim), ft::options(dtype, 0, 0));
  std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
  return wrap(std::move(t));
  FT_CATCH(nullptr)
}
// Wraps `data` without copying; `release(context)` runs when the last tensor using the memory dies.
typedef void (*FtRelease)(void* context);
FT_API FtTensor ft_from_blob(void* data, const int64_t* shape, int ndim, int dtype, FtRelease release, void* context) {
  FT_TRY
  auto deleter = [release, context](void*) { if (release) release(context); };
  return wrap(at::from_blob(data, ft::dims(shape, ndim), deleter, ft::options(dtype, 0, 0)));
  FT_CATCH(nullptr)
}
// Copies the tensor's elements (any device, any layout) into `dst`, which holds `bytes` bytes.
FT_API int ft_copy_to(FtTensor t, void* dst, int64_t bytes) {
  FT_TRY
  auto c = T(t).detach().to(at::kCPU).contiguous();
  int64_t need = c.numel() * c.element_size();
  if (need != bytes) throw std::invalid_argument("buffer holds " + std::to_string(bytes) + " bytes, tensor " + ft::describe(c) + " needs " + std::to_string(need));
  std::memcpy(dst, c.data_ptr(), need);
  return 0;
  FT_CATCH(-1)
}
FT_API int ft_item(FtTensor t, double* out) {
  FT_TRY *out = T(t).item<double>(); return 0;
  FT_CATCH(-1)
}
FT_API FtTensor ft_to(FtTensor t, int dtype, int dev, int idx, int copy) {
  FT_TRY
  return wrap(T(t).to(ft::to_device(dev, idx), ft::to_scalar_type(dtype), /*non_blocking=*/false, copy != 0));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_clone(FtTensor t) { FT_TRY return wrap(T(t).clone()); FT_CATCH(nullptr) }
FT_API FtTensor ft_shallow(FtTensor t) { FT_TRY return wrap(at::Tensor(T(t))); FT_CATCH(nullptr) }
FT_API int ft_copy_(FtTensor dst, FtTensor src) { FT_TRY T(dst).copy_(T(src)); return 0; FT_CATCH(-1) }
FT_API int ft_fill_(FtTensor t, double v) { FT_TRY T(t).fill_(v); return 0; FT_CATCH(-1) }
FT_API int ft_zero_(FtTensor t) { FT_TRY T(t).zero_(); return 0; FT_CATCH(-1) }

// ---- views and shape ops ----------------------------------------------------------------------
FT_API FtTensor ft_view(FtTensor t, const int64_t* shape, int n) { FT_TRY return wrap(T(t).view(ft::dims(shape, n))); FT_CATCH(nullptr) }
FT_API FtTensor ft_reshape(FtTensor t, const int64_t* shape, int n) { FT_TRY return wrap(T(t).reshape(ft::dims(shape, n))); FT_CATCH(nullptr) }
FT_API FtTensor ft_expand(FtTensor t, const int64_t* shape, int n) { FT_TRY return wrap(T(t).expand(ft::dims(shape, n))); FT_CATCH(nullptr) }
FT_API FtTensor ft_permute(FtTensor t, const int64_t* d, int n) { FT_TRY return wrap(T(t).permute(ft::dims(d, n))); FT_CATCH(nullptr) }
FT_API FtTensor ft_transpose(FtTensor t, int64_t a, int64_t b) { FT_TRY return wrap(T(t).transpose(a, b)); FT_CATCH(nullptr) }
FT_API FtTensor ft_narrow(FtTensor t, int64_t dim, int64_t start, int64_t len) { FT_TRY return wrap(T(t).narrow(dim, start, len)); FT_CATCH(nullptr) }
FT_API FtTensor ft_slice(FtTensor t, int64_t dim, int64_t start, int64_t end, int64_t step) { FT_TRY return wrap(T(t).slice(dim, start, end, step)); FT_CATCH(nullptr) }
FT_API FtTensor ft_select(FtTensor t, int64_t dim, int64_t index) { FT_TRY return wrap(T(t).select(dim, index)); FT_CATCH(nullptr) }
FT_API FtTensor ft_unsqueeze(FtTensor t, int64_t dim) { FT_TRY return wrap(T(t).unsqueeze(dim)); FT_CATCH(nullptr) }
FT_API FtTensor ft_squeeze(FtTensor t, int64_t dim) { FT_TRY return wrap(T(t).squeeze(dim)); FT_CATCH(nullptr) }
FT_API FtTensor ft_flatten(FtTensor t, int64_t a, int64_t b) { FT_TRY return wrap(T(t).flatten(a, b)); FT_CATCH(nullptr) }
FT_API FtTensor ft_contiguous(FtTensor t) { FT_TRY return wrap(T(t).contiguous()); FT_CATCH(nullptr) }
FT_API FtTensor ft_repeat_interleave(FtTensor t, int64_t repeats, int64_t dim) { FT_TRY return wrap(T(t).repeat_interleave(repeats, dim)); FT_CATCH(nullptr) }

static std::vector<at::Tensor> list(FtTensor* ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}
FT_API FtTensor ft_cat(FtTensor* ts, int n, int64_t dim) { FT_TRY return wrap(at::cat(list(ts, n), dim)); FT_CATCH(nullptr) }
FT_API FtTensor ft_stack(FtTensor* ts, int n, int64_t dim) { FT_TRY return wrap(at::stack(list(ts, n), dim)); FT_CATCH(nullptr) }
// Splits into at most `chunks` pieces, written to out[]; returns how many.
FT_API int ft_chunk(FtTensor t, int64_t chunks, int64_t dim, FtTensor* out) {
  FT_TRY
  auto parts = T(t).chunk(chunks, dim);
  for (size_t i = 0; i < parts.size(); i++) out[i] = wrap(std::move(parts[i]));
  return static_cast<int>(parts.size());
  FT_CATCH(-1)
}
// Splits into pieces of the given sizes along dim (views), written to out[]. Its backward is one concatenation, where
// separate narrows would each scatter their gradient into a zero tensor of the whole.
FT_API int ft_split_with_sizes(FtTensor t, const int64_t* sizes, int n, int64_t dim, FtTensor* out) {
  FT_TRY
  auto parts = T(t).split_with_sizes(at::IntArrayRef(sizes, n), dim);
  for (size_t i = 0; i < parts.size(); i++) out[i] = wrap(std::move(parts[i]));
  return static_cast<int>(parts.size());
  FT_CATCH(-1)
}
FT_API FtTensor ft_index_select(FtTensor t, int64_t dim, FtTensor index) { FT_TRY return wrap(T(t).index_select(dim, T(index))); FT_CATCH(nullptr) }
FT_API FtTensor ft_gather(FtTensor t, int64_t dim, FtTensor index) { FT_TRY return wrap(T(t).gather(dim, T(index))); FT_CATCH(nullptr) }
FT_API FtTensor ft_scatter(FtTensor t, int64_t dim, FtTensor index, FtTensor src) { FT_TRY return wrap(T(t).scatter(dim, T(index), T(src))); FT_CATCH(nullptr) }
FT_API FtTensor ft_masked_select(FtTensor t, FtTensor mask) { FT_TRY return wrap(T(t).masked_select(T(mask))); FT_CATCH(nullptr) }
// In place: t[..., index[i], ...] = src[i] along dim (KV cache slots written at each row's own position).
FT_API int ft_scatter_(FtTensor t, int64_t dim, FtTensor index, FtTensor src) { FT_TRY T(t).scatter_(dim, T(index), T(src)); return 0; FT_CATCH(-1) }
FT_API int ft_index_copy_(FtTensor t, int64_t dim, FtTensor index, FtTensor src) { FT_TRY T(t).index_copy_(dim, T(index), T(src)); return 0; FT_CATCH(-1) }
