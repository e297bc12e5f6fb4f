using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using FineTune.Torch;

namespace FineTune.Cli.Bench;

/// <summary>A figure over repetitions: the median with the smallest and largest value.</summary>
public sealed record Figure(double Median, double Min, double Max, int Count)
{
    /// <param name="digits">Decimals each value is rounded to.</param>
    public static Figure Of(IReadOnlyCollection<double> values, int digits = 1)
    {
        if (values.Count == 0) throw new ArgumentException("a figure needs at least one value", nameof(values));
        var sorted = values.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new Figure(Math.Round(median, digits), Math.Round(sorted[0], digits), Math.Round(sorted[^1], digits), sorted.Length);
    }

    public override string ToString() => $"{Median} ({Min}–{Max}, n={Count})";

    public JsonObject ToJson() => new() { ["median"] = Median, ["min"] = Min, ["max"] = Max, ["n"] = Count };

    /// <summary>
    /// ours[i] ÷ reference[i] over the repetitions measured side by side (the i-th of each, run one after the other in
    /// <see cref="BenchRuns.Alternate"/>), pairs with a zero or missing side left out; null when no pair is left. A slow
    /// spell of the machine then falls on both halves of a pair, where the sides' own min–max ranges each take it alone.
    /// </summary>
    public static Figure? PairedRatio(IReadOnlyList<double> ours, IReadOnlyList<double> reference)
    {
        var ratios = ours.Zip(reference).Where(p => p.First > 0 && p.Second > 0).Select(p => p.First / p.Second).ToList();
        if (ratios.Count == 0) return null;
        return Of(ratios, digits: 3);
    }

    /// <summary>ours ÷ reference, median over median (null when either is missing or zero).</summary>
    public static double? Ratio(Figure? ours, Figure? reference) =>
        ours is { Median: > 0 } && reference is { Median: > 0 } ? Math.Round(ours.Median / reference.Median, 3) : null;
}

/// <summary>
/// What every `finetune bench` comparison shares: the machine it ran on (load, CPU) printed first, each side warmed
/// up outside the timing, the two sides alternated within one run (A B B A …, so drift in the machine's load falls on
/// both), and every figure the median of its repetitions with min–max.
/// </summary>
public static class BenchRuns
{
    /// <summary>Prints the machine line and returns it for the JSON summary.</summary>
    public static JsonObject Machine(int threads)
    {
        var load = TryRead("/proc/loadavg")?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3).ToArray();
        var cpu = TryRead("/proc/cpuinfo")?.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var machine = new JsonObject
        {
            ["cpu"] = cpu ?? RuntimeInformation.ProcessArchitecture.ToString(),
            ["logical_cpus"] = Environment.ProcessorCount,
            ["threads"] = threads,
            ["loadavg"] = load is null ? null : string.Join(' ', load),
        };
        // The native set-up (FineTune.Torch.NativeEnvironment): environment variables, which the reference processes
        // inherit, and this process's allocator settings, which they do not.
        var environment = new JsonObject();
        foreach (var (name, value) in NativeEnvironment.Settings) environment[name] = value;
        machine["environment"] = environment;
        // libtorch's CPU blocks of 256 KiB and more: the engine's huge-page pool, or libtorch's allocator (FINETUNE_CPU_POOL=0).
        machine["cpu_pool"] = LibTorch.CpuPool is not null;
        machine["tiered_compilation"] = TieredCompilation;
        var env = string.Join(", ", NativeEnvironment.Settings.Select(v => $"{v.Key}={v.Value}"));
        Console.WriteLine($"machine: {machine["cpu"]}, {Environment.ProcessorCount} logical CPUs, {threads} threads used; load average {machine["loadavg"] ?? "unknown"}; {env}; CPU pool {(LibTorch.CpuPool is null ? "off" : "on")}; tiered compilation {(TieredCompilation ? "on" : "off")}");
        return machine;
    }

    /// <summary>
    /// Whether the runtime recompiles hot methods in the background (tiered compilation): off in `finetune` (see its
    /// project file) unless DOTNET_TieredCompilation turns it on.
    /// </summary>
    public static bool TieredCompilation =>
        Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") is { } env
            ? env.Trim() != "0"
            : AppContext.GetData("System.Runtime.TieredCompilation") is not string config || !bool.TryParse(config, out var on) || on;

    /// <summary>
    /// Runs <paramref name="ours"/> once untimed, then <paramref name="repetitions"/> times each side in the order
    /// A B B A A B …; returns each side's results in run order. A null reference runs ours alone. The reference scripts
    /// are separate processes that warm up on the timed shapes themselves before they time anything. Prints how many
    /// methods the JIT compiled during our timed repetitions: work on another thread that the timing took in.
    /// </summary>
    public static (List<T> Ours, List<T> Reference) Alternate<T>(int repetitions, Func<T> ours, Func<T>? reference)
    {
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), "at least one repetition");
        ours();
        var a = new List<T>();
        var b = new List<T>();
        long compiled = 0;
        T Timed()
        {
            long before = JitInfo.GetCompiledMethodCount();
            var result = ours();
            compiled += JitInfo.GetCompiledMethodCount() - before;
            return result;
        }
        for (int i = 0; i < repetitions; i++)
        {
            bool oursFirst = i % 2 == 0;
            if (oursFirst) a.Add(Timed());
            if (reference is not null) b.Add(reference());
            if (!oursFirst) a.Add(Timed());
        }
        Console.WriteLine($"jit: {compiled} methods compiled during our {repetitions} timed repetitions");
        return (a, b);
    }

    /// <summary>This process's peak resident set (VmHWM), in MiB; null where /proc is not there.</summary>
    public static double? PeakRssMiB() => ReadKib("/proc/self/status", "VmHWM:") is long k ? Math.Round(k / 1024.0, 1) : null;

    /// <summary>The largest peak resident set among this process's finished children (getrusage RUSAGE_CHILDREN), in MiB.</summary>
    public static double? ChildrenPeakRssMiB()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var usage = new RUsage();
        return getrusage(-1, ref usage) == 0 && usage.MaxRssKib > 0 ? Math.Round(usage.MaxRssKib / 1024.0, 1) : null;
    }

    /// <summary>Seconds of <paramref name="action"/>.</summary>
    public static double Seconds(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    private static long? ReadKib(string path, string key)
    {
        var line = TryRead(path)?.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is not null && long.TryParse(line[key.Length..].Trim().Split(' ')[0], out var k) ? k : null;
    }

    private static string? TryRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    // struct rusage on 64-bit Linux: two timevals, then 14 longs of which ru_maxrss (KiB) is the first.
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long MaxRssKib;
        public long IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, ref RUsage usage);
}
