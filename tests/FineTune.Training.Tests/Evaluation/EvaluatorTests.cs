using FineTune.Data;
using FineTune.Training.Evaluation;

namespace FineTune.Training.Tests.Evaluation;

/// <summary>The evaluator on an untrained tiny model: batching, limits and bad inputs (no training, a few seconds).</summary>
public class EvaluatorTests
{
    private static List<EvalItem> Items(int n) => EvalSet.FromExamples(Enumerable.Range(0, n).Select(i => ChatExample.Of(
        new ChatMessage("user", $"What is {i} + {i % 3}?" + new string('!', i % 5)),
        new ChatMessage("assistant", $"{i} + {i % 3} = {i + i % 3}."))));

    [Fact]
    public void Run_BatchSizeOneOrSeven_SameOutputsForEveryItem()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var items = Items(11);
        var spec = new EvalSpec { Model = model, Output = dir["b1"], MaxNewTokens = 12, BatchSize = 1, Device = "cpu" };
        var one = Evaluator.Run(spec, items);
        var seven = Evaluator.Run(spec with { Output = dir["b7"], BatchSize = 7 }, items);
        var a = File.ReadAllLines(one.PerItemFiles["base"]);
        var b = File.ReadAllLines(seven.PerItemFiles["base"]);
        Assert.Equal(11, a.Length);
        Assert.Equal(a, b);
        Assert.Equal(one.Results["base"].TokensGenerated, seven.Results["base"].TokensGenerated);
        Assert.Equal(["base"], one.Results.Keys);
        Assert.Empty(one.Adapters);
        Assert.Equal((true, 12, 1), (one.Decoding.Greedy, one.Decoding.MaxNewTokens, one.Decoding.BatchSize));
        Assert.Equal(["<|im_end|>"], one.Decoding.Stop);
    }

    [Fact]
    public void Run_LimitAndShots_EvaluateTheRightItems()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var report = Evaluator.Run(new EvalSpec { Model = model, Output = dir["out"], MaxNewTokens = 4, Shots = 2, Limit = 3, Device = "cpu" }, Items(10));
        Assert.Equal((3, 2), (report.Items, report.Shots));
        var references = File.ReadLines(report.PerItemFiles["base"]).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("reference").GetString());
        Assert.Equal(["4", "3", "5"], references);   // items 2, 3, 4: "2 + 2 = 4.", "3 + 0 = 3.", "4 + 1 = 5."
    }

    [Fact]
    public void Run_MissingAdapterFolder_FailsBeforeLoadingAnything()
    {
        using var dir = new TempDir();
        var spec = new EvalSpec { Model = dir["no-model"], Output = dir["out"], Adapters = [new AdapterRef("tuned", dir["nowhere"])] };
        var e = Assert.Throws<DirectoryNotFoundException>(() => Evaluator.Run(spec, Items(2)));
        Assert.Contains("tuned", e.Message);
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void Validate_DuplicateAdapterNames_Throws() =>
        Assert.Throws<ArgumentException>(() => new EvalSpec { Model = "m", Output = "o", Adapters = [new("a", "x"), new("a", "y")] }.Validate());
}
