// ft.h: the flat C ABI of finetune_torch. Every export catches std::exception and `...`; on failure
// it returns NULL (tensor results) or -1 (status results) and leaves the message in a thread-local
// buffer read with ft_last_error(). Tensors are owned `at::Tensor*` handles freed with ft_free.
#pragma once
#include <cstdint>

#define FT_API extern "C" __attribute__((visibility("default")))

typedef void* FtTensor;
typedef void* FtGenerator;   // an owned `at::Generator*`, freed with ft_generator_free; null means the device's default

// dtype codes shared with C# (DType.cs)
enum FtDType { FT_F32 = 0, FT_BF16 = 1, FT_F16 = 2, FT_I64 = 3, FT_BOOL = 4, FT_I32 = 5, FT_U8 = 6, FT_F64 = 7 };
// device codes: 0 = cpu, 1 = cuda
