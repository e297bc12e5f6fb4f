using System.Text.Json.Nodes;
using FineTune.Cli.Bench;

namespace FineTune.Cli.Tests;

public class BenchRunsTests
{
    [Fact]
    public void Figure_IsTheMedianWithMinAndMax()
    {
        Assert.Equal(new Figure(2, 1, 30, 3), Figure.Of([30, 1, 2]));
        Assert.Equal(new Figure(2.5, 1, 4, 4), Figure.Of([4, 1, 3, 2]));   // even count: the mean of the middle two
        Assert.Equal(1.5, Figure.Ratio(new Figure(3, 1, 4, 3), new Figure(2, 2, 2, 3)));
        Assert.Null(Figure.Ratio(new Figure(3, 1, 4, 3), null));
        Assert.Throws<ArgumentException>(() => Figure.Of([]));
    }

    [Fact]
    public void PairedRatio_DividesEachRepetitionByItsPartner_AndSkipsFailedOnes()
    {
        // Ours drifts with the machine; so does the reference beside it: each pair's ratio is 2, where the sides'
        // min–max ranges alone (1–4 against 0.5–2) would say anything from 0.5 to 8.
        Assert.Equal(new Figure(2, 2, 2, 3), Figure.PairedRatio([1, 4, 2], [0.5, 2, 1]));
        Assert.Equal(new Figure(1.5, 1, 2, 2), Figure.PairedRatio([2, 3, 9], [2, 1.5, 0]));   // the third reference run failed
        Assert.Equal(0.333, Figure.PairedRatio([1], [3])!.Median);                           // three decimals
        Assert.Null(Figure.PairedRatio([1, 2], [0, 0]));
    }

    [Fact]
    public void BenchGenerate_KeepsTheReferenceUp_AndPairsItsRepetitionsWithOurs()
    {
        var r = Cli.Run("bench", "generate", "--config", "tiny", "--batch", "2", "--prompt", "8", "--new", "4", "--repetitions", "3", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("reference:", r.Stderr);
        var json = r.LastLineJson;
        Assert.Null(json["reference_error"]);
        Assert.Equal(3, json["reference"]!["prefill_tokens_per_s"]!["n"]!.GetValue<int>());
        foreach (var name in new[] { "prefill_ratio_paired", "decode_ratio_paired" })
        {
            var pairs = json[name]!;
            Assert.Equal(3, pairs["n"]!.GetValue<int>());
            Assert.True(pairs["min"]!.GetValue<double>() > 0);
            Assert.InRange(pairs["median"]!.GetValue<double>(), pairs["min"]!.GetValue<double>(), pairs["max"]!.GetValue<double>());
        }
        // One reference process served every repetition: it printed "pytorch-eager" once per repetition.
        Assert.Equal(3, r.Stdout.Split('\n').Count(l => l.StartsWith("pytorch-eager: prefill", StringComparison.Ordinal) && !l.Contains("n=")));
    }

    [Fact]
    public void BenchGenerate_AReferenceThatCannotStart_IsReported_AndOurFiguresStillPrinted()
    {
        var r = Cli.Run("bench", "generate", "--config", "tiny", "--prompt", "8", "--new", "3", "--repetitions", "1", "--threads", "1", "--python", "/bin/false");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("reference: /bin/false exited with 1", r.Stderr);
        var json = r.LastLineJson;
        Assert.True(json["prefill_tokens_per_s"]!["median"]!.GetValue<double>() > 0);
        Assert.Null(json["prefill_ratio_paired"]);
        Assert.StartsWith("/bin/false exited with 1", json["reference_error"]!.GetValue<string>());
    }

    [Fact]
    public void BenchMatmul_TimesBlasAndTheLinearKernel_SideBySide()
    {
        var r = Cli.Run("bench", "matmul", "--size", "256", "--repeats", "3", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = r.LastLineJson;
        Assert.True(json["gflops"]!.GetValue<double>() > 0);
        Assert.True(json["linear_gflops"]!.GetValue<double>() > 0);
        var expected = FineTune.Torch.LibTorch.BestVectorIsa == FineTune.Torch.CpuVectorIsa.Avx512 ? "finetune avx512" : "blas";
        Assert.Equal(expected, json["linear_kernel"]!.GetValue<string>());
    }

    [Fact]
    public void BenchServe_InterleavesSlicesOfOneAndEightAdapters_AndReportsTheLossOfEachPair()
    {
        var r = Cli.Run("bench", "serve", "--requests", "4", "--slices", "4", "--max-tokens", "2", "--decode-tokens", "4", "--repetitions", "1", "--threads", "1", "--no-torch");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("tiered compilation off", r.Stdout.Split('\n')[0]);
        Assert.Contains("methods compiled during the timed serving slices", r.Stdout);
        var json = r.LastLineJson;
        Assert.False(json["machine"]!["tiered_compilation"]!.GetValue<bool>());
        Assert.Equal(4, json["slices_per_side"]!.GetValue<int>());
        var serving = json["serving"]!.AsArray();
        foreach (var concurrency in new[] { 1, 4, 16, 64 })
        {
            foreach (var adapters in new[] { 1, 8 })
            {
                var cell = serving.Single(c => c!["adapters"]?.GetValue<int>() == adapters && c["concurrency"]!.GetValue<int>() == concurrency)!;
                Assert.True(cell["requests_per_s"]!["min"]!.GetValue<double>() > 0);
                // Four slices of four requests, each of at most two tokens (a random model may end one early).
                Assert.InRange(cell["mean_completion_tokens"]!.GetValue<double>(), 0.25, 2);
            }
            var loss = serving.Single(c => c!["adapters"] is null && c["concurrency"]!.GetValue<int>() == concurrency)!;
            Assert.Equal(1, loss["loss_paired"]!["n"]!.GetValue<int>());
            Assert.True(loss["loss_paired"]!["max"]!.GetValue<double>() < 1);
        }
        var odd = Cli.Run("bench", "serve", "--slices", "3");
        Assert.Equal(2, odd.ExitCode);
        Assert.Contains("--slices even", odd.Stderr);
    }

    [Fact]
    public void TheMachineLine_SaysWhenTieredCompilationIsTurnedBackOn()
    {
        string[] args = ["bench", "train", "--config", "tiny", "--steps", "1", "--repetitions", "1", "--threads", "1", "--no-reference"];
        var off = Cli.Run(args);
        var on = Cli.Run(args, new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "1" });
        Assert.True(off.ExitCode == 0 && on.ExitCode == 0, off.Stderr + on.Stderr);
        Assert.Contains("tiered compilation off", off.Stdout.Split('\n')[0]);
        Assert.Contains("tiered compilation on", on.Stdout.Split('\n')[0]);
    }

    [Fact]
    public void Alternate_WarmsOursUp_ThenRunsABBA()
    {
        var order = new List<string>();
        int a = 0, b = 0;
        var (ours, reference) = BenchRuns.Alternate(4, () => { order.Add("A"); return a++; }, () => { order.Add("B"); return b++; });
        Assert.Equal(["A", "A", "B", "B", "A", "A", "B", "B", "A"], order);   // warm-up A, then A B, B A, A B, B A
        Assert.Equal([1, 2, 3, 4], ours);        // the warm-up's result is not kept
        Assert.Equal([0, 1, 2, 3], reference);
        var (alone, none) = BenchRuns.Alternate(3, () => 7, null);
        Assert.Equal([7, 7, 7], alone);
        Assert.Empty(none);
    }

    [Fact]
    public void BenchTrain_PrintsTheMachine_AndMediansOverRepetitions()
    {
        var r = Cli.Run("bench", "train", "--config", "tiny", "--steps", "1", "--repetitions", "3", "--threads", "1", "--no-reference");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("machine: ", r.Stdout);
        var json = r.LastLineJson;
        Assert.Equal(3, json["tokens_per_s"]!["n"]!.GetValue<int>());
        var tps = json["tokens_per_s"]!;
        Assert.InRange(tps["median"]!.GetValue<double>(), tps["min"]!.GetValue<double>(), tps["max"]!.GetValue<double>());
        Assert.True(tps["min"]!.GetValue<double>() > 0);
        Assert.True(json["peak_rss_mib"]!.GetValue<double>() > 0);
        Assert.Equal(1, json["machine"]!["threads"]!.GetValue<int>());
        Assert.True(json["machine"]!["cpu_pool"]!.GetValue<bool>());
        Assert.Null(json["ratio"]);
    }

    [Fact]
    public void BenchTrain_WithThePoolOff_RunsOnLibtorchsAllocator_AndSaysSo()
    {
        var r = Cli.Run(["bench", "train", "--config", "tiny", "--steps", "1", "--repetitions", "1", "--threads", "1", "--no-reference"],
            new Dictionary<string, string> { ["FINETUNE_CPU_POOL"] = "0" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("CPU pool off", r.Stdout.Split('\n')[0]);
        var json = r.LastLineJson;
        Assert.False(json["machine"]!["cpu_pool"]!.GetValue<bool>());
        Assert.True(json["tokens_per_s"]!["median"]!.GetValue<double>() > 0);
    }
}
