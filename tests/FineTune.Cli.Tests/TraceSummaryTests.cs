using FineTune.Cli.Bench;
using FineTune.Tests.Support;
using FineTune.Torch;

namespace FineTune.Cli.Tests;

/// <summary>libtorch's profiler, as `finetune bench train --trace` uses it: a Chrome trace of the ops, summed by name.</summary>
public class TraceSummaryTests
{
    [Fact]
    public void Profile_RecordsEachOp_AndSelfTimeExcludesTheOpsInside()
    {
        using var temp = new TempDir();
        var path = temp["step.json"];
        using (var scope = DisposeScope.Begin())
        using (LibTorch.Profile(path))
        {
            var a = Tensor.Ones([64, 64]);
            for (int i = 0; i < 3; i++) _ = a.MatMul(a).Sum();
        }
        var ops = TraceSummary.Read(path).ToDictionary(o => o.Name);
        Assert.Equal(3, ops["aten::mm"].Calls);
        Assert.True(ops["aten::sum"].Calls >= 3);   // aten::sum may call another overload of itself
        // aten::matmul holds its mm: its total covers the mm's, its own time is what is left.
        Assert.True(ops["aten::matmul"].TotalMs >= ops["aten::mm"].TotalMs);
        Assert.All(ops.Values, o => Assert.InRange(o.SelfMs, 0, o.TotalMs + 1e-3));
    }

    [Fact]
    public void Read_SelfTimeIsDurationLessDirectChildren_PerThread()
    {
        using var temp = new TempDir();
        // Thread 1: outer 0–100 µs holding a 10–40 and a 50–70 (which holds 55–60); thread 2: one op at 20–50.
        File.WriteAllText(temp["t.json"], """
            [
              {"name": "outer", "ph": "X", "ts": 0, "dur": 100, "tid": 1},
              {"name": "mid", "ph": "X", "ts": 10, "dur": 30, "tid": 1},
              {"name": "mid", "ph": "X", "ts": 50, "dur": 20, "tid": 1},
              {"name": "leaf", "ph": "X", "ts": 55, "dur": 5, "tid": 1},
              {"name": "leaf", "ph": "X", "ts": 20, "dur": 30, "tid": 2},
              {"name": "meta", "ph": "M", "tid": 1}
            ]
            """);
        var ops = TraceSummary.Read(temp["t.json"]).ToDictionary(o => o.Name);
        Assert.Equal(new OpTime("outer", 1, 0.05, 0.1), ops["outer"]);
        Assert.Equal(new OpTime("mid", 2, 0.045, 0.05), ops["mid"]);
        Assert.Equal(new OpTime("leaf", 2, 0.035, 0.035), ops["leaf"]);
        Assert.Equal(3, ops.Count);
    }

    [Fact]
    public void Profile_TwoAtOnce_IsRefused()
    {
        using var temp = new TempDir();
        using (LibTorch.Profile(temp["a.json"]))
        {
            var e = Assert.Throws<TorchException>(() => LibTorch.Profile(temp["b.json"]));
            Assert.Contains("already being recorded", e.Message);
        }
        Assert.True(File.Exists(temp["a.json"]));
    }
}
