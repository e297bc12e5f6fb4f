// Runtime-wide exports: the error buffer, version and threads, RNG seeding, CUDA queries.
#include "ft_common.h"
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <link.h>
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

// ---- threads ----------------------------------------------------------------------------------
// Three pools do CPU work: libtorch's intra-op pool (OpenMP), and, in Debian's libtorch, OpenBLAS's own pthread pool
// that runs every matmul. at::set_num_threads reaches only the first, so OpenBLAS kept one thread per core whatever
// was asked. OpenBLAS's and OpenMP's setters are looked up at run time among the libraries already loaded, so the
// build needs neither, and a libtorch with another BLAS (MKL in the pip wheels) simply has no OpenBLAS to set.
std::atomic<int> g_threads_generation{0};
static std::atomic<int> g_threads{0};

using SetThreads = void (*)(int);
using GetThreads = int (*)();
struct RuntimeThreadSetters {
  SetThreads openblas_set = nullptr;
  GetThreads openblas_get = nullptr;
  SetThreads omp_set = nullptr;
};

static int collect_object(struct dl_phdr_info* info, size_t, void* names) {
  if (info->dlpi_name && *info->dlpi_name) static_cast<std::vector<std::string>*>(names)->emplace_back(info->dlpi_name);
  return 0;
}

// The first definition of each symbol among the loaded objects (dlopen'ed by .NET without RTLD_GLOBAL, so
// dlsym(RTLD_DEFAULT, …) would not see them). RTLD_NOLOAD: only objects already there.
static const RuntimeThreadSetters& thread_setters() {
  static const RuntimeThreadSetters setters = [] {
    std::vector<std::string> names;
    dl_iterate_phdr(collect_object, &names);   // dlopen is not called inside the callback: it holds the loader lock
    RuntimeThreadSetters s;
    for (const auto& name : names) {
      void* h = dlopen(name.c_str(), RTLD_LAZY | RTLD_NOLOAD);
      if (!h) continue;
      if (!s.openblas_set) {
        s.openblas_set = reinterpret_cast<SetThreads>(dlsym(h, "openblas_set_num_threads"));
        s.openblas_get = reinterpret_cast<GetThreads>(dlsym(h, "openblas_get_num_threads"));
      }
      if (!s.omp_set) s.omp_set = reinterpret_cast<SetThreads>(dlsym(h, "omp_set_num_threads"));
      dlclose(h);   // drops the reference NOLOAD took; the object stays loaded
    }
    return s;
  }();
  return setters;
}

void apply_threads_to_this_thread() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0 && thread_setters().omp_set) thread_setters().omp_set(n);
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

// Sets libtorch's intra-op threads (on every thread that calls in from now on, see ft::sync_threads) and OpenBLAS's
// pool. Returns 1 when OpenBLAS was set too, 0 when no OpenBLAS is loaded (nothing else to set), -1 on error.
FT_API int ft_set_num_threads(int n) {
  FT_TRY
  TORCH_CHECK(n > 0, "threads must be >= 1, got ", n);
  at::set_num_threads(n);
  ft::g_threads.store(n, std::memory_order_relaxed);
  ft::g_threads_generation.fetch_add(1, std::memory_order_relaxed);
  ft::sync_threads();   // marks this thread as up to date
  const auto& s = ft::thread_setters();
  if (!s.openblas_set) return 0;
  s.openblas_set(n);
  return 1;
  FT_CATCH(-1)
}

FT_API int ft_get_num_threads() {
  ft::sync_threads();
  return at::get_num_threads();
}

// OpenBLAS's thread count, or -1 when no OpenBLAS is loaded.
FT_API int ft_openblas_num_threads() {
  const auto& s = ft::thread_setters();
  return s.openblas_get ? s.openblas_get() : -1;
}

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
