// Random numbers: generators the caller owns and seeds (so library code need not reseed libtorch's process-wide
// default), and the random factories and draws, each taking one (null: the default generator of the device).
#include "ft_common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <array>
#ifdef FT_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

using ft::T;
using ft::wrap;

static c10::optional<at::Generator> gen(FtGenerator g) {
  return g ? c10::optional<at::Generator>(*static_cast<at::Generator*>(g)) : c10::nullopt;
}

// ---- generators -------------------------------------------------------------------------------
// mt19937ar's init_by_array: the Mersenne Twister state from a key of several 32-bit words.
template <size_t N>
static void init_by_array(std::array<uint32_t, N>& mt, const uint32_t* key, int key_length) {
  const int n = static_cast<int>(N);
  mt[0] = 19650218u;
  for (int i = 1; i < n; i++) mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<uint32_t>(i);
  int i = 1, j = 0;
  for (int k = std::max(n, key_length); k > 0; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    if (++i >= n) { mt[0] = mt[n - 1]; i = 1; }
    if (++j >= key_length) j = 0;
  }
  for (int k = n - 1; k > 0; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    if (++i >= n) { mt[0] = mt[n - 1]; i = 1; }
  }
  mt[0] = 0x80000000u;
}

// libtorch's CPU generator keeps only the low 32 bits of a seed (mt19937's init_genrand). A seed below 2^32 gives
// exactly the generator manual_seed(seed) gives; above, the state comes from both halves through init_by_array,
// so every bit of a 64-bit seed (OpenAI's `seed`) counts.
static at::Generator cpu_generator(uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  if (seed <= 0xffffffffull) return g;
  const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  at::mt19937 engine(seed);
  auto data = engine.data();
  init_by_array(data.state_, key, 2);
  data.left_ = 1;
  data.next_ = 0;
  engine.set_data(data);
  g.get<at::CPUGeneratorImpl>()->set_engine(engine);
  return g;
}

// A generator on the device, seeded with all 64 bits of `seed` (CUDA's Philox takes them as they are).
FT_API FtGenerator ft_generator_new(uint64_t seed, int dev, int idx) {
  FT_TRY
  if (dev == 0) return new at::Generator(cpu_generator(seed));
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
