using H = FineTune.Training.HyperparameterTable;
namespace FineTune.Training.Tests;

public class HyperparameterTests
{
    [Theory]
    [InlineData("standard", 1e-4, 3, 8, 8, 32, 0.05)]
    [InlineData("quality", 1e-4, 5, 16, 16, 64, 0.1)]
    [InlineData("fast", 1e-4, 2, 8, 4, 16, 0.05)]
    public void Presets_MatchTheHostedService(string name, double lr, int epochs, int batch, int rank, double alpha, double dropout)
    {
        var p = Hyperparameters.Preset(name);
        Assert.Equal((lr, epochs, batch, rank, alpha, dropout), (p.LearningRate, p.Epochs, p.BatchSize, p.LoraRank, p.LoraAlpha, p.LoraDropout));
        p.Validate();
    }

    [Fact]
    public void Overrides_ReplaceOnlyWhatTheySet()
    {
        var spec = new TrainingSpec { Model = "m", Data = "d", Output = "o", Preset = "quality", Hyperparameters = new HyperparameterOverrides { { H.Epochs, 2 }, { H.LoraTargets, ["q", "v"] } } };
        var h = spec.ResolveHyperparameters();
        Assert.Equal(2, h.Epochs);
        Assert.Equal(16, h.BatchSize);
        Assert.Equal(new[] { "q_proj", "v_proj" }, h.LoraTargets);
    }

    [Theory]
    [InlineData("learning_rate", 0.2)]
    [InlineData("learning_rate", 0.0)]
    [InlineData("epochs", 11)]
    [InlineData("batch_size", 33)]
    [InlineData("lora_dropout", 0.9)]
    public void OutOfRange_IsRejectedWithTheRange(string field, double value)
    {
        var h = field switch
        {
            "learning_rate" => new Hyperparameters { LearningRate = value },
            "epochs" => new Hyperparameters { Epochs = (int)value },
            "batch_size" => new Hyperparameters { BatchSize = (int)value },
            _ => new Hyperparameters { LoraDropout = value },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => h.Validate());
        Assert.Contains(field, e.Message);
        Assert.Contains("must be in", e.Message);
    }

    [Fact]
    public void Expert_WidensTheRanges()
    {
        new Hyperparameters { Epochs = 50, BatchSize = 64, LearningRate = 0.2 }.Validate(expert: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Hyperparameters { Scheduler = "exponential" }.Validate(expert: true));
    }

    [Fact]
    public void Schedules_FollowTransformers()
    {
        var linear = new LrSchedule("linear", 1.0, 10, 2);
        Assert.Equal(new[] { 0, 0.5, 1, 0.875, 0.75 }, Enumerable.Range(0, 5).Select(linear.At));
        Assert.Equal(0, linear.At(10));
        var cosine = new LrSchedule("cosine", 1.0, 10, 0);
        Assert.Equal(1.0, cosine.At(0), 12);
        Assert.Equal(0.5, cosine.At(5), 12);
        Assert.Equal(0.0, cosine.At(10), 12);
        Assert.Equal(1.0, new LrSchedule("constant", 1.0, 10, 2).At(7));
    }

    [Fact]
    public void Batches_AreDeterministic_CoverEveryExampleOnce_AndGroupLengths()
    {
        var lengths = Enumerable.Range(0, 100).Select(i => (i * 37) % 90 + 5).ToList();
        var a = Batching.EpochBatches(lengths, 8, 42, 1);
        Assert.Equal(a.Select(x => string.Join(",", x)), Batching.EpochBatches(lengths, 8, 42, 1).Select(x => string.Join(",", x)));
        Assert.NotEqual(a.Select(x => string.Join(",", x)), Batching.EpochBatches(lengths, 8, 42, 2).Select(x => string.Join(",", x)));
        Assert.Equal(Enumerable.Range(0, 100), a.SelectMany(x => x).Order());
        // grouping by length wastes less padding than random batches would
        double Waste(IEnumerable<int[]> batches) => batches.Sum(b => b.Length * b.Max(i => lengths[i]) - b.Sum(i => lengths[i]));
        var random = Enumerable.Range(0, 100).Chunk(8);
        Assert.True(Waste(a) < Waste(random) / 3, $"grouped waste {Waste(a)} vs random {Waste(random)}");
    }

    [Fact]
    public void Packing_FillsSequencesWithoutLosingTokens()
    {
        var examples = Enumerable.Range(1, 30).Select(i => new EncodedExample(Enumerable.Repeat(i, i % 7 + 3).ToArray(), Enumerable.Repeat(i, i % 7 + 3).ToArray())).ToList();
        var packed = Batching.Pack(examples, 32, 1);
        Assert.All(packed, p => Assert.True(p.Length <= 32));
        Assert.Equal(examples.Sum(e => e.Length), packed.Sum(p => p.Length));
        Assert.True(packed.Count < examples.Count / 2);
    }
}
