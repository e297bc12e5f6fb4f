using System.Diagnostics;
using Xunit.Abstractions;

namespace FineTune.Torch.Tests;

/// <summary>
/// <see cref="LibTorch.Threads"/> governs every pool the math runs on. libtorch's own setting reaches neither the thread
/// pool of Debian's OpenBLAS, which runs the matmuls (with it alone, one "thread" kept every core busy), nor threads
/// that ran ops before it was set. This assembly runs one test at a time (AssemblyInfo.cs), so the process's CPU
/// time is this test's.
/// </summary>
public class ThreadsTests(ITestOutputHelper log)
{
    private const int Matmuls = 16;

    [Fact]
    public void Threads_SetToOne_MatmulsUseOneCore_CpuTimeNotAboveWallTime()
    {
        int before = LibTorch.Threads;
        try
        {
            LibTorch.Threads = 1;
            Assert.Equal(1, LibTorch.Threads);
            Assert.True(LibTorch.OpenBlasThreads is null or 1, $"OpenBLAS threads {LibTorch.OpenBlasThreads}");
            using var a = Tensor.Randn([1024, 1024]);
            using var b = Tensor.Randn([1024, 1024]);
            using (a.MatMul(b)) { }   // warm-up: first-call allocations, kernel selection

            var threads0 = ThreadCpu();
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (int i = 0; i < Matmuls; i++)
                using (a.MatMul(b)) { }
            wall.Stop();
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds, ratio = cpu / wall.Elapsed.TotalSeconds;
            // Per OS thread: on a loaded machine the ratio alone cannot tell, but the work done off the busiest thread can.
            var busy = ThreadCpu().Select(kv => kv.Value - threads0.GetValueOrDefault(kv.Key)).OrderDescending().ToList();
            double others = busy.Skip(1).Sum() / Math.Max(1e-9, busy[0]);
            var summary = $"{Matmuls} matmuls 1024³ at 1 thread: CPU {cpu:0.000} s, wall {wall.Elapsed.TotalSeconds:0.000} s, ratio {ratio:0.00}; " +
                $"busiest thread {busy[0]:0.000} s, all others {busy.Skip(1).Sum():0.000} s ({others:0.00} of it); " +
                $"OpenBLAS threads {LibTorch.OpenBlasThreads?.ToString() ?? "(no OpenBLAS loaded)"}";
            log.WriteLine(summary);
            Assert.True(ratio <= 1.5, summary);
            Assert.True(others <= 0.25, summary);
        }
        finally
        {
            LibTorch.Threads = before;
        }
    }

    [Fact]
    public void Threads_SetOnOneThread_HoldsOnThreadsThatRanOpsBefore()
    {
        int before = LibTorch.Threads;
        try
        {
            LibTorch.Threads = 2;
            int seenBefore = 0, seenAfter = 0;
            using var go = new ManualResetEventSlim();
            using var ran = new ManualResetEventSlim();
            var other = new Thread(() =>
            {
                using (var x = Tensor.Randn([256, 256])) using (x.Softmax(-1)) { }
                seenBefore = LibTorch.Threads;
                ran.Set();
                go.Wait();
                using (var x = Tensor.Randn([256, 256])) using (x.Softmax(-1)) { }
                seenAfter = LibTorch.Threads;
            });
            other.Start();
            ran.Wait();
            LibTorch.Threads = 1;
            go.Set();
            other.Join();
            log.WriteLine($"other thread: {seenBefore} before, {seenAfter} after Threads = 1 on this thread");
            Assert.Equal((2, 1), (seenBefore, seenAfter));
        }
        finally
        {
            LibTorch.Threads = before;
        }
    }

    /// <summary>CPU seconds of each OS thread of this process (Linux: /proc/self/task/*/stat, utime + stime in clock ticks).</summary>
    private static Dictionary<int, double> ThreadCpu()
    {
        var result = new Dictionary<int, double>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) ": state is field 3
                result[int.Parse(Path.GetFileName(dir))] = (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;   // utime, stime
            }
            catch (IOException) { }   // the thread ended meanwhile
        }
        return result;
    }
}
