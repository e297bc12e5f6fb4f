using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>Process-wide settings of the engine: threads, seeds, grad mode, CUDA.</summary>
public static class LibTorch
{
    /// <summary>The libtorch version the native layer was built against (e.g. "1.13.0").</summary>
    public static string Version => Marshal.PtrToStringUTF8(Native.ft_torch_version()) ?? "";

    /// <summary>
    /// CPU threads of the tensor math, process-wide: libtorch's intra-op pool on every thread that calls in, and
    /// the thread pool of OpenBLAS (which runs the matmuls of Debian's libtorch) when one is loaded.
    /// </summary>
    public static int Threads
    {
        get => Native.ft_get_num_threads();
        set => Tensor.Check(Native.ft_set_num_threads(value), $"Threads = {value}");
    }

    /// <summary>OpenBLAS's thread count, or null when this libtorch runs on another BLAS (nothing more to set then).</summary>
    public static int? OpenBlasThreads => Native.ft_openblas_num_threads() is var n and >= 0 ? n : null;

    /// <summary>Seeds libtorch's generators (CPU and CUDA): runs on CPU are then reproducible.</summary>
    public static void ManualSeed(ulong seed) => Tensor.Check(Native.ft_manual_seed(seed), $"ManualSeed({seed})");

    /// <summary>
    /// Sets libtorch's intra-op threads: <paramref name="requested"/>, else FINETUNE_THREADS, else every
    /// core (libtorch alone may pick 1 in containers). Returns the count in force.
    /// </summary>
    public static int ConfigureThreads(int? requested = null)
    {
        var env = Environment.GetEnvironmentVariable("FINETUNE_THREADS");
        int n = requested ?? (int.TryParse(env, out var e) && e > 0 ? e : Environment.ProcessorCount);
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(requested), n, "threads must be >= 1");
        Threads = n;
        return Threads;
    }

    /// <summary>The CPU generator's state (uint8 tensor), for checkpoints; restore with <see cref="SetRngState"/>.</summary>
    public static Tensor GetRngState() => Tensor.Wrap(Native.ft_get_rng_state(), "GetRngState");

    public static void SetRngState(Tensor state) => Tensor.Check(Native.ft_set_rng_state(state.Handle), "SetRngState", state);

    public static int CudaDeviceCount => Native.ft_cuda_device_count();
    public static bool CudaAvailable => CudaDeviceCount > 0;
    /// <summary>Whether the native layer was built against a CUDA libtorch (memory statistics available).</summary>
    public static bool CudaBuild => Native.ft_has_cuda_build() != 0;

    /// <summary>Peak bytes allocated on a CUDA device since the last reset, or -1 without CUDA.</summary>
    public static long CudaPeakBytes(int device = 0, bool reset = false) => Native.ft_cuda_peak_bytes(device, reset ? 1 : 0);

    public static void CudaSynchronize(int device = 0) => Tensor.Check(Native.ft_cuda_synchronize(device), "CudaSynchronize");

    public static bool GradEnabled => Native.ft_is_grad_enabled() != 0;

    /// <summary>
    /// Records every libtorch op until disposed, on every thread, and then writes them to <paramref name="path"/> as a
    /// Chrome trace (chrome://tracing or Perfetto; <c>finetune bench train --trace</c> prints a table of it). One recording
    /// at a time per process.
    /// </summary>
    public static IDisposable Profile(string path)
    {
        Tensor.Check(Native.ft_profile_begin(path), $"Profile({path})");
        return new ProfileRecording();
    }

    private sealed class ProfileRecording : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) Tensor.Check(Native.ft_profile_end(), "Profile end");
        }
    }

    /// <summary>
    /// Which build of the native float32 CPU vector kernels runs, for the whole process (native/ft_simd.cpp: products of 1
    /// to 16 rows by a weight, as a decode step's projections are, and silu·up): the best this CPU runs unless changed.
    /// With <see cref="CpuVectorIsa.None"/>, OpenBLAS and ATen take those too.
    /// </summary>
    public static CpuVectorIsa VectorIsa => (CpuVectorIsa)Native.ft_vector_isa(-1);

    /// <summary>Uses <paramref name="isa"/> from now on (tests compare each against float64); false when this CPU cannot run it.</summary>
    public static bool TryUseVectorIsa(CpuVectorIsa isa) => Native.ft_vector_isa((int)isa) >= 0;

    /// <summary>
    /// Whether a float32 CPU linear layer of <paramref name="rows"/> rows by an (<paramref name="n"/>, <paramref name="k"/>)
    /// weight runs on the engine's AVX-512 matrix product now (native/ft_gemm.cpp), rather than on BLAS or the row kernel.
    /// </summary>
    public static bool GemmTakes(long rows, long n, long k) => Native.ft_gemm_takes(rows, n, k) != 0;

    /// <summary>The best <see cref="CpuVectorIsa"/> this CPU runs.</summary>
    public static CpuVectorIsa BestVectorIsa => (CpuVectorIsa)Native.ft_vector_isa_best();

    /// <summary>
    /// What the huge-page pool that serves libtorch's CPU blocks of 256 KiB and more holds now (native/ft_alloc.cpp); null
    /// when it is off (FINETUNE_CPU_POOL=0 when the process started), and libtorch's own allocator serves every block.
    /// </summary>
    public static unsafe CpuPoolStats? CpuPool
    {
        get
        {
            long* v = stackalloc long[7];
            return Native.ft_cpu_pool_stats(v) == 0 ? new CpuPoolStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6]) : null;
        }
    }

    /// <summary>Unmaps the pool's wholly free chunks (see <see cref="CpuPool"/>); returns the bytes given back.</summary>
    public static long ReleaseCpuPool() => Native.ft_cpu_pool_release();

    /// <summary>Disables gradient recording on this thread until disposed (torch.no_grad()).</summary>
    public static IDisposable NoGrad() => new GradMode(false);

    /// <summary>Enables gradient recording on this thread until disposed (torch.enable_grad()).</summary>
    public static IDisposable EnableGrad() => new GradMode(true);

    private sealed class GradMode : IDisposable
    {
        private readonly int _previous;
        private bool _done;

        public GradMode(bool on)
        {
            _previous = Native.ft_set_grad_enabled(on ? 1 : 0);
            Tensor.Check(_previous, "SetGradEnabled");
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Native.ft_set_grad_enabled(_previous);
        }
    }

    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> so their global L2 norm is at most
    /// <paramref name="maxNorm"/> (as torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
    /// maxNorm &lt;= 0 only measures.
    /// </summary>
    public static unsafe double ClipGradNorm(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        var hs = new nint[parameters.Count];
        for (int i = 0; i < hs.Length; i++) hs[i] = parameters[i].Handle;
        double total;
        fixed (nint* p = hs)
            Tensor.Check(Native.ft_clip_grad_norm(p, hs.Length, maxNorm, &total), $"ClipGradNorm({maxNorm})");
        GC.KeepAlive(parameters);
        return total;
    }
}

/// <summary>Which build of the native vector kernels runs (<see cref="LibTorch.VectorIsa"/>).</summary>
public enum CpuVectorIsa
{
    /// <summary>Off: OpenBLAS and ATen take what the kernels would.</summary>
    None = 0,
    Avx2 = 1,
    Avx512 = 2,
}

/// <summary>
/// The CPU pool's state (<see cref="LibTorch.CpuPool"/>): bytes mapped from the system, in live blocks and free in the
/// pool; the chunks mapped now; and, since the process started, blocks served from free pool memory and chunks mapped
/// and unmapped.
/// </summary>
public sealed record CpuPoolStats(long MappedBytes, long InUseBytes, long FreeBytes, long Chunks, long Reused, long ChunksMapped, long ChunksUnmapped);
