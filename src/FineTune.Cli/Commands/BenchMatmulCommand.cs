using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FineTune.Torch;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench matmul`: GFLOP/s of an n³ float32 matmul through the native layer. On 2 cores with
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
        var cmd = new Command("matmul", "GFLOP/s of a float32 matmul (default 1024³).") { size, repeats, threads, device };
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
        for (int i = 0; i < 2; i++) a.MatMul(b).Dispose();   // warm-up
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var c = a.MatMul(b))
                if (device.IsCuda) LibTorch.CudaSynchronize(device.Index);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        return new MatmulResult("matmul", n, LibTorch.Threads, device.ToString(), LibTorch.Version,
            Math.Round(median * 1000, 3), Math.Round(2.0 * n * n * n / median / 1e9, 1));
    }

    public sealed record MatmulResult(string bench, int n, int threads, string device, string torch, double ms, double gflops);
}
