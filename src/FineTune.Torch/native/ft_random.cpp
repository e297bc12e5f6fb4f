// Random numbers: generators the caller owns and seeds (so library code need not reseed libtorch's process-wide
// default), and the random factories and draws, each taking one (null: the default generator of the device).
#include "ft_common.h"
#include <ATen/CPUGeneratorImpl.h>
#ifdef FT_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

using ft::T;
using ft::wrap;

static c10::optional<at::Generator> gen(FtGenerator g) {
  return g ? c10::optional<at::Generator>(*static_cast<at::Generator*>(g)) : c10::nullopt;
}

// ---- generators -------------------------------------------------------------------------------
// A CPU generator seeded with `seed` draws exactly what the default one draws after manual_seed(seed).
FT_API FtGenerator ft_generator_new(uint64_t seed, int dev, int idx) {
  FT_TRY
  if (dev == 0) return new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed));
#ifdef FT_WITH_CUDA
  auto g = at::cuda::detail::createCUDAGenerator(static_cast<c10::DeviceIndex>(idx));
  g.set_current_seed(seed);
  return new at::Generator(std::move(g));
#else
  TORCH_CHECK(false, "a generator on ", ft::to_device(dev, idx), " needs the native layer built against a CUDA libtorch");
#endif
  FT_CATCH(nullptr)
}

FT_API void ft_generator_free(FtGenerator g) { delete static_cast<at::Generator*>(g); }

// ---- random factories and draws -----------------------------------------------------------------
FT_API FtTensor ft_randn(const int64_t* shape, int ndim, int dtype, int dev, int idx, FtGenerator g) {
  FT_TRY return wrap(at::randn(ft::dims(shape, ndim), gen(g), ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_rand(const int64_t* shape, int ndim, int dtype, int dev, int idx, FtGenerator g) {
  FT_TRY return wrap(at::rand(ft::dims(shape, ndim), gen(g), ft::options(dtype, dev, idx)));
  FT_CATCH(nullptr)
}
FT_API FtTensor ft_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dev, int idx, FtGenerator g) {
  FT_TRY return wrap(at::randint(low, high, ft::dims(shape, ndim), gen(g), ft::options(FT_I64, dev, idx)));
  FT_CATCH(nullptr)
}
// `n` indices per row of the (unnormalized, non-negative) probabilities (…, K).
FT_API FtTensor ft_multinomial(FtTensor probs, int64_t n, int replacement, FtGenerator g) {
  FT_TRY return wrap(at::multinomial(T(probs), n, replacement != 0, gen(g)));
  FT_CATCH(nullptr)
}
