using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>
/// P/Invoke declarations of native/ft.h. Handles are raw <c>at::Tensor*</c>; a null result (or -1 for
/// status results) means the call failed and <see cref="ft_last_error"/> holds libtorch's message.
/// Only <see cref="Tensor"/> and friends call these.
/// </summary>
internal static unsafe partial class Native
{
    private const string Lib = "finetune_torch";

    // Runs before the first call into the native layer, so before libtorch and its OpenMP runtime are loaded: libgomp
    // reads OMP_WAIT_POLICY once, when it is loaded. See NativeEnvironment.
    static Native() => NativeEnvironment.Apply();

    [LibraryImport(Lib)] internal static partial nint ft_last_error();
    [LibraryImport(Lib)] internal static partial nint ft_torch_version();
    [LibraryImport(Lib)] internal static partial void ft_free(nint t);
    [LibraryImport(Lib)] internal static partial int ft_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ft_get_num_threads();
    [LibraryImport(Lib)] internal static partial int ft_openblas_num_threads();
    [LibraryImport(Lib)] internal static partial int ft_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static unsafe partial int ft_cpu_pool_stats(long* out7);
    [LibraryImport(Lib)] internal static partial long ft_cpu_pool_release();
    [LibraryImport(Lib)] internal static partial int ft_gemm_takes(long m, long n, long k);
    [LibraryImport(Lib)] internal static partial int ft_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int ft_has_cuda_build();
    [LibraryImport(Lib)] internal static partial long ft_cuda_peak_bytes(int device, int reset);
    [LibraryImport(Lib)] internal static partial int ft_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial nint ft_get_rng_state();
    [LibraryImport(Lib)] internal static partial int ft_set_rng_state(nint state);

    // random numbers (gen 0: the device's default generator)
    [LibraryImport(Lib)] internal static partial nint ft_generator_new(ulong seed, int dev, int idx);
    [LibraryImport(Lib)] internal static partial void ft_generator_free(nint gen);
    [LibraryImport(Lib)] internal static partial nint ft_randn(long* shape, int ndim, int dtype, int dev, int idx, nint gen);
    [LibraryImport(Lib)] internal static partial nint ft_rand(long* shape, int ndim, int dtype, int dev, int idx, nint gen);
    [LibraryImport(Lib)] internal static partial nint ft_randint(long low, long high, long* shape, int ndim, int dev, int idx, nint gen);
    [LibraryImport(Lib)] internal static partial nint ft_multinomial(nint probs, long n, int replacement, nint gen);

    // metadata
    [LibraryImport(Lib)] internal static partial int ft_dim(nint t);
    [LibraryImport(Lib)] internal static partial int ft_shape(nint t, long* shape, int capacity);
    [LibraryImport(Lib)] internal static partial int ft_dtype(nint t);
    [LibraryImport(Lib)] internal static partial int ft_device_type(nint t);
    [LibraryImport(Lib)] internal static partial int ft_device_index(nint t);
    [LibraryImport(Lib)] internal static partial long ft_numel(nint t);
    [LibraryImport(Lib)] internal static partial int ft_is_contiguous(nint t);
    [LibraryImport(Lib)] internal static partial int ft_requires_grad(nint t);
    [LibraryImport(Lib)] internal static partial nint ft_data_ptr(nint t);

    // creation and copies
    [LibraryImport(Lib)] internal static partial nint ft_empty(long* shape, int ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial nint ft_zeros(long* shape, int ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial nint ft_ones(long* shape, int ndim, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial nint ft_full(long* shape, int ndim, double value, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial nint ft_arange(double start, double end, double step, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial nint ft_from_data(void* data, long* shape, int ndim, int dtype);
    [LibraryImport(Lib)] internal static partial nint ft_from_blob(void* data, long* shape, int ndim, int dtype, delegate* unmanaged<nint, void> release, nint context);
    [LibraryImport(Lib)] internal static partial int ft_copy_to(nint t, void* dst, long bytes);
    [LibraryImport(Lib)] internal static partial int ft_item(nint t, double* value);
    [LibraryImport(Lib)] internal static partial nint ft_to(nint t, int dtype, int dev, int idx, int copy);
    [LibraryImport(Lib)] internal static partial nint ft_clone(nint t);
    [LibraryImport(Lib)] internal static partial nint ft_shallow(nint t);
    [LibraryImport(Lib)] internal static partial int ft_copy_(nint dst, nint src);
    [LibraryImport(Lib)] internal static partial int ft_fill_(nint t, double v);
    [LibraryImport(Lib)] internal static partial int ft_zero_(nint t);

    // views and shape ops
    [LibraryImport(Lib)] internal static partial nint ft_view(nint t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial nint ft_reshape(nint t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial nint ft_expand(nint t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial nint ft_permute(nint t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial nint ft_transpose(nint t, long a, long b);
    [LibraryImport(Lib)] internal static partial nint ft_narrow(nint t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial nint ft_slice(nint t, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial nint ft_select(nint t, long dim, long index);
    [LibraryImport(Lib)] internal static partial nint ft_unsqueeze(nint t, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_squeeze(nint t, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_flatten(nint t, long start, long end);
    [LibraryImport(Lib)] internal static partial nint ft_contiguous(nint t);
    [LibraryImport(Lib)] internal static partial nint ft_repeat_interleave(nint t, long repeats, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_cat(nint* ts, int n, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_stack(nint* ts, int n, long dim);
    [LibraryImport(Lib)] internal static partial int ft_chunk(nint t, long chunks, long dim, nint* outs);
    [LibraryImport(Lib)] internal static partial int ft_split_with_sizes(nint t, long* sizes, int n, long dim, nint* outs);
    [LibraryImport(Lib)] internal static partial nint ft_index_select(nint t, long dim, nint index);
    [LibraryImport(Lib)] internal static partial nint ft_gather(nint t, long dim, nint index);
    [LibraryImport(Lib)] internal static partial nint ft_scatter(nint t, long dim, nint index, nint src);
    [LibraryImport(Lib)] internal static partial int ft_scatter_(nint t, long dim, nint index, nint src);
    [LibraryImport(Lib)] internal static partial int ft_index_copy_(nint t, long dim, nint index, nint src);
    [LibraryImport(Lib)] internal static partial nint ft_masked_select(nint t, nint mask);

    // math
    [LibraryImport(Lib)] internal static partial nint ft_binary(nint a, nint b, int op);
    [LibraryImport(Lib)] internal static partial nint ft_binary_scalar(nint a, double s, int op);
    [LibraryImport(Lib)] internal static partial int ft_add_(nint a, nint b, double alpha);
    [LibraryImport(Lib)] internal static partial int ft_mul_scalar_(nint a, double s);
    [LibraryImport(Lib)] internal static partial nint ft_unary(nint a, int op);
    [LibraryImport(Lib)] internal static partial nint ft_clamp(nint a, double lo, double hi, int hasLo, int hasHi);
    [LibraryImport(Lib)] internal static partial nint ft_where(nint cond, nint a, nint b);
    [LibraryImport(Lib)] internal static partial nint ft_masked_fill(nint a, nint mask, double v);
    [LibraryImport(Lib)] internal static partial nint ft_triu(nint a, long k);
    [LibraryImport(Lib)] internal static partial nint ft_tril(nint a, long k);
    [LibraryImport(Lib)] internal static partial nint ft_matmul(nint a, nint b);
    [LibraryImport(Lib)] internal static partial int ft_addmm_(nint self, nint m1, nint m2, double beta, double alpha);
    [LibraryImport(Lib)] internal static partial nint ft_linear(nint x, nint w, nint b);
    [LibraryImport(Lib)] internal static partial nint ft_outer(nint a, nint b);
    [LibraryImport(Lib)] internal static partial nint ft_sum(nint a, long* dims, int n, int keepdim);
    [LibraryImport(Lib)] internal static partial nint ft_mean(nint a, long* dims, int n, int keepdim);
    [LibraryImport(Lib)] internal static partial nint ft_max_all(nint a);
    [LibraryImport(Lib)] internal static partial int ft_max_dim(nint a, long dim, int keepdim, nint* values, nint* indices);
    [LibraryImport(Lib)] internal static partial nint ft_argmax(nint a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial int ft_topk(nint a, long k, long dim, int largest, int sorted, nint* values, nint* indices);
    [LibraryImport(Lib)] internal static partial int ft_sort(nint a, long dim, int descending, nint* values, nint* indices);
    [LibraryImport(Lib)] internal static partial nint ft_cumsum(nint a, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_norm(nint a, double p);

    // neural-network blocks
    [LibraryImport(Lib)] internal static partial nint ft_embedding(nint weight, nint ids);
    [LibraryImport(Lib)] internal static partial nint ft_softmax(nint a, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_log_softmax(nint a, long dim);
    [LibraryImport(Lib)] internal static partial nint ft_cross_entropy(nint logits, nint target, long ignoreIndex, int reduction, double smoothing);
    [LibraryImport(Lib)] internal static partial nint ft_dropout(nint a, double p, int train);
    [LibraryImport(Lib)] internal static partial nint ft_rms_norm(nint x, nint weight, double eps);
    [LibraryImport(Lib)] internal static partial nint ft_rope(nint x, nint cos, nint sin);
    [LibraryImport(Lib)] internal static partial nint ft_silu_mul(nint gate, nint up);
    [LibraryImport(Lib)] internal static partial nint ft_attention(nint q, nint k, nint v, nint mask, double dropout, int causal, double scale);

    // autograd and optimizers
    [LibraryImport(Lib)] internal static partial int ft_set_requires_grad(nint t, int on);
    [LibraryImport(Lib)] internal static partial nint ft_detach(nint t);
    [LibraryImport(Lib)] internal static partial int ft_backward(nint t, nint grad, int retainGraph);
    [LibraryImport(Lib)] internal static partial int ft_grad(nint t, nint* grad);
    [LibraryImport(Lib)] internal static partial int ft_zero_grad(nint t);
    [LibraryImport(Lib)] internal static partial int ft_set_grad_enabled(int on);
    [LibraryImport(Lib)] internal static partial int ft_is_grad_enabled();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int ft_profile_begin(string path);
    [LibraryImport(Lib)] internal static partial int ft_profile_end();
    [LibraryImport(Lib)] internal static partial int ft_vector_isa(int request);
    [LibraryImport(Lib)] internal static partial int ft_vector_isa_best();
    [LibraryImport(Lib)] internal static partial int ft_adamw_step(nint* parameters, nint* expAvg, nint* expAvgSq, int n, double lr,
        double beta1, double beta2, double eps, double weightDecay, long step);
    [LibraryImport(Lib)] internal static partial int ft_clip_grad_norm(nint* parameters, int n, double maxNorm, double* total);

    /// <summary>libtorch's message for the last failed call on this thread.</summary>
    internal static string LastError() => Marshal.PtrToStringUTF8(ft_last_error()) ?? "unknown native error";
}
