using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FineTune.Torch;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench matmul`: GFLOP/s of an n³ float32 matmul through the native layer (libtorch's BLAS), and of the
/// same product as a linear layer computes it, with the engine's AVX-512 kernel where it applies. On 2 cores with
/// OpenBLAS expect 100+; about 5 means libtorch fell back to reference BLAS (libopenblas0-pthread missing).
/// </summary>
public static class BenchMatmulCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Matrix size n (n×n by n×n).", DefaultValueFactory = _ => 1024 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions (median reported).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: FINETUNE_THREADS or every core)." };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("matmul", "GFLOP/s of a float32 matmul (default 1024³): BLAS, and the linear layers' kernel.") { size, repeats, threads, device };
        cmd.SetAction(pr =>
        {
            int n = pr.GetValue(size), reps = pr.GetValue(repeats);
            if (n < 1 || reps < 1) { Console.Error.WriteLine("finetune: --size and --repeats must be >= 1"); return ExitCodes.Usage; }
            LibTorch.ConfigureThreads(pr.GetValue(threads));
            var dev = Device.Parse(pr.GetValue(device)!);
            Console.WriteLine(JsonSerializer.Serialize(Run(n, reps, dev)));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static MatmulResult Run(int n, int repeats, Device device)
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(0);
        var a = Tensor.Randn([n, n], DType.Float32, device);
        var b = Tensor.Randn([n, n], DType.Float32, device);
        // a·bᵀ as a linear layer computes it: the engine's own kernel where it takes the product (ft_gemm.cpp, an AVX-512
        // CPU), else the same BLAS call as the matmul; timed alternately with the matmul, so both see the same machine.
        using var noGrad = LibTorch.NoGrad();
        for (int i = 0; i < 2; i++)
        {
            a.MatMul(b).Dispose();   // warm-up
            Functional.Linear(a, b).Dispose();
        }
        var matmul = new List<double>();
        var linear = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            matmul.Add(Time(() => a.MatMul(b)));
            linear.Add(Time(() => Functional.Linear(a, b)));
        }
        double Median(List<double> t) => t.Order().ElementAt(t.Count / 2);
        double mm = Median(matmul), lin = Median(linear), flops = 2.0 * n * n * n;
        return new MatmulResult("matmul", n, LibTorch.Threads, device.ToString(), LibTorch.Version,
            Math.Round(mm * 1000, 3), Math.Round(flops / mm / 1e9, 1), Math.Round(lin * 1000, 3), Math.Round(flops / lin / 1e9, 1),
            device.IsCuda ? "cuda" : LibTorch.GemmTakes(n, n, n) ? "finetune avx512" : "blas");

        double Time(Func<Tensor> op)
        {
            var sw = Stopwatch.StartNew();
            using (op())
                if (device.IsCuda) LibTorch.CudaSynchronize(device.Index);
            return sw.Elapsed.TotalSeconds;
        }
    }

    /// <param name="ms">The matmul (BLAS) median.</param>
    /// <param name="linear_ms">a·bᵀ through the linear layer's path, median; <c>linear_kernel</c> names what ran it.</param>
    public sealed record MatmulResult(string bench, int n, int threads, string device, string torch, double ms, double gflops,
        double linear_ms, double linear_gflops, string linear_kernel);
}
