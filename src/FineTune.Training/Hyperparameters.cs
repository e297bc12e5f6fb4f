using FineTune.Models.Lora;

namespace FineTune.Training;

/// <summary>
/// Everything that shapes a LoRA run, typed; each property's initializer is its default. Names, CLI options, ranges and
/// help are in <see cref="HyperparameterTable"/>, one row per property. Presets follow the hosted service the product
/// mirrors; any field overrides a preset. <see cref="Validate"/> rejects values outside the table's ranges (lr in (0, 0.1],
/// epochs 1–10, batch 1–32, …) unless <c>expert</c> widens them.
/// </summary>
public sealed record Hyperparameters
{
    public double LearningRate { get; init; } = 1e-4;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Examples longer than this many tokens are truncated (and counted).</summary>
    public int MaxTokens { get; init; } = 1024;
    public double WarmupRatio { get; init; } = 0.05;
    /// <summary>linear, cosine or constant (after warmup).</summary>
    public string Scheduler { get; init; } = "linear";
    public double WeightDecay { get; init; }
    /// <summary>Gradient clipping by global norm; 0 turns it off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public ulong Seed { get; init; } = 42;
    public int LoraRank { get; init; } = 8;
    public double LoraAlpha { get; init; } = 32;
    public double LoraDropout { get; init; } = 0.05;
    public IReadOnlyList<string> LoraTargets { get; init; } = LoraConfig.AllLinear;
    public bool UseRsLora { get; init; }
    /// <summary>Loss on prompt tokens too (default: assistant tokens only).</summary>
    public bool TrainOnPrompt { get; init; }
    /// <summary>Concatenate short examples into sequences of up to <see cref="MaxTokens"/>.</summary>
    public bool Packing { get; init; }

    public static IReadOnlyDictionary<string, Hyperparameters> Presets { get; } = new Dictionary<string, Hyperparameters>
    {
        ["standard"] = new() { LearningRate = 1e-4, Epochs = 3, BatchSize = 8, LoraRank = 8, LoraAlpha = 32, LoraDropout = 0.05 },
        ["quality"] = new() { LearningRate = 1e-4, Epochs = 5, BatchSize = 16, LoraRank = 16, LoraAlpha = 64, LoraDropout = 0.1 },
        ["fast"] = new() { LearningRate = 1e-4, Epochs = 2, BatchSize = 8, LoraRank = 4, LoraAlpha = 16, LoraDropout = 0.05 },
    };

    public static Hyperparameters Preset(string name) =>
        Presets.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", Presets.Keys)})", nameof(name));

    public LoraConfig ToLoraConfig(string? baseModel = null) => new()
    {
        Rank = LoraRank,
        Alpha = LoraAlpha,
        Dropout = LoraDropout,
        TargetModules = LoraTargets,
        UseRsLora = UseRsLora,
        BaseModelNameOrPath = baseModel,
    };

    /// <summary>The numeric hyperparameters' ranges, from <see cref="HyperparameterTable"/> (the console's form reads them).</summary>
    public static IReadOnlyList<HyperparameterRange> Ranges { get; } = [.. HyperparameterTable.All.Select(d => d.Range).OfType<HyperparameterRange>()];

    /// <summary>The learning-rate schedules after warmup (see <see cref="LrSchedule"/>).</summary>
    public static IReadOnlyList<string> Schedulers => HyperparameterTable.Scheduler.Choices!;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field out of its range or choices, with them.</summary>
    public Hyperparameters Validate(bool expert = false)
    {
        foreach (var d in HyperparameterTable.All)
            if (d.Problem(this, expert) is { } problem) throw new ArgumentOutOfRangeException(d.Name, d.Get(this), problem);
        ToLoraConfig().Validate();
        return this;
    }
}
