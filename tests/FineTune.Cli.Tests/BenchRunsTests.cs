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
        var json = JsonNode.Parse(r.Stdout.Trim().Split('\n')[^1])!;
        Assert.Equal(3, json["tokens_per_s"]!["n"]!.GetValue<int>());
        var tps = json["tokens_per_s"]!;
        Assert.InRange(tps["median"]!.GetValue<double>(), tps["min"]!.GetValue<double>(), tps["max"]!.GetValue<double>());
        Assert.True(tps["min"]!.GetValue<double>() > 0);
        Assert.True(json["peak_rss_mib"]!.GetValue<double>() > 0);
        Assert.Equal(1, json["machine"]!["threads"]!.GetValue<int>());
        Assert.Null(json["ratio"]);
    }
}
