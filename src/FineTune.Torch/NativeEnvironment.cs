using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>
/// How the native side of the process is set up before libtorch loads: its thread pools' wait policies and the C
/// allocator's thresholds. Both were measured on this project's 2-core CI machine (`finetune bench generate`,
/// `finetune bench train`); each is left alone where the environment already names a value.
/// <list type="bullet">
/// <item><b>OMP_WAIT_POLICY=PASSIVE.</b> Debian's libtorch runs its element-wise ops on OpenMP (libgomp) and its matmuls
/// on OpenBLAS's own pthread pool. By default an idle OpenMP worker spins a while before it sleeps; with as many threads
/// as cores, the spin holds the core an OpenBLAS thread needs for the next matmul. Plain PyTorch's 64-token prefill of
/// the tiny bench model took 80–140 ms that way, against 5–7 ms with passive waiting; this engine did the same. It is
/// set in the environment, so the processes started from this one (the trainer, the benchmarks' PyTorch references)
/// run under it too.</item>
/// <item><b>OPENBLAS_THREAD_TIMEOUT=4.</b> After each call, OpenBLAS's worker threads spin for 2^N cycles (N = 28 by
/// default: tens of milliseconds) before they sleep; on 2 cores the spinning worker holds the core that the next op's
/// second OpenMP thread needs, so that op runs at one thread's speed. The engine's own AVX-512 product ran at 166–185
/// GFLOP/s right after an OpenBLAS call against 299–373 with N = 4 (`finetune bench matmul`, four runs each), and the
/// tiny training step went from 5,500 to 7,400 tokens/s; plain PyTorch's step gained too (3,740 → 3,970), which is
/// why it is set in the environment, for the references as for this process.</item>
/// <item><b>No trimming, no mmap for large blocks (glibc).</b> libtorch allocates every intermediate tensor with
/// malloc. glibc serves blocks above its mmap threshold with fresh mappings, and returns the heap's free top to the
/// system once it passes the trim threshold; either way the next step's tensors fault their pages in again and the
/// kernel zeroes them. A tiny LoRA training step spent a third of its time so (<c>aten::fill_</c>, first touches
/// inside <c>log_softmax</c> and <c>bmm</c> in <c>--trace</c>). With both thresholds raised, freed blocks are reused
/// from the heap: 4,560 tokens/s against 2,490–3,900, peak RSS unchanged (630 MiB). The cost is that memory freed
/// after a peak stays with the process, as a caching allocator's does.</item>
/// </list>
/// </summary>
public static unsafe class NativeEnvironment
{
    /// <summary>The settings in force, by name (environment variables and glibc's mallopt parameters), the environment's own where it had one.</summary>
    public static IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            Apply();
            return s_settings;
        }
    }

    private static readonly Dictionary<string, string> s_settings = [];
    private static readonly object s_gate = new();
    private static bool s_applied;

    private const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    /// <summary>Runs once, before the native layer loads (Native's static constructor).</summary>
    internal static void Apply()
    {
        lock (s_gate)
        {
            if (s_applied) return;
            s_applied = true;
            SetVariable("OMP_WAIT_POLICY", "PASSIVE");
            SetVariable("OPENBLAS_THREAD_TIMEOUT", "4");
            if (OperatingSystem.IsLinux() && Libc("mallopt") is { } mallopt)
            {
                // The largest threshold glibc accepts for mmap (1 GiB; older versions cap it at 32 MiB); trimming only past
                // 1 GiB of free heap top.
                SetMallopt(mallopt, "MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, [1L << 30, 32L << 20]);
                SetMallopt(mallopt, "MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, [1L << 30]);
            }
        }
    }

    private static void SetVariable(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } existing)
        {
            s_settings[name] = existing;
            return;
        }
        // .NET keeps an environment of its own for child processes, and native code reads the C library's: set both.
        Environment.SetEnvironmentVariable(name, value);
        if (Libc("setenv") is { } setenv)
        {
            var n = Marshal.StringToCoTaskMemUTF8(name);
            var v = Marshal.StringToCoTaskMemUTF8(value);
            try { ((delegate* unmanaged<nint, nint, int, int>)setenv)(n, v, 0); }
            finally
            {
                Marshal.FreeCoTaskMem(n);
                Marshal.FreeCoTaskMem(v);
            }
        }
        s_settings[name] = value;
    }

    // glibc reads MALLOC_*_ variables once, at start-up; set here, the values take effect in this process only.
    private static void SetMallopt(nint mallopt, string variable, int parameter, long[] candidates)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } existing)
        {
            s_settings[variable] = existing;
            return;
        }
        foreach (var value in candidates)
            if (value <= int.MaxValue && ((delegate* unmanaged<int, int, int>)mallopt)(parameter, (int)value) == 1)
            {
                s_settings[$"mallopt {variable.Trim('_')}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
    }

    private static nint? Libc(string symbol)
    {
        var name = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsMacOS() ? "libc.dylib" : null;
        return name is not null && NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? address : null;
    }
}
