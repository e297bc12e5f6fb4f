using FineTune.Models.Lora;

namespace FineTune.Training;

/// <summary>
/// Everything that shapes a LoRA run. Presets follow the hosted service the product mirrors; any field
/// overrides a preset. <see cref="Validate"/> rejects values outside the hosted ranges (lr in (0, 0.1],
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

    /// <summary>The numeric fields' allowed ranges, by their snake_case names (as specs and manifests spell them).</summary>
    public static IReadOnlyList<HyperparameterRange> Ranges { get; } =
    [
        new("learning_rate", 0, 0.1, 1.0, MinExclusive: true),
        new("epochs", 1, 10, 1000, Integer: true),
        new("batch_size", 1, 32, 1024, Integer: true),
        new("gradient_accumulation", 1, 64, 1024, Integer: true),
        new("max_tokens", 8, 32768, 131072, Integer: true),
        new("warmup_ratio", 0, 0.5, 1.0),
        new("weight_decay", 0, 1, 10),
        new("max_grad_norm", 0, 100, 1e6),
        new("lora_rank", 1, 256, 1024, Integer: true),
        new("lora_alpha", 0, 1024, 1e5, MinExclusive: true),
        new("lora_dropout", 0, 0.5, 0.9),
    ];

    /// <summary>The learning-rate schedules after warmup (see <see cref="LrSchedule"/>).</summary>
    public static IReadOnlyList<string> Schedulers { get; } = ["linear", "cosine", "constant"];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the field and its allowed range.</summary>
    public Hyperparameters Validate(bool expert = false)
    {
        Range("learning_rate", LearningRate, expert);
        Range("epochs", Epochs, expert);
        Range("batch_size", BatchSize, expert);
        Range("gradient_accumulation", GradientAccumulation, expert);
        Range("max_tokens", MaxTokens, expert);
        Range("warmup_ratio", WarmupRatio, expert);
        Range("weight_decay", WeightDecay, expert);
        Range("max_grad_norm", MaxGradNorm, expert);
        Range("lora_rank", LoraRank, expert);
        Range("lora_alpha", LoraAlpha, expert);
        Range("lora_dropout", LoraDropout, expert);
        if (!Schedulers.Contains(Scheduler))
            throw new ArgumentOutOfRangeException("scheduler", Scheduler, "scheduler must be linear, cosine or constant");
        ToLoraConfig().Validate();
        return this;
    }

    private static void Range(string name, double value, bool expert)
    {
        var range = Ranges.First(r => r.Name == name);
        if (!range.Contains(value, expert)) throw new ArgumentOutOfRangeException(name, value, range.Describe(expert));
    }
}
