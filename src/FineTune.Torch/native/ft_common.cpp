// Runtime-wide exports: the error buffer, version and threads, RNG seeding, CUDA queries.
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/CPUGeneratorImpl.h>
#include <mutex>
#include <torch/version.h>
#include <sstream>
#ifdef FT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace ft {

static thread_local std::string g_error;

void set_error(const std::string& message) { g_error = message; }

at::ScalarType to_scalar_type(int dtype) {
  switch (dtype) {
    case FT_F32: return at::kFloat;
    case FT_BF16: return at::kBFloat16;
    case FT_F16: return at::kHalf;
    case FT_I64: return at::kLong;
    case FT_BOOL: return at::kBool;
    case FT_I32: return at::kInt;
    case FT_U8: return at::kByte;
    case FT_F64: return at::kDouble;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int from_scalar_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return FT_F32;
    case at::kBFloat16: return FT_BF16;
    case at::kHalf: return FT_F16;
    case at::kLong: return FT_I64;
    case at::kBool: return FT_BOOL;
    case at::kInt: return FT_I32;
    case at::kByte: return FT_U8;
    case at::kDouble: return FT_F64;
    default: return -1;
  }
}

at::Device to_device(int device_type, int device_index) {
  if (device_type == 0) return at::Device(at::kCPU);
  if (device_type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index < 0 ? 0 : device_index));
  throw std::invalid_argument("unknown device type " + std::to_string(device_type));
}

at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(to_scalar_type(dtype)).device(to_device(device_type, device_index));
}

std::string describe(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream s;
  s << c10::toString(t.scalar_type()) << t.sizes() << " " << t.device();
  return s.str();
}

}  // namespace ft

FT_API const char* ft_last_error() { return ft::g_error.c_str(); }

FT_API const char* ft_torch_version() {
  static const std::string v = TORCH_VERSION;
  return v.c_str();
}

FT_API void ft_free(FtTensor t) { delete static_cast<at::Tensor*>(t); }

FT_API int ft_set_num_threads(int n) {
  FT_TRY at::set_num_threads(n); return 0;
  FT_CATCH(-1)
}

FT_API int ft_get_num_threads() { return at::get_num_threads(); }

FT_API int ft_manual_seed(uint64_t seed) {
  FT_TRY at::manual_seed(seed); return 0;
  FT_CATCH(-1)
}

FT_API int ft_cuda_device_count() {
  FT_TRY return at::detail::getCUDAHooks().hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
  FT_CATCH(0)
}

FT_API int ft_has_cuda_build() {
#ifdef FT_WITH_CUDA
  return 1;
#else
  return 0;
#endif
}

// Peak bytes allocated on a CUDA device since the last reset; -1 without CUDA.
FT_API int64_t ft_cuda_peak_bytes(int device, int reset) {
#ifdef FT_WITH_CUDA
  FT_TRY
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
  int64_t peak = stats.allocated_bytes[0].peak;  // StatType::AGGREGATE
  if (reset) c10::cuda::CUDACachingAllocator::resetPeakStats(device);
  return peak;
  FT_CATCH(-1)
#else
  return -1;
#endif
}

FT_API int ft_cuda_synchronize(int device) {
#ifdef FT_WITH_CUDA
  FT_TRY c10::cuda::device_synchronize(); return 0;
  FT_CATCH(-1)
#else
  return 0;
#endif
}

// The CPU generator's state as a uint8 tensor (dropout and sampling draw from it), for checkpoints.
FT_API FtTensor ft_get_rng_state() {
  FT_TRY
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return ft::wrap(gen.get_state());
  FT_CATCH(nullptr)
}

FT_API int ft_set_rng_state(FtTensor state) {
  FT_TRY
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(ft::T(state));
  return 0;
  FT_CATCH(-1)
}
